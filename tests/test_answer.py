"""Extractive answers on the seed article: the right fact, cited by a quote that holds it; abstention otherwise."""
import json
from pathlib import Path

import pytest

from newsdesk.rag.engine import build_engine
from newsdesk.rag.chat import Chat
from newsdesk.rag.errors import InputError
from newsdesk.rag.evaluate import holds
from newsdesk.rag.retrieve import Filters

QA = [json.loads(line) for line in (Path(__file__).parent / "data" / "seed_qa.jsonl").open()]


@pytest.fixture
def engine(either_corpus_library):
    return build_engine(either_corpus_library)


def test_question_set_is_big_enough():
    assert len(QA) >= 30 and sum(q["unanswerable"] for q in QA) >= 5


def test_answerable_questions_get_the_fact_with_a_quote_that_holds_it(engine):
    misses = []
    for q in (q for q in QA if not q["unanswerable"]):
        a = engine.ask(q["question"])
        ok = not a.abstained and all(holds(a.answer, e) and any(holds(q, e) for c in a.citations for q in c.quotes) for e in q["expect"])
        if not ok:
            misses.append(q["question"])
        for c in a.citations:
            assert all(q in c.passage for q in c.quotes) and f"[{c.n}]" in a.answer  # quotes are verbatim and every citation is used
            assert c.title and c.outlet == "36Kr" and c.date.startswith("2024-10-19") and c.path.endswith(".md")
        assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    # The floor the eval targets (answer accuracy >= 0.95) allows one miss in 35.
    assert len(misses) <= 1, misses


def test_unanswerable_questions_abstain_and_name_the_closest_articles(engine):
    for q in (q for q in QA if q["unanswerable"]):
        a = engine.ask(q["question"])
        assert a.abstained, q["question"]
        assert a.citations == [] and "don't cover" in a.answer and a.closest[0]["outlet"] == "36Kr"


def test_done_when_question(engine):
    a = engine.ask("How many H100 GPUs did Meta use to train Movie Gen?").to_dict()
    assert "6144" in a["answer"] and any("6144" in q for c in a["citations"] for q in c["quotes"])
    assert set(a) == {"question", "answer", "citations", "abstained", "mode", "timeline", "timings_ms"}
    assert set(a["citations"][0]) == {"n", "title", "outlet", "author", "date", "url", "path", "passage", "quote", "quotes", "also"}
    assert a["mode"] == "extractive" and a["abstained"] is False and a["timings_ms"]["total"] > 0


def test_filters_narrow_the_sources(either_corpus_library):
    question = "How many H100 GPUs did Meta use to train Movie Gen?"
    library = either_corpus_library
    assert not build_engine(library, filters=Filters(outlet="36Kr", since="2024-10-01", until="2024-10-31")).ask(question).abstained
    for f in (Filters(outlet="Other Times"), Filters(since="2025-01-01"), Filters(until="2024-01-01"), Filters(article_id="nope")):
        assert build_engine(library, filters=f).ask(question).abstained
    with pytest.raises(InputError, match="--since 'last week' is not a date"):
        Filters(since="last week")


def test_follow_up_is_condensed_with_the_previous_questions_names(engine):
    chat = Chat(engine)
    chat.ask("What did Meta use to train Movie Gen?")
    assert chat.condense("and how many parameters does it have?") == "and how many parameters does it have? (Meta Movie Gen)"
    answer = chat.ask("and how many parameters does it have?")
    assert any("30B" in q for c in answer.citations for q in c.quotes)
    assert answer.question == "and how many parameters does it have?"
    chat.reset()
    assert chat.condense("and how many parameters does it have?") == "and how many parameters does it have?"


def test_empty_and_huge_questions_are_refused(engine):
    with pytest.raises(InputError, match="empty"):
        engine.ask("   ")
    with pytest.raises(InputError, match="10,000 characters"):
        engine.ask("x" * 10_000)
