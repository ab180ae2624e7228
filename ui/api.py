"""The JSON API on the app `newsdesk serve` runs (/api/...): ui/desk.py's functions behind request and response
models, so that /openapi.json and /docs describe every route. Bad input is a 4xx whose JSON body is one line naming
the field; answers run as many at a time as the chat's (Desk.run), beside them, so callers cannot starve the chat."""
import datetime
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from newsdesk.rag.answer import MAX_QUESTION_CHARS
from newsdesk.rag.errors import InputError, NewsdeskError

from .desk import MAX_BRIEF, MAX_SEARCH, Desk

class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="a question about the articles")
    top_k: int | None = Field(None, ge=1, le=50, description="passages to answer from (default: the server's, 5)")
    since: datetime.date | None = Field(None, description="only articles published on or after this day")
    until: datetime.date | None = Field(None, description="only articles published on or before this day")
    outlet: str | None = Field(None, max_length=200, description="only articles of this outlet")
    mode: str | None = Field(None, description="extractive, local or openai, as the server offers (default: the server's)")


class Listed(BaseModel):
    article_id: str
    title: str
    outlet: str
    date: str
    url: str


class Also(BaseModel):
    title: str
    outlet: str
    date: str
    url: str


class Source(BaseModel):
    """What every quoted or listed source carries."""
    title: str
    outlet: str
    author: str
    date: str
    url: str


class Cited(Source):
    n: int
    passage: str = Field(description="the passage the quotes come from")
    quote: str = Field(description="the first sentence quoted from this article")
    quotes: list[str] = Field(description="every sentence the answer quotes from this article, in answer order")
    also: list[Also] = Field(description="other articles that carry the same story or, in a timeline, report the same event that day")


class AnswerOut(BaseModel):
    question: str
    answer: str = Field(description="the answer, each claim followed by its citation number [n]")
    citations: list[Cited]
    abstained: bool = Field(description="true when the articles don't hold the answer")
    mode: str
    timeline: bool = Field(description="true when the answer is one dated line per story or event")
    timings_ms: dict[str, float]


class Hit(Source):
    article_id: str
    passage: str
    start: int = Field(description="offset of the passage in the article's stored text")
    end: int
    score: float = Field(description="the fused rank score the hits are ordered by")
    cosine: float = Field(description="the passage's best similarity to the query")


class SearchOut(BaseModel):
    query: str
    results: list[Hit]


class ArticleOut(Source):
    article_id: str
    language: str
    story: str = Field(description="the id of the article's story (its copies), as /api/stories lists them")
    event: str = Field(description="the id of the article's event, as /api/events lists them")
    text: str = Field(description="the stored text, page furniture removed")


class StoryOut(BaseModel):
    story: str
    title: str
    size: int
    outlets: list[str]
    first: str
    last: str
    articles: list[Listed]


class EventOut(BaseModel):
    event: str
    title: str
    first: str
    last: str
    outlets: list[str]
    articles: list[Listed]


class BriefItemOut(BaseModel):
    event: str
    title: str
    summary: str = Field(description="the event's lede, quoted from its best article")
    date: str
    outlets: list[str]
    articles: list[Listed]
    citations: list[Cited]


class BriefingOut(BaseModel):
    since: str
    until: str
    topic: str
    events: list[BriefItemOut]


class TimelineOut(BaseModel):
    subject: str
    entries: list[Cited]


class ErrorOut(BaseModel):
    error: str


ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def add_api(app: FastAPI, desk: Desk, allowed) -> None:
    """The /api routes on app; allowed(request) says whether a caller holds the server's credentials."""
    run = desk.run

    def guard(request: Request):
        if not allowed(request):
            raise HTTPException(401, "give the server's user and password (HTTP Basic)", headers={"WWW-Authenticate": 'Basic realm="newsdesk"'})

    api = APIRouter(prefix="/api", dependencies=[Depends(guard)], responses=ERRORS)

    @api.post("/ask", response_model=AnswerOut, summary="Answer a question from the articles, with citations")
    async def ask(body: AskRequest):
        return await run(desk.ask, body.question, body.top_k, day(body.since), day(body.until), body.outlet, body.mode)

    @api.get("/search", response_model=SearchOut, summary="The passages that match a query, best first, with no answer composed")
    async def search(q: str = Query(min_length=1, max_length=MAX_QUESTION_CHARS), k: int = Query(10, ge=1, le=MAX_SEARCH),
                     since: datetime.date | None = None, until: datetime.date | None = None, outlet: str | None = Query(None, max_length=200)):
        return await run(desk.search, q, k, day(since), day(until), outlet)

    @api.get("/articles/{article_id}", response_model=ArticleOut, summary="An article's metadata and stored text")
    async def article(article_id: str = Path(max_length=200)):
        found = await run(desk.article, article_id)
        if found is None:
            raise HTTPException(404, f"article_id {article_id!r}: no stored article has this id")
        return found

    @api.get("/stories", response_model=list[StoryOut], summary="Articles that are one story (wire copies, rewrites)")
    async def stories(all: bool = Query(False, description="include stories of one article")):
        return await run(desk.stories, all)

    @api.get("/events", response_model=list[EventOut], summary="Articles that report one event, across outlets and days")
    async def events(all: bool = Query(False, description="include events of one article"),
                     since: datetime.date | None = None, until: datetime.date | None = None):
        return await run(desk.events, all, day(since), day(until))

    @api.get("/timeline", response_model=list[Cited], summary="The stories about a subject in date order, one quote each")
    async def timeline(subject: str = Query(min_length=1, max_length=MAX_QUESTION_CHARS), since: datetime.date | None = None,
                       until: datetime.date | None = None, outlet: str | None = Query(None, max_length=200)):
        return await run(desk.timeline, subject, day(since), day(until), outlet)

    @api.get("/brief", response_model=BriefingOut, summary="The events of a window (default: the latest day), most covered first")
    async def briefing(since: datetime.date | None = None, until: datetime.date | None = None,
                       topic: str | None = Query(None, max_length=MAX_QUESTION_CHARS), limit: int = Query(10, ge=1, le=MAX_BRIEF)):
        return await run(desk.brief, day(since), day(until), topic, limit)

    app.include_router(api)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path")) or "body"
        return JSONResponse({"error": f"{field}: {first['msg']}"}, status_code=422)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, e: HTTPException):
        if not request.url.path.startswith("/api/"):
            return await http_exception_handler(request, e)
        return JSONResponse({"error": e.detail}, status_code=e.status_code, headers=e.headers)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, e: InputError):
        return JSONResponse({"error": str(e)}, status_code=400)

    @app.exception_handler(NewsdeskError)
    async def unavailable(request: Request, e: NewsdeskError):  # a store, a model server or a lock not available now
        return JSONResponse({"error": str(e)}, status_code=503)
