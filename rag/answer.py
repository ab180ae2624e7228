"""Answering: the query engine (retriever + postprocessors + answerer), extractive by default."""
import re
import time

import numpy as np
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import ConfigDict
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import QueryBundle

from .errors import InputError
from .retrieve import Filters, HybridRetriever, Library, LimitPerArticle, MergeAdjacent, to_passages
from .bm25 import STEMMER
from .citations import cite
from .text import sentences
from .types import Answer, Passage

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")  # invisible or bidi-flipping
MAX_QUESTION_CHARS = 2000  # a question is a sentence or two; beyond this it is a paste, not a question

# Calibrated with `python -m benchmarks.calibrate` on tests/data/seed_qa.jsonl (2026-11-25): the best sentence
# cosine was at least 0.51 for all 35 answerable questions and at most 0.34 for the 7 unanswerable ones;
# the threshold sits in the middle of that gap.
ABSTAIN_BELOW = 0.42
KEEP_WITHIN = 0.10  # further sentences must score within this of the best one
MAX_SENTENCES = 3
# Embedding the candidate sentences was 90 % of an extractive answer's time (18 sentences, ~270 ms fp32 at the
# median on 2 AVX2 cores). Only the sentences that rank best on the cheap signals (their passage's cosine, term
# overlap, answer type) are embedded; see benchmarks/shortlist.py for how many were needed.
SHORTLIST = 10
OVERLAP_WEIGHT = 0.3

STOPWORDS = set("""a an the of in on at to for from by with and or but is are was were be been being do does did has have had
what which who whom whose when where why how many much this that these those it its they them their he she his her
i you we our your not no as into about than then there here can could would should will may might also according
""".split())
# What kind of answer a question wants, and what a sentence that holds one looks like.
ANSWER_TYPES = [
    (re.compile(r"^\s*(when|what (year|month|day|date|time))\b", re.I),
     re.compile(r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|ago)\b", re.I)),
    (re.compile(r"^\s*how (many|much|big|large|long|old|often|fast)\b|\bwhat (share|percentage|number|proportion)\b", re.I), re.compile(r"\d")),
    (re.compile(r"^\s*why\b", re.I), re.compile(r"\b(because|reason|due to|so that|in order to|since)\b", re.I)),
    (re.compile(r"^\s*who (wrote|authored|reported|edited)\b|\b(author|byline)\b", re.I), re.compile(r"\b(author|written by|wrote|reported by|edited by)\b", re.I)),
    (re.compile(r"\bthe name\b|\bcalled\b|\bnamed\b", re.I), re.compile(r'["“「][A-Z\u4e00-\u9fff][^"”」]{0,40}["”」]')),
]
TYPE_BONUS = 0.1
CONTINUATION = re.compile(r"(the reason|this|that|these|those|it|they|he|she|because|as a result|therefore|however)\b", re.I)
CONTINUATION_SHARE = 0.8
QUOTE_THEN_SPEAKER = re.compile(r"\b(said|says|told|according|added|stated|explained)\b", re.I)



def words(text: str) -> set[str]:
    """Content-word stems, for term overlap between a question and a sentence."""
    return set(STEMMER.stemWords([w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]))


def weighted_overlap(question: str, texts: list[str]) -> np.ndarray:
    """Share of the question's content words each text contains, each word weighted by its rarity among the texts,
    so that "Stepwise Star" counts for more than "video generation" in an article about video generation."""
    qwords = words(question)
    bags = [words(t) for t in texts]
    idf = {w: np.log(1 + len(bags) / (1 + sum(w in b for b in bags))) for w in qwords}
    total = sum(idf.values()) or 1.0
    return np.array([sum(idf[w] for w in qwords & b) / total for b in bags])


def check_question(question: str) -> str:
    question = " ".join(CONTROL.sub(" ", question).split())
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question):,} characters; ask in at most {MAX_QUESTION_CHARS:,}")
    return question


def units(passage: Passage) -> list[tuple[int, int]]:
    """Sentence spans of a passage (article offsets), a quote kept together with the sentence naming its speaker."""
    spans = [(passage.start + s, passage.start + e) for s, e in sentences(passage.text)]
    out = []
    for s, e in spans:
        text = passage.text[s - passage.start:e - passage.start]
        if out and out[-1][2] and QUOTE_THEN_SPEAKER.search(text):
            out[-1] = (out[-1][0], e, False)
            continue
        out.append((s, e, text[:1] in "\"“「" and text.rstrip(".")[-1:] in "\"”」"))
    return [(s, e) for s, e, _ in out]


