"""Multi-turn conversation over the query engine: a follow-up becomes a standalone question first."""
import re
from dataclasses import dataclass

from .answer import STOPWORDS, NewsdeskQueryEngine
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
        """Without an LLM: a short follow-up that refers back ("and how big was its team?") carries over the key
        terms of the previous question that it does not already name."""
        if not self.turns or len(question.split()) > 15 or not FOLLOW_UP.search(question):
            return question
        have = question.lower()
        carried = [t for t in key_terms(self.turns[-1].standalone) if t.lower() not in have]
        return f"{question.rstrip()} ({' '.join(carried)})" if carried else question

    def ask(self, question: str) -> Answer:
        standalone = self.condense(question)
        answer = self.engine.ask(standalone)
        answer.question = question
        self.turns.append(Turn(question, standalone, answer))
        return answer

    def reset(self):
        self.turns.clear()
