"""BM25 over the live chunks (headline + passage), persisted under NEWSDESK_HOME and rebuilt whenever the live set changes."""
import json
import os
import shutil
from pathlib import Path

import Stemmer

from .manifest import Manifest
from .types import chunk_id


STEMMER = Stemmer.Stemmer("english")
# 2: each chunk is indexed with its article's title, as the model embeds it. On the 274 natural Wikipedia
# questions (benchmarks/retrieval.py) BM25 alone went from hit@1 0.449 to 0.540 and fused retrieval from 0.759 to
# 0.788; on 1,000 description queries, which rarely name their subject, it moved 0.01 either way.
FORMAT = 2


def _tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=STEMMER, return_ids=False, show_progress=False)


class Bm25Index:
    def __init__(self, home: Path):
        self.dir = home / "bm25"
        self.generation = -1
        self.ids: list[str] = []
        self.retriever = None

    def rebuild(self, manifest: Manifest):
        """Index every live chunk and swap the new index in atomically."""
        import bm25s

        generation = manifest.generation
        ids, texts = [], []
        for row in manifest.live_chunks():
            for i, (start, end) in enumerate(json.loads(row["spans"])):
                ids.append(chunk_id(row["article_id"], row["content_hash"], i))
                texts.append(f"{row['title']}\n{row['text'][start:end]}")
        tmp = self.dir.with_name(f"bm25.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index(_tokenize(texts), show_progress=False)
            retriever.save(tmp, show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"format": FORMAT, "generation": generation, "ids": ids}))
        old = self.dir.with_name(f"bm25.old{os.getpid()}")
        if self.dir.exists():
            self.dir.rename(old)
        tmp.rename(self.dir)
        shutil.rmtree(old, ignore_errors=True)
        self.generation, self.ids, self.retriever = generation, ids, retriever

    def saved(self) -> dict:
        """What the index on disk holds: its manifest generation and chunk ids; an index of an older format counts as
        behind, so it is rebuilt."""
        try:
            saved = json.loads((self.dir / "ids.json").read_text())
        except (OSError, ValueError):
            return {"generation": -1}
        return saved if saved.get("format") == FORMAT else {"generation": -1}

    def sync(self, manifest: Manifest):
        """Rebuild the index on disk if it is behind the manifest; nothing is loaded when it is not."""
        if self.saved()["generation"] != manifest.generation:
            self.rebuild(manifest)

    def load(self, manifest: Manifest):
        """Bring the index in step with the manifest: load it from disk, or rebuild it if it is behind."""
        import bm25s

        generation = manifest.generation
        if generation == self.generation:
            return
        saved = self.saved()
        if saved["generation"] != generation:
            self.rebuild(manifest)
            return
        self.ids = saved["ids"]
        self.retriever = bm25s.BM25.load(self.dir, show_progress=False) if self.ids else None
        self.generation = generation

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self.retriever is None:
            return []
        tokens = _tokenize([query])
        if not tokens[0]:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False, n_threads=1)
        return [(self.ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
