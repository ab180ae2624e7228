"""Concurrent use of one NEWSDESK_HOME: ingests never interleave, and answers never mix two versions of an article."""
import subprocess
import time

from conftest import BIN, CORPUS, run_cli
from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.engine import build_engine
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings


def lock_holder(home) -> str:
    # Read, never lock: probing with flock could take the lock from the ingest under test.
    try:
        return (home / "ingest.lock").read_text().strip()
    except FileNotFoundError:
        return ""


def write_articles(folder, n, words="harbour ferry timetable"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:04d}.md").write_text(f"---\ntitle: Notice {i}\n---\nNotice {i} about the {words}. " * 8)


def test_a_second_ingest_refuses_while_the_first_runs(tmp_path):
    import os

    home, corpus = tmp_path / "home", tmp_path / "corpus"
    write_articles(corpus, 150)
    first = subprocess.Popen([str(BIN / "newsdesk"), "ingest", str(corpus), "--no-progress"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "NEWSDESK_HOME": str(home)})
    deadline = time.time() + 120
    while lock_holder(home) != str(first.pid):
        assert first.poll() is None and time.time() < deadline, "the first ingest never took the lock"
        time.sleep(0.05)
    second = run_cli("ingest", CORPUS, home=home)
    assert first.poll() is None, "the first ingest should still be running; make its corpus bigger"
    assert second.returncode == 1 and "another newsdesk ingest" in second.stderr and second.stderr.count("\n") == 1
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "added 150" in out
    assert ingest([str(corpus)], Settings(home=home), progress=False).unchanged == 150


def test_answers_during_an_update_come_from_one_version_of_each_article(tmp_path, embedder):
    import threading

    home, corpus = tmp_path / "home", tmp_path / "corpus"
    write_articles(corpus, 60, "harbour ferry timetable, which starts at six")
    settings = Settings(home=home)
    ingest([str(corpus)], settings, embedder=embedder, progress=False)
    old = {p.name: p.read_text().split("---\n", 2)[2] for p in corpus.iterdir()}
    write_articles(corpus, 60, "harbour ferry timetable, which now starts at seven")
    new = {p.name: p.read_text().split("---\n", 2)[2] for p in corpus.iterdir()}

    engine = build_engine(Library(settings, embedder=embedder), top_k=5)
    writer = threading.Thread(target=ingest, args=([str(corpus)], settings), kwargs={"embedder": embedder, "progress": False})
    writer.start()
    answers = []
    while writer.is_alive() or not answers:
        answers.append(engine.ask("When does the harbour ferry timetable start?"))
    writer.join()
    answers.append(engine.ask("When does the harbour ferry timetable start?"))
    for a in answers:
        for c in a.citations:
            name = c.path.rsplit("/", 1)[-1]
            assert c.passage in old[name] or c.passage in new[name], "a passage mixes two versions of one article"
    assert any("seven" in c.passage for c in answers[-1].citations)
