"""`python -m newsdesk.benchmarks.scale [--sizes 10k,100k,1m]`: what newsdesk costs as the collection grows.

For each store size (in chunks) it reports: the rate of ingesting 1,000 new articles into it (through `ingest`, the
real pipeline), retrieval p50/p95 (the query's vector given, so the encoder is left out), answer p50 (everything,
the question's embedding included), the resident memory of `newsdesk serve` after answering (with embedded Chroma,
and again beside a `chroma run` serving the same folder, with that server's own), and the store's size on disk; plus
hit@1 of the 274 natural questions, whose answers stay in the store as it grows.

The stores: the 10k row is the 10,033 Wikipedia paragraphs of `newsdesk bench`, ingested with the real model. Larger
stores add synthetic news articles (sentences of those paragraphs, shuffled into articles of 4 chunks or so, with
dates and outlets) loaded in bulk, whose vectors are a cheap deterministic stand-in: the mean of their sentences'
paragraphs' real vectors plus noise. Ingest rates are measured with the stand-in encoder in every row, so they
compare everything but the encoder; the 10k row adds the real model's rate. Bulk-loaded articles carry no story
bands (fingerprinting 300k articles would take an hour), so `place` finds fewer candidates than a real archive gives.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from newsdesk.rag.types import Article, Version

RESULTS = Path(__file__).resolve().parent / "results"
QUESTIONS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "wiki-questions-dev.jsonl"
OUTLETS = ["Reuters", "AP", "BBC News", "The Guardian", "Al Jazeera", "NPR", "Bloomberg", "CNN", "Le Monde", "Der Spiegel",
           "The Hindu", "ABC News", "Politico", "Axios", "Nikkei Asia", "Financial Times", "El País", "Caixin", "36Kr", "Wired"]
NEW = 1000  # articles per measured ingest


def sizes(text: str) -> list[int]:
    units = {"k": 1_000, "m": 1_000_000}
    return [int(float(s[:-1]) * units[s[-1]]) if s[-1] in units else int(s) for s in text.lower().split(",")]


class StandIn:
    """A deterministic encoder stand-in: a text's vector is the mean of the real vectors of the paragraphs its
    sentences came from (found through a sentence -> paragraph table), plus noise; texts it does not know get noise
    alone. Costs microseconds, so what is measured is everything but the encoder."""

    precision, device, name = "stand-in", "cpu", "stand-in"

    def __init__(self, settings, vectors: np.ndarray, origin: dict[str, int]):
        from newsdesk.rag.embed import load_tokenizer

        self.settings, self.vectors, self.origin = settings, vectors, origin
        self.tokenizer = load_tokenizer(settings)
        self.model = None
        self.batch_size = settings.batch_size

    def prepare(self, texts: list[str]) -> list[str]:
        return texts

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embed(texts), dtype=np.float32)

    def embed(self, texts: list[str]) -> list[list[float]]:
        from newsdesk.rag.text import sentences

        out = np.empty((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for k, text in enumerate(texts):
            rng = np.random.default_rng(int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little"))
            rows = [self.origin[text[s:e]] for s, e in sentences(text) if text[s:e] in self.origin]
            v = self.vectors[rows].mean(axis=0) if rows else np.zeros(self.vectors.shape[1], dtype=np.float32)
            v = v + rng.normal(0, 0.03, v.shape).astype(np.float32)
            out[k] = v / np.linalg.norm(v)
        return out.tolist()


def paragraph_vectors(home: Path, corpus: Path) -> tuple[np.ndarray, list[str]]:
    """Each Wikipedia paragraph's real vector (its first chunk's), read back from the 10k store, and its text."""
    from newsdesk.rag.manifest import Manifest
    from newsdesk.rag.settings import Settings
    from newsdesk.rag.store import Store
    from newsdesk.rag.types import chunk_id

    settings = Settings(home=home)
    manifest, store = Manifest(settings.manifest_path), Store(settings)
    rows = manifest.db.execute("SELECT article_id, content_hash, text FROM articles ORDER BY article_id").fetchall()
    vectors, texts = [], []
    for i in range(0, len(rows), 2000):
        part = rows[i:i + 2000]
        got = store.get(ids=[chunk_id(r[0], r[1], 0) for r in part], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        for r in part:
            v = by_id.get(chunk_id(r[0], r[1], 0))
            if v is not None:
                vectors.append(np.asarray(v, dtype=np.float32))
                texts.append(r[2])
    manifest.close()
    return np.stack(vectors), texts


def synthetic(texts: list[str], seed: int, n: int):
    """n news-like articles (about 4 chunks each) of sentences drawn from the paragraphs, as rag.types.Article."""
    from newsdesk.rag.text import sentences

    rng = random.Random(seed)
    pool = [(i, t[s:e]) for i, t in enumerate(texts) for s, e in sentences(t) if e - s > 40]
    for k in range(n):
        picked = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(12, 22))]
        first = texts[picked[0][0]].split("\n", 1)[0][:60]
        day = datetime(2015, 1, 1, tzinfo=timezone.utc).timestamp() + rng.random() * 11 * 365 * 86400
        yield Article(text=" ".join(s for _, s in picked), identity=f"https://news.example/{seed}/{k}", source=f"synthetic-{seed}",
                      title=f"{first}: report {seed}-{k}", outlet=rng.choice(OUTLETS),
                      date=datetime.fromtimestamp(day, timezone.utc).date().isoformat(), url=f"https://news.example/{seed}/{k}")


def origins(texts: list[str]) -> dict[str, int]:
    from newsdesk.rag.text import sentences

    return {t[s:e]: i for i, t in enumerate(texts) for s, e in sentences(t)}


def bulk_fill(home: Path, target: int, vectors: np.ndarray, texts: list[str], progress: bool):
    """Add synthetic articles in bulk (one transaction and one store write per group) until the store holds target
    chunks: chunks of 5 sentences, stand-in vectors made in one step per group, the same ids, metadata, spans and
    lexical terms as ingest writes, without its tokenizer, encoder and per-article commits."""
    from tqdm import tqdm

    from newsdesk.rag.manifest import Manifest
    from newsdesk.rag.settings import Settings
    from newsdesk.rag.store import Store
    from newsdesk.rag.text import sentences
    from newsdesk.rag.types import Chunk

    settings = Settings(home=home)
    manifest, store = Manifest(settings.manifest_path), Store(settings)
    pool = [(i, t[s:e]) for i, t in enumerate(texts) for s, e in sentences(t) if e - s > 40]
    rng, noise = random.Random(target), np.random.default_rng(target)
    have = manifest.counts()[1]
    writers, committing = ThreadPoolExecutor(2), None
    with writers, tqdm(total=target, initial=have, desc=f"filling {target:,} chunks", unit="chunk", disable=not progress, file=sys.stderr) as bar:
        while have < target:
            group, chunks, sources = [], [], []
            for _ in range(1000):
                k = len(group) + have
                picked = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(12, 22))]
                day = datetime(2015, 1, 1, tzinfo=timezone.utc).timestamp() + rng.random() * 11 * 365 * 86400
                a = Article(text=" ".join(t for _, t in picked), identity=f"https://archive.example/{target}/{k}", source=f"bulk-{target}",
                            title=f"{texts[picked[0][0]].split(chr(10), 1)[0][:60]}: report {target}-{k}", outlet=rng.choice(OUTLETS),
                            date=datetime.fromtimestamp(day, timezone.utc).date().isoformat(), url=f"https://archive.example/{target}/{k}")
                offsets, pos = [], 0
                for _, t in picked:
                    offsets.append((pos, pos + len(t)))
                    pos += len(t) + 1
                spans = [(offsets[i][0], offsets[min(i + 5, len(picked)) - 1][1]) for i in range(0, len(picked), 5)]
                group.append(Version(a, spans, story=(a.id, [])))
                for n, (start, end) in enumerate(spans):
                    chunks.append(Chunk(a, n, start, end, ""))
                    sources.append([i for i, _ in picked[n * 5:n * 5 + 5]])
            means = np.stack([vectors[rows].mean(axis=0) for rows in sources])
            means += noise.normal(0, 0.03, means.shape).astype(np.float32)
            means /= np.linalg.norm(means, axis=1, keepdims=True)
            # The store write and the manifest's run side by side (each on a core): a group's articles go live
            # only once both are done, so an interrupted fill leaves orphan vectors at worst, never a live article
            # without its chunks.
            upsert = writers.submit(store.upsert, [c.id for c in chunks], means, [c.text for c in chunks], [c.metadata() for c in chunks])
            if committing is not None:
                committing.result()
            upsert.result()
            committing = writers.submit(manifest.commit_all, group)
            have += len(chunks)
            bar.update(len(chunks))
        if committing is not None:
            committing.result()
    manifest.close()


def timed_ingest(home: Path, articles: list, embedder) -> float:
    """Articles per second of `ingest` of a JSONL file of the articles (reading, planning, chunking, stories,
    embedding with embedder, writing)."""
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.settings import Settings

    path = home.parent / f"new-{home.name}.jsonl"
    path.write_text("".join(json.dumps({"text": a.text, "title": a.title, "outlet": a.outlet, "date": a.date, "url": a.url}) + "\n"
                            for a in articles))
    t = time.perf_counter()
    summary = ingest([str(path)], Settings(home=home), progress=False, embedder=embedder)
    seconds = time.perf_counter() - t
    path.unlink()
    assert summary.added == len(articles), summary
    return len(articles) / seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024


def wait_ok(url: str, seconds: int = 600):
    import httpx

    for _ in range(seconds):
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)


def serve_rss(home: Path, questions: list[str], chroma_server: bool = False) -> dict:
    """Peak resident memory (MB) of `newsdesk serve` on home after answering the questions through its API; with
    chroma_server, the vectors are served by `chroma run` over the same folder (the multi-machine layout), whose
    own peak is reported too."""
    from gradio_client import Client

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "NEWSDESK_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    procs = []
    try:
        if chroma_server:
            chroma_port = free_port()
            procs.append(subprocess.Popen([str(bin_dir / "chroma"), "run", "--path", str(home / "chroma"), "--host", "127.0.0.1",
                                           "--port", str(chroma_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
            env["NEWSDESK_CHROMA_URL"] = f"http://127.0.0.1:{chroma_port}"
            wait_ok(f"{env['NEWSDESK_CHROMA_URL']}/api/v2/heartbeat")
        port = free_port()
        procs.append(subprocess.Popen([str(bin_dir / "newsdesk"), "serve", "--port", str(port)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        url = f"http://127.0.0.1:{port}/"
        wait_ok(url)
        client = Client(url, verbose=False)
        for q in questions:
            client.predict(q, api_name="/ask")
        peaks = [round(peak_rss_mb(p.pid)) for p in procs]
        return {"serve_rss_mb": peaks[-1], **({"chroma_server_rss_mb": peaks[0]} if chroma_server else {})}
    finally:
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=60)


def query_phase(home: str, n_answers: int) -> dict:
    """In a process of its own: open the store as serve does, then time retrieval and answers."""
    import resource

    from llama_index.core.schema import QueryBundle

    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.retrieve import Filters, HybridRetriever, Library
    from newsdesk.rag.settings import Settings

    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    t = time.perf_counter()
    library = Library(Settings(home=Path(home)))
    engine = build_engine(library)
    vectors = library.embedder.embed([r["question"] for r in rows])
    retriever = HybridRetriever(library, library.settings.top_k * 2, Filters())
    retriever.retrieve(QueryBundle(query_str=rows[0]["question"], embedding=vectors[0]))  # opens the store's index
    load = time.perf_counter() - t
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, hits = [], 0
    for r, v in zip(rows, vectors):
        t = time.perf_counter()
        nodes = retriever.retrieve(QueryBundle(query_str=r["question"], embedding=v))
        times.append(time.perf_counter() - t)
        top = library.articles[nodes[0].node.metadata["article_id"]]["source"] if nodes else ""
        hits += Path(top).name == r["file"]
    answers = []
    for r in rows[:n_answers]:
        t = time.perf_counter()
        engine.ask(r["question"])
        answers.append(time.perf_counter() - t)
    ms = lambda xs, q: round(float(np.percentile(xs, q)) * 1000, 1)
    return {"open_s": round(load, 2), "retrieval_p50_ms": ms(times, 50), "retrieval_p95_ms": ms(times, 95),
            "answer_p50_ms": ms(answers, 50), "natural_hit1": round(hits / len(rows), 3), "rss_loaded_mb": round(rss_loaded),
            "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def cpu_name() -> str:
    from newsdesk.benchmarks.bench import cpu_name as name

    return name()


def run(targets: list[int], work: Path, progress: bool = True) -> dict:
    from newsdesk.benchmarks.retrieval import write_corpus
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.embed import Embedder
    from newsdesk.rag.settings import Settings
    from newsdesk.rag.store import folder_size, forget_embedded_clients

    base = work / "base"
    corpus = work / "corpus"
    write_corpus(corpus)
    print("the 10k store: the Wikipedia paragraphs, real model (incremental)", file=sys.stderr)
    ingest([str(corpus)], Settings(home=base), progress=progress)
    vectors, texts = paragraph_vectors(base, corpus)
    stand_in = StandIn(Settings(), vectors, origins(texts))
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    rows = []
    for target in targets:
        home = work / f"store-{target}"
        forget_embedded_clients()
        if not (home / "built").exists():
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(base, home)
            bulk_fill(home, target, vectors, texts, progress)
            (home / "built").write_text("1")
        forget_embedded_clients()
        seed = int(time.time())
        row = {"chunks": _chunks(home)}
        row["ingest_1000_standin_per_s"] = round(timed_ingest(home, list(synthetic(texts, seed, NEW)), stand_in), 1)
        if target == targets[0]:
            row["ingest_100_real_model_per_s"] = round(timed_ingest(home, list(synthetic(texts, seed + 1, NEW // 10)), Embedder(Settings())), 1)
        forget_embedded_clients()
        out = subprocess.run([sys.executable, "-m", "newsdesk.benchmarks.scale", "--query", str(home)], capture_output=True, text=True, check=True)
        row.update(json.loads(out.stdout.strip().splitlines()[-1]))
        row.update(serve_rss(home, questions[:20]))
        layout = serve_rss(home, questions[:20], chroma_server=True)
        row["serve_rss_server_layout_mb"], row["chroma_server_rss_mb"] = layout["serve_rss_mb"], layout["chroma_server_rss_mb"]
        row["disk_mb"] = round(folder_size(home) / 2 ** 20)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "vectors": "10k row: all-MiniLM-L6-v2; rows above it add synthetic articles with stand-in vectors", "rows": rows}


def _chunks(home: Path) -> int:
    from newsdesk.rag.manifest import Manifest

    manifest = Manifest(home / "manifest.sqlite")
    try:
        return manifest.counts()[1]
    finally:
        manifest.close()


def table(result: dict) -> str:
    head = ("| chunks | ingest 1,000 new (stand-in encoder) | retrieval p50 / p95 | answer p50 | natural hit@1 | serve RSS | "
            "serve RSS beside `chroma run` (its RSS) | disk |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
    return head + "".join(
        f"| {r['chunks']:,} | {r['ingest_1000_standin_per_s']} articles/s | {r['retrieval_p50_ms']} / {r['retrieval_p95_ms']} ms | "
        f"{r['answer_p50_ms']} ms | {r['natural_hit1']} | {r['serve_rss_mb']} MB | "
        f"{r['serve_rss_server_layout_mb']} MB ({r['chroma_server_rss_mb']} MB) | {r['disk_mb']} MB |\n" for r in result["rows"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="store sizes in chunks (default 10k,100k,1m)")
    parser.add_argument("--work", default=".newsdesk-scale", help="where the stores are built and kept for later runs")
    parser.add_argument("--answers", type=int, default=50, help="questions answered in full for answer p50")
    parser.add_argument("--query", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    if args.query:
        print(json.dumps(query_phase(args.query, args.answers)))
        return 0
    result = run(sizes(args.sizes), Path(args.work).resolve())
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"scale-{stamp}.json", "scale-latest.json"):
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"cpu: {result['cpu']} ({result['cores']} cores)\n{result['vectors']}\n\n{table(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
