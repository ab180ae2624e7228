"""Events: the articles that report one happening (the same participants, place and time), across outlets, wordings
and follow-up days. A wire story's copies are inside one event; an event usually spans several stories.

Each article is placed once, at ingest, inside its own commit: candidates are the stored articles that share its
rarest names within LIVE_DAYS of its date (an index in the manifest, so the cost per article does not grow with the
store), and each candidate event is scored by what the article shares with its members there: the meaning of their
openings (the first chunk's vector, which ingest computes anyway), the names both hold, and the lead names one holds
and the other never mentions (another fighter, another victim, another ship: a look-alike event), above all where
each one's protagonist, the lead name it names most, is such a name.

A placement is revised only where a later article shows it wrong, and only among that article's candidates: a
candidate that scores better with the new article's event than with the rest of its own (as far as the candidates
show them) moves over, with its story. Without this, the first article of a look-alike event that joined the older
one on one pair's evidence stays there, and the rest of its event follows it. Scoring candidates with each other
costs at most MAX_CANDIDATES squared pairs, whatever the store holds."""
import base64
import math
import re
from collections import Counter, defaultdict
from functools import cache

import numpy as np

from .text import sentences
from .types import Signature, day_number

# Chosen with benchmarks/events.py on ECB+ (982 articles, 86 events in 43 pairs of look-alikes, no dates), articles
# placed one at a time in file order; see the README for the figures.
SAME_EVENT = 0.25  # least score of an article with an event's candidate members to join it
MISSING_WEIGHT = 0.25  # how much a lead name the other article never mentions counts against a pair
# ... and how much more when each one's protagonist (the lead name its text names most) is one the other never
# mentions: Mark Felt's death and Fred LaRue's, a fire at the Waitrose of Banstead and at the one of Wellington. Of
# ECB+'s pairs of articles within one topic, 4 % of those on one event have such a conflict and 47 % of look-alikes.
# ECB+ in file order: F1 0.847 without, 0.859 at 0.05, 0.866 at 0.1, 0.868 at 0.15 and 0.2; the dated pages 0.804 at
# each.
CONFLICT_WEIGHT = 0.1
LEAD_SENTENCES = 2  # the opening sentences (with the title) whose names are the event's participants
LIVE_DAYS = 3  # an event takes a dated article while it has one within this many days
PROBE_KEYS = 12  # rarest names of an article looked up for candidates
MAX_CANDIDATES = 30  # candidates scored per article, those sharing the most probed names first
REFERENCE = 1000  # articles a name's frequency is read against: a name in one of a thousand is rare
# A name more articles hold is not looked up: its rows grow with the store (undated articles have no window to narrow
# them), and it weighs little. At 100k articles, probing such names took placement from 4.5 ms (10k) to 8.5 ms.
PROBE_MOST = 1000
FORMAT = f"3-{SAME_EVENT}-{MISSING_WEIGHT}-{CONFLICT_WEIGHT}-{LEAD_SENTENCES}-{LIVE_DAYS}-{PROBE_KEYS}-{MAX_CANDIDATES}-{PROBE_MOST}"

CAPITALISED = re.compile(r"\b([A-Z][\w'’\-]*(?:\s+(?:of|de|del|la|van|von|bin|al)?\s*[A-Z][\w'’\-]*)*)")
OPENS = re.compile(r"(?:[.!?]['\"”’)]*\s+|\n\s*|^\s*)['\"“‘(]?$")  # what precedes a word that opens a sentence
NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
# Capitalised words that name no participant: calendar words and the words that open sentences.
COMMON = set("""january february march april may june july august september october november december jan feb mar apr
jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday gmt am pm est
edt utc posted published updated update breaking news photo video read more the a an and or but if of in on at to for
by with from as is are was were be it its this that these those he she they we you i his her their our my after before
when while where what who why how there here then now also just meanwhile however according mr mrs ms dr""".split())


def names(text: str) -> set[str]:
    """The names an article holds: capitalised phrases (and their longer words) that the text never writes in lower
    case, years and figures of 20 or more, lower-cased. A lone capitalised word that opens a sentence counts only where
    the text capitalises it elsewhere too ("Perennial party girl Tara Reid" names Tara Reid, not "perennial")."""
    return set(mentions(text))


