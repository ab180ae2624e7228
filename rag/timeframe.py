"""The time a question asks about: a date range, and whether it wants the newest state of things.

Regexes find the date phrases and the words around them (since, before, between ... and, as of);
dateparser turns a located calendar phrase ("June 3, 2024", "March", "2023") into a date and its
granularity; relative phrases ("last week", "3 days ago") are plain arithmetic on `today`.

Deliberately not handled, to keep false positives down: numeric dates other than ISO (6/3/2024 is
ambiguous), decades ("the 1990s"), seasons, and abbreviated weekdays ("sat" is a verb).
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache


@dataclass
class Timeframe:
    since: str | None  # ISO date YYYY-MM-DD, inclusive
    until: str | None  # ISO date, inclusive
    latest: bool  # the question wants the newest state of things
    phrase: str  # the words of the question that said it; several pieces are joined with ", "


_MONTH = (r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?\.?|july?\.?|"
          r"aug(?:ust|\.)?|sep(?:t(?:ember)?)?\.?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"
# A number reads as a year only in 1900-2099, and not when it counts something: "2000 troops",
# "$2024", "2024 units", "2030%". The noun list is short on purpose; it covers the counts news
# questions ask about, and a year before any other word is still a year ("the 2024 election").
_COUNTED = (r"people|persons|residents|troops|soldiers|police|officers|units|dollars|euros|pounds|yuan|yen|"
            r"rupees|workers|employees|jobs|staff|homes|houses|buildings|cars|vehicles|votes|tons|tonnes|"
            r"barrels|shares|points|miles|km|kilometres|kilometers|metres|meters|feet|acres|hectares|deaths|"
            r"cases|patients|students|users|customers|members|protesters|refugees|migrants|visitors|fans|"
            r"passengers|copies|times|words|pages|calories|megawatts|mw|gallons|litres|liters|kg|lbs")
_YEAR = rf"(?<![\w$€£#.,])(?:19|20)\d\d(?![\w%]|[.,]\d|\s+(?:{_COUNTED})\b)"
_N = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?:day|week|month|year)s?"

# One date phrase. Named groups say which kind; the order puts longer forms first.
_DATE = re.compile(rf"""\b(?:
    (?P<iso>(?:19|20)\d\d-\d\d?-\d\d?)(?![\d-])
  | (?P<dmy>(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?)
  | (?P<mdy>(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?)
  | (?P<my>{_MONTH},?\s+{_YEAR})
  | (?P<rolling>the\s+(?:past|last)\s+(?:{_N}\s+)?{_UNIT}|(?:past|last)\s+{_N}\s+{_UNIT})
  | (?P<ago>{_N}\s+{_UNIT}\s+ago)
  | (?P<calendar>(?:this|last)\s+(?:week|month|year)|today|yesterday)
  | (?P<month>{_MONTH})
  | (?P<year>{_YEAR})
  | (?P<weekday>{_WEEKDAY})
)(?![\w-])""", re.I | re.X)

# Month names that are also ordinary words or names (the modal "may", "the March on Washington",
# "June Carter"), abbreviations ("Jan") and weekdays ("Black Friday") count alone only after one
# of _STRONG_OPS ("in May", "since march", "on Friday") or inside a range ("between May and June").
_WEAK_MONTH = re.compile(r"march|may|april|june|august|\w{3}\.?|\w{3}t\.?", re.I)
_MONTH_WORD = re.compile(rf"(?<!\w){_MONTH}(?!\w)", re.I)
_YEAR_AT_END = re.compile(r"\d{4}$")
_STRONG_OPS = {"in", "since", "before", "after", "until", "till", "through", "during", "as of",
               "early", "late", "mid", "on", "last"}

_OP_BEFORE = re.compile(r"\b(as\s+of|since|after|before|until|till|through|by|in|on|during|from|between|"
                        r"to|and|over|of|early|late|mid|last)[\s-]+"
                        r"(?:the\s+(?P<part>start|beginning|end)\s+of\s+)?$", re.I)
_RANGE_JOIN = re.compile(r"\s*(?:and|to|until|till|through|-|–)\s*$", re.I)

_LATEST = re.compile(r"\b(?:latest|most\s+recent(?:ly)?|newest|current(?:ly)?(?!\s+accounts?\b)|now|so\s+far|still)\b",
                     re.I)

# Every phrase above contains one of these words or a year-like number. A question without any
# (the common case) skips the regexes and dateparser; a set lookup of its words is about five
# times faster than one regex with all these alternatives.
_TIME_WORDS = frozenset("""
    jan january feb february mar march apr april may jun june jul july aug august sep sept september
    oct october nov november dec december monday tuesday wednesday thursday friday saturday sunday
    day days week weeks month months year years today yesterday latest recent newest current currently
    now far still""".split())
_WORDS = re.compile(r"[a-z]+")
_YEARISH = re.compile(r"(?:19|20)\d\d")

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


def read_timeframe(question: str, today: date) -> Timeframe | None:
    """The time `question` asks about, resolved against `today`; None when it names no time."""
    if _TIME_WORDS.isdisjoint(_WORDS.findall(question.lower())) and not _YEARISH.search(question):
        return None
    pieces = []  # (start, end) of each phrase that counted, for `phrase`
    latest = False
    for m in _LATEST.finditer(question):
        latest = True
        pieces.append((m.start(), m.end()))

    found = []  # (date phrase, the word before it, where that word starts, "start"/"end" of it)
    for m in _DATE.finditer(question):
        op = _OP_BEFORE.search(question, 0, m.start())
        found.append((m, re.sub(r"\s+", " ", op.group(1).lower()) if op else None,
                      op.start() if op else m.start(), op and op.group("part")))

    pinned, since, until = [], [], []
    i = 0
    while i < len(found):
        m, word, at, part = found[i]
        nxt = found[i + 1] if i + 1 < len(found) else None
        i += 1
        if word in ("between", "from") and nxt and _RANGE_JOIN.fullmatch(question, m.end(), nxt[0].start()):
            i += 1
            first, last = _span(m, today), _span(nxt[0], today)
            if first and last:
                since.append(first[0])
                until.append(last[1])
                pieces.append((at, nxt[0].end()))
            continue
        # Checked before _span, so that a modal "may" never costs a dateparser call.
        if _is_weak(m) and word not in _STRONG_OPS:
            continue
        span = _span(m, today)
        if span is None:
            continue
        start, end = span
        if part:  # "since the end of 2023"
            start = end = end if part == "end" else start
        if word == "last" and m.lastgroup == "month" and start <= today <= end:
            start, end = _unit_around(_back(start, 1, "year"), "month")  # "last June", asked in June
        if word == "since":
            since.append(start)
        elif word == "after":
            since.append(end + timedelta(days=1))
        elif word == "before":
            until.append(start - timedelta(days=1))
        elif word in ("until", "till", "through", "by"):
            until.append(end)
        elif word == "as of":
            until.append(end)
            latest = True
        else:
            pinned.append((start, end))
        pieces.append((m.start() if word in (None, "and", "to", "of", "from") else at, m.end()))

    if not pieces:
        return None
    # Several pinned phrases mean any of them ("in May or June"); the bounds narrow that.
    if pinned:
        since.append(min(s for s, _ in pinned))
        until.append(max(e for _, e in pinned))
    phrase = ", ".join(question[a:b] for a, b in sorted(set(pieces)))
    return Timeframe(since=max(since).isoformat() if since else None,
                     until=min(until).isoformat() if until else None,
                     latest=latest, phrase=phrase)


def _is_weak(m: re.Match) -> bool:
    """Whether the phrase might be an ordinary word, so that it needs a word like "in" before it."""
    kind = m.lastgroup
    if kind == "weekday":
        return True
    if kind == "month":
        return bool(_WEAK_MONTH.fullmatch(m.group(0)))
    # "march 5 miles", "those 5 may leave": a yearless day with a lowercase weak month.
    if kind in ("mdy", "dmy") and not _YEAR_AT_END.search(m.group(0)):
        month = _MONTH_WORD.search(m.group(0)).group(0)
        return month.islower() and bool(_WEAK_MONTH.fullmatch(month))
    return False


def _span(m: re.Match, today: date) -> tuple[date, date] | None:
    """The first and last day a date phrase covers, or None when it is no real date."""
    kind, text = m.lastgroup, m.group(0).lower()
    if kind == "calendar":
        return _calendar(text, today)
    if kind in ("rolling", "ago"):
        words = text.split()
        n = 1
        for w in words:
            if w.isdigit() or w in _NUMBERS:
                n = int(w) if w.isdigit() else _NUMBERS[w]
        unit = next(w for w in words if w.startswith(("day", "week", "month", "year"))).rstrip("s")
        back = _back(today, n, unit)
        if kind == "rolling":
            return back, today
        # "3 weeks ago" is the calendar unit it falls in, like "last week" is one week ago.
        return _unit_around(back, unit)
    found = _parser(today).get_date_data(m.group(0))
    if found.date_obj is None:
        return None
    d = found.date_obj.date()
    if found.period == "year":
        return date(d.year, 1, 1), date(d.year, 12, 31)
    if found.period == "month":
        return _unit_around(d, "month")
    return d, d


def _calendar(text: str, today: date) -> tuple[date, date]:
    if text == "today":
        return today, today
    if text == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    which, unit = text.split()
    if which == "this":
        start, _ = _unit_around(today, unit)
        return start, today
    return _unit_around(_back(today, 1, unit), unit)


def _back(day: date, n: int, unit: str) -> date:
    if unit == "day":
        return day - timedelta(days=n)
    if unit == "week":
        return day - timedelta(weeks=n)
    months = n * (12 if unit == "year" else 1)
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _unit_around(day: date, unit: str) -> tuple[date, date]:
    if unit == "day":
        return day, day
    if unit == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if unit == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return date(day.year, 1, 1), date(day.year, 12, 31)


@lru_cache(maxsize=4)
def _parser(today: date):
    # Imported here: loading dateparser's language data takes a few hundred ms, and most
    # questions never need it.
    from dateparser.date import DateDataParser
    # 'past': a bare "June" or "June 25" is the most recent one not after today.
    return DateDataParser(languages=["en"], settings={
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
    })


def without_time(question: str, when: Timeframe | None) -> str:
    """The question less the words that said when ("latest", "in June 2024"): what it asks about, for matching text."""
    if when is None:
        return question
    for piece in [when.phrase] if when.phrase.lower() in question.lower() else when.phrase.split(", "):
        question = re.sub(rf"(?<!\w){re.escape(piece)}(?!\w)", " ", question, count=1, flags=re.I)
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", question)).strip()
