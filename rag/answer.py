"""Answering: the query engine (retriever + postprocessors + answerer), extractive by default."""
import re
from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError
from .retrieve import Library
from .citations import NAME, also, cite, quote_more
from .instructions import is_instruction, statements
from .text import STOPWORDS, words
from .entities import entities, past_tense, plain
from .questions import ATTRIBUTE_SIMILAR, FOCUS_SIMILAR, INFORMATIVE, NUMBERS, PLACE_NOUNS, TIMES, UNKNOWN, Asked, beside, counts_another, coverage, plural_head, full_names, holds, names_held, new_entities, proximity, question_nouns, singular, speaks_of, unasked
from .questions import subject as named_in_question
from .questions import read as read_question
from .timeframe import read_timeframe, without_time
from .types import Answer, Citation, Passage

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")  # invisible or bidi-flipping
MAX_QUESTION_CHARS = 2000  # a question is a sentence or two; beyond this it is a paste, not a question

# Calibrated with `python -m newsdesk.benchmarks.calibrate` on tests/data/seed_qa.jsonl (2026-11-25): the best sentence
# cosine was at least 0.51 for all 35 answerable questions and at most 0.34 for the 7 unanswerable ones;
# the threshold sits in the middle of that gap.
ABSTAIN_BELOW = 0.42
SAME_SUBJECT_MARGIN = 0.15  # articles whose best sentence is this close to the best article's are about the same thing
KEEP_WITHIN = 0.10  # further sentences must score within this of the best one
MAX_SENTENCES = 3
LOOKUP_SENTENCES = 2  # at most, for a lookup that asks for a kind of name or figure ("who", "how many"): the best two
# A sentence answering a lookup must be about what the question names: at least this share of its names and figures
# in the sentence, its neighbours or its headline ("the capital of Australia" is not answered from an article about the
# Washington Capitals, however well "capital" matches).
ABOUT_AT_LEAST = 0.6
# For a sentence using the noun that names what is asked for ("Interior Minister Wolfgang Peschorn"), or the attribute
# asked about ("what discount"), or a word close to it: a bonus, not a condition, since a single word's embedding is
# a poor judge of what else means it (technique~technical 0.33, price~priced 0.90).
NOUN_BONUS = 0.1
ANSWER_SHORTLIST = 60
RESTATES = 1  # words of its own that a sentence restating the question may add ("always")
NEGATIONS = set("not never wasn isn aren weren don doesn didn won hasn haven hadn couldn wouldn shouldn".split())
# A broad answer's sentences score up to INFO_WEIGHT more for the names and figures they add (INFO_AT_MOST of them
# count): on the news development set's broad questions the digests restated one lead three ways.
INFO_WEIGHT = 0.15
INFO_AT_MOST = 3  # sentences looked at for what a lookup asks for (2.4 ms each the first time, remembered after)
# News puts what happened first: a broad answer's sentences in an article's lead (its opening LEAD_CHARS, about two
# sentences) score LEAD_WEIGHT more. On the news development set broad key-fact recall rose 0.44 -> 0.47 with a
# weight of 0.05 or 0.1 (0.45 at 0.2), the same for any length from 250 to 800 characters (measured before the
# sentences a picked one leans on counted towards its words).
LEAD_WEIGHT = 0.1
CAUSE_WEIGHT = 0.1  # as much as a lead sentence or the wanted answer type
CAUSE = re.compile(r"\b(?:because|due to|caused? by|causes?|causing|blamed? on|blames?|results? (?:of|from)|resulted from|as a "
                   r"result|driven by|fuel(?:s|ed|led)|contribut\w+|stems? from|stemmed from|owing to|leads? to|led to|"
                   r"the reason|reasons?|why|so that|in order to|prompt(?:s|ed)|trigger(?:s|ed))\b", re.I)
LEAD_CHARS = 400
# Embedding the candidate sentences was 90 % of an extractive answer's time (18 sentences, ~270 ms fp32 at the
# median on 2 AVX2 cores). Only the sentences that rank best on the cheap signals (their passage's cosine, term
# overlap, answer type) are embedded; see benchmarks/shortlist.py for how many were needed.
SHORTLIST = 10
OVERLAP_WEIGHT = 0.3
# The words around an answer in a sentence count like the words of the whole sentence (OVERLAP_WEIGHT): a sentence
# naming the answer beside the question's words is likelier to give it than one naming it among other things.
PROXIMITY_WEIGHT = OVERLAP_WEIGHT
SIDE_SHORTLIST = 4  # further sentences embedded per side of a comparison, the best on that side's terms
# A sentence is read in its article's context: it scores this share of how far its article's best passage ranks
# below the best one (fused retrieval score). In tests/test_retrieve.py six city articles alike but for the name
# hold the same "chose the X as its symbol flower" sentence; the article the question names ranks 0.52 to 0.69 above
# the rest, so 0.3 puts their sentences 0.15 or more below (past KEEP_WITHIN), where the sentences' own scores were
# within 0.10 and Incheon's "rose" scored best for Daegu. Within one article it changes nothing.
ARTICLE_WEIGHT = 0.3

