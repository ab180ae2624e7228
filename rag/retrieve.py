"""Hybrid retrieval at LlamaIndex's seams: a retriever (dense + BM25 + headline names, score-fused) and node postprocessors."""
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from llama_index.core.bridge.pydantic import ConfigDict
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .embed import Embedder
from .errors import InputError
from .manifest import Manifest, open_manifest
from .settings import Settings
from .store import Store, forget_embedded_clients
from .lexical import title_phrases
from .stories import earliest_first
from .types import Passage, chunk_id, day_number, split_chunk_id

ARTICLE_FIELDS = ("title", "outlet", "author", "date", "url", "source", "language")
# A question ("who…", "…?", "list…") names its subject; a keyword query ("Painting by Georges Seurat") often names
# only things related to it. The two are weighted differently (see Settings).
QUESTION = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|should|"
                      r"would|will|has|have|had|find|list|name|tell|give|show|explain|describe|compare)\b|\?\s*$", re.I)
NAMED_CHUNKS = 8  # chunks of a named article scored, from its start: a long article is found by its passages too


def is_question(query: str) -> bool:
    return bool(QUESTION.search(query))


@dataclass
class Filters:
    outlet: str | None = None
    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    article_id: str | None = None

    def __post_init__(self):
        # Checked on construction, so a bad date is reported before any model loads.
        self._since, self._until = self._day(self.since, "since"), self._day(self.until, "until")

    @staticmethod
    def _day(value: str | None, name: str) -> int | None:
        if not value:
            return None
        try:
            return day_number(date.fromisoformat(value[:10]).isoformat())
        except ValueError:
            raise InputError(f"--{name} {value!r} is not a date; use YYYY-MM-DD") from None

    def within(self, since: str | None, until: str | None) -> "Filters":
        """These filters narrowed to a date range (a question's "in June 2024"), never widened."""
        since = max(filter(None, [self.since, since]), default=None)
        until = min(filter(None, [self.until, until]), default=None)
        return Filters(outlet=self.outlet, since=since, until=until, article_id=self.article_id)

    def where(self) -> dict | None:
        clauses = []
        if self.outlet:
            clauses.append({"outlet": self.outlet})
        if self.article_id:
            clauses.append({"article_id": self.article_id})
        if self._since is not None:
            clauses.append({"date_int": {"$gte": self._since}})
        if self._until is not None:
            clauses.append({"date_int": {"$lte": self._until}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else None

    def terms(self) -> dict:
        """These filters as the manifest's search_terms takes them."""
        return {"outlet": self.outlet, "article_id": self.article_id, "since": self._since, "until": self._until}

    def allows(self, article: dict) -> bool:
        day = day_number(article["date"])
        return ((not self.outlet or article["outlet"] == self.outlet)
                and (not self.article_id or article["article_id"] == self.article_id)
                and (self._since is None or day >= self._since) and (self._until is None or day <= self._until))


class Articles:
    """Live articles read by id from the manifest, never the whole collection: the most recently read are kept, so
    that retrieval, answering and citing one question read each article once."""

    KEPT = 512

    def __init__(self, manifest: Manifest, lock: threading.RLock):
        self.manifest, self.lock, self.kept = manifest, lock, OrderedDict()

    def load(self, ids) -> dict[str, dict]:
        """The live ones of ids, by id."""
        ids = list(dict.fromkeys(ids))
        with self.lock:
            missing = [aid for aid in ids if aid not in self.kept]
            for r in self.manifest.rows(missing):
                self.kept[r["article_id"]] = {**dict(r), "spans": json.loads(r["spans"])}
            found = {aid: self.kept[aid] for aid in ids if aid in self.kept}
            for aid in found:
                self.kept.move_to_end(aid)
            while len(self.kept) > max(self.KEPT, len(found)):
                self.kept.popitem(last=False)
        return found

    def get(self, article_id: str, default=None) -> dict | None:
        return self.load([article_id]).get(article_id, default)

    def __getitem__(self, article_id: str) -> dict:
        found = self.get(article_id)
        if found is None:
            raise KeyError(article_id)
        return found


class Library:
    """The open collection: manifest (with the lexical index), vector store and model, kept in step with ingests.
    Nothing here grows with the collection: articles are read by id as questions need them."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.manifest = open_manifest(settings)
        self.store = Store(settings)
        self.embedder = embedder or Embedder(settings)
        self.lock = threading.RLock()  # the web app answers from many threads; a refresh swaps what they read
        self.articles = Articles(self.manifest, self.lock)
        self.generation = -1

    def refresh(self):
        """Pick up what an ingest in another process changed; cheap when nothing did."""
        with self.lock:
            generation = self.manifest.generation
            if generation == self.generation:
                return
            if self.generation >= 0 and not self.settings.chroma_url:
                forget_embedded_clients()  # another process's ingest changed the store
                self.store = Store(self.settings)
            self.articles = Articles(self.manifest, self.lock)
            self.generation = generation

    def story(self, article_id: str) -> list[dict]:
        """The articles of article_id's story, representative (earliest) first."""
        with self.lock:
            rows = self.manifest.story_members(self.articles[article_id]["story_id"])
        return [dict(r) for r in sorted(rows, key=lambda r: earliest_first(r["date"], r["length"], r["article_id"]))]


def live(articles: dict[str, dict], cid: str) -> dict | None:
    """The article whose live version chunk cid belongs to, or None (an old version, or an article removed)."""
    article_id, version, _ = split_chunk_id(cid)
    article = articles.get(article_id)
    return article if article and article["content_hash"][:16] == version else None


class HybridRetriever(BaseRetriever):
    """Dense neighbours from Chroma, BM25 hits and articles the question names by title, fused by score; live
    versions only. A chunk scores its cosine to the question, plus its BM25 score as a share of the best one, plus a
    bonus when the question names its article's title. Scores fuse better than ranks here: on the 274 natural
    Wikipedia questions, reciprocal-rank fusion (dense 1.0, BM25 0.5) ranked the right article first for 0.642 of
    them, below dense alone (0.770); score fusion with the weights in Settings, 0.887 (`newsdesk eval --retrieval`)."""

    def __init__(self, library: Library, top_k: int, filters: Filters | None = None):
        super().__init__()
        self.library, self.top_k, self.filters = library, top_k, filters or Filters()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        lib, s, query = self.library, self.library.settings, query_bundle.query_str
        n = max(self.top_k * 4, 20)
        question = is_question(query)
        vector = query_bundle.embedding or lib.embedder.embed([query])[0]
        with lib.lock:
            lib.refresh()
            dense = lib.store.query(vector, n, self.filters.where())
            bm25 = lib.manifest.search_terms(query, n, **self.filters.terms())
            named = lib.manifest.titled(title_phrases(query, whole=not question))
            articles = lib.articles.load([*(split_chunk_id(cid)[0] for cid, _ in [*dense, *bm25]), *named])

        def allowed(cid: str) -> bool:
            # A chunk of a version that is not live (an ingest is replacing it right now) is never shown.
            article = live(articles, cid)
            return article is not None and self.filters.allows(article)

        cosines = {cid: c for cid, c in dense if live(articles, cid)}
        lexical = [(cid, score) for cid, score in bm25 if allowed(cid)][:n]
        lexical = {cid: score / lexical[0][1] for cid, score in lexical}
        named = {aid for aid in named if aid in articles and self.filters.allows(articles[aid])}
        titled = [chunk_id(aid, articles[aid]["content_hash"], i) for aid in named
                  for i in range(min(NAMED_CHUNKS, len(articles[aid]["spans"])))]
        # BM25 hits and named articles that the dense search did not return are scored by their own cosine.
        cosines.update(lib.store.cosines([cid for cid in dict.fromkeys([*lexical, *titled]) if cid not in cosines], vector))
        bm25_weight = s.bm25_weight if question else s.bm25_keyword_weight
        fused = {cid: s.dense_weight * cos + bm25_weight * lexical.get(cid, 0.0)
                 + s.title_weight * (split_chunk_id(cid)[0] in named) for cid, cos in cosines.items()}
        nodes = []
        for cid in sorted(fused, key=fused.get, reverse=True)[:n]:
            article_id, _, index = split_chunk_id(cid)
            article = articles[article_id]
            start, end = article["spans"][index]
            meta = {"article_id": article_id, "chunk_index": index, "start": start, "end": end, "cosine": cosines[cid]}
            nodes.append(NodeWithScore(node=TextNode(id_=cid, text=article["text"][start:end], metadata=meta), score=fused[cid]))
        return nodes


class LimitPerArticle(BaseNodePostprocessor):
    """At most a few chunks per article, so one long article cannot crowd out the rest."""

    max_per_article: int = 3

    def _postprocess_nodes(self, nodes, query_bundle=None):
        seen: dict[str, int] = {}
        kept = []
        for n in nodes:
            aid = n.node.metadata["article_id"]
            seen[aid] = seen.get(aid, 0) + 1
            if seen[aid] <= self.max_per_article:
                kept.append(n)
        return kept


class OnePerStory(BaseNodePostprocessor):
    """Passages of one article per story: the copies of a wire story would otherwise fill the context with one text.
    The article kept is the best-ranked one; the citation names the others ("also in ...")."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    library: Library

    def _postprocess_nodes(self, nodes, query_bundle=None):
        chosen: dict[str, str] = {}
        kept = []
        for n in nodes:
            aid = n.node.metadata["article_id"]
            story = self.library.articles[aid]["story_id"]
            if chosen.setdefault(story, aid) == aid:
                kept.append(n)
        return kept


def also_in(library: Library, article_id: str) -> list[dict]:
    """The other articles of an article's story, earliest first: where else the story ran."""
    return [{k: a[k] for k in ("article_id", "title", "outlet", "date", "url")} for a in library.story(article_id) if a["article_id"] != article_id]


class MergeAdjacent(BaseNodePostprocessor):
    """Chunks of one article that overlap or touch become one passage; the passage keeps the best score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    library: Library

    def _postprocess_nodes(self, nodes, query_bundle=None):
        groups: list[list[NodeWithScore]] = []
        for n in nodes:
            m = n.node.metadata
            for g in groups:
                gm = g[0].node.metadata
                if gm["article_id"] == m["article_id"] and any(
                        x.node.metadata["start"] <= m["end"] and m["start"] <= x.node.metadata["end"] for x in g):
                    g.append(n)
                    break
            else:
                groups.append([n])
        merged = []
        for g in groups:
            m = g[0].node.metadata
            start = min(x.node.metadata["start"] for x in g)
            end = max(x.node.metadata["end"] for x in g)
            cos = [x.node.metadata["cosine"] for x in g if x.node.metadata["cosine"] is not None]
            text = self.library.articles[m["article_id"]]["text"][start:end]
            meta = {**m, "start": start, "end": end, "cosine": max(cos) if cos else None}
            merged.append(NodeWithScore(node=TextNode(id_=f"{g[0].node.id_}+{len(g)}", text=text, metadata=meta), score=max(x.score for x in g)))
        return merged


def to_passages(nodes: list[NodeWithScore], library: Library) -> list[Passage]:
    out = []
    for n in nodes:
        m = n.node.metadata
        article = library.articles[m["article_id"]]
        out.append(Passage(article_id=m["article_id"], start=m["start"], end=m["end"], text=n.node.get_content(),
                           score=n.score or 0.0, cosine=m["cosine"] if m["cosine"] is not None else 0.0,
                           meta={**{k: article[k] for k in ARTICLE_FIELDS}, "also": also_in(library, m["article_id"])}))
    return out
