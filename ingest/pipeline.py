"""Incremental, idempotent ingestion: each article is wholly old or wholly new at every instant."""
import fcntl
import json
import os
import sys
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from rag.bm25 import Bm25Index
from rag.embed import Embedder
from rag.errors import BusyError, InputError
from rag.manifest import Manifest, now
from rag.settings import Settings
from rag.store import Store
from rag.types import Article, chunk_id

from .chunk import chunk
from .readers import discover, read_file

GROUP_BATCHES = 8  # encoder batches per write group: enough to keep batches full, few enough that progress moves


@dataclass
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)

    def fail(self, path: str, error: str):
        self.failed.append({"path": str(path), "error": error})

    def to_dict(self) -> dict:
        return asdict(self)


@contextmanager
def ingest_lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "ingest.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise BusyError(f"another newsdesk ingest (pid {f.read().strip() or '?'}) is writing to {home}; wait for it to finish and rerun") from None
        f.truncate(0)
        f.write(str(os.getpid()))
        f.flush()
        yield


def sweep(manifest: Manifest, store: Store):
    """Delete chunk sets that are not live: versions superseded, removed, or left half-written by a crash."""
    stale = manifest.stale()
    if stale:
        store.delete([cid for _, ids in stale for cid in ids])
        manifest.forget_stale([version for version, _ in stale])


class Writer:
    """Chunks, embeds and stores articles in groups; an article goes live only once all its chunks are stored."""

    def __init__(self, settings: Settings, manifest: Manifest, store: Store, embedder: Embedder):
        self.settings, self.manifest, self.store, self.embedder = settings, manifest, store, embedder

    def write(self, articles: list[Article]):
        chunks = [c for a in articles for c in chunk(a, self.embedder.tokenizer)]
        spans = defaultdict(list)
        for c in chunks:
            spans[c.article.id].append((c.start, c.end))
        self.manifest.mark_pending([(a.id, a.content_hash, len(spans[a.id])) for a in articles])
        vectors = self.embedder.embed([c.embed_text for c in chunks])
        self.store.upsert([c.id for c in chunks], vectors, [c.text for c in chunks], [c.metadata() for c in chunks])
        for a in articles:
            self.manifest.commit(a, spans[a.id])
        sweep(self.manifest, self.store)


def plan(articles: list[Article], manifest: Manifest, summary: Summary) -> tuple[list[Article], set[str]]:
    """The articles that need writing; counts unchanged and duplicates. Returns them and every article id seen."""
    todo, seen, texts = [], set(), {}
    for a in articles:
        if a.id in seen:
            summary.duplicates += 1
            continue
        seen.add(a.id)
        old = manifest.get(a.id)
        if old is not None and old["content_hash"] == a.content_hash:
            summary.unchanged += 1
            continue
        twin = manifest.with_text(a.text_hash)
        if (twin is not None and twin["article_id"] != a.id) or a.text_hash in texts:
            summary.duplicates += 1
            continue
        texts[a.text_hash] = a.id
        todo.append(a)
        if old is None:
            summary.added += 1
        else:
            summary.updated += 1
    return todo, seen


