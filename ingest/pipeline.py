"""Incremental, idempotent ingestion: each article is wholly old or wholly new at every instant."""
import fcntl
import json
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from itertools import chain
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from newsdesk.rag.embed import Embedder, encoder_batch, load_tokenizer
from newsdesk.rag.errors import BusyError, InputError, NewsdeskError
from newsdesk.rag.events import FORMAT as EVENT_FORMAT
from newsdesk.rag.events import pack, signature
from newsdesk.rag.lexical import chunk_terms
from newsdesk.rag.catalog import now
from newsdesk.rag.manifest import Manifest, open_manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store
from newsdesk.rag.stories import FORMAT as STORY_FORMAT
from newsdesk.rag.stories import fingerprint, place
from newsdesk.rag.types import Article, Chunk, Fingerprint, Signature, Version, chunk_id

from .chunk import chunk
from .fetch import Fetcher
from .furniture import FORMAT as FURNITURE_FORMAT
from .furniture import cleaned
from .readers import discover, error_text, read_pieces, text_of
from .sources import Harvest, Sources, harvest, is_url, unexpected

GROUP_BATCHES = 8  # encoder batches per write group: enough to keep batches full, few enough that progress moves
# A JSONL of a million bad lines once printed a million lines (352 MB): the first failures are kept whole, the rest only
# counted, per file and error, in at most FAILURE_KINDS counters, so a summary stays small at any number of failures.
FAILURES_SHOWN = 20
FAILURE_KINDS = 50


