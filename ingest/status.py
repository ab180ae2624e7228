"""`newsdesk status`: what is stored, where, and how it was made."""
from newsdesk.rag.manifest import open_manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store

from .subscriptions import list_sources


def status(settings: Settings) -> dict:
    from newsdesk.rag.embed import model_name, resolve_device, resolve_precision
    from newsdesk.rag.postgres import safe_url
    from newsdesk.rag.events import event_count
    from newsdesk.rag.stories import story_count

    manifest = open_manifest(settings)
    articles, chunks = manifest.counts()
    stories, shared = story_count(manifest)
    events, reported_together = event_count(manifest)
    store = Store(settings)
    return {
        "articles": articles,
        "stories": stories,
        "stories_in_several_articles": shared,
        "events": events,
        "events_in_several_articles": reported_together,
        "chunks": chunks,
        "store": store.location,
        "database": safe_url(settings.database_url) if settings.database_url else str(settings.manifest_path.resolve()),
        "store_bytes": store.size_bytes(),
        "embedding_model": model_name(settings),
        "device": (device := resolve_device(settings.device)),
        "precision": resolve_precision(settings.precision, device),
        "last_ingest": manifest.get_meta("last_ingest"),
        "sources": len(list_sources(settings)),
        "last_sync": manifest.get_meta("last_sync"),
        "home": str(settings.home.resolve()),
    }
