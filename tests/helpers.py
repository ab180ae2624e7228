"""Checks shared by several test modules."""
from collections import Counter

from newsdesk.rag.manifest import Manifest
from newsdesk.rag.store import Store

CHUNK_KEYS = {"article_id", "title", "outlet", "author", "date", "date_int", "url", "source", "language",
              "content_hash", "chunk_index", "start", "end"}


def stored(settings) -> dict:
    return Store(settings).get(include=["metadatas", "documents"])


def assert_consistent(settings):
    """The store holds exactly the live versions' chunks that the manifest lists, once each."""
    manifest = Manifest(settings.manifest_path)
    live = {r["article_id"]: (r["content_hash"], r["n_chunks"]) for r in manifest.articles()}
    records = stored(settings)
    assert len(records["ids"]) == len(set(records["ids"]))
    per_article = Counter(m["article_id"] for m in records["metadatas"])
    assert per_article == Counter({a: n for a, (_, n) in live.items()})
    for m in records["metadatas"]:
        assert m["content_hash"] == live[m["article_id"]][0]
    assert manifest.stale() == []
