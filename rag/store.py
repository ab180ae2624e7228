"""The Chroma collection that holds chunk vectors: embedded on disk, or a Chroma server when NEWSDESK_CHROMA_URL is set."""
import time
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

from .errors import StoreError
from .settings import Settings


RETRY_WAITS = (0.5, 1, 2, 4)  # seconds; about 8 s in all, enough for `chroma run` to come back up


def transient(e: Exception) -> bool:
    import httpx

    return isinstance(e, (httpx.TransportError, ConnectionError)) or "could not connect" in str(e).lower()


def forget_embedded_clients():
    """An embedded Chroma client keeps its vector index in memory and never sees vectors another process added;
    after this, the next Store opened on a path reads it from disk."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Store:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.location = settings.store_location

    def _client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry would try to reach the network, which this product must never need.
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = self.settings.chroma_url
        if not url:
            self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=chroma_settings)
        parts = urlparse(url if "://" in url else f"http://{url}")
        if not parts.hostname:
            raise StoreError(f"NEWSDESK_CHROMA_URL={url!r} is not a URL; use e.g. http://127.0.0.1:8000")
        port = parts.port or (443 if parts.scheme == "https" else 8000)
        return chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=chroma_settings)

    @cached_property
    def collection(self):
        try:
            client = self._client()
            # Cosine space: the model's vectors are normalised and its similarities are calibrated as cosines.
            collection = client.get_or_create_collection(
                self.settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
            self.max_batch = client.get_max_batch_size()
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(self._unreachable(e)) from e
        return collection

    def _unreachable(self, e: Exception) -> str:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        if self.settings.chroma_url:
            return (f"cannot use the Chroma server at {self.settings.chroma_url}: {first}; "
                    "start it with `chroma run --path DIR --port PORT` or unset NEWSDESK_CHROMA_URL")
        return f"cannot open the Chroma store at {self.location}: {first}"

    def _call(self, fn, *args, **kwargs):
        """fn on the collection; a server that is briefly away (restarting, a dropped connection) is retried with
        backoff before the error reaches the user."""
        for wait in [*RETRY_WAITS, None]:
            try:
                return fn(self.collection, *args, **kwargs)
            except StoreError as e:  # from opening the collection
                if wait is None or not (self.settings.chroma_url and e.__cause__ is not None and transient(e.__cause__)):
                    raise
            except Exception as e:
                if wait is None or not (self.settings.chroma_url and transient(e)):
                    raise StoreError(self._unreachable(e)) from e
            time.sleep(wait)

    def _slices(self, n: int):
        step = self.collection and self.max_batch  # the server decides how many records one call may carry
        return [slice(i, i + step) for i in range(0, n, step)]

    def upsert(self, ids: list[str], embeddings: list[list[float]], documents: list[str], metadatas: list[dict]):
        for s in self._slices(len(ids)):
            self._call(lambda c: c.upsert(ids=ids[s], embeddings=embeddings[s], documents=documents[s], metadatas=metadatas[s]))

    def delete(self, ids: list[str]):
        for s in self._slices(len(ids)):
            self._call(lambda c: c.delete(ids=ids[s]))

    def count(self) -> int:
        return self._call(lambda c: c.count())

    def get(self, **kwargs) -> dict:
        return self._call(lambda c: c.get(**kwargs))

    def size_bytes(self) -> int | None:
        """Bytes on disk for the embedded store; None for a server, whose disk we cannot see."""
        if self.settings.chroma_url:
            return None
        return folder_size(self.settings.chroma_path) if self.settings.chroma_path.exists() else 0

    def cosines(self, ids: list[str], vector: list[float]) -> dict[str, float]:
        """Cosine of each stored chunk to vector, read by id (ids not in the store are left out)."""
        if not ids:
            return {}
        import numpy as np

        res = self._call(lambda c: c.get(ids=ids, include=["embeddings"]))
        if not len(res["ids"]):
            return {}
        return dict(zip(res["ids"], (np.asarray(res["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)).tolist()))

    def query(self, vector: list[float], n: int, where: dict | None) -> list[tuple[str, float]]:
        """The n nearest chunks as (id, cosine). Metadata stays in the store: fetching it tripled a query's time
        at 10k articles, and the id already names the article and version."""
        if n <= 0:
            return []
        res = self._call(lambda c: c.query(query_embeddings=[vector], n_results=n, where=where or None, include=["distances"]))
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0])]