def mentions(text: str) -> Counter:
    """names(text), each with the number of times the text names it."""
    lower = set(re.findall(r"\b[a-z][\w'’\-]+", text))
    phrases = []  # (words, whether the first opens a sentence)
    for m in CAPITALISED.finditer(text):
        words = re.findall(r"\w+", re.sub(r"['’]s\b", "", m.group(1).lower()))
        phrases.append((words, bool(OPENS.search(text[max(0, m.start() - 4):m.start()]))))
    inside = {w for words, opens in phrases if not opens or len(words) > 1 for w in words}
    found = Counter()
    for words, opens in phrases:
        if opens and len(words) == 1 and words[0] not in inside:
            continue
        words = [w for w in words if w not in COMMON and w not in lower]
        if words:
            found.update({" ".join(words), *(w for w in words if len(w) > 2)})
    for m in NUMBER.finditer(text):
        value = m.group(0).replace(",", "")
        if not value.isdigit() or int(value) >= 20:  # "6.1", "2009", "23"; not the small counts every story has
            found[value] += 1
    return found


def signature(title: str, text: str, date: str) -> Signature:
    """What an article's event is decided by, but its vector (ingest adds the first chunk's)."""
    held = mentions(text)  # a headline in Title Case capitalises every word: its names are those the text holds
    opening = " ".join(text[s:e] for s, e in sentences(text)[:LEAD_SENTENCES])
    lead = sorted(names(f"{title}\n{opening}") & held.keys())
    return Signature(sorted(held), lead, day_number(date), counts=[0 if k[0].isdigit() else held[k] for k in lead])


def pack(vector) -> str:
    return base64.b64encode(np.asarray(vector, dtype=np.float16).tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    v = np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32)
    return v / (np.linalg.norm(v) or 1.0)


@cache  # placing an article weighs about 650 names, most of them of a few frequencies
def weight(frequency: int) -> float:
    return math.log(1 + REFERENCE / max(frequency, 1))


class Weighed:
    """A signature's names as a set, with their weight and its lead's under one idf: placing an article scores it with
    up to MAX_CANDIDATES candidates and each candidate with up to as many others, and these were worked out again for
    every pair."""

    __slots__ = ("names", "total", "lead", "lead_total", "protagonist")

    def __init__(self, found: Signature, idf: dict[str, float]):
        self.names = set(found.names)
        self.total = sum(idf.get(k, 0.0) for k in self.names)
        self.lead = found.lead
        self.lead_total = sum(idf.get(k, 0.0) for k in found.lead)
        # The lead names the text names most (several on a tie; none in a signature from before counts).
        most = max(found.counts, default=0)
        self.protagonist = {k for k, n in zip(found.lead, found.counts) if n == most} if most else set()


def score(a: Weighed, b: Weighed, idf: dict[str, float], cosine: float) -> float:
    """How surely two articles report one event: the mean of their openings' cosine (rag.events.cosines) and the
    weighted share of names they hold together (Dice), less MISSING_WEIGHT times the mean share of each one's lead
    names the other lacks, and less CONFLICT_WEIGHT where each one's protagonist is a name the other lacks."""
    na, nb = a.names, b.names
    wa, wb = a.total, b.total
    dice = 2 * sum(idf.get(k, 0.0) for k in na & nb) / (wa + wb) if wa + wb else 0.0

    def missing(lead: list[str], total: float, other: set[str]) -> float:
        return sum(idf.get(k, 0.0) for k in lead if k not in other) / total if total else 0.0

    conflict = bool(a.protagonist and b.protagonist and not a.protagonist & nb and not b.protagonist & na)
    return ((cosine + dice) / 2 - MISSING_WEIGHT * (missing(a.lead, a.lead_total, nb) + missing(b.lead, b.lead_total, na)) / 2
            - CONFLICT_WEIGHT * conflict)


def cosines(found: Signature, others: list[Signature]) -> list[float]:
    """The cosine of found's opening with each of others', in one product (0 where either has no vector)."""
    held = [k for k, o in enumerate(others) if o.vector]
    out = [0.0] * len(others)
    if found.vector and held:
        for k, c in zip(held, (np.stack([unpack(others[k].vector) for k in held]) @ unpack(found.vector)).tolist()):
            out[k] = c
    return out


