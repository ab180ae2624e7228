"""`python -m newsdesk.benchmarks.furniture [--pages DIR]`: how well ingest tells page furniture from article prose.

Scores `ingest.furniture` on the labelled list `tests/data/furniture.refs.jsonl` (furniture and prose sentences of the
181 real article pages, labelled before any rule was written; texts rebuilt from the pages by benchmarks/news.py).
The list is split in two by page: the rules were tuned on the development half only, and the held-out half is
reported as it falls. An item of the extracted body is judged where it stands, in the body as ingest cleans it (the
rules, then the sentences its outlet repeats under three or more stories of the collection); an item of the page's
visible text (which trafilatura already drops) or of the hand-checked body is judged alone, as a paragraph of its
own. A furniture item counts as found when at least half of it is cut; a prose item counts as damaged when any of it
is cut. Also scores the cleaned bodies' extraction F1 against the hand-checked bodies, as benchmarks/extraction.py.
"""
import argparse
import gzip
import hashlib
import re
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from newsdesk.benchmarks.extraction import PAGES, score
from newsdesk.benchmarks.news import ground_truth, labelled

RESULTS = Path(__file__).resolve().parent / "results"
HALVES = ("development", "held-out")


def half(page: str) -> str:
    """The half of the list a page's items fall in, fixed by a hash of the page key (chosen before any rule)."""
    return HALVES[hashlib.sha256(f"furniture-split:{page}".encode()).digest()[0] % 2]


def raw_positions(raw: str) -> list[int]:
    """For each character of the whitespace-collapsed raw (benchmarks.news.collapsed), its offset in raw."""
    positions, space = [], False
    for i, c in enumerate(raw.strip()):
        if c.isspace():
            if not space:
                positions.append(i + len(raw) - len(raw.lstrip()))
            space = True
        else:
            positions.append(i + len(raw) - len(raw.lstrip()))
            space = False
    return positions


def share_cut(start: int, end: int, found: list[tuple[int, int]], text: str) -> float:
    """The share of text[start:end]'s non-space characters that lie in the found spans."""
    inside = total = 0
    for i in range(start, end):
        if not text[i].isspace():
            total += 1
            inside += any(s <= i < e for s, e in found)
    return inside / total if total else 0.0


def bodies(pages: Path = PAGES) -> dict[str, tuple[str, dict]]:
    from newsdesk.ingest.readers import decode, extract_page
    from newsdesk.rag.errors import InputError

    out = {}
    for key, page in ground_truth(pages).items():
        try:
            out[key] = extract_page(decode(gzip.decompress((pages / "html" / f"{key}.html.gz").read_bytes()))[0], page["url"])
        except InputError:
            out[key] = ("", {"outlet": ""})
    return out


def collection_boilerplate(read: dict[str, tuple[str, dict]]) -> set[int]:
    """The sentence keys ingest would call boilerplate once every page is stored: those of an outlet seen in at least
    BOILERPLATE_STORIES of its stories (pages of one outlet telling one story count once, as rag/stories.py groups)."""
    from newsdesk.ingest.furniture import strip
    from newsdesk.rag.boilerplate import BOILERPLATE_STORIES, sentence_keys
    from newsdesk.rag.stories import fingerprint, same_story

    by_outlet = defaultdict(list)
    for key, (body, fields) in read.items():
        by_outlet[fields["outlet"]].append(strip(body))
    stories = defaultdict(set)
    for outlet, texts in by_outlet.items():
        prints = [fingerprint(t).shingles for t in texts]
        story = list(range(len(texts)))
        for i in range(len(texts)):
            for j in range(i):
                if same_story(prints[i], prints[j]):
                    story[i] = story[j]
                    break
        for i, text in enumerate(texts):
            for k in sentence_keys(outlet, text):
                stories[k].add((outlet, story[i]))
    return {k for k, s in stories.items() if len(s) >= BOILERPLATE_STORIES}


def judged(items: list[dict], read: dict[str, tuple[str, dict]], boilerplate: set[int]) -> list[dict]:
    """Each item with the share of it that ingest cuts."""
    from newsdesk.ingest.furniture import spans, strip
    from newsdesk.rag.boilerplate import keyed_sentences

    found = {}
    for key, (body, fields) in read.items():
        rules = spans(body)
        # Boilerplate is looked for in what the rules leave, as at ingest; mapped back onto the body for scoring.
        kept = strip(body)
        repeated = [kept[s:e] for s, e, k in keyed_sentences(fields["outlet"], kept) if k in boilerplate]
        extra = [(m.start(), m.end()) for r in repeated for m in re.finditer(re.escape(r), body)]
        found[key] = (rules + extra, raw_positions(body))
    out = []
    for item in items:
        if item["in"] == "body":
            body = read[item["page"]][0]
            cut, positions = found[item["page"]]
            start, end = positions[item["start"]], positions[item["start"] + item["length"] - 1] + 1
            share = share_cut(start, end, cut, body)
        else:
            share = share_cut(0, len(item["text"]), spans(item["text"]), item["text"])
        out.append({**item, "cut": share})
    return out


