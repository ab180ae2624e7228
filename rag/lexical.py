"""The keyword side of retrieval: BM25 over every live chunk (headline + passage), kept in the manifest database and
written in the same transaction as the article it indexes, so it is never behind and never rebuilt."""
import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

STEMMER = Stemmer.Stemmer("english")
STOPWORDS = frozenset(STOPWORDS_EN)
# 3: the index moved from a bm25s folder rebuilt after every change into the manifest (SQLite FTS5 / PostgreSQL
# full-text search), fed the same terms. Each chunk is indexed with its article's title, as the model embeds it: on
# the 274 natural Wikipedia questions (benchmarks/retrieval.py) BM25 alone went from hit@1 0.449 to 0.540 with it.
FORMAT = "3"


WORD = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return STEMMER.stemWord(word)


def terms(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed words of two letters or more, without English stopwords: what is indexed and what is
    looked up (bm25s's tokenizer and stopwords, without its per-call vocabulary building, which cost a third of a
    bulk load)."""
    return [[stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS] for text in texts]


def chunk_terms(title: str, text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Each chunk's indexed text: its terms, space-separated."""
    return [" ".join(t) for t in terms([f"{title}\n{text[s:e]}" for s, e in spans])] if spans else []


TITLE_STOPWORDS = set("a an the of in on at to for from by and or is are was were it its s".split())
MAX_NAME_WORDS = 12  # longest title looked up as a phrase of the question


def title_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def title_key(title: str) -> str:
    """A title as a phrase to find in questions: lower case, words only, without a trailing "(disambiguation)";
    empty for titles of stopwords only ("It", "The The"), which would match every question."""
    key = " ".join(title_words(re.sub(r"\s*\([^)]*\)\s*$", "", title)))
    return "" if set(key.split()) <= TITLE_STOPWORDS else key


def title_phrases(query: str, whole: bool) -> list[str]:
    """The phrases of query that could be a title it names; with whole, only the query itself (but for stopwords):
    a bare name."""
    words = title_words(query)
    if whole:
        return [" ".join(w for w in words if w not in TITLE_STOPWORDS)]
    return list(dict.fromkeys(" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + MAX_NAME_WORDS) + 1)))
