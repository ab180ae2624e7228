"""The encoder alone against newsdesk's overlapped writing pipeline, on the same texts, on a GPU or a CPU.

    python -m newsdesk.benchmarks.encoder pack [--folder .gpu] [--copies 2] [--reference 1000]
        Here, with the venv: writes a folder to carry to a machine that lacks newsdesk's environment: the model with
        fp16 weights (its fp32 file is over what travels), the Wikipedia corpus as articles (each paragraph `copies`
        times, marked, so that none is a duplicate), fp32 reference vectors of the first chunk texts computed here
        with the original fp32 weights, and the wheels that machine lacks (from .whl/, for Python 3.12).
    python -m newsdesk.benchmarks.encoder run [--folder .gpu] [--out DIR] [--limit N]
        There: bare sentence-transformers encode (fp16 at the GPU batch, fp32 for reference), each stage of
        newsdesk's pipeline alone, and the whole Writer pipeline (again with worker processes preparing, where the
        host has 4 cores or more); JSON to DIR/encoder-<device>.json.

The vector store in `run` is an in-memory stand-in (numpy arrays by id): chromadb cannot travel to the GPU machine
(its wheel and dependencies are over the 64 MiB that travels, beside the model). The manifest is the real SQLite one,
committing each group as an ingest does. On a CPU, `newsdesk bench` measures the whole thing with Chroma.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ["pydantic-", "pydantic_core-", "pydantic_settings-", "python_dotenv-", "annotated_types-", "typing_inspection-",
          "pystemmer-", "protego-"]


def pack(folder: Path, copies: int, reference: int):
    import torch
    from safetensors.torch import load_file, save_file

    from newsdesk.benchmarks.bench import wiki_items
    from newsdesk.ingest.chunk import chunk
    from newsdesk.ingest.readers import json_article, ReadResult
    from newsdesk.rag.embed import Embedder, model_path
    from newsdesk.rag.settings import Settings

    shutil.rmtree(folder, ignore_errors=True)
    src = Path(model_path(Settings()))
    shutil.copytree(src, folder / "model", ignore=shutil.ignore_patterns("model.safetensors", "README.md", "data_config.json", ".git*"))
    weights = load_file(str(src / "model.safetensors"))
    save_file({k: v.half() if v.is_floating_point() else v for k, v in weights.items()}, str(folder / "model" / "model.safetensors"),
              metadata={"format": "pt"})

    items = wiki_items()
    rows = []
    for copy in range(copies):
        for it in items:
            mark = f" (copy {copy + 1})" if copy else ""
            rows.append({"title": it["title"] + mark, "text": it["extract"] + (f"\n\nCopy {copy + 1} of this paragraph." if copy else ""),
                         "url": f"https://wiki.example/{copy}/{it['title']}"})
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    embedder = Embedder(Settings(precision="fp32", device="cpu"))
    result = ReadResult()
    for i, r in enumerate(rows[:reference]):
        json_article(r, Path("articles.jsonl"), i + 1, result)
    texts = [c.embed_text for a in result.articles for c in chunk(a, embedder.tokenizer)][:reference]
    with torch.inference_mode():
        vectors = embedder.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    np.savez_compressed(folder / "reference.npz", vectors=vectors.astype(np.float32), texts=np.array(texts))

    (folder / "whl").mkdir()
    for wheel in sorted((ROOT / ".whl").glob("*.whl")):
        if wheel.name.lower().startswith(tuple(WHEELS)):
            shutil.copy(wheel, folder / "whl")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"{folder}: {len(rows)} articles, {len(texts)} reference vectors, {size / 2**20:.1f} MiB")


class MemoryStore:
    """Stand-in for the Chroma store: keeps vectors by id, as cheaply as anything could."""

    def __init__(self):
        self.vectors, self.lock = {}, threading.Lock()

    def upsert(self, ids, embeddings, documents, metadatas):
        with self.lock:
            self.vectors.update(zip(ids, np.asarray(embeddings)))

    def delete(self, ids):
        with self.lock:
            for i in ids:
                self.vectors.pop(i, None)


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    sync()
    return time.perf_counter() - t, out


def sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def cosines(a: np.ndarray, b: np.ndarray) -> dict:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    c = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"min": round(float(c.min()), 6), "mean": round(float(c.mean()), 6)}


def run(folder: Path, out: Path, limit: int | None):
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    import newsdesk.rag.manifest as catalog
    from newsdesk.ingest.chunk import chunk
    from newsdesk.ingest.pipeline import GROUP_BATCHES, Writer, groups_of, ready
    from newsdesk.ingest.readers import read_file
    from newsdesk.rag.embed import Embedder, encoder_batch
    from newsdesk.rag.manifest import Manifest
    from newsdesk.rag.settings import Settings

    device = "cuda" if torch.cuda.is_available() else "cpu"
    result = {"device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "cpu": cpu_name(),
              "cpu_cores": os.cpu_count(), "torch": torch.__version__, "store": "in-memory stand-in (no chromadb there)"}
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"encoder-{device}.json"

    def save(**kv):
        result.update(kv)
        path.write_text(json.dumps(result, indent=1))
        print(json.dumps(kv), flush=True)

    tmp = Path(tempfile.mkdtemp())
    with gzip.open(folder / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()[:limit]
    (tmp / "articles.jsonl").write_text("\n".join(lines), encoding="utf-8")
    articles = read_file(tmp / "articles.jsonl", 1000).articles
    settings = Settings(home=tmp / "home", embed_model=str(folder / "model"), device=device)
    embedder = Embedder(settings)
    model = embedder.model
    batch = encoder_batch(settings, device)
    save(articles=len(articles), precision=embedder.precision, batch=batch)

    seconds, chunks = timed(lambda: [c for a in articles for c in chunk(a, embedder.tokenizer)])
    save(chunk_articles_per_s=round(len(articles) / seconds, 1))
    texts = [c.embed_text for c in chunks]
    save(texts=len(texts), chars_per_text=round(sum(map(len, texts)) / len(texts)))

    # The bare encoder: sentence-transformers' own encode, tokenising inline, at newsdesk's precision and batch.
    model.encode(texts[:batch], batch_size=batch, normalize_embeddings=True)
    seconds, fast = timed(model.encode, texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    fast = fast.astype(np.float32)
    save(bare_encoder_texts_per_s=round(len(texts) / seconds, 1))

    def pipeline(settings: Settings, name: str):
        # The whole pipeline: read, chunk and tokenise on one thread (or its worker processes), encode on this one,
        # store and commit on another.
        manifest = Manifest(tmp / f"{name}.sqlite")
        seconds, _ = timed(Writer(settings, manifest, MemoryStore(), embedder).write_groups, groups_of([articles], GROUP_BATCHES * batch, batch))
        assert manifest.counts()[0] == len(articles)
        manifest.close()
        save(**{f"{name}_texts_per_s": round(len(texts) / seconds, 1), f"{name}_articles_per_s": round(len(articles) / seconds, 1),
                f"{name}_share_of_bare": round(len(texts) / seconds / result["bare_encoder_texts_per_s"], 3)})

    pipeline(settings, "newsdesk_pipeline")
    # Again with chunking, terms and fingerprints in worker processes (NEWSDESK_PREPARE_WORKERS), where the host has
    # cores to spare.
    workers = min(8, (os.cpu_count() or 1) - 2)
    if workers >= 2:
        save(prepare_workers=workers)
        pipeline(settings.model_copy(update={"prepare_workers": workers}), "newsdesk_pipeline_with_workers")

    if device == "cuda":
        # fp32 for reference, from the same (fp16-stored) weights, then against the fp32 vectors computed on a CPU
        # from the original fp32 weights.
        model.float()
        model.encode(texts[:256], batch_size=256, normalize_embeddings=True)
        seconds, full = timed(model.encode, texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
        save(bare_encoder_fp32_b256_texts_per_s=round(len(texts) / seconds, 1))
        seconds, full = timed(model.encode, texts, batch_size=1024, normalize_embeddings=True, convert_to_numpy=True)
        save(bare_encoder_fp32_b1024_texts_per_s=round(len(texts) / seconds, 1), cosine_fp16_to_fp32_same_weights=cosines(fast, full))
        model.half()
    ref = np.load(folder / "reference.npz")
    index = {t: i for i, t in enumerate(texts)}
    rows = [index[t] for t in ref["texts"] if t in index]
    if rows:
        save(cosine_to_cpu_fp32_reference=cosines(fast[rows], ref["vectors"][[i for i, t in enumerate(ref["texts"]) if t in index]]),
             reference_texts=len(rows))
    seconds, batches = timed(embedder.prepare, texts)
    save(tokenise_texts_per_s=round(len(texts) / seconds, 1))
    # What the pipeline does instead, where chunking knew each text's word pieces: batch them. The forward pass below
    # runs on these batches, so its check against bare encode covers them.
    seconds, batches = timed(embedder.prepare, texts, [c.ids for c in chunks])
    save(batch_from_pieces_texts_per_s=round(len(texts) / seconds, 1), pieces_known=all(c.ids is not None for c in chunks))
    seconds, ours = timed(embedder.encode, batches)
    del batches
    save(forward_texts_per_s=round(len(texts) / seconds, 1), split_equals_encode_max_abs=float(np.abs(ours - fast).max()))

    def write_only(synchronous: str):
        # Writing alone (vectors in hand): the terms and fingerprints worked out beside the encoder, then mark
        # pending, store, commit each group with its stories placed inside, sweep.
        manifest = Manifest(tmp / f"write-only-{synchronous}.sqlite")
        # SQLite's default in WAL mode is FULL (an fsync per commit); NORMAL loses no transaction when a process dies.
        manifest.db.execute(f"PRAGMA synchronous={synchronous}")
        w = Writer(settings, manifest, MemoryStore(), embedder)
        spent = {"ready": 0.0, "commit": 0.0, "place": 0.0}

        def clocked(name, fn):
            def call(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - t0
            return call
        manifest.commit_all = clocked("commit", manifest.commit_all)
        real_place = catalog.place
        catalog.place = clocked("place", real_place)
        t = time.perf_counter()
        by_article = {}
        for c, v in zip(chunks, fast):
            by_article.setdefault(c.article.id, []).append((c, v))
        for group in groups_of([articles], GROUP_BATCHES * batch):
            cs = [c for a in group for c, _ in by_article[a.id]]
            vs = np.stack([v for a in group for _, v in by_article[a.id]])
            w._store(clocked("ready", ready)(group, cs), cs, vs)
        save(**{f"write_{synchronous}_articles_per_s": round(len(articles) / (time.perf_counter() - t), 1),
                f"write_{synchronous}_ms_per_article": {k: round(v * 1000 / len(articles), 3) for k, v in spent.items()}})
        catalog.place = real_place
        manifest.close()

    for synchronous in ("FULL", "NORMAL"):
        write_only(synchronous)

    shutil.rmtree(tmp, ignore_errors=True)
    return result


def cpu_name() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.encoder")
    p.add_argument("what", choices=["pack", "run"])
    p.add_argument("--folder", type=Path, default=ROOT / ".gpu")
    p.add_argument("--copies", type=int, default=2)
    p.add_argument("--reference", type=int, default=1000)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--limit", type=int)
    args = p.parse_args(argv)
    if args.what == "pack":
        pack(args.folder, args.copies, args.reference)
    else:
        run(args.folder, args.out, args.limit)


if __name__ == "__main__":
    sys.exit(main())
