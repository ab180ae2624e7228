"""Hybrid retrieval at LlamaIndex's seams: a retriever (dense + BM25 + headline names, score-fused) and node postprocessors."""
import json
import re
import threading
from dataclasses import dataclass
from datetime import date

from llama_index.core.bridge.pydantic import ConfigDict
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .bm25 import Bm25Index
from .embed import Embedder
from .errors import InputError
from .manifest import Manifest
from .settings import Settings
from .store import Store, forget_embedded_clients
from .stories import earliest_first
from .types import Passage, chunk_id, day_number, split_chunk_id

ARTICLE_FIELDS = ("title", "outlet", "author", "date", "url", "source", "language")
# A question ("who…", "…?", "list…") names its subject; a keyword query ("Painting by Georges Seurat") often names
# only things related to it. The two are weighted differently (see Settings).
QUESTION = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|should|"
                      r"would|will|has|have|had|find|list|name|tell|give|show|explain|describe|compare)\b|\?\s*$", re.I)
TITLE_STOPWORDS = set("a an the of in on at to for from by and or is are was were it its s".split())
MAX_NAME_WORDS = 12  # longest title looked up as a phrase of the question
NAMED_CHUNKS = 8  # chunks of a named article scored, from its start: a long article is found by its passages too


def is_question(query: str) -> bool:
    return bool(QUESTION.search(query))


def title_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def title_key(title: str) -> str:
    """A title as a phrase to find in questions: lower case, words only, without a trailing "(disambiguation)"."""
    return " ".join(title_words(re.sub(r"\s*\([^)]*\)\s*$", "", title)))


def title_index(articles: dict[str, dict]) -> dict[str, list[str]]:
    """Title phrase -> article ids; titles of stopwords only ("It", "The The") would match every question."""
    index: dict[str, list[str]] = {}
    for aid, a in articles.items():
        key = title_key(a["title"] or "")
        if key and not set(key.split()) <= TITLE_STOPWORDS:
            index.setdefault(key, []).append(aid)
    return index


def named_articles(index: dict[str, list[str]], query: str, whole: bool) -> set[str]:
    """Articles whose title occurs in the query as a phrase; with whole, only a title that is the entire query
    (but for stopwords): a bare name."""
    words = title_words(query)
    if whole:
        return set(index.get(" ".join(w for w in words if w not in TITLE_STOPWORDS), []))
    found = set()
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + MAX_NAME_WORDS) + 1):
            found.update(index.get(" ".join(words[i:j]), ()))
    return found


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

    def allows(self, article: dict) -> bool:
        day = day_number(article["date"])
        return ((not self.outlet or article["outlet"] == self.outlet)
                and (not self.article_id or article["article_id"] == self.article_id)
                and (self._since is None or day >= self._since) and (self._until is None or day <= self._until))


class Library:
    """The open collection: manifest, vector store, BM25 index and model, kept in step with ingests."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.manifest = Manifest(settings.manifest_path)
        self.store = Store(settings)
        self.embedder = embedder or Embedder(settings)
        self.bm25 = Bm25Index(settings.home)
        self.articles: dict[str, dict] = {}
        self.stories: dict[str, list[str]] = {}  # story id -> its articles, representative first
        self.titles: dict[str, list[str]] = {}
        self.generation = -1
        self.lock = threading.RLock()  # the web app answers from many threads; a refresh swaps what they read

    def current(self) -> dict[str, dict]:
        """The live articles, after picking up what an ingest in another process changed."""
        with self.lock:
            self.refresh()
            return self.articles

    def refresh(self):
        """Cheap when nothing changed; callers hold self.lock (current() does)."""
        generation = self.manifest.generation
        if generation == self.generation:
            return
        if self.generation >= 0 and not self.settings.chroma_url:
            forget_embedded_clients()  # another process's ingest changed the store
            self.store = Store(self.settings)
        rows = self.manifest.db.execute(f"SELECT a.article_id, content_hash, text, spans, {', '.join(ARTICLE_FIELDS)}, "
                                        "COALESCE(s.story_id, a.article_id) AS story_id FROM articles a "
                                        "LEFT JOIN story_of s ON s.article_id = a.article_id").fetchall()
        self.articles = {r["article_id"]: {**dict(r), "spans": json.loads(r["spans"])} for r in rows}
        self.stories = {}
        for aid, a in sorted(self.articles.items(), key=lambda x: earliest_first(x[1]["date"], len(x[1]["text"]), x[0])):
            self.stories.setdefault(a["story_id"], []).append(aid)
        self.titles = title_index(self.articles)
        self.bm25.load(self.manifest)
        self.generation = generation


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
            articles = lib.current()
            dense = lib.store.query(vector, n, self.filters.where())
            bm25 = lib.bm25.search(query, n * 2)
            named = named_articles(lib.titles, query, whole=not question)

        def allowed(cid: str) -> bool:
            # A chunk of a version that is not live (an ingest is replacing it right now) is never shown.
            article = live(articles, cid)
            return article is not None and self.filters.allows(article)

        cosines = {cid: c for cid, c in dense if live(articles, cid)}
        lexical = [(cid, score) for cid, score in bm25 if allowed(cid)][:n]
        lexical = {cid: score / lexical[0][1] for cid, score in lexical}
        named = {aid for aid in named if self.filters.allows(articles[aid])}
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
    story = library.articles[article_id]["story_id"]
    return [{k: library.articles[aid][k] for k in ("article_id", "title", "outlet", "date", "url")}
            for aid in library.stories.get(story, ()) if aid != article_id]


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
