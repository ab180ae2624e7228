"""Incremental, idempotent ingestion: each article is wholly old or wholly new at every instant."""
import fcntl
import json
import os
import sys
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
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
from rag.stories import FORMAT as STORY_FORMAT
from rag.stories import place
from rag.types import Article, chunk_id

from .chunk import chunk
from .fetch import Fetcher
from .readers import discover, read_file
from .sources import Harvest, Sources, harvest, is_url

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
    sources: list[dict] = field(default_factory=list)  # per-source counts, for URLs and sync

    def fail(self, path: str, error: str):
        self.failed.append({"path": str(path), "error": error})

    def add(self, other: "Summary"):
        for key in ("added", "updated", "unchanged", "removed", "duplicates", "skipped"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.failed += other.failed
        self.sources += other.sources

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
            # Placed one by one as committed, so near-duplicates within one group find each other.
            self.manifest.commit(a, spans[a.id], place(a.text, a.id, self.manifest))
        sweep(self.manifest, self.store)


def place_unplaced(manifest: Manifest, progress: bool = False):
    """Give articles stored before stories existed (or before their constants changed) their story, once, oldest first
    (the earliest becomes the story)."""
    if manifest.get_meta("story_format") != STORY_FORMAT:
        manifest.forget_stories()
        manifest.set_meta("story_format", STORY_FORMAT)
    todo = manifest.unplaced()
    rows = sorted((manifest.get(aid) for aid in todo), key=lambda r: (r["date"] or "9999", r["ingested_at"]))
    for row in tqdm(rows, desc="grouping stories", unit="article", disable=not progress or len(rows) < 100, file=sys.stderr, leave=False):
        manifest.place([(row["article_id"], place(row["text"], row["article_id"], manifest))])


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
    """Files, folders and http(s) URLs (article pages, feeds, sitemaps) into the store."""
    # The lock comes first, so a second ingest refuses at once instead of after reading every file.
    with (nullcontext() if dry_run else ingest_lock(settings.home)):
        return _ingest(paths, settings, prune, dry_run, progress, warn, embedder)


def read_files(paths: list[str], settings: Settings, summary: Summary, progress: bool, warn) -> tuple[list[Article], set[str]]:
    """The articles of the files under paths, and the files that failed (their stored articles are kept)."""
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
    return articles, failed_files


SOURCES_AT_ONCE = 4  # sources are read side by side: most live on different hosts, each with its own limits


def fetch(urls: list[str], settings: Settings, sources: Sources, stop: threading.Event, progress: bool):
    """Each URL's Harvest, as each completes; sources are read side by side, each host within its own limits."""
    fetcher = Fetcher(settings, stop)
    try:
        with tqdm(desc="fetching", unit="page", total=0, disable=not progress, file=sys.stderr, leave=False) as bar, \
                ThreadPoolExecutor(SOURCES_AT_ONCE) as pool:
            for done in as_completed([pool.submit(harvest, url, fetcher, sources, settings, stop, bar) for url in urls]):
                yield done.result()
    finally:
        fetcher.close()


def harvested(h: Harvest, summary: Summary):
    for where, error in h.failures:
        summary.fail(where, error)
    summary.unchanged += h.known + h.unchanged


def write_all(todo: list[Article], settings: Settings, manifest: Manifest, store: Store, embedder: Embedder | None, progress: bool) -> Embedder | None:
    """Embed and store planned articles in groups; returns the embedder, loaded only if there was work."""
    if not todo:
        return embedder
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
    return embedder


def _ingest(paths, settings, prune, dry_run, progress, warn, embedder) -> Summary:
    summary = Summary()
    urls = [p for p in paths if is_url(p)]
    articles, failed_files = read_files([p for p in paths if not is_url(p)], settings, summary, progress, warn)
    manifest = Manifest(settings.manifest_path)
    store = Store(settings)
    sources = Sources(settings.manifest_path)
    harvests = list(fetch(urls, settings, sources, threading.Event(), progress)) if urls else []
    for h in harvests:
        harvested(h, summary)
        articles.extend(h.articles)
    todo, seen = plan(articles, manifest, summary)
    gone = []
    if prune:
        roots = [Path(os.path.realpath(p)) for p in paths if not is_url(p)]
        gone = [r["article_id"] for r in manifest.articles()
                if r["article_id"] not in seen and r["source"] not in failed_files and under(r["source"], roots)]
        summary.removed = len(gone)
    if dry_run:
        return summary
    sweep(manifest, store)
    place_unplaced(manifest, progress)
    write_all(todo, settings, manifest, store, embedder, progress)
    for h in harvests:
        sources.remember(h)
    for article_id in gone:
        manifest.retire(article_id)
    if gone:
        sweep(manifest, store)
    Bm25Index(settings.home).sync(manifest)
    manifest.set_meta("last_ingest", now())
    manifest.close()
    sources.close()
    return summary


def sync(settings: Settings, stop: threading.Event | None = None, progress: bool = True, embedder: Embedder | None = None) -> tuple[Summary, Embedder | None]:
    """Poll every followed source once and store what is new or changed, source by source, so a stop (or a crash)
    loses at most the source in hand. Returns the summary and the embedder, for the next round of `sync --every`."""
    stop = stop or threading.Event()
    total = Summary()
    with ingest_lock(settings.home):
        manifest = Manifest(settings.manifest_path)
        store, sources = Store(settings), Sources(settings.manifest_path)
        followed = {s.url: s for s in sources.all()}
        place_unplaced(manifest, progress)
        for h in fetch(list(followed), settings, sources, stop, progress):
            if h.interrupted and not h.records:
                continue
            source, part = followed[h.url], Summary()
            harvested(h, part)
            todo, _ = plan(h.articles, manifest, part)
            sweep(manifest, store)
            embedder = write_all(todo, settings, manifest, store, embedder, progress)
            sources.remember(h)
            part.sources = [{"name": source.name, "url": source.url, "kind": h.kind or source.kind, "listed": h.listed,
                             "fetched": h.fetched, "not_modified": h.not_modified, "added": part.added, "updated": part.updated,
                             "unchanged": part.unchanged, "duplicates": part.duplicates, "failed": len(part.failed), "error": h.error}]
            total.add(part)
        order = {url: i for i, url in enumerate(followed)}
        total.sources.sort(key=lambda s: order[s["url"]])
        Bm25Index(settings.home).sync(manifest)
        manifest.set_meta("last_sync", now())
        if total.added or total.updated:
            manifest.set_meta("last_ingest", now())
        manifest.close()
        sources.close()
    return total, embedder


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


def add_source(url: str, settings: Settings, name: str | None = None) -> dict:
    """Follow a feed, sitemap or page; it is read once now to learn its kind and title, and synced by `sync`."""
    from .sources import default_name, probe

    if not is_url(url):
        raise InputError(f"{url!r} is not an http(s) URL of a feed, sitemap or article page")
    given = url
    sources = Sources(settings.manifest_path)
    try:
        known = sources.all()
        if any(s.url == url for s in known):
            raise InputError(f"{url} is already a source; `newsdesk sources list` shows it")
        if name is not None and any(name in (s.name, s.url) for s in known):
            raise InputError(f"a source is already named {name!r}; pick another --name")
        fetcher = Fetcher(settings)
        try:
            url, kind, title, entries = probe(url, fetcher)
        finally:
            fetcher.close()
        # A page that declares its feed stands for the feed, which may be followed already.
        if url != given and any(s.url == url for s in known):
            raise InputError(f"{url} is already a source; `newsdesk sources list` shows it")
        taken = {s.name for s in known}
        base = name or default_name(url, title)
        name = next(n for n in [base] + [f"{base}-{i}" for i in range(2, 1000)] if n not in taken)
        sources.add(url, name, kind)
    finally:
        sources.close()
    return {"name": name, "url": url, "kind": kind, "title": title, "entries": entries, "given": given}


def list_sources(settings: Settings) -> list[dict]:
    sources = Sources(settings.manifest_path)
    try:
        return [s.to_dict() for s in sources.all()]
    finally:
        sources.close()


def remove_source(key: str, settings: Settings, purge: bool = False) -> dict:
    """Stop following a source by name or URL; with purge its articles leave the store too."""
    with ingest_lock(settings.home):
        manifest, sources = Manifest(settings.manifest_path), Sources(settings.manifest_path)
        source = sources.find(key)
        if source is None:
            raise InputError(f"no source named or at {key!r}; `newsdesk sources list` shows them")
        purged = 0
        if purge:
            for row in manifest.articles():
                if row["source"] == source.url:
                    purged += manifest.retire(row["article_id"])
            sweep(manifest, Store(settings))
            Bm25Index(settings.home).sync(manifest)
        sources.remove(source.url)
        manifest.close()
        sources.close()
        return {"name": source.name, "url": source.url, "purged": purged, "kept": 0 if purge else source.articles}


def status(settings: Settings) -> dict:
    from rag.embed import model_name, resolve_precision

    from rag.stories import story_count

    manifest = Manifest(settings.manifest_path)
    articles, chunks = manifest.counts()
    stories, shared = story_count(manifest)
    store = Store(settings)
    return {
        "articles": articles,
        "stories": stories,
        "stories_in_several_articles": shared,
        "chunks": chunks,
        "store": store.location,
        "store_bytes": store.size_bytes(),
        "embedding_model": model_name(settings),
        "precision": resolve_precision(settings.precision),
        "last_ingest": manifest.get_meta("last_ingest"),
        "sources": len(list_sources(settings)),
        "last_sync": manifest.get_meta("last_sync"),
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
        unplaced = manifest.unplaced() if manifest.get_meta("story_format") == STORY_FORMAT else [r["article_id"] for r in manifest.articles()]
        report = {"articles": len(set(live.values())), "chunks": len(live), "missing_chunks": len(missing),
                  "orphan_chunks": len(orphans), "unfinished_versions": len(stale), "bm25_in_step": bm25_ok,
                  "without_story": len(unplaced), "repaired": False}
        if repair and (missing or orphans or stale or not bm25_ok or unplaced):
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
            place_unplaced(manifest)
            report["repaired"] = True
        return report
