"""`newsdesk eval`: retrieval and answer quality of the current store on a question set."""
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .engine import NewsdeskQueryEngine
from .citations import MARKER
from .errors import InputError

KEYS = ["hit_at_1", "hit_at_5", "mrr_at_10", "answer_accuracy", "first_sentence_accuracy", "citation_accuracy",
        "factoid_mean_words", "wrongly_abstained", "abstention_precision", "abstention_recall", "abstention_near",
        "abstention_off", "fact_recall", "mean_words", "cited_twice", "furniture_quoted", "latency_ms_p50",
        "latency_ms_p95", "n", "accuracy_by_kind"]


@dataclass
class Case:
    question: str
    expect: list[str]
    file: str | None
    unanswerable: bool
    facts: list[str] = field(default_factory=list)  # for broad questions: key facts a good answer holds, any share
    kind: str = ""  # who, when, how many, broad, ...: accuracy is reported per kind
    miss: str = ""  # for unanswerable questions: near (the topic is covered, the fact is not) or off (off-topic)


def holds(text: str, expect: str) -> bool:
    """An expect entry is met when any of its |-separated alternatives occurs, ignoring case."""
    return any(alt.strip().lower() in text.lower() for alt in expect.split("|") if alt.strip())


def read_cases(path: str) -> tuple[list[Case], list[str]]:
    """The cases of a QA.jsonl file, and one message per malformed line (which is skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the question set ({getattr(e, 'strerror', None) or e})") from None
    cases, problems = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, expect = row["question"], row.get("expect", [])
            file, unanswerable, facts = row.get("file"), row.get("unanswerable", False), row.get("facts", [])
            kind, miss = str(row.get("kind") or ""), str(row.get("miss") or "")
            if not isinstance(question, str) or not question.strip():
                raise ValueError('"question" must be a non-empty string')
            for name, value in (("expect", expect), ("facts", facts)):
                if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
                    raise ValueError(f'"{name}" must be a list of strings')
            if not isinstance(unanswerable, bool) or not (file is None or isinstance(file, str)):
                raise ValueError('"unanswerable" must be true or false and "file" a string')
            if not unanswerable and not expect and not facts:
                raise ValueError('an answerable line needs "expect" or "facts"')
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            problems.append(f"{path}:{n}: skipped: {e if not isinstance(e, KeyError) else f'missing {e}'}")
            continue
        cases.append(Case(question, expect, file, unanswerable, facts, kind, miss))
    return cases, problems


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def rank_of(engine: NewsdeskQueryEngine, question: str, file: str) -> int | None:
    """Rank (1-10) of the first retrieved passage from the named file, or None when it is not in the top 10."""
    _, passages = engine.model_copy(update={"top_k": 10}).retrieve_passages(question)
    names = list(dict.fromkeys(Path(p.meta["source"]).name for p in passages))[:10]
    return names.index(file) + 1 if file in names else None


def retrieval_scores(ranks: list[int | None]) -> dict:
    hits = [r for r in ranks if r is not None]
    return {
        "hit_at_1": ratio(sum(r == 1 for r in hits), len(ranks)),
        "hit_at_5": ratio(sum(r <= 5 for r in hits), len(ranks)),
        "mrr_at_10": round(sum(1 / r for r in hits) / len(ranks), 4) if ranks else None,
    }


def first_claim(answer: str) -> str:
    """The answer's first sentence, up to its first citation marker."""
    m = MARKER.search(answer)
    return answer[:m.end()] if m else answer


def evaluate(engine: NewsdeskQueryEngine, cases: list[Case], progress=None, furniture=None) -> dict:
    """Retrieval and answer quality on cases. furniture: a function telling whether a quoted sentence is page
    furniture, to count answers that quote some."""
    ranks, answered, first, cited, latencies, factoid_words = [], [], [], [], [], []
    recalls, lengths = [], []
    abstained_right = abstained_wrong = unanswerable = 0
    by_kind: dict[str, list[bool]] = {}
    by_miss: dict[str, list[bool]] = {}
    twice = furnished = 0
    for case in cases:
        if case.file and not case.unanswerable:
            ranks.append(rank_of(engine, case.question, case.file))
        t0 = time.perf_counter()
        a = engine.ask(case.question)
        latencies.append((time.perf_counter() - t0) * 1000)
        if case.unanswerable:
            unanswerable += 1
            abstained_right += a.abstained
            if case.miss:
                by_miss.setdefault(case.miss, []).append(a.abstained)
        else:
            abstained_wrong += a.abstained
        if case.expect:
            ok = not a.abstained and all(holds(a.answer, e) for e in case.expect)
            answered.append(ok)
            first.append(not a.abstained and all(holds(first_claim(a.answer), e) for e in case.expect))
            cited.append(not a.abstained and all(any(holds(q, e) for c in a.citations for q in c.quotes) for e in case.expect))
            by_kind.setdefault(case.kind or "lookup", []).append(ok)
            if not a.abstained:
                factoid_words.append(len(MARKER.sub("", a.answer).split()))
        if case.facts:
            text = MARKER.sub("", a.answer)
            recalls.append(0.0 if a.abstained else sum(holds(text, f) for f in case.facts) / len(case.facts))
            lengths.append(len(text.split()))
        articles = [c.title + c.url + c.path for c in a.citations]
        twice += len(articles) != len(set(articles))
        quotes = [q for c in a.citations for q in c.quotes]
        furnished += bool(furniture and any(furniture(q) for q in quotes))
        if progress:
            progress()
    return {
        **retrieval_scores(ranks),
        "answer_accuracy": ratio(sum(answered), len(answered)),
        "first_sentence_accuracy": ratio(sum(first), len(first)),
        "citation_accuracy": ratio(sum(cited), len(cited)),
        "factoid_mean_words": round(float(np.mean(factoid_words)), 1) if factoid_words else None,
        "wrongly_abstained": ratio(abstained_wrong, len(cases) - unanswerable),
        "abstention_precision": ratio(abstained_right, abstained_right + abstained_wrong),
        "abstention_recall": ratio(abstained_right, unanswerable),
        "abstention_near": ratio(sum(by_miss.get("near", [])), len(by_miss.get("near", []))),
        "abstention_off": ratio(sum(by_miss.get("off", [])), len(by_miss.get("off", []))),
        "fact_recall": round(float(np.mean(recalls)), 4) if recalls else None,
        "mean_words": round(float(np.mean(lengths)), 1) if lengths else None,
        "cited_twice": twice,
        "furniture_quoted": furnished if furniture else None,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "n": len(cases),
        "accuracy_by_kind": {k: ratio(sum(v), len(v)) for k, v in sorted(by_kind.items())} if len(by_kind) > 1 else None,
    }
