"""Briefings: what happened in a window of days, or about a subject, as one item per event (rag/events.py), most
covered first: the event's lede quoted from its best article, its date, and the outlets that reported it. `newsdesk
brief`, the chat's Briefing tab and questions such as "What happened yesterday?" or "news about Boeing" share it."""
import re
from datetime import date

from .answer import long_date, quotable
from .citations import cite
from .events import best_first
from .retrieve import ARTICLE_FIELDS, Filters, Library, also_in
from .text import sentences
from .timeframe import read_timeframe, without_time
from .timeline import ASIDE, stories_about
from .types import Answer, Briefing, BriefItem, Passage

MAX_ITEMS = 10
LEDE_WORDS = 60  # a second opening sentence joins the lede while the two stay within this
TOPIC_STORIES = 40  # stories about a subject read, at most, to find its events
# "SIOUX FALLS, S.D. (AP) — ", "WASHINGTON (Reuters) - ", "LONDON — ": a dateline opens a lede, it is not said.
DATELINE = re.compile(r"^[A-Z][A-Z.'’ \-]{2,}(?:,\s*[A-Z][\w.'’ \-]{1,40}?)?(?:\s*\([^)]{1,40}\))?\s*[-—–]+\s*")
NOT_LEDE = re.compile(r"^(?:by|posted|published|updated|photo|image|credit|listen|watch)\b|^[^\w\"'“‘]", re.I)
# Questions answered as a briefing: a window alone ("What happened yesterday?", "top stories this week") or a subject
# ("what's new in tech?", "news about Boeing", "what's the latest on the impeachment inquiry?").
WINDOW = re.compile(r"^(?:so\s+)?(?:what(?:'s|’s| is| was| were| are| has)?\s+(?:been\s+)?(?:happened|happening|going on|new|"
                    r"(?:in\s+)?the\s+news|the\s+(?:top|main|biggest|big|latest)\s+(?:stories|news|headlines))|"
                    r"(?:give\s+me\s+|show\s+me\s+)?(?:(?:a|the|today's|the day's)\s+)?(?:news\s+)?(?:briefing|headlines|"
                    r"(?:top|main|biggest)\s+(?:stories|news|headlines)|news))(?:\s+(?:in|from)\s+the\s+(?:news|articles))?$", re.I)
TOPIC = re.compile(r"^(?:what(?:'s|’s| is)\s+(?:new|the\s+(?:latest|news))\s+(?:in|with|on|about|at|from|for)|(?:what(?:'s|’s| is)\s+)?"
                   r"(?:any\s+|the\s+)?(?:latest\s+)?news\s+(?:about|on|from|of)|(?:the\s+)?latest\s+(?:news\s+)?(?:on|about))\s+(.+)$", re.I)


def briefing_request(question: str, today: date) -> tuple[str | None, str | None, str | None, bool] | None:
    """(since, until, topic, newest first) when a question asks for a briefing, else None; since and until are None
    when the question names no window (a subject's briefing then covers every date, a window's the latest day)."""
    when = read_timeframe(question, today)
    rest = re.sub(r"[\s?.!]+$", "", without_time(question, when)).strip()
    since, until = (when.since, when.until) if when and not when.latest else (None, None)
    latest = bool(when and when.latest)  # "What's the latest on X": the newest events about X first
    if m := TOPIC.match(rest) or TOPIC.match(re.sub(r"[\s?.!]+$", "", question.strip())):
        return since, until, m[1].strip(), latest
    if WINDOW.match(rest):
        return since, until, None, latest
    return None


def brief(library: Library, since: str | None = None, until: str | None = None, topic: str | None = None,
          limit: int = MAX_ITEMS, newest_first: bool = False) -> Briefing:
    """The events of a window (default: the latest day that has articles; with a topic, every date), those about the
    topic when one is given, most covered first (outlets, then articles, then the newest), or the newest first (then
    the most covered); each with its lede."""
    window = Filters(since=since, until=until)  # checks the dates
    manifest = library.manifest
    newest = manifest.newest_date()
    if not (since or until or topic) and newest:
        since = until = newest[:10]
    rows = manifest.event_rows(since, until)
    if topic:
        # a subject's stories are found as a timeline finds them
        wanted = {c.article_id for c in stories_about(library, topic, window, TOPIC_STORIES)}
        events = {r["event_id"] for r in rows if r["article_id"] in wanted}
        rows = [r for r in rows if r["event_id"] in events]
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r["event_id"], []).append(r)
    items = []
    for event, members in groups.items():
        members.sort(key=lambda r: best_first(r["date"], r["length"], r["article_id"]))
        item = lede(library, event, members)
        if item is not None:
            items.append(item)
    def order(i: BriefItem) -> tuple:
        covered, newest = (len(i.outlets), len(i.articles)), max(a["date"] or "" for a in i.articles)
        return (newest, covered) if newest_first else (covered, newest)

    items.sort(key=order, reverse=True)
    items = items[:limit]
    for n, item in enumerate(items, 1):
        for c in item.citations:
            c.n = n
    return Briefing(since=since or "", until=until or "", topic=topic or "", items=items, newest=newest or "",
                    newest_first=newest_first)


