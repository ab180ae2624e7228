"""The records newsdesk passes around, defined once."""
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property


def day_number(iso: str) -> int:
    """YYYYMMDD of an ISO date as an integer, so stores can filter date ranges; 0 when unknown."""
    return int(iso[:10].replace("-", "")) if iso else 0


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Article:
    text: str
    identity: str  # resolved path, or canonical url for HTML/JSON input
    source: str  # the file it came from
    title: str = ""
    outlet: str = ""
    author: str = ""
    date: str = ""  # ISO 8601, or empty when unknown
    url: str = ""
    language: str = ""
    extra: dict = field(default_factory=dict)  # other front-matter fields (editor, via, ...)

    @cached_property
    def id(self) -> str:
        return hashlib.sha1(self.identity.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def text_hash(self) -> str:
        return sha256(self.text)

    @cached_property
    def content_hash(self) -> str:
        # Metadata is part of the hash so that a corrected title or date re-ingests the article.
        fields = [self.text, self.title, self.outlet, self.author, self.date, self.url, self.language]
        return sha256(json.dumps(fields, ensure_ascii=False))

    @property
    def date_int(self) -> int:
        return day_number(self.date)


def chunk_id(article_id: str, content_hash: str, index: int) -> str:
    # The hash is in the id so a new version's chunks never overwrite the old version's before it is retired.
    return f"{article_id}-{content_hash[:16]}-{index:05d}"


def split_chunk_id(cid: str) -> tuple[str, str, int]:
    """(article id, the first 16 characters of its content hash, chunk index): chunk_id read back."""
    article_id, version, index = cid.split("-")
    return article_id, version, int(index)


@dataclass
class Chunk:
    article: Article
    index: int
    start: int  # character offsets of the passage in article.text
    end: int
    embed_text: str  # what the model sees: title + passage
    ids: list[int] | None = None  # embed_text's word pieces, without special tokens, when chunking knows them

    @property
    def text(self) -> str:
        return self.article.text[self.start:self.end]

    @property
    def id(self) -> str:
        return chunk_id(self.article.id, self.article.content_hash, self.index)

    def metadata(self) -> dict:
        a = self.article
        return {
            "article_id": a.id,
            "title": a.title,
            "outlet": a.outlet,
            "author": a.author,
            "date": a.date,
            "date_int": a.date_int,
            "url": a.url,
            "source": a.source,
            "language": a.language,
            "content_hash": a.content_hash,
            "chunk_index": self.index,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Fingerprint:
    """An article's word shingles and MinHash LSH band keys (rag/stories.py)."""
    shingles: set[str]
    keys: list[int]  # one per band, signed 64-bit for SQLite


@dataclass
class Signature:
    """What an article's event is decided by (rag/events.py): the names it holds, those of its lead, its day
    (YYYYMMDD, 0 undated), its opening's vector (packed, rag.events.pack), added once encoded, and how many times the
    text names each lead name (0 for a figure)."""
    names: list[str]
    lead: list[str]
    day: int
    vector: str = ""
    counts: list[int] = field(default_factory=list)


@dataclass
class Version:
    """A version of an article ready to go live: its chunks' character spans, their lexical terms (computed at commit
    when None) and its story: (story id, band keys), or a Fingerprint to place it by inside the commit (so that
    near-duplicates committed together find each other), or None to leave it unplaced; and what its event is decided
    by, inside the commit too (None leaves it without one)."""
    article: Article
    spans: list[tuple[int, int]]
    terms: list[str] | None = None
    story: tuple[str, list[int]] | Fingerprint | None = None
    event: Signature | None = None


@dataclass
class Passage:
    """A retrieved span of one article: one chunk, or adjacent chunks merged."""
    article_id: str
    start: int
    end: int
    text: str
    score: float  # fused rank score, for ordering
    cosine: float  # best dense similarity of its chunks to the question, for abstention
    meta: dict  # title, outlet, author, date, url, source, language

    def public(self) -> dict:
        """A search hit as JSON: the passage, where it lies in its article, its scores and the article's metadata."""
        return {"article_id": self.article_id, **{k: self.meta.get(k) or "" for k in ("title", "outlet", "author", "date", "url")},
                "passage": self.text, "start": self.start, "end": self.end, "score": round(self.score, 6), "cosine": round(self.cosine, 4)}


@dataclass
class Citation:
    n: int
    title: str
    outlet: str
    author: str
    date: str
    url: str
    path: str
    passage: str
    quote: str  # the sentence of the passage that supports the claim
    article_id: str = ""
    start: int = 0  # offsets of the passage in the article
    end: int = 0
    quote_start: int = 0  # offsets of the quote in the article
    quote_end: int = 0
    also: list[dict] = field(default_factory=list)  # the story's other articles: title, outlet, date, url
    quotes: list[str] = field(default_factory=list)  # every sentence the answer quotes from this article, in answer order
    quote_spans: list[tuple[int, int]] = field(default_factory=list)  # their offsets in the article

    def __post_init__(self):
        if not self.quotes and self.quote:
            self.quotes, self.quote_spans = [self.quote], [(self.quote_start, self.quote_end)]

    def public(self, paths: bool = True) -> dict:
        """The citation as JSON; paths=False leaves out where the article's file lies (for remote callers)."""
        keys = ("n", "title", "outlet", "author", "date", "url", "path", "passage", "quote", "quotes", "also")
        return {k: getattr(self, k) for k in keys if paths or k != "path"}

    def also_in(self, shown: int = 2) -> str:
        """"also in Reuters, AP, +3", or "" when the story ran only here."""
        outlets = list(dict.fromkeys(a["outlet"] or "an unnamed outlet" for a in self.also))
        if not outlets:
            return ""
        return "also in " + ", ".join(outlets[:shown]) + (f", +{len(outlets) - shown}" if len(outlets) > shown else "")


@dataclass
class BriefItem:
    """One event of a briefing (rag/briefing.py): its lede, quoted from its best article and cited."""
    event: str
    title: str
    summary: str
    date: str
    outlets: list[str]
    articles: list[dict]  # article_id, title, outlet, date, url, path: as `newsdesk events` lists them
    citations: list[Citation]

    def public(self, paths: bool = True) -> dict:
        return {"event": self.event, "title": self.title, "summary": self.summary, "date": self.date, "outlets": self.outlets,
                "articles": [a if paths else {k: v for k, v in a.items() if k != "path"} for a in self.articles],
                "citations": [c.public(paths) for c in self.citations]}


@dataclass
class Briefing:
    since: str  # ISO dates of the window, "" when open
    until: str
    topic: str
    items: list[BriefItem]
    newest: str  # the newest article's date in the collection, for "no articles then; the newest are from ..."
    newest_first: bool = False  # items ordered by date ("the latest on X"), not by coverage

    def public(self, paths: bool = True) -> dict:
        return {"since": self.since, "until": self.until, "topic": self.topic, "events": [i.public(paths) for i in self.items]}


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation]
    abstained: bool
    mode: str
    timings_ms: dict = field(default_factory=dict)
    closest: list[dict] = field(default_factory=list)  # when abstaining: the nearest articles
    confidence: float = 0.0  # best cosine of a source sentence to the question
    timeline: bool = False  # one dated line per story, oldest first (rag/timeline.py)

    def to_dict(self, paths: bool = True) -> dict:
        return {"question": self.question, "answer": self.answer, "citations": [c.public(paths) for c in self.citations],
                "abstained": self.abstained, "mode": self.mode, "timeline": self.timeline, "timings_ms": self.timings_ms}


@dataclass
class Source:
    """A feed, sitemap or page that `newsdesk sync` polls."""
    url: str
    name: str
    kind: str  # feed, sitemap or page
    added_at: str
    last_sync: str = ""
    last_error: str = ""
    articles: int = 0  # stored articles that came from it

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "url", "kind", "last_sync", "articles", "last_error", "added_at")}
