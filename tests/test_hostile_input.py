"""Hostile input, generated: readers and the chunker take arbitrary text without crashing, losing text or
overflowing the model window; questions of any size or content get an answer or a clear refusal."""
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from newsdesk.ingest.chunk import chunk
from newsdesk.ingest.readers import read_file
from newsdesk.rag.answer import MAX_QUESTION_CHARS
from newsdesk.rag.engine import build_engine
from newsdesk.rag.embed import MAX_TOKENS
from newsdesk.rag.errors import InputError
from newsdesk.rag.types import Article

# Letters of many scripts, right-to-left marks, control characters, emoji, CJK and sentence punctuation.
ALPHABET = st.sampled_from(list(string.ascii_letters + string.digits + " .,!?\"'\n\t\r\x00\x07\x1b\x7f")
                           + list("ßéøж中文视频。！？「」مرحبا שלום\u200f\u202e\u200b\ufeff😀🎬"))
TEXT = st.text(ALPHABET, min_size=0, max_size=3000)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def covered(text: str, chunks) -> bool:
    spans = set()
    for c in chunks:
        spans.update(range(c.start, c.end))
    return all(i in spans for i, ch in enumerate(text) if not ch.isspace())


@FAST
@given(body=TEXT, title=st.text(ALPHABET, max_size=200))
def test_chunker_keeps_all_text_within_the_window(embedder, body, title):
    body = body.strip()
    if not body:
        return
    article = Article(text=body, identity="x", source="x", title=title.strip() or "untitled")
    chunks = chunk(article, embedder.tokenizer)
    assert chunks and covered(body, chunks)
    assert all(len(embedder.tokenizer(c.embed_text)["input_ids"]) <= MAX_TOKENS for c in chunks)


@FAST
@given(body=TEXT, front=st.dictionaries(st.text(ALPHABET, min_size=1, max_size=20), st.text(ALPHABET, max_size=50), max_size=8),
       raw=st.binary(max_size=2000))
def test_readers_return_articles_or_one_clear_error(tmp_path_factory, body, front, raw):
    folder = tmp_path_factory.mktemp("hostile")
    cases = {
        "a.md": "---\n" + "\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in front.items()) + "\n---\n" + body,
        "b.txt": body,
        "c.html": f"<html><head><title>{body[:50]}</title></head><body><p>{body}</p></body></html>",
        "d.jsonl": "\n".join(json.dumps({"text": body[i:i + 200], "title": str(i)}) for i in range(0, len(body), 200)),
    }
    for name, content in cases.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "e.md").write_bytes(raw)
    for path in sorted(folder.iterdir()):
        try:
            result = read_file(path, 20)
        except InputError as e:
            assert str(e) and "\n" not in str(e)
            continue
        for a in result.articles:
            assert a.text.strip() and isinstance(a.title, str)
            assert not any(ch in a.text for ch in "\x00\x07\x1b\x7f")


def test_one_line_of_five_megabytes_reads_and_chunks(tmp_path, embedder):
    path = tmp_path / "line.txt"
    path.write_text("word " * 1_000_000)
    (article,) = read_file(path, 20).articles
    chunks = chunk(article, embedder.tokenizer)
    assert covered(article.text, chunks)
    assert max(len(embedder.tokenizer(c.embed_text)["input_ids"]) for c in chunks[:50]) <= MAX_TOKENS


def test_deep_and_huge_front_matter_is_an_error_or_ignored(tmp_path):
    deep = tmp_path / "deep.md"
    deep.write_text("---\nextra: " + "[" * 5000 + "]" * 5000 + "\n---\nBody text here.\n")
    huge = tmp_path / "huge.md"
    huge.write_text("---\n" + "".join(f"k{i}: {'v' * 100}\n" for i in range(20000)) + "---\nBody text here.\n")
    for path in (deep, huge):
        try:
            articles = read_file(path, 20).articles
        except InputError as e:
            assert str(e) and "\n" not in str(e)
        else:
            assert articles[0].text == "Body text here."


@pytest.mark.parametrize("question", ["x" * 100_000, "\x00\x01\x02" * 50, "\u202e" * 10 + "?", "   ", "é" * (MAX_QUESTION_CHARS + 1),
                                      "How many H100\x00 GPUs did Meta\u202e use to train Movie Gen?"])
def test_questions_of_any_size_or_content_are_answered_or_refused(corpus_library, question):
    engine = build_engine(corpus_library)
    try:
        a = engine.ask(question)
    except InputError as e:
        assert "\n" not in str(e) and ("characters" in str(e) or "empty" in str(e))
    else:
        assert a.abstained or a.citations
        assert "\x00" not in a.question and "\u202e" not in a.question
        if "Movie Gen" in question:
            assert "6144" in a.answer
