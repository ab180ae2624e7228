"""How many candidate sentences the extractive answerer must embed: for each shortlist size, how often its answer
equals the answer from embedding every candidate, and the answer time, on a store and a question set.

    python -m newsdesk.benchmarks.shortlist NEWSDESK_HOME QUESTIONS.jsonl [N ...]
"""
import sys
import time
from pathlib import Path

import numpy as np

from newsdesk.rag.answer import Extractive
from newsdesk.rag.engine import build_engine
from newsdesk.rag.evaluate import read_cases
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings


def main(home: str, questions: str, sizes: list[int]):
    engine = build_engine(Library(Settings(home=Path(home))))
    cases = read_cases(questions)[0]
    asked = [(c.question, *engine.retrieve_passages(c.question)) for c in cases]
    full = Extractive(engine.library, shortlist=None)
    reference = [full.answer(q, passages, qvec).answer for q, qvec, passages in asked]
    for size in sizes:
        answerer, same, ms = Extractive(engine.library, shortlist=size), 0, []
        for (q, qvec, passages), ref in zip(asked, reference):
            t = time.perf_counter()
            same += answerer.answer(q, passages, qvec).answer == ref
            ms.append((time.perf_counter() - t) * 1000)
        print(f"shortlist {size:3d}: same answer {same / len(asked):.3f}  answer ms p50 {np.median(ms):.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3:]] or [4, 6, 8, 10, 12, 16])
