"""Which chunk size ranks the passage holding the answer first? Run: python -m newsdesk.benchmarks.chunk_sizes"""
import json
from pathlib import Path

import numpy as np

from newsdesk.ingest.chunk import chunk
from newsdesk.ingest.readers import read_file
from newsdesk.rag.embed import Embedder
from newsdesk.rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def holds(text: str, expect: list[str]) -> bool:
    return all(any(alt.lower() in text.lower() for alt in e.split("|")) for e in expect)


def main():
    qa = [json.loads(line) for line in open(ROOT / "tests/data/seed_qa.jsonl")]
    qa = [q for q in qa if not q["unanswerable"]]
    articles = [a for p in sorted((ROOT / "corpus").glob("*.md")) for a in read_file(p, 20).articles]
    embedder = Embedder(Settings())
    questions = np.array(embedder.embed([q["question"] for q in qa]))
    print(f"{'target':>6} {'chunks':>6} {'hit@1':>6} {'hit@3':>6}")
    for target in (64, 96, 128, 160, 200, 230):
        chunks = [c for a in articles for c in chunk(a, embedder.tokenizer, target=target, overlap=target // 4)]
        vectors = np.array(embedder.embed([c.embed_text for c in chunks]))
        ranks = np.argsort(-questions @ vectors.T, axis=1)
        hit1 = np.mean([holds(chunks[r[0]].text, q["expect"]) for q, r in zip(qa, ranks)])
        hit3 = np.mean([any(holds(chunks[i].text, q["expect"]) for i in r[:3]) for q, r in zip(qa, ranks)])
        print(f"{target:>6} {len(chunks):>6} {hit1:>6.2f} {hit3:>6.2f}")


if __name__ == "__main__":
    main()
