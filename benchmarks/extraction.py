"""`python -m newsdesk.benchmarks.extraction [--pages DIR]`: how well newsdesk's page reader finds the article body.

Runs `ingest.readers.extract_page` over the 181 real article pages of Scrapinghub's article-extraction
benchmark and scores the bodies with that benchmark's own `evaluate.py` (shingle F1), run unchanged from a
temporary copy, so the figures compare with the ones the benchmark publishes for other extractors.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PAGES = Path(os.environ.get("NEWSDESK_ARTICLE_PAGES") or Path(__file__).resolve().parents[1].parent / "shared/data/article-pages")
# Body F1 on the same pages as published in the data's NOTICE.md, for comparison.
PUBLISHED = {"rs_trafilatura": 0.970, "trafilatura 2.0.0": 0.958, "newspaper4k": 0.949,
             "readability.js": 0.947, "goose3": 0.896}


def extract_all(pages: Path, truth: dict) -> dict[str, str]:
    from newsdesk.ingest.readers import decode, extract_page
    from newsdesk.rag.errors import InputError

    bodies = {}
    for key, page in truth.items():
        try:
            html, _ = decode(gzip.decompress((pages / "html" / f"{key}.html.gz").read_bytes()))
            bodies[key], _ = extract_page(html, url=page["url"])
        except InputError:
            bodies[key] = ""  # the scorer counts it as nothing found, which is what a user would get
    return bodies


def score(pages: Path, bodies: dict[str, str], n_bootstrap: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsdesk-extraction-") as work:
        work = Path(work)
        for name in ("ground-truth.json", "evaluate.py"):
            shutil.copy(pages / name, work / name)
        (work / "output").mkdir()
        (work / "output" / "newsdesk.json").write_text(
            json.dumps({key: {"articleBody": body} for key, body in bodies.items()}), encoding="utf-8")
        r = subprocess.run([sys.executable, "evaluate.py", "--n-bootstrap", str(n_bootstrap), "--output", "result.json"],
                           cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"evaluate.py failed:\n{r.stderr[-2000:]}")
        return json.loads((work / "result.json").read_text())["newsdesk"]


def run(pages: Path = PAGES, n_bootstrap: int = 1000, save: bool = True) -> dict:
    from newsdesk.benchmarks.bench import cpu_name
    from newsdesk.benchmarks.bench import save as keep

    truth = json.loads((pages / "ground-truth.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    bodies = extract_all(pages, truth)
    seconds = time.perf_counter() - t
    m = score(pages, bodies, n_bootstrap)
    result = {"pages": len(bodies), "empty": sum(not b for b in bodies.values()),
              **{k: round(m[k], 4) for k in ("f1", "f1_std", "precision", "recall", "accuracy")},
              "seconds_per_page": round(seconds / len(bodies), 4), "cpu": cpu_name(),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if save:
        keep("extraction", result)
    return result


def table(result: dict) -> str:
    rows = [f"{'extractor':<20} {'F1':>6} {'precision':>10} {'recall':>7}",
            f"{'newsdesk (this run)':<20} {result['f1']:>6.3f} {result['precision']:>10.3f} {result['recall']:>7.3f}"]
    rows += [f"{name:<20} {f1:>6.3f} {'':>10} {'':>7}  (published)" for name, f1 in PUBLISHED.items()]
    rows.append(f"{result['pages']} pages, {result['empty']} with no body found, "
                f"{result['seconds_per_page'] * 1000:.0f} ms a page on {result['cpu']}")
    return "\n".join(rows)


def main(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.extraction", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="the article-pages folder (html/, ground-truth.json, evaluate.py)")
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="bootstrap samples for the ± figures")
    args = parser.parse_args(argv)
    print(table(run(args.pages, args.n_bootstrap)))


if __name__ == "__main__":
    main(sys.argv[1:])
