"""Does the citation check keep what a strong LLM writes faithfully and drop what it gets wrong?

    python -m newsdesk.benchmarks.checker [NEWSDESK_HOME]

Each line of tests/data/checker_claims.jsonl is one answer sentence for a seed-article question, faithful or not
(wrong number, wrong name, wrong source, absent from the article). Its [n] is rewritten to the retrieved passage
that holds `source_contains`, since retrieval order decides the numbers; the sentence then goes through the check
an LLM's answer goes through (LLMAnswerer.verify: on the question, then supported by its source). Without a home,
the seed corpus is ingested into a temporary one. Prints JSON: the share of faithful sentences kept with their
right source, and of unfaithful ones dropped or re-pointed to the source that holds them, overall and by kind.
"""
import copy
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from newsdesk.benchmarks.bench import cpu_name
from newsdesk.rag.engine import build_engine
from newsdesk.rag.citations import MARKER
from newsdesk.rag.embed import Embedder
from newsdesk.rag.llm import LLMAnswerer
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "tests/data/checker_claims.jsonl"


class Remembering:
    """An embedder that embeds each text once: every sentence of a question is checked against the same passages,
    and re-embedding them for each made the benchmark four times slower (7.3 against 1.9 minutes on 2 busy cores)."""

    def __init__(self, embedder: Embedder):
        self.embedder, self.vectors = embedder, {}

    def embed(self, texts: list[str]) -> list[list[float]]:
        new = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        self.vectors.update(zip(new, self.embedder.embed(new)))
        return [self.vectors[t] for t in texts]

    def __getattr__(self, name):
        return getattr(self.embedder, name)


def holding(passages, needle: str) -> int | None:
    """Index of the first passage that contains needle."""
    return next((i for i, p in enumerate(passages) if needle in p.text), None)


def outcome(claim: dict, qvec: list[float], passages, checker: LLMAnswerer) -> str:
    """kept (shown, citing a source that holds it), miscited (shown, citing one that does not), dropped, or
    unresolved (retrieval did not return the passage the line is about)."""
    needle = claim.get("true_source_contains", claim["source_contains"])  # what the right source holds
    cited, right = holding(passages, claim["source_contains"]), holding(passages, needle)
    if cited is None or right is None or (claim["kind"] == "wrong_source" and needle in passages[cited].text):
        return "unresolved"
    sentence = MARKER.sub(f" [{cited + 1}]", claim["sentence"])
    quoted = checker.extractive.answer(claim["question"], passages, qvec)
    text, citations = checker.verify(claim["question"], qvec, sentence, passages, quoted)
    if not text:
        return "dropped"
    return "kept" if all(needle in c.passage for c in citations) else "miscited"


def measure(library: Library, path: Path = CLAIMS) -> dict:
    """Shares over the claims file: keep (faithful kept with a right source), drop (unfaithful not shown, or
    shown only with the source that holds it: `corrected`), by kind, and the lines that missed."""
    library = copy.copy(library)
    library.embedder = Remembering(library.embedder)
    engine = build_engine(library)
    checker = LLMAnswerer(library, llm=None, mode="benchmark")
    claims = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    retrieved = {q: engine.retrieve_passages(q) for q in dict.fromkeys(c["question"] for c in claims)}
    counts = defaultdict(lambda: defaultdict(int))
    misses, unresolved = [], []
    for c in claims:
        result = outcome(c, *retrieved[c["question"]], checker)
        if result == "unresolved":
            unresolved.append(c["sentence"])
            continue
        if c["kind"] == "wrong_source" and result == "kept":
            result = "corrected"  # shown, but with the source that holds it instead of the one the model named
        good = result == "kept" if c["faithful"] else result in ("dropped", "corrected")
        for key in (c["kind"], "faithful" if c["faithful"] else "unfaithful"):
            counts[key]["n"] += 1
            counts[key][result] += 1
            counts[key]["good"] += good
        if not good:
            misses.append({"kind": c["kind"], "result": result, "sentence": c["sentence"]})
    share = lambda key, what: round(counts[key][what] / counts[key]["n"], 3) if counts[key]["n"] else None
    by_kind = {k: {"n": v["n"], "good": share(k, "good"), **{r: v[r] for r in ("kept", "dropped", "corrected", "miscited") if v[r]}}
               for k, v in counts.items() if k not in ("faithful", "unfaithful")}
    return {"keep": share("faithful", "good"), "drop": share("unfaithful", "good"),
            "corrected": share("unfaithful", "corrected"), "n_faithful": counts["faithful"]["n"],
            "n_unfaithful": counts["unfaithful"]["n"], "by_kind": by_kind, "unresolved": unresolved, "misses": misses,
            "cpu": cpu_name()}


def main(argv: list[str]):
    if argv:
        print(json.dumps(measure(Library(Settings(home=Path(argv[0])))), indent=1))
        return
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.embed import Embedder

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        embedder = Embedder(settings)
        ingest([str(ROOT / "corpus")], settings, progress=False, embedder=embedder)
        print(json.dumps(measure(Library(settings, embedder=embedder)), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
