from newsdesk.ingest.chunk import CHUNK_TARGET, chunk
from newsdesk.rag.text import sentences
from newsdesk.ingest.readers import read_file
from newsdesk.rag.embed import MAX_TOKENS
from newsdesk.rag.types import Article

from conftest import CORPUS


def corpus_articles():
    return [a for path in sorted(CORPUS.rglob("*.md")) for a in read_file(path, 20).articles]


def test_no_chunk_of_the_corpus_exceeds_the_model_window(embedder):
    tok = embedder.tokenizer
    for article in corpus_articles():
        chunks = chunk(article, tok)
        assert len(chunks) > 5
        for c in chunks:
            # Counted the way the model counts: title and passage, with [CLS] and [SEP].
            assert len(tok(c.embed_text)["input_ids"]) <= MAX_TOKENS
            assert c.embed_text.startswith(article.title)


def test_chunks_cover_the_article_and_overlap(embedder):
    article = corpus_articles()[0]
    chunks = chunk(article, embedder.tokenizer)
    assert chunks[0].start == 0 and chunks[-1].end == len(article.text)
    tok = embedder.tokenizer
    overlapping = 0
    for a, b in zip(chunks, chunks[1:]):
        assert b.start > a.start
        last = [article.text[s:e] for s, e in sentences(article.text[:a.end])][-1]
        # Neighbours share their boundary sentence unless it alone would fill half a chunk.
        if len(tok(last, add_special_tokens=False)["input_ids"]) <= CHUNK_TARGET // 2:
            assert b.start < a.end
            overlapping += 1
    assert overlapping >= len(chunks) * 0.8
    for s, e in sentences(article.text):
        assert any(c.start <= s and e <= c.end for c in chunks), article.text[s:e]


def test_sentences_keep_abbreviations_and_split_cjk():
    text = 'Dr. Li met J. Smith in the U.S. on Monday. "It works." He left!\n快手可灵发布了。团队只有二十人！'
    got = [text[s:e] for s, e in sentences(text)]
    assert got == ['Dr. Li met J. Smith in the U.S. on Monday.', '"It works."', "He left!", "快手可灵发布了。", "团队只有二十人！"]
    # a title before a name ends no sentence: "Rep. Ilhan Omar", "Lt. Col. Smith"; a product's "Gen." may
    text = ("A man threatened Rep. Ilhan Omar (D-Minn.), prosecutors said. Lt. Col. Smith and Gov. Noem spoke. "
            "Meta released Movie Gen. Based on the Transformer, it differs.")
    assert [text[s:e] for s, e in sentences(text)] == ["A man threatened Rep. Ilhan Omar (D-Minn.), prosecutors said.",
                                                       "Lt. Col. Smith and Gov. Noem spoke.", "Meta released Movie Gen.",
                                                       "Based on the Transformer, it differs."]
    # a short quotation is one sentence with its own stops: a slogan; a long one may be split
    text = "South Dakota says, 'Meth. We're on it.' The campaign cost $449,000. “We love it. It is great,” she said."
    assert [text[s:e] for s, e in sentences(text)] == ["South Dakota says, 'Meth. We're on it.'", "The campaign cost $449,000.",
                                                       "“We love it. It is great,” she said."]
    text = "He said: “I was there. I saw everything that happened that night and I will testify.” Then he left."
    assert len(sentences(text)) == 3
    # no sentence opens in lower case: a stop before one is an abbreviation's or a quotation's, not a sentence's end
    text = ("No checks were made from 10:30 p.m. Aug. 9 to 6:30 a.m. the following morning, when they found him. "
            "South Dakota’s “Meth. We’re on it.” awareness campaign drew fire. It did.")
    assert [text[s:e] for s, e in sentences(text)] == ["No checks were made from 10:30 p.m.",
                                                       "Aug. 9 to 6:30 a.m. the following morning, when they found him.",
                                                       "South Dakota’s “Meth. We’re on it.” awareness campaign drew fire.", "It did."]


def test_a_sentence_longer_than_the_window_is_cut_without_losing_text(embedder):
    tok = embedder.tokenizer
    words = " ".join(f"word{i}" for i in range(2000))
    cjk = "视频生成" * 400
    article = Article(text=words + ". " + cjk, identity="x", source="x", title="A long one")
    chunks = chunk(article, tok)
    assert all(len(tok(c.embed_text)["input_ids"]) <= MAX_TOKENS for c in chunks)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(article.text) if not ch.isspace())