def place(found: Signature, article_id: str, story_id: str, catalog) -> tuple[str, list[str]]:
    """The event of an article about to be committed: its story's, when a copy of it is stored; else the candidate
    event it scores best with, at SAME_EVENT or more; else one of its own (named by the article's id). With it, the
    candidates that move into that event (rag.events.taken)."""
    if story_id != article_id and (event := catalog.event_of_story(story_id, article_id)):
        return event, []
    own = set(found.names)
    frequency = catalog.name_frequencies(found.names)
    lead = set(found.lead)
    probe = sorted((k for k in own if 0 < frequency.get(k, 0) <= PROBE_MOST), key=lambda k: (k not in lead, frequency[k], k))[:PROBE_KEYS]
    candidates = {other: placed for other, placed in catalog.event_candidates(probe, found.day, LIVE_DAYS, MAX_CANDIDATES + 1).items()
                  if other != article_id}
    # Names only candidates hold weigh in their side of the Dice score: their frequencies are read once, together.
    frequency.update(catalog.name_frequencies(sorted({k for _, theirs in candidates.values() for k in theirs.names} - own)))
    idf = {k: weight(n + (k in own)) for k, n in frequency.items()}
    placed = list(candidates.items())
    signatures = [theirs for _, (_, theirs) in placed]
    weighed = [Weighed(theirs, idf) for theirs in signatures]
    mine = Weighed(found, idf)
    scored = [score(mine, theirs, idf, cosine) for theirs, cosine in zip(weighed, cosines(found, signatures))]
    members = defaultdict(list)
    for (_, (event, _)), s in zip(placed, scored):
        members[event].append(s)
    best = max(members.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0]), default=None)
    event = best[0] if best is not None and sum(best[1]) / len(best[1]) >= SAME_EVENT else article_id
    return event, taken(event, placed, scored, weighed, idf)


def taken(event: str, placed: list[tuple[str, tuple[str, Signature]]], scored: list[float], weighed: list[Weighed],
          idf: dict[str, float]) -> list[str]:
    """The candidates ((article id, (event, signature)), each scored with the new article and Weighed) that move into
    its event: those scoring SAME_EVENT or more with it whose mean score with that event's members among the candidates
    (the new article included) is SAME_EVENT or more and above their mean with their own event's other members there
    (SAME_EVENT where there are none). A move counts in the next candidate's means, as a placement would."""
    events = [e for _, (e, _) in placed]
    if all(s < SAME_EVENT or e == event for s, e in zip(scored, events)):
        return []
    vectors = [unpack(theirs.vector) if theirs.vector else None for _, (_, theirs) in placed]
    pairs: dict[tuple[int, int], float] = {}

    def pair(i: int, j: int) -> float:
        if (i, j) not in pairs:
            cosine = float(vectors[i] @ vectors[j]) if vectors[i] is not None and vectors[j] is not None else 0.0
            pairs[i, j] = pairs[j, i] = score(weighed[i], weighed[j], idf, cosine)
        return pairs[i, j]

    moved = []
    for i, (article_id, _) in enumerate(placed):
        if events[i] == event or scored[i] < SAME_EVENT:
            continue
        joined = [scored[i]] + [pair(i, j) for j, e in enumerate(events) if e == event and j != i]
        left = [pair(i, j) for j, e in enumerate(events) if e == events[i] and j != i]
        there = sum(joined) / len(joined)
        if there >= SAME_EVENT and there > (sum(left) / len(left) if left else SAME_EVENT):
            events[i] = event
            moved.append(article_id)
    return moved


def best_first(date: str, length: int, article_id: str) -> tuple:
    """Sort key of an event's articles: the earliest dated first (undated last), the longest of a day first."""
    return date or "9999", -length, article_id


def event_list(catalog, single: bool = False, since: str | None = None, until: str | None = None) -> list[dict]:
    """The events, most outlets, then most articles, then the most recent first; each with its title (of its earliest
    article, the longest of that day), first and last dates, outlets and articles. since and until (ISO dates) keep
    the events with an article in that window, listed whole; events of one article only with single."""
    groups: dict[str, list] = defaultdict(list)
    for r in catalog.event_rows():
        groups[r["event_id"]].append(r)
    if since or until:
        groups = {e: groups[e] for e in {r["event_id"] for r in catalog.event_rows(since, until)}}
    out = []
    for event_id, rows in groups.items():
        if len(rows) < 2 and not single:
            continue
        rows.sort(key=lambda r: best_first(r["date"], r["length"], r["article_id"]))
        dates = [r["date"][:10] for r in rows if r["date"]]
        out.append({"event": event_id, "title": rows[0]["title"], "first": min(dates, default=""), "last": max(dates, default=""),
                    "outlets": list(dict.fromkeys(r["outlet"] or "unnamed outlet" for r in rows)),
                    "articles": [{"article_id": r["article_id"], "title": r["title"], "outlet": r["outlet"], "date": r["date"],
                                  "url": r["url"], "path": r["source"]} for r in rows]})
    out.sort(key=lambda e: e["last"], reverse=True)
    out.sort(key=lambda e: (len(e["outlets"]), len(e["articles"])), reverse=True)
    return out


def event_count(catalog) -> tuple[int, int]:
    """(events, events of more than one article)."""
    sizes: dict[str, int] = defaultdict(int)
    for r in catalog.event_rows():
        sizes[r["event_id"]] += 1
    return len(sizes), sum(n > 1 for n in sizes.values())
