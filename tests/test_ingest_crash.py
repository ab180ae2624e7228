"""SIGKILL in the middle of an ingest, then a rerun: the store ends equal to a clean ingest."""
import os
import random
import signal
import sqlite3
import subprocess
import time

from helpers import assert_consistent, stored

from conftest import BIN
from ingest.pipeline import ingest
from rag.settings import Settings

TOPICS = ["harbour", "railway", "budget", "election", "drought", "festival", "vaccine", "satellite", "orchestra", "museum"]


def write_corpus(folder, version: int, n: int = 40):
    rng = random.Random(n)
    folder.mkdir(exist_ok=True)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        sentences = [f"Report {i} (version {version}) on the {topic}: officials counted {rng.randint(10, 9999)} cases in district {j}."
                     for j in range(24)]
        (folder / f"{i:03d}.md").write_text(f"---\ntitle: The {topic} story {i}\noutlet: Test Wire\n---\n" + " ".join(sentences))


def live_state(home):
    db = sqlite3.connect(home / "manifest.sqlite", timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0], db.execute("SELECT COUNT(*) FROM stale").fetchone()[0]
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        db.close()


def kill_when(folder, home, ready) -> bool:
    """Start an ingest and SIGKILL it once ready(articles, stale) holds; False if it finished first."""
    env = {**os.environ, "NEWSDESK_HOME": str(home)}
    proc = subprocess.Popen([str(BIN / "newsdesk"), "ingest", str(folder), "--no-progress"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if (home / "manifest.sqlite").exists() and ready(*live_state(home)):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    return False


def test_kill_at_several_points_then_rerun_equals_clean_ingest(tmp_path, embedder):
    folder, home = tmp_path / "corpus", tmp_path / "home"
    write_corpus(folder, version=1)
    clean = Settings(home=tmp_path / "clean")
    ingest([str(folder)], clean, embedder=embedder, progress=False)

    settings = Settings(home=home)
    # 1. While the first group's chunks are being written: pending versions recorded, nothing live yet.
    assert kill_when(folder, home, lambda live, stale: stale > 0 and live == 0)
    summary = ingest([str(folder)], settings, embedder=embedder, progress=False)
    assert summary.added == 40 and not summary.failed
    assert_consistent(settings)
    assert len(stored(settings)["ids"]) == len(stored(clean)["ids"])

    # 2. During an update of every article: old versions live, new ones half written.
    write_corpus(folder, version=2)
    ingest([str(folder)], clean, embedder=embedder, progress=False)
    assert kill_when(folder, home, lambda live, stale: stale > 0)
    assert_live_versions_whole(settings)
    summary = ingest([str(folder)], settings, embedder=embedder, progress=False)
    assert summary.updated == 40 and summary.unchanged == 0
    assert_consistent(settings)
    assert sorted(stored(settings)["ids"]) == sorted(stored(clean)["ids"])
    assert sorted(stored(settings)["documents"]) == sorted(stored(clean)["documents"])


def assert_live_versions_whole(settings):
    """After a kill, every article the manifest calls live has all of its chunks in the store."""
    from rag.manifest import Manifest
    from rag.types import chunk_id

    ids = set(stored(settings)["ids"])
    for row in Manifest(settings.manifest_path).articles():
        assert {chunk_id(row["article_id"], row["content_hash"], i) for i in range(row["n_chunks"])} <= ids
