"""`python -m newsdesk.benchmarks.briefing`: each day's briefing of the 181 real article pages, checked against the events
labelled by hand in tests/data/events_nov2019.jsonl (the 123 pages dated 18-20 November 2019: 19 events told by
2 to 5 articles, such as the impeachment hearings, the Davis Cup Finals or the Stadia launch, and 71 told by one).

For each day: every labelled event with an article that day should be one item of that day's briefing (covered
once), not two (split) or none (missed); no item should join two labelled events (merged) or come from another day.
Also the events' pairwise precision, recall and F1 over the 123 pages (a dated multi-outlet set, where ECB+ has no
dates). The pages are ingested as benchmarks/news.py does, into the same store.
"""
import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from newsdesk.benchmarks.bench import cpu_name, save
from newsdesk.benchmarks.events import scores

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "events_nov2019.jsonl"
TARGET_ONCE, TARGET_SPLIT = 0.90, 0.05


def run(labels: Path = LABELS, work: Path | None = None, embedder=None) -> dict:
    from newsdesk.benchmarks.news import WORK, build
    from newsdesk.rag.briefing import brief
    from newsdesk.rag.retrieve import Library

    settings, _ = build(work or WORK, embedder=embedder)
    library = Library(settings, embedder=embedder)
    labelled = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
    by_file = {Path(r["source"]).name: r for r in library.manifest.event_rows()}
    article_of = {by_file[x["file"]]["article_id"]: x for x in labelled if x["file"] in by_file}
    result = {"articles": len(article_of), "labelled_events": len({x["event"] for x in labelled}),
              "events": scores([x["event"] for x in article_of.values()],
                               [by_file[x["file"]]["event_id"] for x in article_of.values()]), "days": {}}
    once = split = missed = merged = other_day = total = 0
    for day in sorted({x["date"] for x in labelled}):
        b = brief(library, day, day, limit=1000)
        items = defaultdict(set)  # labelled event -> the items holding one of its articles of that day
        joined = 0
        for n, item in enumerate(b.items):
            found = {article_of[a["article_id"]]["event"] for a in item.articles if a["article_id"] in article_of}
            joined += len(found) > 1
            other_day += any(not (a["date"] or "").startswith(day) for a in item.articles)
            for event in found:
                items[event].add(n)
        expected = {x["event"] for x in labelled if x["date"] == day}
        counts = Counter(min(len(items[e]), 2) for e in expected)
        result["days"][day] = {"events": len(expected), "items": len(b.items), "once": counts[1], "split": counts[2],
                               "missed": counts[0], "merged_items": joined}
        once, split, missed, merged, total = once + counts[1], split + counts[2], missed + counts[0], merged + joined, total + len(expected)
    result.update({"covered_once": round(once / total, 3), "split": round(split / total, 3), "missed": round(missed / total, 3),
                   "merged_items": merged, "items_from_another_day": other_day, "cpu": cpu_name(),
                   "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "targets": {"covered_once": TARGET_ONCE, "split": TARGET_SPLIT, "items_from_another_day": 0}})
    return result


def main(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.briefing", description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args(argv)
    result = run(args.labels)
    save("briefing", result)
    for key, value in result.items():
        print(f"{key:<24}{value}")


if __name__ == "__main__":
    main(sys.argv[1:])
