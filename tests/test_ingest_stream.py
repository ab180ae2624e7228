"""Streaming ingest through the overlapped pipeline: a JSONL is read line by line and written in groups while the
next group is chunked and encoded; a failure in any stage stops them all and leaves no article half-written."""
import json
import os
import random
import signal
from pathlib import Path

import pytest
from helpers import assert_consistent

import newsdesk.ingest.pipeline as pipeline
from newsdesk.ingest.check import check
from newsdesk.ingest.pipeline import ingest
from newsdesk.ingest.readers import read_file, read_pieces
from newsdesk.rag.errors import NewsdeskError
from newsdesk.rag.manifest import Manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store

WORDS = ("harbour council budget railway drought festival vaccine satellite orchestra museum river bridge school "
         "hospital election market storm harvest airport library").split()


def write_jsonl(path, n: int, seed: int = 7) -> list[dict]:
    """n short articles, each unique; the lines also hold two exact repeats, one blank line and one broken line."""
    rng = random.Random(seed)
    rows = [{"title": f"Report {i}", "text": f"Report {i}: " + " ".join(rng.choice(WORDS) for _ in range(12)) + f" Case {i}.",
             "url": f"https://wire.example/{i}", "outlet": "Test Wire"} for i in range(n)]
    lines = [json.dumps(r) for r in rows]
    lines[10:10] = [json.dumps(rows[3]), "", "{broken", json.dumps({**rows[5], "url": "https://wire.example/copy"})]
    path.write_text("\r\n".join(lines) + "\n")
    return rows


def test_a_jsonl_of_thousands_streams_through_and_every_article_is_live(tmp_path, embedder):
    n = 2000
    path = tmp_path / "wire.jsonl"
    write_jsonl(path, n)
    pieces = list(read_pieces(path, 20))
    assert len(pieces) > 1 and sum(len(p.articles) for p in pieces) == n + 2  # read in pieces, not whole
    assert sum(p.size for p in pieces) == path.stat().st_size

    settings = Settings(home=tmp_path / "home")
    summary = ingest([str(path)], settings, embedder=embedder, progress=False)
    assert (summary.added, summary.duplicates, summary.unchanged) == (n, 2, 0)
    assert [f["path"].rsplit(":", 1)[1] for f in summary.failed] == ["13"]  # the broken line, numbered as before
    manifest = Manifest(settings.manifest_path)
    assert manifest.counts() == (n, n)  # one chunk each
    assert Store(settings).count() == n
    assert_consistent(settings)
    report = check(settings)
    assert (report["missing_chunks"], report["orphan_chunks"], report["unfinished_versions"]) == (0, 0, 0)
    # A line's identity is its url (or its line number): what reading the whole file gave, so a rerun changes nothing.
    assert {a.identity for a in read_file(path, 20).articles} >= {f"https://wire.example/{i}" for i in range(n)}
    again = ingest([str(path)], settings, embedder=embedder, progress=False)
    assert (again.added, again.unchanged, again.duplicates) == (0, n, 2)


