"""Where should extractive answers abstain? Run: python -m newsdesk.benchmarks.calibrate [QA.jsonl] (needs a store of corpus/)"""
import json
import sys
from pathlib import Path

from newsdesk.rag.answer import Extractive
from newsdesk.rag.engine import build_engine
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/data/seed_qa.jsonl"
    qa = [json.loads(line) for line in path.open()]
    library = Library(Settings())
    engine = build_engine(library)
    engine.answerer = Extractive(library, abstain_below=-1.0)  # never abstain: we want every best score
    scores = {q["question"]: engine.ask(q["question"]).confidence for q in qa}
    answerable = sorted(scores[q["question"]] for q in qa if not q.get("unanswerable"))
    unanswerable = sorted(scores[q["question"]] for q in qa if q.get("unanswerable"))
    print(f"answerable   ({len(answerable)}): lowest best-sentence cosines {[round(x, 3) for x in answerable[:3]]}")
    print(f"unanswerable ({len(unanswerable)}): highest {[round(x, 3) for x in unanswerable[-3:]]}")
    if answerable and unanswerable:
        print(f"midpoint of the gap: {(answerable[0] + unanswerable[-1]) / 2:.3f}")


if __name__ == "__main__":
    main()