BYLINE = re.compile(r"^\s*who (wrote|authored|reported|edited)\b|\b(author|byline)\b", re.I)
# What kind of answer a question wants, and what a sentence that holds one looks like.
ANSWER_TYPES = [
    (re.compile(r"^\s*(when|what (year|month|day|date|time))\b", re.I),
     re.compile(r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|ago)\b", re.I)),
    (re.compile(r"^\s*how (many|much|big|large|long|old|often|fast)\b|\bwhat (share|percentage|number|proportion)\b", re.I), re.compile(r"\d")),
    (re.compile(r"^\s*why\b", re.I), re.compile(r"\b(because|reason|due to|so that|in order to|since|therefore|as a result|means|"
                                                r"motivation|intended to|lies in|after all)\b", re.I)),
    (BYLINE, re.compile(r"\b(author|written by|wrote|reported by|edited by)\b", re.I)),
    (re.compile(r"\bthe name\b|\bcalled\b|\bnamed\b", re.I), re.compile(r'["“「][A-Z\u4e00-\u9fff][^"”」]{0,40}["”」]')),
]
TYPE_BONUS = 0.1
CONTINUATION = re.compile(r"(the reason|this|that|these|those|it|they|he|she|because|as a result|therefore|however|but|"
                          r"for example|for instance)\b", re.I)
CONTINUATION_SHARE = 0.8


@dataclass(frozen=True)
class Kind:
    """What a kind of question wants quoted: at most `sentences` sentences and about `words` words, each further one
    scoring within `keep_within` of the best, marked down by `novelty` times its embedding similarity to the closest
    one already taken (maximal marginal relevance), and up by `cover` times the share of the question's names it
    adds. `carry`: share of a sentence's score the next one inherits (the support that follows a claim). `wider`:
    how many times a lookup's passages it reads. `named`: only sentences naming the subject (or continuing one that
    does) are about it."""
    name: str
    sentences: int = 6
    words: int = 120
    keep_within: float = 0.25
    novelty: float = 0.5
    cover: float = 0.0
    carry: float = 0.0
    wider: int = 2
    named: bool = False


# A lookup (who, when, how many) is answered as before the kinds existed: the best 1-3 sentences by score.
# Broad kinds were set on tests/data/broad_qa.jsonl (50 questions, 2026-11-26): 6 sentences and 120 words hold a
# digest (mean 89 words); reading twice the passages lifted fact recall from 0.43 to 0.62 with the selection below;
# an explanation's window of 0.25 beat 0.35 (0.70 against 0.67 on its 13 questions); sentences naming the subject of
# an overview or comparison are kept within 0.5 of the best, as the second side of "Compare Runway and Pika" scored
# 0.42 below the sentence naming both. novelty 0.5 and cover 0.3 were set by reading answers, not tuned.
LOOKUP = Kind("lookup", MAX_SENTENCES, 120, KEEP_WITHIN, novelty=0.0, wider=1)
OVERVIEW = Kind("overview", keep_within=0.5, cover=0.3, named=True)
# First match wins. Comparison comes first ("how does A differ from B" also opens like an explanation),
# and overview before list ("what do we know about" is not a list).
KINDS = [
    (re.compile(r"^\s*(compare|contrast)\b|^\s*how (do|does|did|is|are|was|were)\b.*\b(differ|compare|contrast)|"
                r"\bdifferences? between\b|\s(vs\.?|versus)\s", re.I), Kind("comparison", keep_within=0.5, cover=0.3, named=True)),
    (re.compile(r"^\s*(what do (we|you) know|tell me|(give me )?((an?|the) )?(overview|summary|rundown|background|lowdown|update)|summari[sz]e|"
                # how people ask a news desk for a story: "catch me up on", "any news on", "what's the deal with" ...
                r"(catch|fill) me (up|in)|bring me up to speed|update me|any (news|updates?|word)\b|what should (i|we) know|"
                r"what('s|’s| is| was) (the (deal|background|backstory|situation|update)|behind|holding up)\b|what came (out )?of\b|"
                r"what('s| is) (known|new|the (story|latest|news)|going on|up)\b)|\bbeen (doing|up to)\b|"
                # News questions whose answer is what was found, said or agreed, or where a story stands: a digest.
                r"^\s*what (did|does|do|will|would|has|have|had) .+ (find|found|say|said|tell|told|announce|agree|conclude|decide|reveal|"
                r"discover|report|involve|mean|propose|plan|promise|demand|offer|show|shown|learn|learned|decided|agreed|announced|"
                r"concluded|revealed|discovered|reported|proposed|planned|promised|demanded|offered)\b|"
                r"^\s*what (is|are) (happening|changing)\b|^\s*what went (wrong|right)\b|"
                # ... what the dispute, the row, the outcome was: an account of it ...
                r"^\s*what(’s|'s| is| was| are| were) the (dispute|row|controversy|fuss|debate|fight|feud|clash|problem|trouble|"
                r"issue|outcome|result|reaction|response|fallout|impact|verdict|ruling|findings?|situation|status|state of play)\b|"
                # ... and a claim checked: what is true of it.
                r"^\s*(is|are|was|were) there (any )?truth\b|^\s*(is|was) it (really )?true\b|^\s*(is|are|was|were|did|does|do|has|have) .+ really\b|"
                r"^\s*how (accurate|true|correct|right|misleading|false)\b|"
                r"^\s*where (does|do|did) .+ stand\b|^\s*what('s|’s| has| have)? happen(ed|ing)\b|^\s*what (was|were|is|are) .+ about\W*$|"
                r"^(?!\s*(who|what|when|where|why|how|which|is|are|was|were|do|does|did|can|could|should|will)\b)"
                r"\W*[\w'’.-]+(\s+[\w'’.-]+){0,4}\W*$", re.I), OVERVIEW),
    (re.compile(r"^\s*(why|how (do|does|did|is|are|was|were|can|could|has|have|had|will|would)|explain|"
                r"what (are|were) the (reasons?|causes?))\b", re.I), Kind("explanation", carry=CONTINUATION_SHARE)),
    # "Which companies", "what two products", "what are the", "who are": a plural among the first words after which/what
    # that is not a verb with an object ("which company makes the ...").
    (re.compile(r"^\s*(list|name)\b|^\s*(who|which|what) (are|were)\b|^\s*(which|what)\s+((?!(is|are|was|were|do|does|did|has|have|had|of)\b)"
                r"[\w'’-]+\s+){0,3}(?!(does|has|was|this|thus)\b)[\w-]{2,}[a-z](?<!ss|us|is)s\b(?!\s+(the|a|an|its|their|this|that|these|those)\b)", re.I),
     Kind("list")),
]
TWO_QUESTIONS = re.compile(r"\w.*\band (how|why|what|who|whom|where|when|which)\b", re.I)
# The words that frame a broad question rather than name its subject; they would count as terms to find.
FRAME = re.compile(r"\b(compare|contrast|differ\w*|difference|between|versus|vs|know|tell|give|list|name|overview|summary|"
                   r"rundown|background|summari[sz]e|story|latest|news|going on|explain|reasons?|causes?|articles?|mention\w*)\b", re.I)
# The two sides of a comparison: "compare A and B", "how do A and B differ", "how does A differ from B",
# "the difference between A and B", "A vs B".
SIDES = [re.compile(p, re.I) for p in (
    r"^\s*(?:compare|contrast)\s+(?P<a>.+?)\s+(?:and|with|to|against|vs\.?|versus)\s+(?P<b>.+?)\W*$",
    r"^\s*how (?:do|does|did|is|are|was|were)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+(?:differ|compare|contrast)",
    r"^\s*how (?:do|does|did|is|are|was|were)\s+(?P<a>.+?)\s+(?:differ|compare|contrast)\w*\s+(?:from|with|to|against)\s+(?P<b>.+?)\W*$",
    r"\bdifferences?\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\W*$",
    r"^\W*(?P<a>.+?)\s+(?:vs\.?|versus)\s+(?P<b>.+?)\W*$")]
MORE = re.compile(r"\b(in detail|detailed|in depth|everything|all you know|full)\b", re.I)  # asks for a longer answer


def classify(question: str) -> Kind:
    kind = next((k for pattern, k in KINDS if pattern.search(question)), LOOKUP)
    # The list pattern sees a plural among the first words; "Which Nissan North America sales executive was quoted"
    # and "which Goddard scientist said researchers ..." ask for one: the phrase's head noun tells.
    if kind.name == "list" and not re.match(r"\s*(?:list|name|(?:who|which|what) (?:are|were))\b", question, re.I) and plural_head(question) is False:
        kind = LOOKUP
    # "What is feather duvet lung and how was the patient treated?" asks two things: an overview holds both.
    if kind is LOOKUP and TWO_QUESTIONS.search(question):
        kind = OVERVIEW
    return replace(kind, sentences=kind.sentences * 2, words=kind.words * 2) if MORE.search(question) else kind


def sides(question: str) -> list[set[str]]:
    """The terms (content-word stems) of each side of a comparison, [] when it has no two sides: a side's names
    where it has some ("Baichuan's approaches to video generation" is about Baichuan), else its words; words both
    sides share are the comparison's context, not a side."""
    m = next((m for p in SIDES if (m := p.search(question))), None)
    if not m:
        return []
    out = [words(" ".join(names(side))) or words(FRAME.sub(" ", side)) for side in (m["a"], m["b"])]
    out = [out[0] - out[1], out[1] - out[0]]
    return out if all(out) else []


def tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def names(text: str) -> set[str]:
    """The words of the names in a question's subject, lower-cased: capitalised words (not acronyms such as AI or
    CEO, which are mostly common nouns), less question words."""
    return {w for m in NAME.finditer(text) for w in re.findall(r"\w+", m[0].lower())} - STOPWORDS


# Sentences never quoted: they state nothing a reader can take as an answer.
CAPTION = re.compile(r"^\s*([△▲▼◆■]|(source|photo|image|illustration|picture|credit|caption)s?\s*[:：])", re.I)
AUXILIARY = set("is are was were be been being has have had do does did will would can could may might must shall should".split())
DETERMINER = set("the a an this that these those its their his her our my your".split())


PARTICLES = {"de", "da", "di", "du", "van", "von", "der", "al", "el", "la", "le", "bin", "ibn", "ben", "dos", "das"}


def torn(text: str) -> bool:
    """A sentence cut from its start ("the following morning, when the officers ...", a chunk or a list item begun
    mid-sentence) opens with a word in lower case; a brand ("iPhone", "my6sense") or a name's particle ("de Blasio")
    does not count. A dateline or heading in capitals alone ("SIOUX FALLS, S.D.") states nothing either."""
    # (markup before the words, as a Markdown file may hold, is not a word: "<img ...> Tickets cost four euros.")
    if not re.search(r"[a-z]", text) and re.search(r"[A-Z]", text):
        return True
    first = re.match(r"(?:<[^>]*>|[\W_])*([^\W\d_][\w'’-]*)(?:\s+(\w))?", text)
    if not first or not first[1][0].islower() or not first[1].islower() or re.search(r"\d", first[1]):
        return False
    return not (first[1] in PARTICLES and first[2] and first[2][0].isupper())


PROSE_WORDS = 16  # a line this long without a full stop is prose that lost it, not a heading (3 to 14 words)
LINK = re.compile(r"https?://|www\.|\w\.(com|net|org)/|@\w", re.I)


def quotable(text: str, title: str = "") -> bool:
    """Not a question, heading, caption or credit line, nor an instruction to the reader or the model (the timeline
    reads units, not statements), nor a fragment that states nothing: under 4 words, ending with a colon that
    introduces what follows, or with neither a number nor a verb ("For example, the recently released X.")."""
    bare = text.rstrip("\"'”’」』）)] ")
    if bare.endswith(("?", "？", ":", "：")) or text.startswith("#") or CAPTION.match(text) or is_instruction(text) or torn(text):
        return False
    raw = re.findall(r"[\w'’-]+", text)
    ws = [t.lower() for t in raw]
    # A line of prose may have lost its full stop ("Chelsea have this morning paid the £71.6million fee ... of Athletic
    # Bilbao keeper Kepa Arrizabalaga"); a heading is shorter or capitalises most of its words, and neither the
    # headline at the top of the text nor an embedded post with its link is prose.
    ended = bare.endswith((".", "!", "。", "！", "…", ";")) or (
        len(ws) >= PROSE_WORDS and 2 * sum(t[0].isupper() for t in raw) < len(raw)
        and " ".join(text.split()) != " ".join(title.split()) and not LINK.search(text))
    if len(ws) < 4 or not ended:
        return False
    if any(ch.isdigit() for ch in text):
        return True
    # A verb: an auxiliary, or a word ending in -ed or -s that no determiner (the, its, "the recently") qualifies.
    for i, t in enumerate(ws):
        before = ws[max(0, i - 2):i]
        if t in AUXILIARY or (re.search(r"[a-z](ed|s)$", t) and not (before[-1:] and before[-1] in DETERMINER)
                                and not (len(before) == 2 and before[0] in DETERMINER and before[1].endswith("ly"))):
            return True
    return False



def term_weights(question: str, texts: list[str]) -> dict[str, float]:
    """The question's content-word stems, each weighted by its rarity among the texts (as weighted_overlap weighs them)."""
    bags = [words(t) for t in texts]
    return {w: float(np.log(1 + len(bags) / (1 + sum(w in b for b in bags)))) for w in words(question)}


def weighted_overlap(question: str, texts: list[str], context: list[set[str]] | None = None) -> np.ndarray:
    """Share of the question's content words each text contains, each word weighted by its rarity among the texts,
    so that "Stepwise Star" counts for more than "video generation" in an article about video generation. context:
    further words each text counts as holding (the names its article's headline shares with the question)."""
    qwords = words(question)
    bags = [words(t) | (context[j] if context else set()) for j, t in enumerate(texts)]
    idf = {w: np.log(1 + len(bags) / (1 + sum(w in b for b in bags))) for w in qwords}
    total = sum(idf.values()) or 1.0
    return np.array([sum(idf[w] for w in qwords & b) / total for b in bags])


def about(asked: str):
    """Whether an article (its title and text) is about what was asked, as an answer's sentence must be: most of its
    names, and its names of several words in full ("T-Mobile's leadership" is not an ad firm's news about "mobile
    marketing"; a flood in another town is close in meaning and no answer). The names are read once; the test
    returned is applied to each article."""
    named, runs = named_in_question(asked), full_names(asked)
    return lambda text: coverage(named, text) >= ABOUT_AT_LEAST and names_held(runs, text)


def check_question(question: str) -> str:
    question = " ".join(CONTROL.sub(" ", question).split())
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question):,} characters; ask in at most {MAX_QUESTION_CHARS:,}")
    return question


