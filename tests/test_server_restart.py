"""The Chroma server path when the server goes away: a clear error naming the URL, and no partial article left
behind once the server is back and the ingest is rerun."""
import os
import signal
import subprocess
import time

from conftest import BIN, free_port, run_cli, wait_for
from newsdesk.ingest.check import check, stored_ids
from newsdesk.rag.settings import Settings
from newsdesk.rag.store import Store


def start_chroma(path, port) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, "chroma run", 60)
    return proc


def test_server_killed_mid_ingest_then_rerun_equals_a_clean_ingest(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(400):
        (corpus / f"n{i:04d}.md").write_text(f"---\ntitle: Bulletin {i}\n---\nBulletin {i}: the river level at gauge {i} was normal.\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "chroma", port)
    # Small encoder batches make many small write groups, so the kill lands between two of them.
    env = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "home"), "NEWSDESK_CHROMA_URL": url, "NEWSDESK_BATCH_SIZE": "4"}
    ingest = subprocess.Popen([str(BIN / "newsdesk"), "ingest", str(corpus), "--no-progress"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = Store(Settings(home=tmp_path / "probe", chroma_url=url))
    deadline = time.time() + 300
    while store.count() == 0:
        assert ingest.poll() is None and time.time() < deadline
        time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    _, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 1
    assert err.strip().count("\n") == 0 and url in err and "chroma run" in err

    server = start_chroma(tmp_path / "chroma", port)
    try:
        rerun = run_cli("ingest", corpus, "--no-progress", home=tmp_path / "home", env=env)
        assert rerun.returncode == 0, rerun.stderr
        settings = Settings(home=tmp_path / "home", chroma_url=url)
        report = check(settings)
        assert report["articles"] == 400 and report["missing_chunks"] == report["orphan_chunks"] == 0
        assert report["unfinished_versions"] == 0 and report["bm25_in_step"]
        assert len(stored_ids(Store(settings))) == report["chunks"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
