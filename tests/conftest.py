import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def embedder():
    """The real model, loaded once for the whole run."""
    e = Embedder(Settings())
    e.model
    return e


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free loopback port, for the whole session."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not come up within 60 s")
            time.sleep(0.3)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.fixture(params=["embedded", "server"])
def settings(request, tmp_path):
    """Fresh settings on an empty home: once with the embedded store, once with a Chroma server."""
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        # One collection per test keeps tests independent on the shared server.
        return Settings(home=tmp_path / "home", chroma_url=url, collection=f"t{abs(hash(request.node.nodeid))}")
    return Settings(home=tmp_path / "home")


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def run_cli(*args, home: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NEWSDESK_HOME": str(home), **(env or {})}
    return subprocess.run([str(BIN / "newsdesk"), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=600, **kwargs)


@pytest.fixture(scope="session")
def corpus_library(tmp_path_factory, embedder):
    """A store of corpus/, ingested once for the session, opened for answering."""
    from ingest.pipeline import ingest
    from rag.retrieve import Library

    settings = Settings(home=tmp_path_factory.mktemp("corpus-home"))
    ingest([str(CORPUS)], settings, embedder=embedder, progress=False)
    return Library(settings, embedder=embedder)
