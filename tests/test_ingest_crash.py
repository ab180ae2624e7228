"""SIGKILL at seeded write steps of an ingest, then a rerun: the store ends equal to a clean ingest."""
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import assert_consistent, stored

from crash_points import steps
from newsdesk.ingest.check import check
from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.manifest import Manifest
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import forget_embedded_clients
from newsdesk.rag.types import chunk_id

TOPICS = ["harbour", "railway", "budget", "election", "drought", "festival", "vaccine", "satellite", "orchestra", "museum"]
SEED = 20261125
KILLS = {"first ingest": 2, "update and prune": 3}  # each kill starts a process (~13 s of imports here)
N = 24


def write_corpus(folder: Path, version: int, n: int = N):
    rng = random.Random(n)
    folder.mkdir(exist_ok=True)
    for p in folder.glob("*.md"):
        p.unlink()
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        sentences = [f"Report {i} (version {version}) on the {topic}: officials counted {rng.randint(10, 9999)} cases in district {j}."
                     for j in range(12)]
        (folder / f"{i:03d}.md").write_text(f"---\ntitle: The {topic} story {i}\noutlet: Test Wire\n---\n" + " ".join(sentences))


def assert_same_store(settings: Settings, clean: Settings):
    assert_consistent(settings)  # once each, only live versions, nothing pending
    versions = lambda s: sorted((r["article_id"], r["content_hash"], r["n_chunks"]) for r in Manifest(s.manifest_path).articles())
    assert versions(settings) == versions(clean)
    ours, theirs = stored(settings), stored(clean)
    assert sorted(ours["ids"]) == sorted(theirs["ids"]) and sorted(ours["documents"]) == sorted(theirs["documents"])
    report = check(settings)
    assert (report["missing_chunks"], report["orphan_chunks"], report["unfinished_versions"], report["bm25_in_step"]) == (0, 0, 0, True)


def kill_at(step: int, before: bool, args: list, home: Path):
    env = {"NEWSDESK_HOME": str(home), "NEWSDESK_BATCH_SIZE": "2"}
    result = subprocess.run([sys.executable, str(Path(__file__).parent / "crash_points.py"), str(step), "before" if before else "after",
                             *map(str, args)], env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == -9, f"the ingest was not killed at step {step}: {result.stderr[-500:]}"


@pytest.mark.parametrize("scenario", ["first ingest", "update and prune"])
def test_kill_at_seeded_steps_then_rerun_equals_clean_ingest(scenario, tmp_path, embedder):
    folder, prune = tmp_path / "corpus", scenario == "update and prune"

    def start(name: str) -> Settings:
        """The state an ingest begins from: empty, or the first version live."""
        s = Settings(home=tmp_path / name, batch_size=2)
        write_corpus(folder, version=1)
        if prune:
            ingest([str(folder)], s, embedder=embedder, progress=False)
            write_corpus(folder, version=2, n=N - 4)  # every article changed, four gone
        return s

    args = ["ingest", folder, "--no-progress"] + (["--prune"] if prune else [])
    clean = start("clean")
    with steps() as taken:
        ingest([str(folder)], clean, embedder=embedder, progress=False, prune=prune)
    total = taken[0]
    assert total >= 8  # enough steps for the kills to land in different places

    rng = random.Random(f"{SEED}-{scenario}")
    for i, step in enumerate(sorted(rng.sample(range(1, total + 1), KILLS[scenario]))):
        s = start(f"home{i}")
        forget_embedded_clients()  # this process opened the store; the child is about to write to it
        kill_at(step, rng.random() < 0.5, args, s.home)
        forget_embedded_clients()
        assert_live_versions_whole(s)
        summary = ingest([str(folder)], s, embedder=embedder, progress=False, prune=prune)
        assert not summary.failed
        assert_same_store(s, clean)


def assert_live_versions_whole(settings: Settings):
    """After a kill, every article the manifest calls live has all of its chunks in the store."""
    ids = set(stored(settings)["ids"])
    for row in Manifest(settings.manifest_path).articles():
        assert {chunk_id(row["article_id"], row["content_hash"], i) for i in range(row["n_chunks"])} <= ids
