"""Citation checking on crafted LLM output, through a scripted LLM at the LLM seam (the one place a script stands in)."""
from llama_index.core.llms import CustomLLM, CompletionResponse, LLMMetadata

from newsdesk.rag.engine import build_engine
from newsdesk.rag.citations import check, names_match, numbers_match
from newsdesk.rag.llm import LLMAnswerer


class ScriptedLLM(CustomLLM):
    reply: str = ""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted")

    def complete(self, prompt, formatted=False, **kwargs):
        return CompletionResponse(text=self.reply)

    def stream_complete(self, prompt, formatted=False, **kwargs):
        yield CompletionResponse(text=self.reply, delta=self.reply)


def passages_for(library, question):
    engine = build_engine(library)
    return engine, engine.retrieve_passages(question)[1]


def test_invented_markers_and_unsupported_sentences_are_removed(corpus_library):
    _, passages = passages_for(corpus_library, "How many H100 GPUs did Meta use to train Movie Gen?")
    text = ("Movie Gen was trained on 6144 H100 GPUs [7]. "
            "Movie Gen has 30 billion parameters [1]. "
            "Meta plans to open a bakery in Paris next spring [1]. "
            "Movie Gen used 8000 GPUs [2]. "
            "Kuaishou Keling was built by a small team of only 20 people. "
            "The Movie Gen model was trained by Li Li at Meta [1].")
    answer, citations = check(text, passages, corpus_library.articles, corpus_library.embedder)
    assert "[7]" not in answer and "bakery" not in answer and "8000" not in answer and "Li Li" not in answer
    assert "6144" in answer and "30 billion" in answer
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        assert all(q in c.passage for q in c.quotes) and f"[{c.n}]" in answer
    assert any("6144" in q for c in citations for q in c.quotes)

    # A true claim citing a source that does not hold it is shown with the source that does.
    wrong = next(n for n, p in enumerate(passages, 1) if "6144" not in p.text)
    answer, citations = check(f"Meta trained Movie Gen on 6,144 H100 GPUs [{wrong}].", passages, corpus_library.articles, corpus_library.embedder)
    assert answer.endswith("[1]") and "6144" in citations[0].quote


def test_quantities_are_compared_by_value():
    source = 'Movie Gen used 6144 H100 for training, and the parameters reached 30B (30 billion). A team of only 20 people.'
    assert numbers_match("Movie Gen was trained on 6,144 H100s and has 30 billion parameters", source)
    assert numbers_match("a team of twenty", source) and not numbers_match("a team of thirty", source)
    assert not numbers_match("Movie Gen has 30 million parameters", source)
    assert numbers_match("half a million users", "quickly gained 500,000 users")
    assert not numbers_match("hundreds of millions of users", "tens of millions of users at most")
    report = 'According to Sandvine\'s "2023 Global Internet Phenomenon Report", in 2022, video took 65.93% of traffic.'
    assert numbers_match("Video took 65.93% of traffic in 2022, per Sandvine's 2023 Global Internet Phenomenon Report", report)
    assert not numbers_match("In 2023, video took 65.93% of traffic", report)


def test_names_must_be_in_the_source():
    source = "In China, Baidu will not touch Sora-like video generation, Robin Li said."
    assert names_match("Chinese companies such as Baidu avoid Sora-style video", source)
    assert names_match("Instead, Robin Li's Baidu stays out", source)
    assert not names_match("Google will not touch Sora-like video generation", source)
    assert not names_match("Baidu's CEO Pony Ma said so", source)


def test_llm_answers_are_checked_and_abstention_is_kept(corpus_library):
    llm = ScriptedLLM(reply="Meta used 6144 H100 GPUs to train Movie Gen [2]. It was the first model ever made [1].")
    engine = build_engine(corpus_library)
    engine.answerer = LLMAnswerer(corpus_library, llm, "scripted")
    a = engine.ask("How many H100 GPUs did Meta use to train Movie Gen?")
    assert not a.abstained and "6144" in a.answer and "first model ever" not in a.answer
    assert a.citations[0].n == 1 and "[1]" in a.answer and "6144" in a.citations[0].quote

    # True sentences copied from a source, but beside the question, and said twice: none of it is shown.
    llm.reply = ("For example, the recent release of Meta Movie Gen [1]. Based on the Transformer architecture, it uses Flow "
                 "Matching (Flow Matching Technology), which is very different from Sora's route [1]. "
                 "Meta used 6144 H100 GPUs to train Movie Gen [1]. Meta used 6144 H100 GPUs to train Movie Gen [1].")
    a = engine.ask("How many H100 GPUs did Meta use to train Movie Gen?")
    assert a.answer.count("6144") == 1 and "Flow Matching" not in a.answer and "For example" not in a.answer

    llm.reply = "NOT IN SOURCES"
    assert engine.ask("How many parameters does Meta's Movie Gen video model have?").abstained
    llm.reply = "Canberra is the capital of Australia [1]."
    assert engine.ask("What is the capital of Australia?").abstained  # retrieval too weak: the LLM is never asked
