"""`newsdesk check [--repair]`: the manifest, the vector store and the keyword index compared, and made to agree."""
import json

from newsdesk.rag.embed import Embedder
from newsdesk.rag.events import FORMAT as EVENT_FORMAT
from newsdesk.rag.manifest import open_manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store
from newsdesk.rag.stories import FORMAT as STORY_FORMAT
from newsdesk.rag.types import chunk_id

from .furniture import FORMAT as FURNITURE_FORMAT
from .furniture import cleaned
from .pipeline import (Writer, clean_stored, ingest_lock, place_unevented, place_unplaced,
                       stored_article, sweep)


def stored_ids(store: Store, page: int = 5000) -> set[str]:
    ids: set[str] = set()
    while True:
        got = store.get(include=[], limit=page, offset=len(ids))["ids"]
        ids.update(got)
        if len(got) < page:
            return ids


def check(settings: Settings, repair: bool = False, embedder: Embedder | None = None) -> dict:
    """Compare the manifest (the truth) with the vector store and the lexical index; with repair, make them agree:
    missing chunks are re-embedded from the stored article text, chunks no live version owns are deleted,
    and the lexical index is rebuilt."""
    with ingest_lock(settings):
        manifest, store = open_manifest(settings), Store(settings)
        live = {chunk_id(r["article_id"], r["content_hash"], i): r["article_id"]
                for r in manifest.live_chunks() for i in range(len(json.loads(r["spans"])))}
        stale = manifest.stale()
        stored = stored_ids(store)
        missing = live.keys() - stored
        orphans = stored - live.keys() - {cid for _, ids in stale for cid in ids}
        bm25_ok = manifest.lexical_in_step()
        unplaced = manifest.unplaced() if manifest.get_meta("story_format") == STORY_FORMAT else [r["article_id"] for r in manifest.articles()]
        unevented = manifest.unevented() if manifest.get_meta("event_format") == EVENT_FORMAT else [r["article_id"] for r in manifest.articles()]
        # Under the rules it was cleaned by, a stored article holds furniture only if one of its sentences became its
        # outlet's boilerplate since (it is marked); a store from before the rules is read whole.
        # Cleaning every article to find out would cost check ~18 ms an article; under new rules each is counted as to
        # be cleaned (by --repair or the next ingest), which keeps check a read of indexes at any store size.
        rules_current = manifest.get_meta("furniture_format") == FURNITURE_FORMAT
        furnished = ([aid for aid in manifest.unclean()
                      if (row := manifest.get(aid)) is not None and cleaned(stored_article(row), manifest).text != row["text"]]
                     if rules_current else sorted(set(live.values())))
        report = {"articles": len(set(live.values())), "chunks": len(live), "missing_chunks": len(missing),
                  "orphan_chunks": len(orphans), "unfinished_versions": len(stale), "bm25_in_step": bm25_ok,
                  "without_story": len(unplaced), "without_event": len(unevented), "furniture": len(furnished), "repaired": False}
        if repair and (missing or orphans or stale or not bm25_ok or unplaced or unevented or furnished or not rules_current):
            sweep(manifest, store)
            if orphans:
                store.delete(sorted(orphans))
            articles = [stored_article(manifest.get(aid)) for aid in sorted({live[c] for c in missing})]
            if articles:
                embedder = embedder or Embedder(settings)
                Writer(settings, manifest, store, embedder).write(articles)
            if not manifest.lexical_in_step():
                manifest.reindex()
            place_unplaced(manifest)
            place_unevented(manifest, store)
            clean_stored(settings, manifest, store, embedder, ids=sorted(set(furnished) | set(manifest.unclean())) if rules_current else None)
            report["repaired"] = True
        return report
