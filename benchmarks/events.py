"""`python -m newsdesk.benchmarks.events [--sweep]`: how well rag.events groups news articles into the events they report,
with no count of events given.

The 982 ECB+ articles (../shared/data/ecbplus: 86 events in 43 pairs of look-alike events, no dates) are written as
one JSON-lines file in file order (the two whose text another holds are stored once and left out) and ingested through the real pipeline into a store of their own; each article's event is
read back from the manifest and scored against the labels: pairwise precision, recall and F1 over all article pairs,
and BCubed F1 per article. --sweep places the stored signatures again, in the same order, under other values of the
constants (a fresh manifest each), to choose them by measurement.
"""
import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from newsdesk.benchmarks.bench import cpu_name, save

ECBPLUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus" / "ecbplus.jsonl"
WORK = Path(".newsdesk-eval/events")
TARGET_F1 = TARGET_PRECISION = 0.90


def scores(gold: list[str], found: list[str]) -> dict:
    """Pairwise precision, recall and F1 over all pairs of articles, and BCubed F1."""
    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    cg, cf, both = Counter(gold), Counter(found), Counter(zip(gold, found))
    tp, fp_all, g_all = pairs(both), pairs(cf), pairs(cg)
    p = tp / fp_all if fp_all else 1.0
    r = tp / g_all if g_all else 1.0
    bp = sum(both[(g, f)] / cf[f] for g, f in zip(gold, found)) / len(gold)
    br = sum(both[(g, f)] / cg[g] for g, f in zip(gold, found)) / len(gold)
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3),
            "bcubed_f1": round(2 * bp * br / (bp + br), 3), "events_found": len(cf), "events": len(cg)}


def build(work: Path = WORK, data: Path = ECBPLUS) -> tuple[list[dict], dict[int, str], float]:
    """The articles as one JSON-lines file (text and outlet only: no label reaches a title or a file name), ingested
    into work/home; (records, line number -> event id, seconds)."""
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.manifest import open_manifest
    from newsdesk.rag.settings import Settings

    records = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    for number, r in enumerate(records, 1):
        r["line"] = number
    feed = work / "articles" / "ecbplus.jsonl"
    feed.parent.mkdir(parents=True, exist_ok=True)
    if not feed.exists():
        feed.write_text("".join(json.dumps({"text": r["text"], **({"outlet": r["outlet"]} if r["outlet"] else {})}) + "\n" for r in records))
    settings = Settings(home=work / "home")
    started = time.perf_counter()
    ingest([str(feed)], settings, prune=True, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - started
    manifest = open_manifest(settings)
    events = {int(r[0].rsplit("#", 1)[1]): r[1] for r in manifest.run(
        "SELECT a.identity, e.event_id FROM articles a JOIN event_of e ON e.article_id = a.article_id")}
    manifest.close()
    return records, events, seconds


def replayed(records: list[dict], work: Path, **constants) -> list[str]:
    """Each article's event when the stored signatures are placed again, in file order, under other constants."""
    from newsdesk.rag import events
    from newsdesk.rag.manifest import Manifest, open_manifest
    from newsdesk.rag.settings import Settings
    from newsdesk.rag.types import Signature

    stored = open_manifest(Settings(home=work / "home"))
    by_line = {int(r[0].rsplit("#", 1)[1]): r[1] for r in stored.run("SELECT identity, article_id FROM articles")}
    signatures = {r[0]: Signature(**json.loads(r[1])) for r in stored.run("SELECT article_id, signature FROM event_of")}
    stored.close()
    saved = {k: getattr(events, k) for k in constants}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Manifest(Path(tmp) / "manifest.db")
        try:
            for k, v in constants.items():
                setattr(events, k, v)
            ids = [by_line[r["line"]] for r in records]
            for article_id in ids:
                scratch.place_events([(article_id, signatures[article_id])])
            placed = {r[0]: r[1] for r in scratch.run("SELECT article_id, event_id FROM event_of")}
        finally:
            for k, v in saved.items():
                setattr(events, k, v)
            scratch.close()
    return [placed[a] for a in ids]


def scaling(sizes: list[int], timed: int = 500) -> list[dict]:
    """What placing one article in its event costs as the store grows: the signatures of the Wikipedia paragraphs of
    `newsdesk bench` (undated, the costlier case: no time window narrows the candidates), each with a random opening
    vector, placed one at a time into one catalog, and again from the start once all 10,033 are in, so that a name's
    frequency grows with the store as a common name's does; the mean time of the last `timed` placements before each
    size."""
    import numpy as np

    from newsdesk.benchmarks.bench import wiki_items
    from newsdesk.rag.events import pack, signature
    from newsdesk.rag.manifest import Manifest

    items = wiki_items()
    rng = np.random.default_rng(0)
    signatures = []
    for item in items:
        found = signature(item["title"], item["extract"], "")
        vector = rng.standard_normal(384)
        found.vector = pack(vector / np.linalg.norm(vector))
        signatures.append(found)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Manifest(Path(tmp) / "manifest.db")
        stored = 0
        for size in sizes:
            while stored < size - timed:  # filled a thousand to a transaction, untimed
                n = min(1000, size - timed - stored)
                catalog.place_events([(f"a{stored + i}", signatures[(stored + i) % len(signatures)]) for i in range(n)])
                stored += n
            started = time.perf_counter()
            for i in range(timed):
                catalog.place_events([(f"a{stored + i}", signatures[(stored + i) % len(signatures)])])
            stored += timed
            out.append({"stored": size, "ms_per_article": round(1000 * (time.perf_counter() - started) / timed, 2)})
            print(f"{size:>7} stored: {out[-1]['ms_per_article']} ms to place an article", file=sys.stderr)
        catalog.close()
    return out


def main(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.events", description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK, help="where the articles and their store are kept between runs")
    parser.add_argument("--sweep", action="store_true", help="place the stored signatures again under other constants")
    parser.add_argument("--scale", metavar="SIZES", help="instead, time one placement at these store sizes, e.g. 1000,10000,100000")
    args = parser.parse_args(argv)
    from newsdesk.rag import events

    if args.scale:
        result = {"scale": scaling([int(n) for n in args.scale.split(",")]), "format": events.FORMAT, "cpu": cpu_name(),
                  "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        save("events-scale", result)
        return

    records, placed, seconds = build(args.work)
    # An article whose text another already holds is stored once (ingest reports it as a duplicate): left out.
    records = [r for r in records if r["line"] in placed]
    gold = [r["event"] for r in records]
    result = {**scores(gold, [placed[r["line"]] for r in records]), "articles": len(records),
              "ingest_seconds": round(seconds, 1), "format": events.FORMAT, "cpu": cpu_name(),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "targets": {"f1": TARGET_F1, "precision": TARGET_PRECISION}}
    if args.sweep:
        result["sweep"] = []
        for same in (0.22, 0.25, 0.27, 0.3, 0.33):
            for missing in (0.0, 0.25, 0.5):
                got = scores(gold, replayed(records, args.work, SAME_EVENT=same, MISSING_WEIGHT=missing))
                result["sweep"].append({"SAME_EVENT": same, "MISSING_WEIGHT": missing, **got})
                print(f"SAME_EVENT {same:<5} MISSING_WEIGHT {missing:<5} {got}", file=sys.stderr)
    save("events", result, latest=not args.sweep)
    for key, value in result.items():
        if key != "sweep":
            print(f"{key:<16}{value}")


if __name__ == "__main__":
    main(sys.argv[1:])