@dataclass
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)  # the first FAILURES_SHOWN failures, in full
    sources: list[dict] = field(default_factory=list)  # per-source counts, for URLs and sync
    failed_count: int = 0  # every failure, shown in full or not
    more: dict = field(default_factory=dict)  # (file, error): how many more failed so, past the first FAILURES_SHOWN

    def fail(self, path: str, error: str):
        self.failed_count += 1
        self._keep(text_of(str(path)), text_of(error), 1)

    def _keep(self, path: str, error: str, count: int):
        if len(self.failed) < FAILURES_SHOWN and count == 1:
            self.failed.append({"path": path, "error": error})
            return
        key = (path if is_url(path) else re.sub(r":\d+$", "", path), error)  # a JSONL file's bad lines count as one file's
        if key not in self.more and len(self.more) >= FAILURE_KINDS:
            key = ("", "other errors")
        self.more[key] = self.more.get(key, 0) + count

    def add(self, other: "Summary"):
        for key in ("added", "updated", "unchanged", "removed", "duplicates", "skipped"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.failed_count += other.failed_count
        for f in other.failed:
            self._keep(f["path"], f["error"], 1)
        for (path, error), count in other.more.items():
            self._keep(path, error, count)
        self.sources += other.sources

    def to_dict(self) -> dict:
        """The summary as JSON; as before when every failure is in `failed`, else with the total and the rest counted."""
        d = {k: v for k, v in asdict(self).items() if k not in ("failed_count", "more")}
        if self.more:
            d["failed_total"] = self.failed_count
            d["failed_more"] = [{"path": path, "error": error, "count": count} for (path, error), count in self.more.items()]
        return d


@contextmanager
def ingest_lock(settings: Settings):
    """One writer (ingest, sync, remove, check) at a time: a file lock in NEWSDESK_HOME, or with a database URL a
    PostgreSQL advisory lock, which every machine sharing the database sees."""
    if settings.database_url:
        from newsdesk.rag.postgres import ingest_lock as database_lock

        with database_lock(settings.database_url):
            yield
        return
    home = settings.home
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


class Stopped(Exception):
    """Another stage of the pipeline failed or was stopped; this one unwinds quietly."""


class Stages:
    """Bounded hand-offs between the threads of one pipeline: a failure in any stage stops them all, and the
    first error is the one raised."""

    def __init__(self, stop: threading.Event | None):
        self.stop = stop or threading.Event()
        self.halted = threading.Event()
        self.errors: list[BaseException] = []

    def put(self, q: queue.Queue, item):
        while not self.halted.is_set():
            try:
                return q.put(item, timeout=0.1)
            except queue.Full:
                pass
        raise Stopped

    def get(self, q: queue.Queue):
        while not self.halted.is_set():
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                pass
        raise Stopped

    def fail(self, e: BaseException):
        if not isinstance(e, Stopped):
            self.errors.append(e)
        self.halted.set()

    def thread(self, target, name: str) -> threading.Thread:
        def run():
            try:
                target()
            except BaseException as e:
                self.fail(e)
        t = threading.Thread(target=run, name=name, daemon=True)
        t.start()
        return t


DONE = object()
AHEAD = 2  # groups a stage may run ahead of the next: enough to hide a slow group, few enough to bound memory


class Writer:
    """Chunks, embeds and stores articles in groups; an article goes live only once all its chunks are stored.

    Three stages overlap, each a group apart, so the encoder never waits for the rest: a thread reads (when given a
    lazy stream), chunks and tokenises the next group and works out its keyword terms and story fingerprints; this
    thread encodes; a thread stores the previous group and commits it in one transaction. Only that last thread
    writes, so the store and the manifest change in the same order as when the stages ran one after another: mark
    pending, write chunks, commit the group (each article placed in its story in order), sweep."""

    def __init__(self, settings: Settings, manifest: Manifest, store: Store, embedder: Embedder):
        self.settings, self.manifest, self.store, self.embedder = settings, manifest, store, embedder

    def write(self, articles: list[Article]):
        self.write_groups([articles])

    def write_groups(self, groups: Iterable[list[Article]], written=lambda n: None, stop: threading.Event | None = None):
        """Write each group of articles; written(n) is called as n more are live. With stop set, the group being
        stored is finished and nothing more is; any failure stops every stage and is raised here."""
        stages = Stages(stop)
        prepared, encoded = queue.Queue(AHEAD), queue.Queue(AHEAD)

        def prepare():
            with Preparer(self.settings, self.embedder) as preparer:
                for group in groups:
                    if stages.stop.is_set() or stages.halted.is_set():
                        break
                    versions, chunks = preparer(group)
                    stages.put(prepared, (versions, chunks, self.embedder.prepare([c.embed_text for c in chunks], [c.ids for c in chunks])))
            stages.put(prepared, DONE)

        def store():
            while (item := stages.get(encoded)) is not DONE:
                self._store(*item)
                written(len(item[0]))

        threads = [stages.thread(prepare, "newsdesk-prepare"), stages.thread(store, "newsdesk-store")]
        try:
            while (item := stages.get(prepared)) is not DONE:
                group, chunks, batches = item
                stages.put(encoded, (group, chunks, self.embedder.encode(batches)))
            stages.put(encoded, DONE)
            while threads[1].is_alive() and not stages.halted.is_set():
                threads[1].join(0.1)
        except BaseException as e:  # Ctrl-C lands here, in the main thread: stop the others, finish the group in hand
            stages.fail(e)
        finally:
            stages.halted.set()
            for t in threads:
                t.join()
        if stages.errors:
            raise stages.errors[0]

    def _store(self, versions: list[Version], chunks: list, vectors):
        self.manifest.mark_pending([(v.article.id, v.article.content_hash, len(v.spans)) for v in versions])
        opening = {}
        for c, vector in zip(chunks, vectors):
            opening.setdefault(c.article.id, vector)
        for v in versions:
            if v.event is not None and v.article.id in opening:
                v.event.vector = pack(opening[v.article.id])
        self.store.upsert([c.id for c in chunks], vectors, [c.text for c in chunks], [c.metadata() for c in chunks])
        # One transaction for the group; each article is placed in its story inside it, after those before it, so
        # near-duplicates within one group find each other.
        self.manifest.commit_all(versions)
        sweep(self.manifest, self.store)


class Preparer:
    """Chunks a group and works out its versions' terms and fingerprints: on the calling thread, or split over
    NEWSDESK_PREPARE_WORKERS processes. Threads cannot help (the GIL): on an H100 host with 16 cores, chunking on 8
    threads made the whole pipeline slower (297 texts/s against 385). Processes are off by default: on 2 CPU cores,
    where the encoder uses both, 2 workers took a free encoder's pipeline from 235 to 200 articles/s (5,000
    paragraphs, their start-up included), and beside a GPU they are not measured yet (benchmarks/encoder.py)."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.embedder = embedder
        self.workers = settings.prepare_workers
        self.pool = None
        if self.workers:
            # spawn, not fork: the parent holds threads and, beside a GPU, a CUDA context that a fork would copy. (So a
            # script that calls ingest with workers needs the usual `if __name__ == "__main__":` guard.)
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(settings,))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def __call__(self, group: list[Article]) -> tuple[list[Version], list[Chunk]]:
        if self.pool is None:
            return prepared(group, self.embedder.tokenizer)
        size = -(-len(group) // self.workers)
        try:
            parts = list(self.pool.map(_prepare_part, [group[i:i + size] for i in range(0, len(group), size)]))
        except BrokenProcessPool:
            # Killed (most often by the kernel, out of memory) or crashed: its group was never stored, like any failed stage.
            raise NewsdeskError(f"a worker process preparing articles died (NEWSDESK_PREPARE_WORKERS={self.workers}); "
                                "articles already stored are intact: rerun the ingest to finish, with fewer workers "
                                "(or 0) if memory is short") from None
        versions, chunks = [], []
        # The articles stay in this process; only their pieces come back, and are joined to them here.
        for a, (pieces, terms, found, event) in zip(group, chain.from_iterable(parts)):
            mine = [Chunk(a, k, *piece) for k, piece in enumerate(pieces)]
            chunks += mine
            versions.append(Version(a, [(c.start, c.end) for c in mine], terms, found, event))
        return versions, chunks


_TOKENIZER = None  # a worker process's own, loaded once


def _start_worker(settings: Settings):
    global _TOKENIZER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    _TOKENIZER = load_tokenizer(settings)


def _prepare_part(articles: list[Article]) -> list[tuple[list[tuple[int, int, str, list[int] | None]], list[str], Fingerprint, Signature]]:
    versions, chunks = prepared(articles, _TOKENIZER)
    pieces = defaultdict(list)
    for c in chunks:
        pieces[c.article.id].append((c.start, c.end, c.embed_text, c.ids))
    return [(pieces[v.article.id], v.terms, v.story, v.event) for v in versions]


def prepared(group: list[Article], tokenizer) -> tuple[list[Version], list[Chunk]]:
    chunks = [c for a in group for c in chunk(a, tokenizer)]
    return ready(group, chunks), chunks


def ready(group: list[Article], chunks: list) -> list[Version]:
    """The group's versions with their lexical terms, fingerprints and event signatures worked out beside the encoder,
    so the thread that stores them only writes (and adds each signature's vector)."""
    spans = defaultdict(list)
    for c in chunks:
        spans[c.article.id].append((c.start, c.end))
    return [Version(a, spans[a.id], chunk_terms(a.title, a.text, spans[a.id]), fingerprint(a.text), signature(a.title, a.text, a.date))
            for a in group]


def index_unindexed(manifest: Manifest, progress: bool = False):
    """Build the lexical index of a store from before it (or from before its format changed), once."""
    if manifest.lexical_current():
        return
    with tqdm(total=manifest.counts()[0], desc="indexing terms", unit="article", disable=not progress, file=sys.stderr, leave=False) as bar:
        manifest.reindex(bar.update)


def place_unplaced(manifest: Manifest, progress: bool = False):
    """Give articles stored before stories existed (or before their constants changed) their story, once, oldest first
    (the earliest becomes the story)."""
    if manifest.get_meta("story_format") != STORY_FORMAT:
        manifest.forget_stories()
        manifest.set_meta("story_format", STORY_FORMAT)
    todo = manifest.unplaced()
    rows = sorted((manifest.get(aid) for aid in todo), key=lambda r: (r["date"] or "9999", r["ingested_at"]))
    for row in tqdm(rows, desc="grouping stories", unit="article", disable=not progress or len(rows) < 100, file=sys.stderr, leave=False):
        manifest.place([(row["article_id"], place(fingerprint(row["text"]), row["article_id"], manifest))])


EVENT_PIECE = 500  # stored articles placed in their events per transaction


def place_unevented(manifest: Manifest, store: Store, progress: bool = False):
    """Place articles stored before events existed (or before their constants changed) in their events, once, oldest
    first, with the vectors of their first chunks read back from the store."""
    if manifest.get_meta("event_format") != EVENT_FORMAT:
        manifest.forget_events()
        manifest.set_meta("event_format", EVENT_FORMAT)
    rows = sorted((r for aid in manifest.unevented() if (r := manifest.get(aid)) is not None),
                  key=lambda r: (r["date"] or "9999", r["ingested_at"]))
    with tqdm(total=len(rows), desc="grouping events", unit="article", disable=not progress or len(rows) < 100,
              file=sys.stderr, leave=False) as bar:
        for i in range(0, len(rows), EVENT_PIECE):
            piece = rows[i:i + EVENT_PIECE]
            first = {chunk_id(r["article_id"], r["content_hash"], 0): r["article_id"] for r in piece if r["n_chunks"]}
            got = store.get(ids=list(first), include=["embeddings"]) if first else {"ids": [], "embeddings": []}
            vectors = {first[cid]: pack(vector) for cid, vector in zip(got["ids"], got["embeddings"])}
            placed = []
            for r in piece:
                found = signature(r["title"] or "", r["text"], r["date"] or "")
                found.vector = vectors.get(r["article_id"], "")
                placed.append((r["article_id"], found))
            manifest.place_events(placed)
            bar.update(len(piece))


def stored_article(row) -> Article:
    return Article(text=row["text"], identity=row["identity"], source=row["source"], title=row["title"], outlet=row["outlet"],
                   author=row["author"], date=row["date"], url=row["url"], language=row["language"], extra=json.loads(row["extra"] or "{}"))


CLEAN_PIECE = 500  # stored articles read and cleaned at a time
CLEAN_ROUNDS = 3  # cleaning some articles can make a sentence of others boilerplate; this settles in one more round


def clean_stored(settings: Settings, manifest: Manifest, store: Store, embedder: Embedder | None = None,
                 progress: bool = False, ids: list[str] | None = None) -> Embedder | None:
    """Clean stored articles again, re-chunking and re-embedding only those whose text changes: each article once when
    the furniture rules changed (or the store is from before them; its sentences are counted first, so that outlet
    boilerplate is known), else those marked unclean (they hold a sentence that became their outlet's boilerplate after
    they were stored), or the ids given. A new version's commit takes its mark away, and marks again those its
    sentences make boilerplate. Returns the embedder, loaded only if some text changed."""
    if ids is None and manifest.get_meta("furniture_format") != FURNITURE_FORMAT:
        ids = [r["article_id"] for r in manifest.articles()]
        for i in range(0, len(ids), 1000):
            manifest.count_sentences(ids[i:i + 1000])
    # Read (and unmark the unchanged) on a connection of its own: the writing thread commits on the manifest's.
    reader = open_manifest(settings)
    try:
        for _ in range(CLEAN_ROUNDS):
            ids = manifest.unclean() if ids is None else ids
            if not ids:
                break
            with tqdm(total=len(ids), desc="cleaning", unit="article", disable=not progress or len(ids) < 100,
                      file=sys.stderr, leave=False) as bar:
                embedder = write_all(recleaned(ids, reader, bar), settings, manifest, store, embedder, progress)
            ids = None
    finally:
        reader.close()
    if manifest.get_meta("furniture_format") != FURNITURE_FORMAT:
        manifest.set_meta("furniture_format", FURNITURE_FORMAT)
    return embedder


def recleaned(ids: list[str], reader: Manifest, bar) -> Iterator[list[Article]]:
    """The stored articles of ids whose cleaned text differs, piece by piece; the others lose their unclean mark."""
    for i in range(0, len(ids), CLEAN_PIECE):
        rows = [r for r in (reader.get(aid) for aid in ids[i:i + CLEAN_PIECE]) if r is not None]
        changed = [c for r in rows if (c := cleaned(a := stored_article(r), reader)) is not a]
        reader.forget_unclean(sorted(set(ids[i:i + CLEAN_PIECE]) - {c.id for c in changed}))
        bar.update(len(rows))
        yield changed


class Planner:
    """Decides, piece by piece as articles are read, which need writing; counts unchanged and duplicates. It keeps
    only the ids and text hashes seen in this run (for duplicates and --prune), so memory grows by about 200 bytes
    per article, not by its text."""

    def __init__(self, manifest: Manifest, summary: Summary):
        self.manifest, self.summary = manifest, summary
        self.seen: set[str] = set()
        self.texts: set[str] = set()

    def __call__(self, articles: list[Article]) -> list[Article]:
        todo, summary = [], self.summary
        for a in articles:
            if a.id in self.seen:
                summary.duplicates += 1
                continue
            self.seen.add(a.id)
            old = self.manifest.get(a.id)
            # Stored as read: it held no furniture then, and a sentence of it that became boilerplate since has marked
            # it unclean (clean_stored), so it need not be cleaned again to know it is unchanged.
            if old is not None and old["content_hash"] == a.content_hash:
                summary.unchanged += 1
                continue
            # Cleaned before its hash decides anything: the stored text is the cleaned text, so an article whose
            # cleaned text is unchanged stays unchanged.
            a = cleaned(a, self.manifest)
            if old is not None and old["content_hash"] == a.content_hash:
                summary.unchanged += 1
                continue
            twin = self.manifest.with_text(a.text_hash)
            if (twin is not None and twin["article_id"] != a.id) or a.text_hash in self.texts:
                summary.duplicates += 1
                continue
            self.texts.add(a.text_hash)
            todo.append(a)
            if old is None:
                summary.added += 1
            else:
                summary.updated += 1
        return todo


def plan(articles: list[Article], manifest: Manifest, summary: Summary) -> tuple[list[Article], set[str]]:
    """The articles that need writing; counts unchanged and duplicates. Returns them and every article id seen."""
    planner = Planner(manifest, summary)
    return planner(articles), planner.seen


def groups_of(articles: Iterable[list[Article]], chunks: int, first: int | None = None) -> Iterator[list[Article]]:
    """Pieces of articles regrouped to about `chunks` chunks each (one per 600 characters, roughly); the first group
    to about `first`, so that the encoder starts on one batch instead of waiting for a whole group to be chunked."""
    group, size, limit = [], 0, first or chunks
    for piece in articles:
        for a in piece:
            group.append(a)
            size += len(a.text) // 600 + 1
            if size >= limit:
                yield group
                group, size, limit = [], 0, chunks
    if group:
        yield group


def under(path: str, roots: list[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def ingest(paths: list[str], settings: Settings, prune: bool = False, dry_run: bool = False, progress: bool = True,
           warn=lambda msg: print(f"warning: {msg}", file=sys.stderr), embedder: Embedder | None = None) -> Summary:
    """Files, folders and http(s) URLs (article pages, feeds, sitemaps) into the store."""
    # The lock comes first, so a second ingest refuses at once instead of after reading every file.
    with (nullcontext() if dry_run else ingest_lock(settings)):
        return _ingest(paths, settings, prune, dry_run, progress, warn, embedder)


def read_stream(files: list[Path], settings: Settings, summary: Summary, failed_files: set[str], warn, bar) -> Iterator[list[Article]]:
    """The articles of files, piece by piece as read (a JSONL line by line); a file that fails whole is added to
    failed_files, so that --prune keeps its stored articles."""
    for path in files:
        try:
            for piece in read_pieces(path, settings.max_file_mb):
                for where, error in piece.failures:
                    summary.fail(where, error)
                for note in piece.notes:
                    warn(note)
                bar.update(piece.size)
                if piece.articles:
                    yield piece.articles
            continue
        except InputError as e:
            error = str(e)
        except MemoryError:
            raise
        except Exception as e:  # a reader or a library failing on a hostile file costs that file, not the run
            error = f"could not be read ({error_text(e)})"
        summary.fail(str(path), error)
        failed_files.add(text_of(os.path.realpath(path)))


SOURCES_AT_ONCE = 4  # sources are read side by side: most live on different hosts, each with its own limits


def fetch(urls: list[str], settings: Settings, sources: Sources, stop: threading.Event, progress: bool):
    """Each URL's Harvest, as each completes; sources are read side by side, each host within its own limits. The
    URLs are the user's (typed at `ingest` or `sources add`), so their hosts may be any address; where their listings
    and redirects lead may not (ingest/fetch.py)."""
    fetcher = Fetcher(settings, stop, given=urls)
    try:
        with tqdm(desc="fetching", unit="page", total=0, disable=not progress, file=sys.stderr, leave=False) as bar, \
                ThreadPoolExecutor(SOURCES_AT_ONCE) as pool:
            futures = {pool.submit(harvest, url, fetcher, sources, settings, stop, bar): url for url in urls}
            for done in as_completed(futures):
                try:
                    yield done.result()
                except Exception as e:  # one source that fails in a way no one foresaw fails alone
                    h = Harvest(futures[done], error=unexpected(e))
                    h.failures.append((h.url, h.error))
                    yield h
    finally:
        fetcher.close()


def harvested(h: Harvest, summary: Summary):
    for where, error in h.failures:
        summary.fail(where, error)
    summary.unchanged += h.known + h.unchanged


def write_all(todo: Iterable[list[Article]] | list[Article], settings: Settings, manifest: Manifest, store: Store,
              embedder: Embedder | None, progress: bool, stop: threading.Event | None = None) -> Embedder | None:
    """Embed and store planned articles (a list, or a lazy stream of pieces) in groups; returns the embedder, loaded
    only if there was work."""
    total = len(todo) if isinstance(todo, list) else None
    pieces = iter([todo] if isinstance(todo, list) else todo)
    first = next((piece for piece in pieces if piece), None)
    if first is None:
        return embedder
    store.collection  # fail on an unreachable store before spending time on the model
    embedder = embedder or Embedder(settings)
    embedder.model  # load before the progress bar starts, so its rate is articles embedded per second
    writer = Writer(settings, manifest, store, embedder)
    with tqdm(total=total, desc="embedding", unit="article", disable=not progress, file=sys.stderr) as bar:
        batch = encoder_batch(settings, embedder.device)
        writer.write_groups(groups_of(chain([first], pieces), GROUP_BATCHES * batch, batch), bar.update, stop)
    return embedder


def file_bytes(files: list[Path]) -> int:
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


def _ingest(paths, settings, prune, dry_run, progress, warn, embedder) -> Summary:
    """Files are read, planned and written in bounded groups as they stream past, so memory does not grow with the
    input: only the ids and text hashes seen are kept (for duplicates and --prune)."""
    summary = Summary()
    urls = [p for p in paths if is_url(p)]
    found = discover([p for p in paths if not is_url(p)])
    summary.skipped = len(found.skipped)
    for where, error in found.failures:
        summary.fail(where, error)
    failed_files = {text_of(os.path.realpath(p)) for p, _ in found.failures}
    manifest = open_manifest(settings)
    store = Store(settings)
    sources = Sources(open_manifest(settings))
    harvests = list(fetch(urls, settings, sources, threading.Event(), progress)) if urls else []
    for h in harvests:
        harvested(h, summary)
    # Planning reads the manifest on the reading thread while the writing thread commits: a connection of its own.
    reader = open_manifest(settings)
    planner = Planner(reader, summary)
    with tqdm(total=file_bytes(found.files), desc="reading", unit="B", unit_scale=True, disable=not progress,
              file=sys.stderr, leave=False) as bar:
        read = chain(read_stream(found.files, settings, summary, failed_files, warn, bar), (h.articles for h in harvests))
        todo = (planned for piece in read if (planned := planner(piece)))
        if dry_run:
            for _ in todo:
                pass
        else:
            sweep(manifest, store)
            index_unindexed(manifest, progress)
            place_unplaced(manifest, progress)
            place_unevented(manifest, store, progress)
            embedder = clean_stored(settings, manifest, store, embedder, progress)
            embedder = write_all(todo, settings, manifest, store, embedder, progress)
            # The articles this run made boilerplate of a sentence in others: cleaned before the run ends.
            clean_stored(settings, manifest, store, embedder, progress)
    reader.close()
    seen = planner.seen
    gone = []
    if prune:
        roots = [Path(text_of(os.path.realpath(p))) for p in paths if not is_url(p)]
        gone = [r["article_id"] for r in manifest.articles()
                if r["article_id"] not in seen and r["source"] not in failed_files and under(r["source"], roots)]
        summary.removed = len(gone)
    if dry_run:
        return summary
    for h in harvests:
        sources.remember(h)
    for article_id in gone:
        manifest.retire(article_id)
    if gone:
        sweep(manifest, store)
    manifest.set_meta("last_ingest", now())
    manifest.close()
    sources.close()
    return summary


def remove(key: str, settings: Settings) -> dict:
    """Remove one article by id, path or url."""
    with ingest_lock(settings):
        manifest = open_manifest(settings)
        row = manifest.find(key) or manifest.find(str(Path(key).resolve()))
        if row is None:
            raise InputError(f"no stored article with id, path or url {key!r}; `newsdesk status` lists the store")
        manifest.retire(row["article_id"])
        sweep(manifest, Store(settings))
        return {"article_id": row["article_id"], "title": row["title"], "source": row["source"]}
