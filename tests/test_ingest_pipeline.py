import shutil

from helpers import CHUNK_KEYS, assert_consistent, stored

from newsdesk.ingest.pipeline import ingest, remove
from newsdesk.ingest.status import status
from newsdesk.rag.manifest import Manifest


def test_ingest_twice_adds_nothing_the_second_time(settings, corpus_copy, embedder):
    first = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert first.to_dict() == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0, "duplicates": 0, "skipped": 0, "failed": [], "sources": []}
    ids_before = sorted(stored(settings)["ids"])
    second = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert (second.added, second.unchanged, second.updated) == (0, 1, 0)
    assert sorted(stored(settings)["ids"]) == ids_before
    assert_consistent(settings)


def test_every_chunk_carries_its_metadata_and_offsets(settings, corpus_copy, embedder):
    ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    article = Manifest(settings.manifest_path).articles()[0]
    text = Manifest(settings.manifest_path).get(article["article_id"])["text"]
    records = stored(settings)
    assert len(records["ids"]) >= 10
    for doc, meta in zip(records["documents"], records["metadatas"]):
        assert set(meta) >= CHUNK_KEYS
        assert meta["title"] == "In 2024, every large model cannot avoid Rongmomo and Ziwei | Focus Analysis"
        assert (meta["outlet"], meta["author"], meta["language"]) == ("36Kr", "Yongyi Deng", "en")
        assert meta["date"] == "2024-10-19T09:26:00+08:00" and meta["date_int"] == 20241019
        assert meta["source"].endswith(".md") and meta["content_hash"] == article["content_hash"]
        assert text[meta["start"]:meta["end"]] == doc
    assert sorted(m["chunk_index"] for m in records["metadatas"]) == list(range(len(records["ids"])))


def test_changed_article_replaces_its_chunks(settings, corpus_copy, embedder):
    ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    path = next(corpus_copy.glob("*.md"))
    path.write_text(path.read_text().replace("6144 H100", "8192 H100"))
    summary = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 0)
    docs = " ".join(stored(settings)["documents"])
    assert "8192 H100" in docs and "6144 H100" not in docs
    assert_consistent(settings)
    # The lexical index followed the update, in the same transaction.
    manifest = Manifest(settings.manifest_path)
    assert manifest.search_terms("6144", 5) == [] and manifest.lexical_in_step()
    assert set(stored(settings)["ids"]) >= {cid for cid, _ in manifest.search_terms("8192 H100", 5)} != set()


def test_prune_removes_articles_whose_files_are_gone(settings, corpus_copy, embedder):
    extra = corpus_copy / "second.md"
    extra.write_text("---\ntitle: Second\noutlet: Test Times\n---\nA short second article about rivers and bridges.\n")
    assert ingest([str(corpus_copy)], settings, embedder=embedder, progress=False).added == 2
    extra.unlink()
    without_prune = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert without_prune.removed == 0 and Manifest(settings.manifest_path).counts()[0] == 2
    pruned = ingest([str(corpus_copy)], settings, prune=True, embedder=embedder, progress=False)
    assert (pruned.removed, pruned.unchanged) == (1, 1)
    assert all(m["title"] != "Second" for m in stored(settings)["metadatas"])
    assert_consistent(settings)


def test_same_text_under_two_paths_is_stored_once(settings, corpus_copy, embedder):
    original = next(corpus_copy.glob("*.md"))
    (corpus_copy / "sub").mkdir()
    shutil.copy(original, corpus_copy / "sub" / "copy.md")
    summary = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert (summary.added, summary.duplicates) == (1, 1)
    again = ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    assert (again.added, again.unchanged, again.duplicates) == (0, 1, 1)
    assert_consistent(settings)


def test_dry_run_reports_and_changes_nothing(settings, corpus_copy, embedder):
    summary = ingest([str(corpus_copy)], settings, dry_run=True, embedder=embedder, progress=False)
    assert summary.added == 1
    assert Manifest(settings.manifest_path).counts() == (0, 0)


def test_remove_and_status(settings, corpus_copy, embedder):
    ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    info = status(settings)
    assert info["articles"] == 1 and info["chunks"] == len(stored(settings)["ids"]) > 0
    assert info["precision"] in ("bf16", "fp32") and info["last_ingest"]
    removed = remove(str(next(corpus_copy.glob("*.md"))), settings)
    assert removed["title"].startswith("In 2024")
    assert status(settings)["articles"] == 0 and stored(settings)["ids"] == []
    manifest = Manifest(settings.manifest_path)
    assert manifest.search_terms("Movie Gen", 5) == [] and manifest.titled(["movie gen"]) == []
    assert manifest.db.execute("SELECT COUNT(*) FROM lexical_chunks").fetchone()[0] == 0
