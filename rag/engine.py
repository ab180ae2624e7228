"""The query engine: retrieval, node postprocessors and an answerer in one LlamaIndex query engine, and the routes a
question takes to it (a briefing, a timeline, or an answer from passages). The CLI, the web chat, the API and the MCP
server all answer through it."""
import time

from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import ConfigDict
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import QueryBundle

from .answer import ABSTAIN_BELOW, BYLINE, Extractive, check_question, classify, published
from .briefing import briefing_answer
from .retrieve import ARTICLE_FIELDS, Filters, HybridRetriever, Library, LimitPerArticle, MergeAdjacent, OnePerStory, also_in, to_passages
from .timeframe import read_timeframe, without_time
from .timeline import asks_for_timeline, timeline_answer
from .types import Answer, Passage


class NewsdeskQueryEngine(CustomQueryEngine):
    """Retriever, node postprocessors and answerer in one LlamaIndex query engine; the CLI and the web chat share it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    library: Library
    answerer: object
    top_k: int = 5
    filters: Filters = Filters()

    def retrieve_passages(self, question: str) -> tuple[list[float], list[Passage]]:
        """A broad question (list, explanation, overview, comparison) reads `wider` times the passages of a lookup,
        and as many more per article: its answer is spread over an article, or several. The question's own dates
        ("since April") bound the articles' publication dates, unless that leaves nothing close to the question: a
        date read from a question may be the story's, not the article's ("in August", asked in 2026 of 2024 news)."""
        wider = classify(question).wider
        when = read_timeframe(question, self.library.settings.today_or_now())
        question = without_time(question, when)  # "latest" and "in June 2024" say when, not what: filters and ranking use them
        qvec = self.library.embedder.embed([question])[0]
        passages = self.passages(question, qvec, self.filters.within(*published(when)) if when else self.filters, wider)
        if when and (not passages or max(p.cosine for p in passages) < ABSTAIN_BELOW):
            passages = self.passages(question, qvec, self.filters, wider)
        return qvec, passages + bylines(self.library, passages) if BYLINE.search(question) else passages

    def passages(self, question: str, qvec: list[float], filters: Filters, wider: int) -> list[Passage]:
        top_k, per_article = self.top_k * wider, self.library.settings.max_per_article * wider
        bundle = QueryBundle(query_str=question, embedding=qvec)
        nodes = HybridRetriever(self.library, top_k, filters).retrieve(bundle)
        nodes = OnePerStory(library=self.library).postprocess_nodes(nodes, bundle)
        nodes = MergeAdjacent(library=self.library).postprocess_nodes(nodes, bundle)
        nodes = LimitPerArticle(max_per_article=per_article).postprocess_nodes(nodes, bundle)[:top_k]
        return to_passages(nodes, self.library)

    def ask(self, question: str, on_delta=None) -> Answer:
        """on_delta, if given, receives an LLM's text as it streams (before it is checked)."""
        t0 = time.perf_counter()
        question = check_question(question)
        if (answer := briefing_answer(self.library, question, self.filters)) or \
                (asks_for_timeline(question) and (answer := timeline_answer(self.library, question, self.filters))):
            answer.timings_ms = {"total": round((time.perf_counter() - t0) * 1000, 1)}
            return answer
        qvec, passages = self.retrieve_passages(question)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question, passages, qvec, on_delta=on_delta)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": round((t1 - t0) * 1000, 1), "answer": round((t2 - t1) * 1000, 1), "total": round((t2 - t0) * 1000, 1)}
        return answer

    def custom_query(self, query_str: str) -> Response:
        answer = self.ask(query_str)
        return Response(response=answer.answer, metadata={"answer": answer})


def bylines(library: Library, passages: list[Passage]) -> list[Passage]:
    """For "who wrote ...": the chunk of each retrieved article that names its author, which no question resembles
    by meaning or terms (the seed article's credit line was not among a lookup's passages). It ranks with the
    article's best passage."""
    out = []
    for aid in dict.fromkeys(p.article_id for p in passages):
        article, cosine = library.articles[aid], max(p.cosine for p in passages if p.article_id == aid)
        for start, end in article["spans"]:
            text = article["text"][start:end]
            if article["author"] and article["author"] in text and not any(p.article_id == aid and p.start <= start < p.end for p in passages):
                out.append(Passage(aid, start, end, text, 0.0, cosine, {**{k: article[k] for k in ARTICLE_FIELDS}, "also": also_in(library, aid)}))
                break
    return out


def build_engine(library: Library, mode: str = "extractive", top_k: int | None = None, filters: Filters | None = None) -> NewsdeskQueryEngine:
    if mode != "extractive":
        from .llm import llm_answerer  # the LLM modes' libraries load only where one is used

        answerer = llm_answerer(library, mode)
    else:
        answerer = Extractive(library)
    library.embedder.model  # load now, so the first answer's timings measure answering, not loading
    return NewsdeskQueryEngine(library=library, answerer=answerer, top_k=top_k or library.settings.top_k, filters=filters or Filters())
