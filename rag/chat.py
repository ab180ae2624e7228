"""Multi-turn conversation over the query engine: a follow-up becomes a standalone question first."""
import re
from dataclasses import dataclass

from .engine import NewsdeskQueryEngine
from .text import STOPWORDS, words
from .types import Answer

FOLLOW_UP = re.compile(r"^\s*(and|also|what about|how about)\b|\b(it|its|they|them|their|he|him|his|she|her|this|that|these|those|there)\b", re.I)


@dataclass
class Turn:
    question: str
    standalone: str
    answer: Answer


def key_terms(question: str) -> list[str]:
    """Names in a question (capitalised words past its first), or else its content words."""
    tokens = re.findall(r"[\w.-]+", question)
    names = [t for t in tokens[1:] if t[:1].isupper() or any(ch.isdigit() for ch in t)]
    return names or [t for t in tokens if t.lower() not in STOPWORDS]


class Chat:
    def __init__(self, engine: NewsdeskQueryEngine):
        self.engine = engine
        self.turns: list[Turn] = []

    def condense(self, question: str) -> str:
        llm = getattr(self.engine.answerer, "llm", None)
        if llm is not None and self.turns:
            rewritten = self.condense_with(llm, question)
            if rewritten:
                return rewritten
        return self.carry_terms(question)

    def condense_with(self, llm, question: str) -> str | None:
        """LlamaIndex's condense step; its rewrite is used only if it is one line that still asks everything the
        follow-up asked (a small model may answer instead, or drop half the question)."""
        from llama_index.core.base.llms.generic_utils import messages_to_history_str
        from llama_index.core.base.llms.types import ChatMessage, MessageRole
        from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT

        history = []
        for t in self.turns[-3:]:
            history += [ChatMessage(role=MessageRole.USER, content=t.standalone),
                        ChatMessage(role=MessageRole.ASSISTANT, content=t.answer.answer[:400])]
        try:
            text = llm.predict(DEFAULT_PROMPT, question=question, chat_history=messages_to_history_str(history))
        except Exception:
            return None  # the answer step reports a broken LLM; condensing quietly falls back to carried terms
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        rewritten = lines[0] if lines else ""
        if not rewritten or len(rewritten) > 3 * len(question) + 200 or not words(question) <= words(rewritten):
            return None
        return rewritten

    def carry_terms(self, question: str) -> str:
        """Without an LLM: a short follow-up that refers back ("and how big was its team?") carries over the key
        terms of the previous question that it does not already name."""
        if not self.turns or len(question.split()) > 15 or not FOLLOW_UP.search(question):
            return question
        have = question.lower()
        carried = [t for t in key_terms(self.turns[-1].standalone) if t.lower() not in have]
        return f"{question.rstrip()} ({' '.join(carried)})" if carried else question

    def ask(self, question: str, on_delta=None) -> Answer:
        standalone = self.condense(question)
        answer = self.engine.ask(standalone, on_delta=on_delta)
        answer.question = question
        self.turns.append(Turn(question, standalone, answer))
        return answer

    def reset(self):
        self.turns.clear()