class Extractive:
    """Quotes the sentences of the passages that best answer the question; writes nothing of its own."""

    name = "extractive"

    def __init__(self, library: Library, abstain_below: float = ABSTAIN_BELOW, shortlist: int | None = SHORTLIST):
        self.library, self.abstain_below, self.shortlist = library, abstain_below, shortlist

    def score(self, question: str, qvec: list[float], texts: list[str], prior: np.ndarray | None = None,
              shortlist: int | None = None, titles: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How well each text answers the question: (score, cosine, has the wanted answer type). With a shortlist,
        only that many texts, the best by prior (a stand-in for the cosine) plus the cheap signals, are embedded;
        the rest score -inf."""
        return self.scored(question, question, qvec, texts, prior, shortlist, titles)[:3]

    def scored(self, question: str, subject: str, qvec: list[float], texts: list[str], prior: np.ndarray | None,
               shortlist: int | None, titles: list[str] | None = None, extra: list[int] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """score() plus the embeddings of the shortlisted texts (zeros for the rest); term overlap counts the
        subject's words, the question less the words that only frame it. A text is read in its article's context:
        the names of the question that its article's headline (titles, one per text) holds count as its own, so of
        six articles alike but for their city, each sentence of Daegu's holds "Daegu". Only names: every sentence
        of the seed article holding its headline's "model" cost a seed question. extra: texts embedded whatever
        the shortlist."""
        wanted = [shape for kind, shape in ANSWER_TYPES if kind.search(question)]
        named = words(" ".join(names(subject)))
        context = [words(t) & named for t in titles] if titles and named else None
        typed = np.array([any(shape.search(t) for shape in wanted) for t in texts], dtype=float)
        cheap = OVERLAP_WEIGHT * weighted_overlap(subject, texts, context) + TYPE_BONUS * typed
        cos = np.full(len(texts), -np.inf)
        chosen = np.arange(len(texts))
        if shortlist and len(texts) > shortlist:
            chosen = np.argsort(-(cheap + (prior if prior is not None else 0)), kind="stable")[:shortlist]
            chosen = np.array(list(dict.fromkeys([*chosen.tolist(), *extra])))
        vecs = np.zeros((len(texts), len(qvec)))
        vecs[chosen] = np.array(self.library.embedder.embed([texts[j] for j in chosen]))
        cos[chosen] = vecs[chosen] @ np.array(qvec)
        return cos + cheap, cos, typed, vecs

    def answer(self, question: str, passages: list[Passage], qvec: list[float], on_delta=None) -> Answer:
        """on_delta is accepted like an LLM answerer's; a quoted answer arrives whole, so it is not called."""
        asked = question
        when = read_timeframe(question, self.library.settings.today_or_now())
        latest = bool(when and when.latest)
        question = without_time(question, when)
        kind = classify(question)
        subject = question if kind is LOOKUP else FRAME.sub(" ", question)
        candidates = []  # (passage index, start, end, text)
        seen = set()
        for i, p in enumerate(passages):
            article = self.library.articles[p.article_id]["text"]
            for s, e in statements(p):
                if (p.article_id, s) not in seen:
                    seen.add((p.article_id, s))
                    candidates.append((i, s, e, article[s:e]))
        if not candidates:
            return abstain(asked, passages, self.name)
        texts = [c[3] for c in candidates]
        ok = np.array([quotable(t, passages[c[0]].meta["title"] or "") for t, c in zip(texts, candidates)])
        # "The reason is ..." answers the sentence before it, and so does whatever follows a sentence that cannot be
        # quoted (the answer to a rhetorical question, the details after "For example, X."): it inherits most of its
        # predecessor's score, and the names it is about. An explanation's claim also lends kind.carry of its score
        # to the sentence after it, which usually supports it.
        same = [j > 0 and candidates[j][0] == candidates[j - 1][0] for j in range(len(texts))]
        continues = [same[j] and (CONTINUATION.match(texts[j]) is not None or not ok[j - 1]) for j in range(len(texts))]
        share = [CONTINUATION_SHARE if continues[j] else kind.carry * same[j] for j in range(len(texts))]
        wanted = names(subject)
        named = [wanted & tokens(t) for t in texts]
        for j in range(1, len(texts)):
            # A sentence goes on about its predecessor's subject when it continues it, or names again someone or
            # something it named ("T-Mobile CEO John Legere is stepping down. Legere will hand over to ...").
            if continues[j] or (same[j] and named[j - 1] and names(texts[j]) & names(texts[j - 1])):
                named[j] |= named[j - 1]
        # Where the sources name the subject of an overview or comparison, a sentence that does not (nor continues
        # one that does) is about something else, however close its wording: it is neither embedded nor quoted.
        about_it = np.array([bool(n) for n in named])
        titles = [passages[c[0]].meta["title"] or "" for c in candidates]
        if kind.named:
            # In an article whose headline names the subject, every sentence is about it: "Noel and Thomas pleaded not
            # guilty", under "Two federal prison officers charged ... in connection with Jeffrey Epstein's suicide".
            subject_names = named_in_question(subject)
            headed = {t: bool(subject_names) and coverage(subject_names, t) >= ABOUT_AT_LEAST for t in set(titles)}
            about_it |= np.array([headed[t] for t in titles])
        off_subject = ~about_it if kind.named and (about_it & ok).any() else np.zeros(len(texts), dtype=bool)
        if kind.named:
            # ... and so is every sentence of an article that is not about it, where some are.
            on_it = about(question)
            held = {aid: on_it(f"{self.library.articles[aid]['title']} {self.library.articles[aid]['text']}")
                    for aid in {p.article_id for p in passages}}
            elsewhere = np.array([not held[passages[c[0]].article_id] for c in candidates])
            if not elsewhere.all():
                off_subject |= elsewhere
        prior = np.array([passages[c[0]].cosine for c in candidates]) - 10.0 * off_subject
        # Each side of a comparison is a subject of its own: how much of it each sentence (or the one it continues) holds.
        halves = []
        for terms in sides(question) if kind.name == "comparison" else []:
            held = [words(t) & terms for t in texts]
            for j in range(1, len(texts)):
                if continues[j]:
                    held[j] |= held[j - 1]
            halves.append(np.array([len(h) / len(terms) for h in held]))
        # The sentences best on each side's terms are embedded whatever the shortlist: the second side of "Dark Side of
        # the Moon vs MiniMax" held no sentence among the 20 shortlisted on the question's terms.
        extra = [int(j) for half in halves for j in np.argsort(-np.where(ok & ~off_subject, half, -1.0), kind="stable")[:SIDE_SHORTLIST]
                 if half[j] > 0 and ok[j] and not off_subject[j]]
        timely = self.library.settings.recency_weight * timeliness(when, [passages[c[0]] for c in candidates], passages)
        # A sentence that itself names the time asked about ("In 2023, many entrepreneurs ...") speaks of then.
        timely = timely + TYPE_BONUS * np.array([names_time(when, t) for t in texts])
        prior = prior + timely  # so the sentences of the right time are among those embedded
        wants = read_question(question) if kind.name in (LOOKUP.name, "list") else Asked()

        def outlet_of(j: int) -> str:
            return passages[candidates[j][0]].meta.get("outlet") or ""

        answering = np.zeros(len(texts), dtype=bool)
        if wants.wants or wants.focus or wants.attribute:
            # The sentence that names what a lookup asks for is often not among those closest to its wording ("Interior
            # Minister Wolfgang Peschorn ... said" for "which minister announced"): of the sentences best on the cheap
            # signals, those that name it are embedded whatever the shortlist.
            cheap = prior + OVERLAP_WEIGHT * weighted_overlap(subject, texts)
            wide = [int(j) for j in np.argsort(-np.where(ok, cheap, -np.inf), kind="stable")[:ANSWER_SHORTLIST] if ok[j]]
            given = dict(zip(wide, holds(wants, question, [texts[j] for j in wide], [outlet_of(j) for j in wide])))
            answering[wide] = [bool(given[j]) for j in wide]
            extra = extra + [j for j in wide if answering[j]]
        score, cos, typed, vecs = self.scored(question, subject, qvec, texts, prior, self.shortlist and self.shortlist * kind.wider, titles, extra)
        relevance, articles_cosine = {}, {}
        for p in passages:
            relevance[p.article_id] = max(relevance.get(p.article_id, -np.inf), p.score)
            articles_cosine[p.article_id] = max(articles_cosine.get(p.article_id, -np.inf), p.cosine)
        score += ARTICLE_WEIGHT * (np.array([relevance[passages[c[0]].article_id] for c in candidates]) - max(relevance.values()))
        score += timely
        for j in range(1, len(texts)):
            if share[j]:
                score[j] = max(score[j], share[j] * (score[j - 1] - TYPE_BONUS * typed[j - 1]) + TYPE_BONUS * typed[j])
        # A broad question about something the sources name is answered even when the small embedding model does
        # not know the name ("Ohai" scored 0.27 to the sentences naming it): when one sentence holds all its names.
        if cos.max() < self.abstain_below and not (kind is not LOOKUP and wanted and any(n == wanted for n in named)):
            return abstain(asked, passages, self.name, float(cos.max()))
        score[~ok | off_subject] = -np.inf
        # A sentence that only restates the question ("Delhi's air wasn't always so bad" for "why is Delhi's air so bad")
        # answers nothing: it adds at most one word of its own, and no figure.
        asked_terms = words(question)
        score[[j for j, t in enumerate(texts) if len({w for w in words(t) - asked_terms if len(w) > 2} - NEGATIONS) <= RESTATES
               and not re.search(r"\d", t)]] = -np.inf
        twins = repeated(texts, score)
        score[list(twins)] = -np.inf
        if kind is not LOOKUP:
            # A digest is made of the facts: a sentence naming people, places, figures the question does not is worth
            # more than one restating the story's lead in other words.
            shown = [int(j) for j in np.flatnonzero(np.isfinite(score))]
            found = entities([texts[j] for j in shown])
            score[shown] += INFO_WEIGHT * np.array([min(len(new_entities(question, f, INFORMATIVE)), INFO_AT_MOST) / INFO_AT_MOST for f in found])
            score[shown] += LEAD_WEIGHT * np.array([candidates[j][1] < LEAD_CHARS for j in shown])
            if kind.name == "explanation":
                # An explanation is made of stated reasons: "farmers burn crop stubble, which contributes to the smog"
                # answers "why is Delhi's air so bad" better than "Delhi's air wasn't always so bad".
                score[shown] += CAUSE_WEIGHT * np.array([CAUSE.search(texts[j]) is not None for j in shown])
        if wants.wants or wants.focus or wants.attribute:
            # A lookup is answered by a sentence that names what it asks for (someone for "who", an amount for "how
            # much"), not by the best restatement of its premise; when none near the best does, the articles don't say.
            shown = [int(j) for j in np.flatnonzero(np.isfinite(score)) if j not in given]
            given.update(zip(shown, holds(wants, question, [texts[j] for j in shown], [outlet_of(j) for j in shown])))
            answering = np.array([bool(given.get(j)) and np.isfinite(score[j]) for j in range(len(texts))])
            # "the capital of Australia", "how many jobs": a sentence (with the one it continues) that does not speak of a
            # capital, of jobs, does not give it. (What "what technique" asks about is looser: "Flow Matching Technology".)
            # ... nor does a figure of something else: "more than 100 powerful geysers" is no count of moons.
            for j in np.flatnonzero(answering) if wants.counted else []:
                given[j] = [f for f in given[j] if not counts_another(f, texts[j], wants.counted, self.library.embedder.embed)]
                answering[j] = bool(given[j])
            for alternatives, at_least in (((wants.attribute,), 2.0 if wants.literal else ATTRIBUTE_SIMILAR), (wants.counted, FOCUS_SIMILAR)):
                if any(alternatives):
                    answering &= np.array([answering[j] and any(speaks_of(w, f"{texts[j - 1] if continues[j] else ''} {t}", self.library.embedder.embed, at_least)
                                                                for w in alternatives if w) for j, t in enumerate(texts)])
            for noun in (wants.noun, *wants.focus):
                if noun:
                    score += NOUN_BONUS * np.array([speaks_of(noun, t, self.library.embedder.embed) for t in texts])
            if wants.noun in PLACE_NOUNS:
                # ... and more for naming a place as that kind: "Delhi's Saket area", "Belmarsh prison"
                asked_words = set(plain(question).split())
                score += NOUN_BONUS * np.array([answering[j] and bool(unasked(beside(t, wants.noun), asked_words)) for j, t in enumerate(texts)])
            if wants.wants:
                terms = term_weights(question, texts)
                score += PROXIMITY_WEIGHT * np.array([proximity(terms, texts[j], given[j]) if answering[j] else 0.0 for j in range(len(texts))])
            # ... and that is about what the question names, read with its neighbours and its headline ("Interior
            # Minister Wolfgang Peschorn ... said" is about Hitler's birth house by its article's title), in an
            # article close to the question.
            asked_names, runs = named_in_question(question), full_names(question)
            past = bool(when) and past_tense(question)
            future = bool(wants.wants) and wants.wants <= TIMES and FUTURE.search(question) is not None
            # ... and what happened ("in which year did McDonald join the band") is not answered by a year after the story
            done = bool(wants.wants) and wants.wants <= TIMES and not future and past_tense(question)
            top = max(articles_cosine.values()) - SAME_SUBJECT_MARGIN
            in_full = {}
            for j in np.flatnonzero(answering):
                owner = passages[candidates[j][0]]
                aid = owner.article_id
                # (the outlet and the author too: "according to the Live Science report", "according to Victor Davis Hanson")
                around = " ".join([titles[j], owner.meta.get("outlet") or "", owner.meta.get("author") or "", texts[j - 1] if same[j] else "", texts[j],
                                   texts[j + 1] if j + 1 < len(texts) and same[j + 1] else ""])
                # The article must hold the question's names in full ("FIFA World Cup", not a Davis Cup story's "cup"),
                # and one published before the time asked about can answer only by naming that time, and never what
                # happened then: a 2019 story does not say who won the 2022 World Cup, nor the 2020 election.
                if aid not in in_full:
                    in_full[aid] = names_held(runs, f"{titles[j]} {owner.meta.get('outlet') or ''} {self.library.articles[aid]['text']}")
                if not in_full[aid] or (before(when, owner.meta.get("date")) and (past or not names_time(when, around))):
                    answering[j] = False
                    continue
                # "When will the fourth Star Trek film be released?" is not answered by a year before the story was
                # published ("was greenlit in 2016", in a 2019 story): what will happen comes after.
                published = (owner.meta.get("date") or "")[:4]
                if (future or done) and published.isdigit() and given.get(j):
                    given[j] = [g for g in given[j] if in_time(g, int(published), future)]
                    if not given[j]:
                        answering[j] = False
                        continue
                # A quotation is about its article's subject without naming it ("If you don't have a big booster,
                # you're not going to make it," Stafford said): in one of the articles closest to the question, the
                # names anywhere in its article count.
                leading = articles_cosine[aid] >= top
                on_subject = coverage(asked_names, around) >= ABOUT_AT_LEAST or (leading and (QUOTED.search(texts[j]) is not None or refers_back(texts[j], texts[j - 1] if same[j] else "", question)) and
                                                                                coverage(asked_names, f"{titles[j]} {self.library.articles[aid]['text']}") >= ABOUT_AT_LEAST)
                answering[j] = (cos[j] >= self.abstain_below or leading) and on_subject
            # A count or an amount is better answered by a figure than by "dozens of flybys" (45 flybys, further on), a
            # year than by a decade ("in the early 2000s"; "in 2010").
            if wants.wants & (NUMBERS | TIMES):
                for j in np.flatnonzero(answering):
                    if given.get(j) and all(VAGUE.fullmatch(g.strip()) for g in given[j]):
                        score[j] -= NOUN_BONUS
            # An article saying the fact is not known ("US pricing has not been confirmed") outranks a sentence giving
            # another figure near it ("European pricing will start at 71,350 euro").
            # ... and so does one that says it of the very thing asked for ("a third undisclosed buyer"), though it names others.
            unknown = [j for j in np.flatnonzero(np.isfinite(score)) if UNKNOWN.search(texts[j])
                       and (unknown_of(texts[j], question) if answering[j] else coverage(asked_names, f"{titles[j]} {texts[j]}") == 1.0)]
            if not answering.any() or (unknown and max(score[unknown]) >= score[answering].max()):
                return not_stated(asked, passages, candidates, score, self.name, float(cos.max()))
            score[~answering] = -np.inf
        # A lookup that names what it asks for is answered by the one sentence that gives it; other lookups by at
        # most two (a third restated the first on real news, and pushed answers past 45 words).
        limit = kind if kind is not LOOKUP else replace(LOOKUP, sentences=LOOKUP_SENTENCES if wants.wants else MAX_SENTENCES)
        # A sentence is quoted with those it leans on, or not at all when one of them cannot be quoted or was not
        # retrieved (it opens a passage).
        leads = leaning(texts, same)
        for j, lead in enumerate(leads):
            first = lead[0] if lead else j
            if not all(ok[k] for k in lead) or (first > 0 and not same[first] and LEANS.match(texts[first])):
                score[j] = -np.inf
        picked = select(limit, score, vecs, texts, continues, named, len(wanted), halves, same, leads)
        units = with_context(picked, leads)
        units = list({" ".join(re.findall(r"\w+", " ".join(texts[j] for j in u).lower())): u for u in reversed(units)}.values())[::-1]
        # The sentences a picked one leans on count towards the words too, and so does each date a "latest" answer
        # says ("19 October 2024:", once per day): the weakest unit after the first goes first (the last taken was the
        # seed's best reason for "why is the consensus wavering", after two long ones).
        def dates(units: list[list[int]]) -> int:
            return sum(len(d.split()) for d in {long_date(passages[candidates[u[0]][0]].meta["date"]) for u in units}) if latest else 0

        while len(units) > 1 and sum(len(texts[k].split()) for u in units for k in u) + dates(units) > limit.words:
            units.remove(min(units[1:], key=lambda u: max(score[k] for k in u)))
        if not units:
            return abstain(asked, passages, self.name, float(cos.max()))
        # A lookup's best sentence first; a broad answer oldest article first, and within an article in the order of
        # the text; for "latest" the newest first, each sentence with its date, since the sources may disagree as the
        # story moved on.
        # (a figure, not a model's number: the "500" of the Lexus LC 500 is its name)
        figures = set(re.findall(r"(?<![A-Z][\w-] )(?<![A-Z][\w-]{2} )(?<![A-Z][\w-]{3} )\b\d[\d,.]*\b", question)) if wants.wants else set()
        if wants.wants and len(units) > 1:
            # Of two sentences giving an answer, the one holding the figures the question states ("his season-high 31
            # points") or the time it asks about ("sold 30,154 new cars ... in October") goes first.
            def holds_asked(u: list[int]) -> int:
                told = " ".join(texts[k] for k in u)
                return sum(f in told for f in figures) + names_time(when, told)

            units.sort(key=holds_asked, reverse=True)
        if kind is not LOOKUP:
            units.sort(key=lambda u: (passages[candidates[u[0]][0]].meta["date"], passages[candidates[u[0]][0]].article_id, candidates[u[0]][1]))
        if latest:
            units.sort(key=lambda u: passages[candidates[u[0]][0]].meta["date"] or "", reverse=True)
        citations: dict[str, Citation] = {}
        parts = []
        said = None
        for u in units:
            i, s, e = candidates[u[0]][0], candidates[u[0]][1], candidates[u[-1]][2]
            article = self.library.articles[passages[i].article_id]["text"]
            text = article[s:e]
            c = citations.get(passages[i].article_id)
            if c is None:
                c = citations[passages[i].article_id] = cite(len(citations) + 1, passages[i], text, s, e)
            else:
                quote_more(c, passages[i], text, s, e, article)
            for k in twins.get(u[-1], []):
                also(c, passages[candidates[k][0]])
            # (each date once: the same date before every sentence of one article says nothing new and passed the budget)
            day = long_date(passages[i].meta["date"])
            dated = f"{day}: " if latest and day != said else ""
            said = day
            parts.append(f"{dated}{text} [{c.n}]")
        return Answer(question=asked, answer=" ".join(parts), citations=list(citations.values()), abstained=False, mode=self.name,
                      confidence=float(cos.max()))


def before(when, date: str | None) -> bool:
    """Whether an article of this date was published before the span a question asks about ("in 2022") began; only a
    span the question dates itself, not one read against today ("after Tuesday's slide" in an old story)."""
    return bool(when and date and when.since and when.since != when.until and not when.latest and date < when.since
                and re.search(r"\b(?:19|20)\d\d\b", when.phrase))


def in_time(given: str, published: int, future: bool) -> bool:
    """Whether an answer to a "when" question fits the story's year: what will happen is no year before it, nor how
    long something lasted ("after a three-year silence"); what happened is no year after it."""
    years = [int(y) for y in YEAR.findall(given)]
    if future:
        return not DURATION.fullmatch(given.strip()) and (not years or max(years) >= published)
    return not years or min(years) <= published


def names_time(when, text: str) -> bool:
    """Whether a sentence names the date or year a question asks about (not "latest" or a span of days ago; "as of
    June 30" is a date, named by a later article's "employed 12,500 people as of June 30")."""
    if when is None:
        return False
    marks = re.findall(r"\b(?:19|20)\d\d\b|\b\d{1,2}\b|[a-z]{3,}", when.phrase.lower())
    marks = [m for m in marks if m.isdigit() or m[:3] in MONTHS]
    low = text.lower()
    return bool(marks) and all(re.search(rf"\b{re.escape(m if m.isdigit() else m[:3])}", low) for m in marks)


MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def repeated(texts: list[str], score: np.ndarray) -> dict[int, list[int]]:
    """Sentences said more than once (a newsletter page repeating its lead, two articles sharing a wire sentence): for
    each sentence kept, the others that say the same; only the best-scoring of each is quoted."""
    groups: dict[str, list[int]] = {}
    for j in np.argsort(-score, kind="stable"):
        if np.isfinite(score[j]):
            groups.setdefault(" ".join(re.findall(r"\w+", texts[j].lower())), []).append(int(j))
    return {g[0]: g[1:] for g in groups.values() if len(g) > 1}


# A sentence that leans on the one before it: it opens with a conjunction or a word pointing back, or it carries on
# a quotation the sentence before opened.
def unknown_of(text: str, question: str) -> bool:
    """Whether a sentence says that what a noun of the question names is not known, beside it: "a third undisclosed
    buyer" for "who is the third, undisclosed buyer"; not "the person, who was not identified" for a county."""
    asked = question_nouns(question)
    for m in UNKNOWN.finditer(text):
        near = re.findall(r"[A-Za-z][\w'-]*", text[max(0, m.start() - 30):m.end() + 30])
        if asked & {singular(w.lower()) for w in near}:
            return True
    return False


VAGUE = re.compile(r"(?:(?:some|several|many|a few|tens of|hundreds of|thousands of|millions of|more than|over|nearly|about)\s+)*"
                   r"(?:dozens|scores|hundreds|thousands|millions|billions|several|many|a few|a handful|numerous|countless)"
                   r"|(?:the\s+)?(?:(?:early|mid|late)[- ]?)?(?:19|20)?\d0['’]?s", re.I)
FUTURE = re.compile(r"\b(?:will|won['’]t|going to|due to|expected to|scheduled to|set to)\b|"
                    r"\b(?:is|are|be)\b.*\b(?:expected|due|scheduled|slated|planned)\W*$", re.I)  # "when is it expected?"
DURATION = re.compile(r"(?:(?:a|an|the|about|over|nearly|almost|more than)\s+)*(?:\d+|(?!(?:next|last|this|coming|past|previous|following|same|early|late)\b)[a-z]+)(?:[- ](?:and[- ]a[- ]half[- ])?)"
                      r"(?:years?|months?|weeks?|days?|decades?|hours?)(?:[- ]long)?", re.I)
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
QUOTED = re.compile(r"[\"“”]")
PRONOUN = re.compile(r"\W*(?:[A-Z]\w+,\s+)?(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)\s+(?!\w+\s+(?:said|says|told)\b)[a-z]")
BACK = re.compile(r"\W*(?:[Tt]he|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose)\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?")


def refers_back(text: str, before: str, question: str) -> bool:
    """Whether a sentence opens by calling its article's subject by a noun of the question ("The simulation required
    16,000 processor cores" for "how many cores did the TNG50 universe simulation run on"), and so speaks of it."""
    if PRONOUN.match(text):
        # "Instead, they lost 24-17": about whom the sentence before names
        return coverage(named_in_question(question), before) > 0
    m = BACK.match(text)
    if not m:
        return False
    # the question's nouns, not its verbs: "the cuts" is not what "how many jobs will McClatchy cut" is about
    asked = question_nouns(question)
    return any(w and singular(w) in asked for w in m.groups())
LEANS = re.compile(r"^\W*(and|but|or|so|yet|also|still|(this|that|these|those)(?!\s+(year|week|month|morning|afternoon|evening|"
                   r"night|season|summer|winter|spring|fall|autumn|time|weekend|decade|century|article|story|report|"
                   r"piece|post|page|video|newsletter)\b)|such|it|its|he|she|they|"
                   r"his|her|their|him|them|there|then|thus|hence|however|meanwhile|instead|otherwise|moreover|furthermore|"
                   r"besides|nevertheless|of course|in addition|as a result|for example|for instance|likewise|similarly|"
                   r"the same|another)\b", re.I)


def leans(previous: str, text: str) -> bool:
    """Whether text cannot stand without the sentence before it: it opens with a word pointing back, or it is the
    second half of a quotation (the sentence before opens one that this one closes)."""
    opened = previous.count("“") > previous.count("”") or previous.count('"') % 2 == 1
    closes = re.search(r"^[^“\"]*[”\"]", text) is not None
    return bool(LEANS.match(text)) or (opened and closes)


def leaning(texts: list[str], same: list[bool]) -> list[list[int]]:
    """For each sentence, the sentences before it that it leans on ("And, based on these broad qualifiers, Stadia
    delivers."), at most two, nearest last."""
    out = []
    for j in range(len(texts)):
        unit = [j]
        while unit[0] > 0 and same[unit[0]] and leans(texts[unit[0] - 1], texts[unit[0]]) and len(unit) < 3:
            unit.insert(0, unit[0] - 1)
        out.append(unit[:-1])
    return out


def with_context(picked: list[int], leads: list[list[int]]) -> list[list[int]]:
    """The picked sentences as quoted units: each with the sentences it leans on."""
    units: list[list[int]] = []
    taken: set[int] = set()
    for j in picked:
        unit = [k for k in [*leads[j], j] if k not in taken]  # a lead already quoted stays where it is quoted ...
        if unit and unit[-1] == j:
            if units and units[-1][-1] == unit[0] - 1 and units[-1][-1] in leads[j]:
                units[-1] += unit  # ... and is quoted with it when it was just quoted
            else:
                units.append(unit)
            taken.update(unit)
    return units


def not_stated(question: str, passages: list[Passage], candidates: list, score: np.ndarray, mode: str, confidence: float) -> Answer:
    """The articles hold no sentence that gives what the question asks for. When the closest sentence says the fact is
    not known ("US pricing has not been confirmed"), that is the answer, quoted; else the closest articles."""
    best = int(np.argmax(score))
    close = [j for j in np.argsort(-score) if np.isfinite(score[j]) and score[j] >= score[best] - KEEP_WITHIN]
    unknown = next((int(j) for j in close if UNKNOWN.search(candidates[j][3])), None)
    if unknown is None:
        return abstain(question, passages, mode, confidence)
    i, s, e, text = candidates[unknown]
    return Answer(question=question, answer=f"The articles don't say. {text} [1]", citations=[cite(1, passages[i], text, s, e)],
                  abstained=True, mode=mode, confidence=confidence)


DATED = "1000-01-01"  # a lower bound every dated article meets and no undated one


def published(when) -> tuple[str | None, str | None]:
    """The publication dates a question's time allows. A span ("in 2022", "in June") can be reported on later: "What
    share of traffic was video in 2022?" is answered by a 2024 article; so a span bounds only the start, and articles
    published within it are preferred in the answer. A day is the state of things then: "the death toll on March
    1" is what was published up to that day, not a later count; so a day bounds the end, like "before", "until" and
    "as of"."""
    if when.since and when.since == when.until and not when.latest:
        return DATED, when.until  # dated articles only: an undated one says nothing of the state of things on that day
    return when.since, when.until if (when.latest or not when.since) else None


def timeliness(when, owners: list[Passage], passages: list[Passage]) -> np.ndarray:
    """How well each candidate's article fits the question's time, 0 to 1. "Latest": by recency rank among the
    articles about the same thing (passages about as close to the question as the closest). A span ("on June 3"):
    1 when published within it, so what was reported then beats a later article's newer figure."""
    if when is None:
        return np.zeros(len(owners))
    if when.latest:
        top = max(p.cosine for p in passages)
        return recency([p.meta["date"] if p.cosine >= top - SAME_SUBJECT_MARGIN else "" for p in owners])
    if when.since and when.until:
        return np.array([when.since <= p.meta["date"][:10] <= when.until for p in owners], dtype=float)
    return np.zeros(len(owners))


def recency(dates: list[str]) -> np.ndarray:
    """1 for the newest date, 0.5 for the next newest, and so on; 0 when undated: an undated article is never new."""
    ranked = {d: 0.5 ** r for r, d in enumerate(sorted({d[:10] for d in dates if d}, reverse=True))}
    return np.array([ranked.get(d[:10], 0.0) if d else 0.0 for d in dates])


def long_date(iso: str) -> str:
    """"6 June 2024" from an ISO date; "Undated" without one."""
    if not iso:
        return "Undated"
    from datetime import date

    d = date.fromisoformat(iso[:10])
    return f"{d.day} {d.strftime('%B')} {d.year}"


def select(kind: Kind, score: np.ndarray, vecs: np.ndarray, texts: list[str], continues: list[bool],
           named: list[set[str]], wanted: int, halves: list[np.ndarray] = (), same: list[bool] = (),
           leads: list[list[int]] = ()) -> list[int]:
    """Greedy maximal marginal relevance: each step takes the sentence with the best score, less kind.novelty times
    its embedding similarity to the closest sentence already taken, plus kind.cover times the share of the
    question's `wanted` names it adds; only sentences within kind.keep_within of the best score, and while the answer
    stays within kind.words. For broad kinds a continuation ("This means ...") brings the sentence it continues, and
    every sentence brings those it leans on (leads); they count towards the words.
    halves: for a comparison, the share of each side's terms each sentence holds; first each side in turn gets its
    best sentence among those about it (within kind.keep_within of that side's best), so that neither side is left
    out when the sentences on one score higher. An explanation (kind.carry) then spends the words left on the
    sentences that follow those taken, in the order they were taken: the support that follows a claim."""
    if not np.isfinite(score).any():
        return []
    eligible = score >= score.max() - kind.keep_within
    picked: list[int] = []
    covered: set[str] = set()
    used = 0

    def take(group: list[int]) -> bool:
        nonlocal used
        size = sum(len(texts[k].split()) for k in group)
        if picked and used + size > kind.words:
            return False
        picked.extend(group)
        used += size
        for k in group:
            covered.update(named[k])
        return True

    def with_lead(j: int) -> list[int]:
        # (a lookup's kind is a copy with its own sentence count: its leads are added when it is quoted, not counted
        # against its one or two sentences)
        lead = set(leads[j] if leads and kind.name != LOOKUP.name else [])
        lead |= {j - 1} if continues[j] and np.isfinite(score[j - 1]) else set()
        return [*sorted(lead - set(picked)), j]

    for half in halves:
        about = np.isfinite(score) & (half > 0)
        about[picked] = False
        if not about.any():
            continue
        about &= score >= score[about].max() - kind.keep_within
        closest = (vecs @ vecs[picked].T).max(axis=1) if picked else np.zeros(len(score))
        # A sentence about this side alone is worth more than one naming both ("the Six Tigers: Zhipu, ..., MiniMax").
        alone = half - sum(h for h in halves if h is not half)
        for j in np.argsort(-np.where(about, score - kind.novelty * closest + kind.cover * alone, -np.inf)):
            if not about[j] or take(with_lead(int(j))):
                break
    eligible[picked] = False
    while len(picked) < kind.sentences and eligible.any():
        closest = (vecs @ vecs[picked].T).max(axis=1) if picked else np.zeros(len(score))
        adds = np.array([len(n - covered) / wanted if wanted else 0.0 for n in named])
        j = int(np.argmax(np.where(eligible, score - kind.novelty * closest + kind.cover * adds, -np.inf)))
        group = with_lead(j)
        eligible[group] = False
        take(group)
    if kind.carry:
        for j in list(picked):
            k = j + 1
            while k in picked:
                k += 1
            if k < len(score) and same[k] and np.isfinite(score[k]) and len(picked) < kind.sentences:
                take([k])
    return picked


def abstain(question: str, passages: list[Passage], mode: str, confidence: float = 0.0) -> Answer:
    closest = []
    for p in passages:
        if all(c["article_id"] != p.article_id for c in closest):
            closest.append({"article_id": p.article_id, "title": p.meta["title"], "outlet": p.meta["outlet"], "date": p.meta["date"]})
    names = "; ".join(f"{c['title']} ({c['outlet'] or 'unknown outlet'}, {c['date'][:10] or 'undated'})" for c in closest[:3])
    text = "The articles don't cover this." + (f" The closest are: {names}." if names else " The collection is empty: ingest some articles first.")
    return Answer(question=question, answer=text, citations=[], abstained=True, mode=mode, closest=closest[:3], confidence=confidence)