def scores(decided: list[dict]) -> dict:
    furniture = [d for d in decided if d["furniture"]]
    prose = [d for d in decided if not d["furniture"]]
    found = sum(d["cut"] >= 0.5 for d in furniture)
    damaged = sum(d["cut"] > 0 for d in prose)
    precision = found / (found + damaged) if found + damaged else 1.0
    recall = found / len(furniture) if furniture else 1.0
    kinds = defaultdict(list)
    for d in furniture:
        kinds[d["kind"]].append(d["cut"] >= 0.5)
    return {"furniture": len(furniture), "prose": len(prose), "found": found, "prose_cut": damaged,
            "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "recall_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(kinds.items())},
            "by_source": {w: f"{sum((d['cut'] >= 0.5) == d['furniture'] for d in decided if d['in'] == w)}/"
                             f"{sum(d['in'] == w for d in decided)} right" for w in ("body", "html-text", "articleBody")}}


def run(pages: Path = PAGES, save: bool = True, n_bootstrap: int = 200) -> dict:
    from newsdesk.benchmarks.bench import cpu_name
    from newsdesk.benchmarks.bench import save as keep
    from newsdesk.ingest.furniture import cut, strip
    from newsdesk.rag.boilerplate import keyed_sentences

    items = labelled(pages=pages)
    read = bodies(pages)
    boilerplate = collection_boilerplate(read)
    decided = judged(items, read, boilerplate)
    result = {name: scores([d for d in decided if half(d["page"]) == name]) for name in HALVES}
    result["whole"] = scores(decided)
    t = time.perf_counter()
    clean = {}
    for key, (body, fields) in read.items():
        kept = strip(body)
        clean[key] = cut(kept, [(s, e) for s, e, k in keyed_sentences(fields["outlet"], kept) if k in boilerplate])
    per_page = (time.perf_counter() - t) / len(read)
    before, after = score(pages, {k: b for k, (b, _) in read.items()}, n_bootstrap), score(pages, clean, n_bootstrap)
    result["extraction"] = {name: {k: round(m[k], 4) for k in ("f1", "precision", "recall")} for name, m in (("extracted", before), ("cleaned", after))}
    result["boilerplate_sentences"] = len(boilerplate)
    result["cleaning_ms_per_page"] = round(per_page * 1000, 2)
    result["cpu"] = cpu_name()
    result["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if save:
        keep("furniture", result)
    return result


def table(result: dict) -> str:
    rows = [f"{'':<12} {'items':>11} {'precision':>10} {'recall':>7} {'F1':>6}  furniture found by kind"]
    for name in (*HALVES, "whole"):
        r = result[name]
        kinds = ", ".join(f"{k} {v}" for k, v in r["recall_by_kind"].items())
        rows.append(f"{name:<12} {r['furniture']:>4} + {r['prose']:>4} {r['precision']:>10.3f} {r['recall']:>7.3f} {r['f1']:>6.3f}  {kinds}")
        rows.append(f"{'':<12} prose cut: {r['prose_cut']}; right by source: "
                    + ", ".join(f"{k} {v}" for k, v in r["by_source"].items()))
    e = result["extraction"]
    rows.append(f"extraction F1 on {PAGES.name}: {e['extracted']['f1']:.3f} as extracted (P {e['extracted']['precision']:.3f}, "
                f"R {e['extracted']['recall']:.3f}), {e['cleaned']['f1']:.3f} cleaned (P {e['cleaned']['precision']:.3f}, "
                f"R {e['cleaned']['recall']:.3f})")
    rows.append(f"{result['boilerplate_sentences']} outlet boilerplate sentences; cleaning {result['cleaning_ms_per_page']} ms a page on {result['cpu']}")
    return "\n".join(rows)


def main(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.furniture", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="the article-pages folder")
    parser.add_argument("--no-save", action="store_true", help="print only; write nothing under benchmarks/results")
    args = parser.parse_args(argv)
    print(table(run(args.pages, save=not args.no_save)))


if __name__ == "__main__":
    main(sys.argv[1:])
