"""The sources newsdesk follows (`newsdesk sources add|list|remove`) and `newsdesk sync`, which stores what is new in
them through the ingest pipeline."""
import threading

from newsdesk.rag.embed import Embedder
from newsdesk.rag.errors import InputError
from newsdesk.rag.links import normal_url
from newsdesk.rag.catalog import now
from newsdesk.rag.manifest import open_manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store

from .fetch import Fetcher
from .sources import Sources, is_url
from .pipeline import (Summary, clean_stored, fetch, harvested, index_unindexed, ingest_lock, place_unevented, place_unplaced,
                       plan, sweep, write_all)


def sync(settings: Settings, stop: threading.Event | None = None, progress: bool = True, embedder: Embedder | None = None) -> tuple[Summary, Embedder | None]:
    """Poll every followed source once and store what is new or changed, source by source, so a stop (or a crash)
    loses at most the source in hand. Returns the summary and the embedder, for the next round of `sync --every`."""
    stop = stop or threading.Event()
    total = Summary()
    with ingest_lock(settings):
        manifest = open_manifest(settings)
        store, sources = Store(settings), Sources(open_manifest(settings))
        followed = {s.url: s for s in sources.all()}
        index_unindexed(manifest, progress)
        place_unplaced(manifest, progress)
        place_unevented(manifest, store, progress)
        embedder = clean_stored(settings, manifest, store, embedder, progress)
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
                             "unchanged": part.unchanged, "duplicates": part.duplicates, "failed": part.failed_count, "error": h.error}]
            total.add(part)
        embedder = clean_stored(settings, manifest, store, embedder, progress)
        order = {url: i for i, url in enumerate(followed)}
        total.sources.sort(key=lambda s: order[s["url"]])
        manifest.set_meta("last_sync", now())
        if total.added or total.updated:
            manifest.set_meta("last_ingest", now())
        manifest.close()
        sources.close()
    return total, embedder


def add_source(url: str, settings: Settings, name: str | None = None) -> dict:
    """Follow a feed, sitemap or page; it is read once now to learn its kind and title, and synced by `sync`."""
    from .sources import default_name, probe

    if not is_url(url):
        raise InputError(f"{url!r} is not an http(s) URL of a feed, sitemap or article page")
    given = url
    url = normal_url(url) or url  # a URL that is not valid is refused by the fetcher, in its words
    sources = Sources(open_manifest(settings))
    try:
        known = sources.all()
        if any(s.url == url for s in known):
            raise InputError(f"{url} is already a source; `newsdesk sources list` shows it")
        if name is not None and any(name in (s.name, s.url) for s in known):
            raise InputError(f"a source is already named {name!r}; pick another --name")
        fetcher = Fetcher(settings, given=[url])
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
    sources = Sources(open_manifest(settings))
    try:
        return [s.to_dict() for s in sources.all()]
    finally:
        sources.close()


def remove_source(key: str, settings: Settings, purge: bool = False) -> dict:
    """Stop following a source by name or URL; with purge its articles leave the store too."""
    with ingest_lock(settings):
        manifest, sources = open_manifest(settings), Sources(open_manifest(settings))
        source = sources.find(key)
        if source is None:
            raise InputError(f"no source named or at {key!r}; `newsdesk sources list` shows them")
        purged = 0
        if purge:
            for row in manifest.articles():
                if row["source"] == source.url:
                    purged += manifest.retire(row["article_id"])
            sweep(manifest, Store(settings))
        sources.remove(source.url)
        manifest.close()
        sources.close()
        return {"name": source.name, "url": source.url, "purged": purged, "kept": 0 if purge else source.articles}
