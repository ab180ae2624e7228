"""Timelines: "what happened with X" as the stories about X in date order, each with one cited key sentence of
its own (quoted, as every answer is), its outlet and date."""
import re

import numpy as np
from llama_index.core.schema import QueryBundle

from .answer import ABSTAIN_BELOW, SAME_SUBJECT_MARGIN, Extractive, about, check_question, leans, quotable
from .citations import cite
from .retrieve import Filters, HybridRetriever, Library, MergeAdjacent, OnePerStory, to_passages
from .text import units
from .timeframe import read_timeframe, without_time
from .types import Answer, Citation

# "What happened to the guards" and "what happened at the protest" ask for an account of one happening, not a history:
# they are answered as overviews.
ASKS = re.compile(r"^\s*(?:what(?:'s| has| have)? happen(?:ed|ing) (?:with|in|around)|(?:give me |show me |make )?(?:a |the )?"
                  r"timeline (?:of|for|on)|how did (?=.+\bunfold)|what is the history of)\s*", re.I)
MAX_ENTRIES = 12
ASIDE = re.compile(r"^\W*[(\[]|[)\]]\W*$")  # "(Reporting by …)", "[Read more …]": a bracketed aside is not what happened


def asks_for_timeline(question: str) -> bool:
    return bool(ASKS.match(question))


def topic_of(question: str) -> str:
    topic = ASKS.sub("", question, count=1)
    return re.sub(r"\s*\bunfold(?:ed)?\b|[?.!]+\s*$", "", topic).strip() or question


def timeline(library: Library, asked: str, filters: Filters | None = None, limit: int = MAX_ENTRIES) -> list[Citation]:
    """One entry per story about what was asked ("the Marrowby flood", or "What happened with X since March?"),
    oldest first (undated last): the story's best-ranked article and its sentence that best matches the subject.
    Time words narrow the publication dates as they do for answers, and count for nothing when nothing is left."""
    asked = check_question(asked)  # the same limits as a question: not empty, not a pasted book
    filters = filters or Filters()
    when = read_timeframe(asked, library.settings.today_or_now())
    topic = without_time(topic_of(asked) if asks_for_timeline(asked) else asked, when)
    entries = stories_about(library, topic, filters.within(when.since, when.until) if when else filters, limit)
    return entries or (stories_about(library, topic, filters, limit) if when else [])


def stories_about(library: Library, topic: str, filters: Filters, limit: int) -> list[Citation]:
    qvec = library.embedder.embed([topic])[0]
    bundle = QueryBundle(query_str=topic, embedding=qvec)
    nodes = HybridRetriever(library, limit * 4, filters).retrieve(bundle)
    nodes = OnePerStory(library=library).postprocess_nodes(nodes, bundle)
    passages = to_passages(MergeAdjacent(library=library).postprocess_nodes(nodes, bundle), library)
    if not passages:
        return []
    best = max(p.cosine for p in passages)
    if best < ABSTAIN_BELOW:
        return []
    on_topic = about(f"about {topic}")  # "about": so that a name opening the topic counts as one
    entries, scorer = [], Extractive(library)
    events = library.manifest.events_of(dict.fromkeys(p.article_id for p in passages))
    told: dict[tuple[str, str], Citation] = {}
    for aid in events:
        own = [p for p in passages if p.article_id == aid]
        article = library.articles[aid]
        whole = f"{article['title']} {article['text']}"
        if max(p.cosine for p in own) < best - SAME_SUBJECT_MARGIN or not on_topic(whole):
            continue
        # One entry per event and day: another outlet's report of that day is listed under the entry's "also in";
        # the event's follow-ups on later days are entries of their own, in date order.
        day = (article["date"] or "")[:10]
        if (events[aid], day) in told:
            entry = told[events[aid], day]
            if all(a.get("article_id") != aid for a in entry.also):
                entry.also = [*entry.also, {k: article[k] for k in ("title", "outlet", "date", "url")} | {"article_id": aid}]
            continue
        # An entry is one sentence read alone: not one that leans on the sentence before it, nor an aside.
        text = article["text"]
        sentences = [(p, s, e) for p in own for s, e in units(p)]
        spans = [(p, s, e) for k, (p, s, e) in enumerate(sentences) if quotable(text[s:e], article["title"] or "") and not ASIDE.search(text[s:e])
                 and not leans(text[sentences[k - 1][1]:sentences[k - 1][2]] if k and sentences[k - 1][0] is p else "", text[s:e])]
        if not spans:
            continue
        texts = [text[s:e] for _, s, e in spans]
        score, _, _ = scorer.score(topic, qvec, texts)
        p, s, e = spans[int(np.argmax(score))]
        entries.append(cite(0, p, text[s:e], s, e))
        told[events[aid], day] = entries[-1]
        if len(entries) == limit:
            break
    entries.sort(key=lambda c: (not c.date, c.date))
    for n, c in enumerate(entries, 1):
        c.n = n
    return entries


def timeline_answer(library: Library, question: str, filters: Filters | None = None) -> Answer | None:
    """A timeline as a chat answer: one dated, cited line per story; None when the stories found are of one day, a
    happening to tell rather than a history (the question is then answered as an overview)."""
    entries = timeline(library, question, filters)
    if entries and len({c.date[:10] for c in entries if c.date}) < 2:
        return None
    if not entries:
        return Answer(question=question, answer="The articles don't tell what happened with that.", citations=[], abstained=True,
                      mode="extractive", timeline=True)
    lines = [f"{c.date[:10] or 'Undated'} · {c.outlet or 'unknown outlet'}: {c.quote} [{c.n}]" for c in entries]
    return Answer(question=question, answer="\n".join(lines), citations=entries, abstained=False, mode="extractive", timeline=True)
