"""`python -m newsdesk.benchmarks.news [--qa FILE] [--work DIR] [--llm MODE]`: answers on real news.

Ingests the 181 real article pages of `../shared/data/article-pages/` (gunzipped, as HTML files, the way a user
would) into a store of their own, then asks the development set `tests/data/news_qa.jsonl` (answerable factoid
questions in a reader's words, near-miss and off-topic unanswerable ones, broad ones with key facts) and reports
`newsdesk eval`'s figures: accuracy per kind, first-sentence accuracy, abstention on near misses and off-topic
questions, wrongly refused answerable questions, mean words, articles cited twice, and answers quoting page furniture
(a sentence of the labelled furniture list, `tests/data/furniture.refs.jsonl`); then the held-out broad questions
(`tests/data/news_broad_heldout*.jsonl`), their key-fact recall and mean words.

The labelled list holds no article text (the pages' NOTICE asks that none be copied into the repository): each item
is a page, where in it (the raw extracted body, the page's visible text, or the hand-checked body), an offset, a
length and a SHA-1, rebuilt here from the pages.
"""
import argparse
import gzip
import hashlib
import json
import re
import sys
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from newsdesk.benchmarks.extraction import PAGES

ROOT = Path(__file__).resolve().parents[1]
QA = ROOT / "tests" / "data" / "news_qa.jsonl"
# Broad questions written by others, on other articles and in other words, after the development set's broad
# questions were used to tune digests: what those figures are worth off the questions they were tuned on.
HELD_OUT = [ROOT / "tests" / "data" / "news_broad_heldout.jsonl", ROOT / "tests" / "data" / "news_broad_heldout2.jsonl"]
FURNITURE = ROOT / "tests" / "data" / "furniture.refs.jsonl"
WORK = ROOT / ".newsdesk-eval" / "news"


def collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def page_texts(key: str, pages: Path = PAGES) -> dict[str, str]:
    """The three texts the labelled items point into, whitespace collapsed: the body trafilatura extracts (before
    newsdesk's own cleaning), the page's visible text, and the benchmark's hand-checked body."""
    import lxml.html

    from newsdesk.ingest.readers import decode, extract_page

    truth = ground_truth(pages)[key]
    html, _ = decode(gzip.decompress((pages / "html" / f"{key}.html.gz").read_bytes()))
    tree = lxml.html.fromstring(html)
    for node in tree.xpath("//script|//style|//noscript|//template"):
        node.drop_tree()
    return {"body": collapsed(extract_page(html, truth["url"])[0]), "html-text": re.sub(r"\s+", " ", tree.text_content()),
            "articleBody": collapsed(truth["articleBody"])}


@cache
def ground_truth(pages: Path = PAGES) -> dict:
    return json.loads((pages / "ground-truth.json").read_text(encoding="utf-8"))


def labelled(path: Path = FURNITURE, pages: Path = PAGES) -> list[dict]:
    """The labelled furniture and prose items, with their text rebuilt from the pages; an item whose text no longer
    matches its SHA-1 (the extractor changed) is left out."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        ref = json.loads(line)
        text = page_texts(ref["page"], pages)[ref["in"]][ref["start"]:ref["start"] + ref["length"]]
        if hashlib.sha1(text.encode("utf-8")).hexdigest() == ref["sha1"]:
            items.append({**ref, "text": text})
    return items


def words_of(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def furniture_lookup(items: list[dict]):
    """A function telling whether a quoted sentence is (or holds) a labelled furniture item, or lies inside one."""
    known = [words_of(i["text"]) for i in items if i["furniture"]]
    known = [k for k in known if len(k) >= 12]

    def is_furniture(quote: str) -> bool:
        q = words_of(quote)
        return any(k in q or (len(q) >= 12 and q in k) for k in known)
    return is_furniture


def build(work: Path = WORK, pages: Path = PAGES, embedder=None):
    """The pages as HTML files under work/pages, ingested into work/home (only what changed since the last run)."""
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.settings import Settings

    folder = work / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for key in ground_truth(pages):
        target = folder / f"{key}.html"
        if not target.exists():
            target.write_bytes(gzip.decompress((pages / "html" / f"{key}.html.gz").read_bytes()))
    settings = Settings(home=work / "home")
    summary = ingest([str(folder)], settings, prune=True, progress=sys.stderr.isatty(), embedder=embedder)
    return settings, summary


def run(qa: Path = QA, work: Path = WORK, mode: str = "extractive", keep: bool = True, embedder=None) -> dict:
    from newsdesk.benchmarks.bench import cpu_name, save
    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.evaluate import evaluate, read_cases
    from newsdesk.rag.retrieve import Library

    settings, _ = build(work, embedder=embedder)
    cases, problems = read_cases(str(qa))
    if problems:
        raise SystemExit("\n".join(problems))
    engine = build_engine(Library(settings, embedder=embedder), mode=mode)
    result = evaluate(engine, cases, furniture=furniture_lookup(labelled()))
    for path in HELD_OUT if qa == QA else []:
        if path.exists():
            held = evaluate(engine, read_cases(str(path))[0])
            name = path.stem.removeprefix("news_broad_")
            result[f"{name}_fact_recall"], result[f"{name}_mean_words"] = held["fact_recall"], held["mean_words"]
    result = {**result, "mode": mode, "questions": qa.name, "cpu": cpu_name(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if keep:
        save("news", result)
    return result


def main(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m newsdesk.benchmarks.news", description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=QA, help="the question set (default tests/data/news_qa.jsonl)")
    parser.add_argument("--work", type=Path, default=WORK, help="where the pages and their store are kept between runs")
    parser.add_argument("--llm", default="extractive", choices=["extractive", "local", "openai"])
    args = parser.parse_args(argv)
    result = run(args.qa, args.work, args.llm)
    for key, value in result.items():
        if isinstance(value, dict):
            for kind, share in value.items():
                print(f"  {kind:<22}{share}")
        else:
            print(f"{key:<24}{value}")


if __name__ == "__main__":
    main(sys.argv[1:])
