"""Sentences: the unit of chunking, of extractive answers and of citation checks."""
import re

from .lexical import STEMMER
from .types import Passage

ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "inc", "ltd",
                 "co", "corp", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                 # titles before a name: "Rep. Ilhan Omar", "Gov. Kristi Noem", "Lt. Col. Smith" (not "Gen.", which
                 # ends "Meta Movie Gen." as often as it opens a general's name)
                 "rep", "reps", "sen", "sens", "gov", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "rev", "hon",
                 "pres", "supt", "det", "insp", "cpl", "pvt", "atty"}
# A sentence ends at . ! ? … (plus closing quotes or brackets) before whitespace, at CJK end punctuation, or at a newline.
BOUNDARY = re.compile(r"""([.!?…]+["'”’)\]]*)(?=\s)|([。！？]+[”’」』）]*)|(\n)""")


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of text, whitespace trimmed."""
    spans, start = [], 0
    for m in BOUNDARY.finditer(text):
        if m.group(1):
            word = text[:m.start()].rsplit(None, 1)[-1].lower() if text[:m.start()].strip() else ""
            # "Dr. Li" or "J. Smith" do not end a sentence.
            if m.group(1) == "." and (word.strip("(\"'“") in ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
                continue
            # No sentence opens in lower case: "6:30 a.m. the following morning", "the “Meth. We’re on it.” awareness
            # campaign" go on (a brand such as "iPhone" after a stop is rarer than these).
            if re.match(r"\s+[a-z]", text[m.end():m.end() + 2]) or in_slogan(text, start, m.end()):
                continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


OPENING = re.compile(r"(?:(?<=\s)|^)['‘“\"](?=\w)")
CLOSING = re.compile(r"(?<=[\w.!?,])['’”\"](?=[\s,.;:!?)]|$)")


def in_slogan(text: str, start: int, end: int) -> bool:
    """Whether a full stop at `end` falls inside a short quotation that closes soon after: a slogan ("South Dakota
    says, 'Meth. We're on it.'"), which is one sentence with the one around it."""
    opened = [o for o in OPENING.finditer(text, start, end)]
    if not opened:
        return False
    o = opened[-1].start()
    if CLOSING.search(text, o + 1, end - 1):
        return False  # the quotation closed before this stop
    close = CLOSING.search(text, end, min(len(text), end + 80))
    return close is not None and len(text[o:close.end()].split()) <= 8


STOPWORDS = set("""a an the of in on at to for from by with and or but is are was were be been being do does did has have had
what which who whom whose when where why how many much this that these those it its they them their he she his her
i you we our your not no as into about than then there here can could would should will may might also according
""".split())
QUOTE_THEN_SPEAKER = re.compile(r"\b(said|says|told|according|added|stated|explained)\b", re.I)


def words(text: str) -> set[str]:
    """Content-word stems, for term overlap between a question and a sentence."""
    return set(STEMMER.stemWords([w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]))


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
