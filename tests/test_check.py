"""`newsdesk check [--repair]`: finds where the vector store or lexical index disagree with the manifest, and mends it."""
import sqlite3

from newsdesk.ingest.check import check, stored_ids
from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.engine import build_engine
from newsdesk.rag.retrieve import Library
from newsdesk.rag.store import Store


def test_check_finds_and_repairs_missing_orphaned_and_stale(settings, corpus_copy, embedder):
    ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    clean = check(settings)
    assert clean["missing_chunks"] == clean["orphan_chunks"] == clean["unfinished_versions"] == 0 and clean["bm25_in_step"]

    store = Store(settings)
    ids = sorted(stored_ids(store))
    lost = ids[3:6]
    store.delete(lost)
    got = store.get(ids=[ids[0]], include=["embeddings", "documents", "metadatas"])
    store.upsert(["orphan-0000000000000000-00000"], [list(got["embeddings"][0])], got["documents"], got["metadatas"])
    with sqlite3.connect(settings.manifest_path) as db:  # as if a chunk's terms were lost
        db.execute("DELETE FROM lexical_chunks WHERE idx = 0")

    found = check(settings)
    assert found["missing_chunks"] == 3 and found["orphan_chunks"] == 1 and not found["bm25_in_step"] and not found["repaired"]
    assert len(stored_ids(store)) == len(ids) - 2  # looking changes nothing

    assert check(settings, repair=True, embedder=embedder)["repaired"]
    after = check(settings)
    assert after["missing_chunks"] == after["orphan_chunks"] == 0 and after["bm25_in_step"] and after["chunks"] == clean["chunks"]
    assert stored_ids(store) == set(ids)
    answer = build_engine(Library(settings, embedder=embedder)).ask("How many H100 GPUs did Meta use to train Movie Gen?")
    assert "6144" in answer.answer
    assert Library(settings).manifest.search_terms("Movie Gen", 3)
