"""`openai` mode end to end against a real OpenAI-compatible server (`transformers serve` with SmolLM2) on loopback."""
import re

import pytest

from conftest import run_cli
from newsdesk.rag.engine import build_engine
from newsdesk.rag.chat import Chat
from newsdesk.rag.errors import NewsdeskError
from newsdesk.rag.retrieve import Library


@pytest.fixture(scope="module")
def openai_library(corpus_library, openai_server):
    url, model = openai_server
    settings = corpus_library.settings.model_copy(update={"openai_base_url": url, "openai_model": model, "llm_max_tokens": 64})
    return Library(settings, embedder=corpus_library.embedder)


def test_openai_mode_streams_and_cites_only_supported_sentences(openai_library):
    engine = build_engine(openai_library, mode="openai", top_k=3)
    deltas = []
    a = engine.ask("Where did Pika first operate when it debuted?", on_delta=deltas.append)
    assert len(deltas) > 3, "the server's reply should arrive in pieces"
    assert a.mode == "openai" and not a.abstained and a.citations
    assert "Discord" in a.answer, "a wrong model answer is dropped and the sources are quoted instead"
    claims = re.findall(r"[^\[\]]+?\[(\d+)\]", a.answer)
    assert {int(n) for n in claims} == {c.n for c in a.citations}
    for c in a.citations:
        assert all(q in c.passage for q in c.quotes) and f"[{c.n}]" in a.answer


def test_openai_mode_condenses_follow_ups_and_abstains(openai_library):
    chat = Chat(build_engine(openai_library, mode="openai", top_k=3))
    first = chat.ask("How big was the Kuaishou Keling team?")
    assert "20" in first.answer
    follow = chat.ask("and when did it fully launch?")
    assert "Keling" in chat.turns[-1].standalone or "Kuaishou" in chat.turns[-1].standalone
    assert "June" in follow.answer and follow.citations
    assert chat.ask("What is the capital of Australia?").abstained


def test_a_server_that_is_down_is_one_clear_error(openai_library):
    settings = openai_library.settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    engine = build_engine(Library(settings, embedder=openai_library.embedder), mode="openai")
    with pytest.raises(NewsdeskError, match="the openai LLM failed"):
        engine.ask("How many H100 GPUs did Meta use to train Movie Gen?")


def test_cli_streams_the_draft_then_prints_the_checked_answer(openai_library, openai_server):
    url, model = openai_server
    env = {"NEWSDESK_OPENAI_BASE_URL": url, "NEWSDESK_OPENAI_MODEL": model, "NEWSDESK_LLM_MAX_TOKENS": "48"}
    r = run_cli("ask", "--llm", "openai", "--top-k", "2", "How many H100 GPUs did Meta use to train Movie Gen?",
                home=openai_library.settings.home, env=env)
    assert r.returncode == 0, r.stderr
    assert "draft (checked against the sources below):" in r.stderr
    assert "6144" in r.stdout and "Sources:" in r.stdout and "[1]" in r.stdout