def under(path: str, roots: list[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def ingest(paths: list[str], settings: Settings, prune: bool = False, dry_run: bool = False, progress: bool = True,
           warn=lambda msg: print(f"warning: {msg}", file=sys.stderr), embedder: Embedder | None = None) -> Summary:
    # The lock comes first, so a second ingest refuses at once instead of after reading every file.
    with (nullcontext() if dry_run else ingest_lock(settings.home)):
        return _ingest(paths, settings, prune, dry_run, progress, warn, embedder)


def _ingest(paths, settings, prune, dry_run, progress, warn, embedder) -> Summary:
    summary = Summary()
    found = discover(paths)
    summary.skipped = len(found.skipped)
    for where, error in found.failures:
        summary.fail(where, error)

    articles: list[Article] = []
    failed_files = {os.path.realpath(p) for p, _ in found.failures}
    for path in tqdm(found.files, desc="reading", unit="file", disable=not progress, file=sys.stderr, leave=False):
        try:
            result = read_file(path, settings.max_file_mb)
        except InputError as e:
            summary.fail(str(path), str(e))
            failed_files.add(os.path.realpath(path))
            continue
        for where, error in result.failures:
            summary.fail(where, error)
        for note in result.notes:
            warn(note)
        articles.extend(result.articles)

    manifest = Manifest(settings.manifest_path)
    store = Store(settings)
    todo, seen = plan(articles, manifest, summary)
    gone = []
    if prune:
        roots = [Path(os.path.realpath(p)) for p in paths]
        gone = [r["article_id"] for r in manifest.articles()
                if r["article_id"] not in seen and r["source"] not in failed_files and under(r["source"], roots)]
        summary.removed = len(gone)
    if dry_run:
        return summary
    sweep(manifest, store)
    if todo:
        store.collection  # fail on an unreachable store before spending time on the model
        embedder = embedder or Embedder(settings)
        embedder.model  # load before the progress bar starts, so its rate is articles embedded per second
        writer = Writer(settings, manifest, store, embedder)
        with tqdm(total=len(todo), desc="embedding", unit="article", disable=not progress, file=sys.stderr) as bar:
            group, size = [], 0
            for a in todo:
                group.append(a)
                size += len(a.text) // 600 + 1  # about one chunk per 600 characters
                if size >= GROUP_BATCHES * settings.batch_size:
                    writer.write(group)
                    bar.update(len(group))
                    group, size = [], 0
            if group:
                writer.write(group)
                bar.update(len(group))
    for article_id in gone:
        manifest.retire(article_id)
    if gone:
        sweep(manifest, store)
    Bm25Index(settings.home).sync(manifest)
    manifest.set_meta("last_ingest", now())
    manifest.close()
    return summary


def remove(key: str, settings: Settings) -> dict:
    """Remove one article by id, path or url."""
    with ingest_lock(settings.home):
        manifest = Manifest(settings.manifest_path)
        row = manifest.find(key) or manifest.find(str(Path(key).resolve()))
        if row is None:
            raise InputError(f"no stored article with id, path or url {key!r}; `newsdesk status` lists the store")
        manifest.retire(row["article_id"])
        sweep(manifest, Store(settings))
        Bm25Index(settings.home).rebuild(manifest)
        return {"article_id": row["article_id"], "title": row["title"], "source": row["source"]}


def status(settings: Settings) -> dict:
    from rag.embed import model_name, resolve_precision

    manifest = Manifest(settings.manifest_path)
    articles, chunks = manifest.counts()
    store = Store(settings)
    return {
        "articles": articles,
        "chunks": chunks,
        "store": store.location,
        "store_bytes": store.size_bytes(),
        "embedding_model": model_name(settings),
        "precision": resolve_precision(settings.precision),
        "last_ingest": manifest.get_meta("last_ingest"),
        "home": str(settings.home.resolve()),
    }


def stored_ids(store: Store, page: int = 5000) -> set[str]:
    ids: set[str] = set()
    while True:
        got = store.get(include=[], limit=page, offset=len(ids))["ids"]
        ids.update(got)
        if len(got) < page:
            return ids


def check(settings: Settings, repair: bool = False, embedder: Embedder | None = None) -> dict:
    """Compare the manifest (the truth) with the vector store and the BM25 index; with repair, make them agree:
    missing chunks are re-embedded from the stored article text, chunks no live version owns are deleted,
    and the BM25 index is rebuilt."""
    with ingest_lock(settings.home):
        manifest, store = Manifest(settings.manifest_path), Store(settings)
        live = {chunk_id(r["article_id"], r["content_hash"], i): r["article_id"]
                for r in manifest.live_chunks() for i in range(len(json.loads(r["spans"])))}
        stale = manifest.stale()
        stored = stored_ids(store)
        missing = live.keys() - stored
        orphans = stored - live.keys() - {cid for _, ids in stale for cid in ids}
        saved = Bm25Index(settings.home).saved()
        bm25_ok = saved["generation"] == manifest.generation and set(saved.get("ids", [])) == live.keys()
        report = {"articles": len(set(live.values())), "chunks": len(live), "missing_chunks": len(missing),
                  "orphan_chunks": len(orphans), "unfinished_versions": len(stale), "bm25_in_step": bm25_ok, "repaired": False}
        if repair and (missing or orphans or stale or not bm25_ok):
            sweep(manifest, store)
            if orphans:
                store.delete(sorted(orphans))
            rows = [manifest.get(aid) for aid in sorted({live[c] for c in missing})]
            articles = [Article(text=r["text"], identity=r["identity"], source=r["source"], title=r["title"], outlet=r["outlet"],
                                author=r["author"], date=r["date"], url=r["url"], language=r["language"], extra=json.loads(r["extra"] or "{}"))
                        for r in rows]
            if articles:
                Writer(settings, manifest, store, embedder or Embedder(settings)).write(articles)
            Bm25Index(settings.home).rebuild(manifest)
            report["repaired"] = True
        return report