class Extractive:
    """Quotes the sentences of the passages that best answer the question; writes nothing of its own."""

    name = "extractive"

    def __init__(self, library: Library, abstain_below: float = ABSTAIN_BELOW, shortlist: int | None = SHORTLIST):
        self.library, self.abstain_below, self.shortlist = library, abstain_below, shortlist

    def score(self, question: str, qvec: list[float], texts: list[str], prior: np.ndarray | None = None,
              shortlist: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How well each text answers the question: (score, cosine, has the wanted answer type). With a shortlist,
        only that many texts, the best by prior (a stand-in for the cosine) plus the cheap signals, are embedded;
        the rest score -inf."""
        wanted = [shape for kind, shape in ANSWER_TYPES if kind.search(question)]
        typed = np.array([any(shape.search(t) for shape in wanted) for t in texts], dtype=float)
        cheap = OVERLAP_WEIGHT * weighted_overlap(question, texts) + TYPE_BONUS * typed
        cos = np.full(len(texts), -np.inf)
        chosen = np.arange(len(texts))
        if shortlist and len(texts) > shortlist:
            chosen = np.argsort(-(cheap + (prior if prior is not None else 0)), kind="stable")[:shortlist]
        cos[chosen] = np.array(self.library.embedder.embed([texts[j] for j in chosen])) @ np.array(qvec)
        return cos + cheap, cos, typed

    def answer(self, question: str, passages: list[Passage], qvec: list[float], on_delta=None) -> Answer:
        """on_delta is accepted like an LLM answerer's; a quoted answer arrives whole, so it is not called."""
        candidates = []  # (passage index, start, end, text)
        seen = set()
        for i, p in enumerate(passages):
            article = self.library.articles[p.article_id]["text"]
            for s, e in units(p):
                if (p.article_id, s) not in seen:
                    seen.add((p.article_id, s))
                    candidates.append((i, s, e, article[s:e]))
        if not candidates:
            return abstain(question, passages, self.name)
        prior = np.array([passages[c[0]].cosine for c in candidates])
        score, cos, typed = self.score(question, qvec, [c[3] for c in candidates], prior, self.shortlist)
        # "The reason is ..." answers the sentence before it: a continuation inherits most of its predecessor's score.
        for j in range(1, len(candidates)):
            if candidates[j][0] == candidates[j - 1][0] and CONTINUATION.match(candidates[j][3]):
                score[j] = max(score[j], CONTINUATION_SHARE * (score[j - 1] - TYPE_BONUS * typed[j - 1]) + TYPE_BONUS * typed[j])
        best = int(np.argmax(score))
        if cos.max() < self.abstain_below:
            return abstain(question, passages, self.name, float(cos.max()))
        picked = [j for j in np.argsort(-score)[:MAX_SENTENCES] if score[j] >= score[best] - KEEP_WITHIN]
        # Read in the order of the passages' rank, and within an article in the order of the text.
        picked.sort(key=lambda j: (candidates[j][0], candidates[j][1]))
        citations, parts = [], []
        for j in picked:
            i, s, e, text = candidates[j]
            citations.append(cite(len(citations) + 1, passages[i], text, s, e))
            parts.append(f"{text} [{len(citations)}]")
        return Answer(question=question, answer=" ".join(parts), citations=citations, abstained=False, mode=self.name,
                      confidence=float(cos.max()))


def abstain(question: str, passages: list[Passage], mode: str, confidence: float = 0.0) -> Answer:
    closest = []
    for p in passages:
        if all(c["article_id"] != p.article_id for c in closest):
            closest.append({"article_id": p.article_id, "title": p.meta["title"], "outlet": p.meta["outlet"], "date": p.meta["date"]})
    names = "; ".join(f"{c['title']} ({c['outlet'] or 'unknown outlet'}, {c['date'][:10] or 'undated'})" for c in closest[:3])
    text = "The articles don't cover this." + (f" The closest are: {names}." if names else " The collection is empty: ingest some articles first.")
    return Answer(question=question, answer=text, citations=[], abstained=True, mode=mode, closest=closest[:3], confidence=confidence)


class NewsdeskQueryEngine(CustomQueryEngine):
    """Retriever, node postprocessors and answerer in one LlamaIndex query engine; the CLI and the web chat share it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    library: Library
    answerer: object
    top_k: int = 5
    filters: Filters = Filters()

    def retrieve_passages(self, question: str) -> tuple[list[float], list[Passage]]:
        qvec = self.library.embedder.embed([question])[0]
        bundle = QueryBundle(query_str=question, embedding=qvec)
        nodes = HybridRetriever(self.library, self.top_k, self.filters).retrieve(bundle)
        nodes = MergeAdjacent(library=self.library).postprocess_nodes(nodes, bundle)
        nodes = LimitPerArticle(max_per_article=self.library.settings.max_per_article).postprocess_nodes(nodes, bundle)[:self.top_k]
        return qvec, to_passages(nodes, self.library)

    def ask(self, question: str, on_delta=None) -> Answer:
        """on_delta, if given, receives an LLM's text as it streams (before it is checked)."""
        t0 = time.perf_counter()
        question = check_question(question)
        qvec, passages = self.retrieve_passages(question)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question, passages, qvec, on_delta=on_delta)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": round((t1 - t0) * 1000, 1), "answer": round((t2 - t1) * 1000, 1), "total": round((t2 - t0) * 1000, 1)}
        return answer

    def custom_query(self, query_str: str) -> Response:
        answer = self.ask(query_str)
        return Response(response=answer.answer, metadata={"answer": answer})


def build_engine(library: Library, mode: str = "extractive", top_k: int | None = None, filters: Filters | None = None) -> NewsdeskQueryEngine:
    if mode != "extractive":
        from .llm import llm_answerer

        answerer = llm_answerer(library, mode)
    else:
        answerer = Extractive(library)
    library.embedder.model  # load now, so the first answer's timings measure answering, not loading
    return NewsdeskQueryEngine(library=library, answerer=answerer, top_k=top_k or library.settings.top_k, filters=filters or Filters())
