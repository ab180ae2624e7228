"""Checking what an LLM wrote against the sources before it is shown as cited."""
import re

import numpy as np

from .embed import Embedder
from .text import sentences
from .types import Citation, Passage

# A generated sentence counts as supported when its cosine to the best-matching sentence of a cited source
# reaches SUPPORTED_AT, every number it states appears in that sentence, and every name it states appears in
# the cited passage. Measured on 9 crafted claims against the seed article's passages for the Movie Gen
# question (2026-11-25): claims that restate a source fact scored 0.51-0.71, unrelated claims 0.27-0.41; a
# wrong number ("8000 GPUs") scored 0.53, which only the number rule catches. SmolLM2 wrote "The CEO of
# Baichuan Intelligence is Li Li." (0.6 to a source sentence); only the name rule catches that.
# Contradictions without numbers or names ("Baidu will build ...", 0.68) are not caught.
SUPPORTED_AT = 0.5
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NAME = re.compile(r"(?<![\w'’])[A-Z][a-z][\w-]*")  # Li, Keling; not acronyms (GPUs, CEO), which are mostly common nouns
MARKER = re.compile(r"\s*\[(\d+)\]")


def numbers_match(claim: str, quote: str) -> bool:
    have = {n.replace(",", "") for n in NUMBER.findall(quote)}
    return all(n.replace(",", "") in have for n in NUMBER.findall(claim))


def names_match(claim: str, source: str) -> bool:
    """Every capitalised word of the claim but its opening word occurs in the source: a model's invented person
    or company resembles the real sentence closely enough to pass on similarity alone."""
    have = set(re.findall(r"[\w-]+", source.lower()))
    names = [m[0].lower() for m in NAME.finditer(claim.lstrip("\"“ ")) if m.start() > 0 and len(m[0]) > 1]
    return all(n in have or n.removesuffix("s") in have for n in names)


def cite(n: int, p: Passage, quote: str, qs: int, qe: int) -> Citation:
    """Citation n: the passage p, with the supporting sentence `quote` at article offsets qs..qe."""
    m = p.meta
    return Citation(n=n, title=m["title"], outlet=m["outlet"], author=m["author"], date=m["date"], url=m["url"],
                    path=m["source"], passage=p.text, quote=quote, article_id=p.article_id, start=p.start, end=p.end,
                    quote_start=qs, quote_end=qe)


def check(text: str, passages: list[Passage], articles: dict, embedder: Embedder) -> tuple[str, list[Citation]]:
    """Keep only sentences a source supports, each followed by the marker of the source that supports it;
    markers naming no source are dropped; sources are renumbered in order of first use."""
    claims = []
    for s, e in sentences(text):
        raw = text[s:e]
        named = [int(n) - 1 for n in MARKER.findall(raw) if 0 < int(n) <= len(passages)]
        claim = MARKER.sub("", raw).strip()
        if len(re.findall(r"\w+", claim)) >= 2:
            claims.append((claim, named))
    if not claims or not passages:
        return "", []
    source_sentences = []  # (passage index, start, end) in article offsets
    for i, p in enumerate(passages):
        source_sentences += [(i, p.start + s, p.start + e) for s, e in sentences(p.text)]
    quotes = [articles[passages[i].article_id]["text"][s:e] for i, s, e in source_sentences]
    vecs = np.array(embedder.embed([c for c, _ in claims] + quotes))
    sims = vecs[:len(claims)] @ vecs[len(claims):].T

    numbering: dict[int, Citation] = {}
    kept = []
    for k, (claim, named) in enumerate(claims):
        # A claim is checked against the sources it names; one that names none may be supported by any source.
        allowed = [j for j, (i, _, _) in enumerate(source_sentences) if not named or i in named]
        j = max(allowed, key=lambda j: sims[k, j]) if allowed else None
        if j is None or sims[k, j] < SUPPORTED_AT or not numbers_match(claim, quotes[j]):
            continue
        i, qs, qe = source_sentences[j]
        m = passages[i].meta
        if not names_match(claim, " ".join([passages[i].text, m["title"], m["outlet"], m["author"]])):
            continue
        if i not in numbering:
            numbering[i] = cite(len(numbering) + 1, passages[i], quotes[j], qs, qe)
        kept.append(f"{claim} [{numbering[i].n}]")
    return " ".join(kept), list(numbering.values())