def test_a_jsonl_is_not_held_to_the_file_size_limit_but_its_lines_are(tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps({"title": "t", "text": "x" * 2000})
    path.write_text("\n".join([line] * 600 + [json.dumps({"title": "long", "text": "y" * 30000})]))
    result = read_file(path, 0.02)  # 20 KB: the file is 1.2 MB
    assert len(result.articles) == 600 and result.failures == [(f"{path}:601", "line is over the 0.02 MB limit")]


def small_groups(monkeypatch):
    # Groups of about one article: many groups, so a failure lands in the middle of the pipeline.
    monkeypatch.setattr(pipeline, "GROUP_BATCHES", 1)


@pytest.mark.parametrize("stage", ["chunk", "encode", "upsert", "interrupt"])
def test_a_failure_in_any_stage_stops_the_pipeline_and_commits_no_partial_article(stage, tmp_path, embedder, monkeypatch):
    path = tmp_path / "wire.jsonl"
    rows = write_jsonl(path, 40)
    settings = Settings(home=tmp_path / "home", batch_size=2)
    small_groups(monkeypatch)
    calls = {"n": 0}

    def failing(real):
        def call(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 12:
                raise KeyboardInterrupt if stage == "interrupt" else RuntimeError(f"{stage} broke")
            return real(*args, **kwargs)
        return call

    if stage == "chunk":
        monkeypatch.setattr(pipeline, "chunk", failing(pipeline.chunk))
    elif stage in ("encode", "interrupt"):
        monkeypatch.setattr(embedder, "encode", failing(embedder.encode))
    else:
        monkeypatch.setattr(Store, "upsert", failing(Store.upsert))
    with pytest.raises(KeyboardInterrupt) if stage == "interrupt" else pytest.raises(RuntimeError, match=f"{stage} broke"):
        ingest([str(path)], settings, embedder=embedder, progress=False)
    monkeypatch.undo()

    manifest = Manifest(settings.manifest_path)
    live = manifest.counts()[0]
    assert live < len(rows)  # stopped part way (how far the groups before the failure got depends on timing)
    records = Store(settings).get(include=["metadatas"])
    stored_per_article = {}
    for m in records["metadatas"]:
        stored_per_article[m["article_id"]] = stored_per_article.get(m["article_id"], 0) + 1
    for r in manifest.articles():  # every live article has all its chunks
        assert stored_per_article.get(r["article_id"]) == r["n_chunks"]
    summary = ingest([str(path)], settings, embedder=embedder, progress=False)
    assert summary.added == len(rows) - live and summary.unchanged == live
    assert_consistent(settings)


def test_stop_lets_the_groups_in_flight_finish_whole_and_takes_no_more(tmp_path, embedder):
    import threading

    from newsdesk.ingest.pipeline import Writer, groups_of

    rows = write_jsonl(tmp_path / "wire.jsonl", 60)
    articles = read_file(tmp_path / "wire.jsonl", 20).articles
    settings = Settings(home=tmp_path / "home", batch_size=2)
    manifest, store, stop = Manifest(settings.manifest_path), Store(settings), threading.Event()
    writer = Writer(settings, manifest, store, embedder)
    writer.write_groups(groups_of([articles], 2), written=lambda n: stop.set(), stop=stop)
    live = manifest.counts()[0]
    assert 0 < live < len(rows)
    assert_consistent(settings)


def test_preparing_in_worker_processes_stores_what_one_thread_stores(tmp_path, embedder):
    """Beside a GPU, chunking, terms and fingerprints run in worker processes: the store must not tell."""
    from conftest import CORPUS

    seed = next(p for p in sorted(CORPUS.rglob("*")) if p.is_file()).read_text(encoding="utf-8")
    rows = write_jsonl(tmp_path / "short.jsonl", 30)
    cut = seed[:int(len(seed) * 0.8)]
    rows += [{"title": "The video race", "text": seed, "outlet": "36Kr"},  # many chunks
             {"title": "Video race, trimmed", "text": cut, "outlet": "Wire copy"}]  # same story, another group's worker
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    seen = []
    for workers in (0, 2):
        settings = Settings(home=tmp_path / f"workers-{workers}", prepare_workers=workers, batch_size=8)
        ingest([str(path)], settings, embedder=embedder, progress=False)
        manifest = Manifest(settings.manifest_path)
        articles = {r["article_id"]: (manifest.get(r["article_id"])["spans"], r["n_chunks"], manifest.story_of(r["article_id"]))
                    for r in manifest.articles()}
        lexical = manifest.run("SELECT article_id, idx FROM lexical_chunks ORDER BY article_id, idx").fetchall()
        found = [manifest.search_terms(q, 5) for q in ("video generation race", "harbour council budget")]
        records = Store(settings).get(include=["embeddings"])
        vectors = dict(zip(records["ids"], (tuple(round(float(x), 5) for x in v) for v in records["embeddings"])))
        seen.append((articles, [tuple(r) for r in lexical], found, vectors))
        assert_consistent(settings)
    assert seen[0] == seen[1]
    articles = seen[0][0]
    assert max(n for _, n, _ in articles.values()) > 3  # the long article was cut into many chunks
    stories = [s for _, _, s in articles.values()]
    assert len(stories) - len(set(stories)) == 1  # the trimmed copy joined the full one's story


def spawned_workers() -> list[int]:
    """This process's children started by multiprocessing's spawn (the preparing workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid() \
                    and b"spawn_main" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return found


def test_a_worker_process_that_dies_stops_the_ingest_with_one_error_and_loses_nothing(tmp_path, embedder, monkeypatch):
    path = tmp_path / "wire.jsonl"
    rows = write_jsonl(path, 40)
    settings = Settings(home=tmp_path / "home", batch_size=2, prepare_workers=1)
    small_groups(monkeypatch)
    real, calls, killed = embedder.encode, {"n": 0}, []

    def encode(*args, **kwargs):  # the kernel's OOM killer, mid-ingest
        calls["n"] += 1
        if calls["n"] == 4:
            killed.extend(spawned_workers())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(embedder, "encode", encode)
    with pytest.raises(NewsdeskError, match=r"^a worker process preparing articles died \(NEWSDESK_PREPARE_WORKERS=1\); "
                                            r"articles already stored are intact: rerun the ingest"):
        ingest([str(path)], settings, embedder=embedder, progress=False)
    monkeypatch.undo()
    assert len(killed) == 1
    live = Manifest(settings.manifest_path).counts()[0]
    assert 0 < live < len(rows)
    assert_consistent(settings)
    summary = ingest([str(path)], settings, embedder=embedder, progress=False)
    assert summary.added == len(rows) - live and summary.unchanged == live
    assert_consistent(settings)
