"""Outlet boilerplate: a sentence an outlet prints under many different stories ("The Times is committed to publishing
a diversity of letters to the editor.", a company's "About" paragraph under each of its press releases) is page
furniture, however it is worded.

It is decided from what is stored, never by scanning the store: the manifest keeps each live article's sentences as
keys of (outlet, sentence) with the story the article was placed in, written in the article's own commit; a sentence
is boilerplate once BOILERPLATE_STORIES stories of its outlet hold it (indexed lookups of an article's own keys, so the
cost per article stays flat as the store grows). The articles stored before a sentence was known to recur are marked
in the same commit and cleaned by the end of that ingest (or by the next one, or `check --repair`)."""
import hashlib
import re

from .text import sentences

# Three: two stories may share a sentence by chance (a quote, a background line repeated in a follow-up); three
# different stories of one outlet repeating a sentence word for word is a template. Stories, not articles, are counted
# (rag/stories.py): the updates of one developing story repeat most of their sentences, and those are news.
BOILERPLATE_STORIES = 3
MIN_WORDS = 6  # shorter sentences ("He declined to comment.") recur by themselves in any outlet
# Changing how keys are made (normal, MIN_WORDS) orphans the counts already stored: sentences then have to recur anew.


def normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def sentence_key(outlet: str, sentence: str) -> int:
    """A signed 64-bit key for a sentence of an outlet (BIGINT on both databases)."""
    digest = hashlib.blake2b(f"{normal(outlet)}\x00{normal(sentence)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def keyed_sentences(outlet: str, text: str) -> list[tuple[int, int, int]]:
    """(start, end, key) of each sentence of text long enough to count as an outlet's repeated sentence; none when the
    outlet is unknown (articles of unnamed outlets have nothing in common)."""
    if not normal(outlet):
        return []
    out, start = [], 0
    for line in text.split("\n"):
        for a, b in sentences(line):
            if len(normal(line[a:b]).split()) >= MIN_WORDS:
                out.append((start + a, start + b, sentence_key(outlet, line[a:b])))
        start += len(line) + 1
    return out


def sentence_keys(outlet: str, text: str) -> list[int]:
    return list(dict.fromkeys(k for _, _, k in keyed_sentences(outlet, text)))