def lede(library: Library, event: str, members: list) -> BriefItem | None:
    """An event's item: the opening sentence or two of its first article that has a quotable one, cited."""
    for r in members:
        article = library.articles.get(r["article_id"])
        if article is None:
            continue
        text, spans = article["text"], []
        # The first quotable sentence, and the one right after it while the two stay short: a lede is read in one go.
        for s, e in sentences(text)[:6]:
            if m := DATELINE.match(text[s:e]):
                s += m.end()
            said = text[s:e]
            good = not NOT_LEDE.match(said) and quotable(said, article["title"] or "") and not ASIDE.search(said)
            if spans and (not good or len(" ".join(text[a:b] for a, b in spans + [(s, e)]).split()) > LEDE_WORDS):
                break
            if good:
                spans.append((s, e))
            if len(spans) == 2:
                break
        if not spans:
            continue
        start, end = spans[0][0], spans[-1][1]
        meta = {**{k: article[k] for k in ARTICLE_FIELDS}, "also": also_in(library, r["article_id"])}
        citation = cite(0, Passage(r["article_id"], start, end, text[start:end], 0.0, 0.0, meta), text[start:end], start, end)
        articles = [{"article_id": m["article_id"], "title": m["title"], "outlet": m["outlet"], "date": m["date"], "url": m["url"],
                     "path": m["source"]} for m in members]
        return BriefItem(event=event, title=r["title"], summary=" ".join(text[a:b] for a, b in spans), date=r["date"] or "",
                         outlets=list(dict.fromkeys(m["outlet"] or "unnamed outlet" for m in members)), articles=articles,
                         citations=[citation])
    return None


def span_text(since: str, until: str) -> str:
    """"19–20 November 2021", "18 November 2019", "since 1 March 2024"."""
    if since and until:
        if since == until:
            return long_date(since)
        a, b = date.fromisoformat(since), date.fromisoformat(until)
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{long_date(until)}"
        return f"{long_date(since)} to {long_date(until)}"
    return f"since {long_date(since)}" if since else f"until {long_date(until)}" if until else "any date"


def reported_by(outlets: list[str], shown: int = 2) -> str:
    return ", ".join(outlets[:shown]) + (f" +{len(outlets) - shown}" if len(outlets) > shown else "")


def briefing_text(b: Briefing) -> str:
    """The briefing as the chat and the terminal show it: one line per event, dated, with its outlets and citation."""
    windowed = bool(b.since or b.until)
    if not b.items:
        if b.topic:
            return f"The articles {'from ' + span_text(b.since, b.until) + ' ' if windowed else ''}hold no news about {b.topic}."
        newest = f"; the newest are from {long_date(b.newest)}." if b.newest else "; the collection is empty."
        return f"No articles from {span_text(b.since, b.until)}{newest}"
    what = ", news about " + b.topic if windowed and b.topic else "News about " + b.topic if b.topic else ""
    head = (f"{span_text(b.since, b.until) if windowed else ''}{what}: {len(b.items)} event{'s' if len(b.items) > 1 else ''}, "
            f"{'newest' if b.newest_first else 'most covered'} first.")
    lines = [f"{n}. {long_date(i.date)} · {reported_by(i.outlets)}: {i.summary} [{n}]" for n, i in enumerate(b.items, 1)]
    return "\n".join([head[0].upper() + head[1:], *lines])


def briefing_answer(library: Library, question: str, filters: Filters | None = None) -> Answer | None:
    """A briefing as a chat answer, when the question asks for one (briefing_request); None otherwise."""
    asked = briefing_request(question, library.settings.today_or_now())
    if asked is None:
        return None
    since, until, topic, latest = asked
    filters = filters or Filters()
    since, until = since or filters.since, until or filters.until
    b = brief(library, since, until, topic, newest_first=latest)
    citations = [c for i in b.items for c in i.citations]
    return Answer(question=question, answer=briefing_text(b), citations=citations, abstained=not b.items, mode="extractive",
                  timeline=True)

