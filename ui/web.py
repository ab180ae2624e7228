"""The web chat (`newsdesk serve`): a Gradio app on the shared query and chat engines, a page per stored article, the
JSON API (ui/api.py) and the MCP server at /mcp (ui/assistant.py)."""
import base64
import binascii
import html
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from newsdesk.ingest.subscriptions import list_sources
from newsdesk.rag.answer import long_date
from newsdesk.rag.briefing import brief, briefing_text
from newsdesk.rag.chat import Chat
from newsdesk.rag.embed import model_name
from newsdesk.rag.errors import NewsdeskError
from newsdesk.rag.links import normal_url
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings
from newsdesk.rag.timeline import timeline
from newsdesk.rag.types import Answer, Briefing, Citation

from .api import add_api
from .desk import ANSWERS_AT_ONCE, Desk

log = logging.getLogger("newsdesk.web")
# Answers are CPU-bound: beyond a few at once (ANSWERS_AT_ONCE) they only slow each other, and under 50 simultaneous
# users the running ones held every server thread until page loads timed out (benchmarks/load.py). The rest wait in
# the queue.
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")
CSS = """
.source { border-left: 3px solid #ccc; padding: 2px 10px; margin: 10px 0; }
.source mark { background: #fde68a; }
.source p { white-space: pre-wrap; }
.meta { color: #666; font-size: 90%; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; margin: 10px 0; }
.card h4 { margin: 4px 0; }
"""


def md_text(text: str) -> str:
    """Article or model text for a Markdown view: shown as typed, never as markup or HTML."""
    return MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def safe_url(url: str) -> str:
    """A stored link as it may appear in Markdown or HTML: an http(s) URL in normal form (markup and quotes
    percent-encoded), else "". Stores from before links were normalised at ingest pass through here too."""
    return normal_url(url or "")


def article_link(c: Citation) -> str:
    return f"/article/{c.article_id}?start={c.start}&end={c.end}&qs={c.quote_start}&qe={c.quote_end}"


def render_answer(a: Answer) -> str:
    """The chat message: the answer with its [n] markers, then its numbered sources."""
    if a.abstained and not a.citations:
        return md_text(a.answer)
    # A timeline is a list, one dated line per story; other answers are prose.
    body = "\n".join(f"- {md_text(line)}" for line in a.answer.split("\n")) if a.timeline else md_text(a.answer)
    lines = [body, "", "**Sources**"]
    for c in a.citations:
        links = [f"[stored text]({article_link(c)})"] + ([f"[original]({safe_url(c.url)})"] if safe_url(c.url) else [])
        also = f", {md_text(c.also_in())}" if c.also else ""
        lines.append(f"\\[{c.n}\\] *{md_text(c.title)}*, {md_text(c.outlet or 'unknown outlet')}, {md_text(c.date[:10] or 'undated')}{also} ({', '.join(links)})  ")
        lines += [f"“{md_text(q)}”  " for q in c.quotes]
    return "\n".join(lines)


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """text, HTML-escaped, with each of the spans (offsets in text) marked."""
    e, out, at = html.escape, [], 0
    for start, end in sorted((max(s, 0), min(t, len(text))) for s, t in spans):
        if start >= at and end > start:
            out.append(f"{e(text[at:start])}<mark>{e(text[start:end])}</mark>")
            at = end
    return "".join(out) + e(text[at:])


def render_sources(a: Answer | None) -> str:
    """The panel beside the chat: every source of the latest answer, its supporting sentence highlighted."""
    if a is None:
        return "<p class='meta'>Sources of the latest answer appear here.</p>"
    if a.abstained and not a.citations:
        items = "".join(f"<li>{html.escape(c['title'])} ({html.escape(c['outlet'] or 'unknown outlet')}, {html.escape(c['date'][:10])})</li>"
                        for c in a.closest)
        return f"<p><b>The articles don't cover this.</b></p>" + (f"<p>Closest articles:</p><ul>{items}</ul>" if items else "")
    parts = []
    for c in a.citations:
        e = html.escape
        url = safe_url(c.url)
        links = f"<a href='{e(article_link(c))}' target='_blank'>stored text</a>" + (f" · <a href='{e(url)}' target='_blank' rel='noopener noreferrer'>original</a>" if url else "")
        meta = " · ".join(e(x) for x in (c.outlet or "unknown outlet", c.author, c.date[:10] or "undated") if x)
        passage = highlighted(c.passage, [(qs - c.start, qe - c.start) for qs, qe in c.quote_spans])
        ran = ", ".join((f"<a href='{e(safe_url(x['url']))}' target='_blank' rel='noopener noreferrer'>" if safe_url(x["url"]) else "<span>")
                        + f"{e(x['outlet'] or 'unnamed outlet')} ({e(x['date'][:10] or 'undated')})" + ("</a>" if safe_url(x["url"]) else "</span>")
                        for x in c.also)
        also = f"<div class='meta'>The same story also ran in {ran}</div>" if ran else ""
        parts.append(f"<div class='source'><b>[{c.n}] {e(c.title)}</b><div class='meta'>{meta} · {links}</div>{also}<p>{passage}</p></div>")
    return "".join(parts)


def render_timeline(entries: list[Citation]) -> str:
    if not entries:
        return "<p><b>The articles don't tell what happened with that.</b></p>"
    e = html.escape
    items = []
    for c in entries:
        url = safe_url(c.url)
        links = f"<a href='{e(article_link(c))}' target='_blank'>{e(c.title or 'untitled')}</a>" + (
            f" · <a href='{e(url)}' target='_blank' rel='noopener noreferrer'>original</a>" if url else "")
        also = f" ({e(c.also_in())})" if c.also else ""
        items.append(f"<li class='entry'><b class='when'>{e(c.date[:10] or 'undated')}</b> · {e(c.outlet or 'unknown outlet')}{also} · {links}"
                     f"<p>“{e(c.quote)}”</p></li>")
    return f"<ol class='timeline'>{''.join(items)}</ol>"


def render_briefing(b: Briefing) -> str:
    """A briefing's event cards: title, date, the outlets that reported it (each linked to its article), the lede
    quoted with a link to the stored text."""
    e = html.escape
    cards = []
    for n, item in enumerate(b.items, 1):
        c = item.citations[0]
        outlets = {}  # each outlet once, linked to its first article
        for a in item.articles:
            where = safe_url(a["url"]) or f"/article/{a['article_id']}"
            outlet = a["outlet"] or "unnamed outlet"
            outlets.setdefault(outlet, f"<a href='{e(where)}' target='_blank' rel='noopener noreferrer'>{e(outlet)}</a>")
        cards.append(f"<div class='card'><h4>{e(item.title or 'untitled')}</h4><div class='meta'><b class='when'>{e(long_date(item.date))}</b>"
                     f" · reported by {', '.join(outlets.values())}</div><p>“{e(item.summary)}” "
                     f"<a class='cite' href='{e(article_link(c))}' target='_blank'>[{n}]</a></p></div>")
    return f"<p><b>{e(briefing_text(b).split(chr(10))[0])}</b></p><div class='briefing'>{''.join(cards)}</div>"


def article_page(library: Library, article_id: str, start: int, end: int, qs: int, qe: int) -> str:
    """A stored article as text, the cited passage marked and the quote in bold. Only ids in the manifest resolve:
    the id is a key, never a path, so nothing outside the store can be reached through it."""
    library.refresh()
    a = library.articles.get(article_id)
    if a is None:
        raise HTTPException(status_code=404, detail="no stored article with that id")
    text, e = a["text"], html.escape
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    qs, qe = max(start, min(qs, end)), max(start, min(qe, end))
    body = (f"{e(text[:start])}<mark>{e(text[start:qs])}<b>{e(text[qs:qe])}</b>{e(text[qe:end])}</mark>{e(text[end:])}"
            if end > start else e(text))
    url = safe_url(a["url"])
    meta = " · ".join(e(x) for x in (a["outlet"], a["author"], a["date"][:10]) if x)
    link = f" · <a href='{e(url)}' rel='noopener noreferrer'>original</a>" if url else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(a['title'])}</title><style>"
            "body{max-width:46em;margin:2em auto;font:17px/1.5 Georgia,serif;padding:0 1em} mark{background:#fde68a}"
            f".meta{{color:#666}}</style></head><body><h1>{e(a['title'])}</h1><p class='meta'>{meta}{link}</p>"
            f"<div style='white-space:pre-wrap'>{body}</div></body></html>")


def example_questions(library: Library, n: int = 4) -> list[str]:
    """Questions about the names the articles mention most (capitalised phrases past a sentence's start)."""
    counts: Counter = Counter()
    with library.lock:
        newest = library.manifest.newest(20)
    for a in newest:
        names = re.findall(r"(?<=[a-z,] )([A-Z][\w-]+(?: [A-Z][\w-]+){0,2})", a["text"])
        counts.update(name for name in names if len(name) > 3)
    # "Movie Gen" says more about an article than "China": a name of several words counts for each word.
    ranked = sorted(counts, key=lambda name: counts[name] * len(name.split()), reverse=True)
    return [f"What do the articles say about {name}?" for name in ranked[:n]]


def ago(iso: str, now: datetime | None = None) -> str:
    if not iso:
        return "never synced"
    seconds = ((now or datetime.now(timezone.utc)) - datetime.fromisoformat(iso)).total_seconds()
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"synced {n} {unit}{'s' if unit == 'day' and n > 1 else ''} ago"
    return "synced just now"


def status_line(library: Library, mode: str) -> str:
    s = library.settings
    with library.lock:
        articles, chunks = library.manifest.counts()
    store = f"Chroma server {s.chroma_url}" if s.chroma_url else "embedded Chroma"
    line = f"{articles} articles · {chunks} chunks · {model_name(s).split('/')[-1]} · {mode} · {store}"
    sources = list_sources(s)
    if sources:
        line += "  \nSources: " + " · ".join(
            f"{md_text(x['name'])} ({x['articles']} article{'' if x['articles'] == 1 else 's'}, {ago(x['last_sync'])}{', last sync failed' if x['last_error'] else ''})"
            for x in sources)
    return line


class Web:
    """Everything the app's events do, over one open library."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.desk = Desk(settings)
        self.library = self.desk.library
        self.library.embedder.model  # loaded before the first visitor asks, not while they wait
        self.feedback = settings.home / "feedback.jsonl"
        self.feedback_lock = threading.Lock()

    def ask(self, question: str) -> str:
        """The /ask API: one question in, the JSON text `newsdesk ask --json` prints out. Text, not an object,
        because gradio_client takes any object with a "path" key (every citation has one) for a file to download."""
        try:
            out = self.desk.ask(question)  # a remote caller learns what the articles say, not where the files lie
        except NewsdeskError as e:
            out = {"question": question[:200], "error": str(e)}
        return json.dumps(out, ensure_ascii=False)

    def respond(self, message: str, history: list, state: dict, mode: str, top_k: int, since: str, until: str, outlet: str):
        """Streams one turn: a placeholder, then an LLM's draft as it is written, then the checked answer."""
        message = (message or "").strip()
        if not message:
            yield history, state, gr.skip(), ""
            return
        history = history + [{"role": "user", "content": md_text(message)}, {"role": "assistant", "content": "_Searching the articles…_"}]
        yield history, state, gr.skip(), ""
        deltas: queue.Queue = queue.Queue()
        result: dict = {}

        def work():
            try:
                chat = Chat(self.desk.engine(mode, int(top_k), since, until, outlet))
                chat.turns = state["turns"]
                result["answer"] = chat.ask(message, on_delta=deltas.put)
            except NewsdeskError as e:
                result["error"] = f"{e}."
            except Exception:
                log.exception("answering %r failed", message[:200])
                result["error"] = "Something went wrong while answering; the server log has the details."
            finally:
                deltas.put(None)

        threading.Thread(target=work, daemon=True).start()
        draft = ""
        while (delta := deltas.get()) is not None:
            draft += delta
            history[-1]["content"] = f"_Draft, checked against the sources when done:_ {md_text(draft)}"
            yield history, state, gr.skip(), ""
        if "error" in result:
            history[-1]["content"] = md_text(result["error"])
            yield history, state, gr.skip(), ""
            return
        answer = result["answer"]
        history[-1]["content"] = render_answer(answer)
        state["answers"][len(history) - 1] = answer.to_dict()
        yield history, state, render_sources(answer), ""

    def timeline(self, topic: str) -> str:
        topic = (topic or "").strip()
        if not topic:
            return ""
        try:
            entries = timeline(self.library, topic)
        except NewsdeskError as e:
            return f"<p>{html.escape(str(e))}</p>"
        return render_timeline(entries)

    def briefing(self, since: str, until: str, topic: str) -> str:
        self.library.refresh()
        try:
            return render_briefing(brief(self.library, (since or "").strip() or None, (until or "").strip() or None, (topic or "").strip() or None))
        except NewsdeskError as e:
            return f"<p>{html.escape(str(e))}</p>"

    def vote(self, state: dict, data: gr.LikeData):
        answer = state["answers"].get(data.index if isinstance(data.index, int) else data.index[0])
        if answer is None:
            return
        row = {"question": answer["question"], "answer": answer["answer"], "citations": answer["citations"],
               "vote": "up" if data.liked else "down", "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with self.feedback_lock, open(self.feedback, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(settings: Settings) -> tuple[gr.Blocks, Web]:
    web = Web(settings)
    modes = web.desk.modes
    with gr.Blocks(title="newsdesk") as demo:
        gr.Markdown("## newsdesk\nAsk about the articles; every sentence of an answer cites its source.")
        status = gr.Markdown()
        state = gr.State({"turns": [], "answers": {}})
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=520, label="Chat", sanitize_html=True, buttons=["copy"])
                    box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, submit_btn=True)
                    gr.Examples(example_questions(web.library), inputs=box, label="Try")
                    new = gr.Button("New chat", size="sm")
                with gr.Column(scale=2):
                    sources = gr.HTML(render_sources(None), label="Sources")
                    with gr.Accordion("Settings", open=False):
                        mode = gr.Dropdown(modes, value=settings.llm if settings.llm in modes else "extractive", label="Answer mode")
                        top_k = gr.Slider(1, 10, value=min(settings.top_k, 10), step=1, label="Sources to consider")
                        since = gr.Textbox(label="Published since (YYYY-MM-DD)")
                        until = gr.Textbox(label="Published until (YYYY-MM-DD)")
                        outlet = gr.Textbox(label="Outlet")
        with gr.Tab("Timeline"):
            gr.Markdown("What happened with a subject: the stories about it in date order, one quoted sentence each.")
            topic = gr.Textbox(placeholder="A subject, e.g. the Riverton flood", show_label=False, submit_btn=True)
            entries = gr.HTML("")
            topic.submit(web.timeline, [topic], [entries], concurrency_limit=ANSWERS_AT_ONCE, concurrency_id="answer", api_visibility="private")
        with gr.Tab("Briefing"):
            gr.Markdown("The events of a day (the latest that has articles, unless you pick others), most covered first.")
            with gr.Row():
                b_since = gr.Textbox(label="From (YYYY-MM-DD)", scale=1)
                b_until = gr.Textbox(label="To (YYYY-MM-DD)", scale=1)
                b_topic = gr.Textbox(label="Topic", placeholder="A subject, e.g. Boeing", scale=2)
                b_show = gr.Button("Show", scale=0)
            cards = gr.HTML("")
            for trigger in (b_show.click, b_topic.submit, b_since.submit, b_until.submit):
                trigger(web.briefing, [b_since, b_until, b_topic], [cards], concurrency_limit=ANSWERS_AT_ONCE,
                        concurrency_id="answer", api_visibility="private")
            demo.load(web.briefing, [b_since, b_until, b_topic], [cards], api_visibility="private")
        box.submit(web.respond, [box, chatbot, state, mode, top_k, since, until, outlet], [chatbot, state, sources, box],
                   concurrency_limit=ANSWERS_AT_ONCE, concurrency_id="answer", api_visibility="private")
        chatbot.like(web.vote, [state], None, api_visibility="private")
        new.click(lambda: ([], {"turns": [], "answers": {}}, render_sources(None)), None, [chatbot, state, sources], api_visibility="private")
        demo.load(lambda m: status_line(web.library, m), [mode], status, api_visibility="private")
        mode.change(lambda m: status_line(web.library, m), [mode], status, api_visibility="private")
        # A running `sync --every` adds articles and sources' sync times change; the line keeps up without a reload.
        gr.Timer(60).tick(lambda m: status_line(web.library, m), [mode], status, api_visibility="private")
        gr.api(web.ask, api_name="ask", concurrency_limit=ANSWERS_AT_ONCE, concurrency_id="answer")
    return demo, web


# Gradio's routes for files sent by a browser: this app has no upload or recording widget, so they only let anyone
# who reaches the server fill its disk (a 50 MB upload was stored with no login).
REFUSED = re.compile(r"/gradio_api/(upload|upload_progress|process_recording)/?$")
# FastAPI's (and the mounted Gradio app's) route descriptions: with a login, only for those who hold it.
DESCRIPTIONS = re.compile(r"/(docs|redoc|openapi\.json)(/.*)?$")
# Doors for programs: with a login they take HTTP Basic credentials, and wrong ones count as wrong passwords.
PROGRAMS = re.compile(r"/(api|mcp)(/.*)?$")
LOGIN = re.compile(r"/(gradio_api/)?login/?$")
LOGIN_FAILURES = 5  # wrong passwords per address per LOGIN_WINDOW_S before its logins are refused until the window ends
LOGIN_WINDOW_S = 60.0


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header, or None."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def same_credentials(given: tuple[str, str] | None, auth: tuple[str, str]) -> bool:
    return given is not None and all(secrets.compare_digest(a.encode(), b.encode()) for a, b in zip(given, auth))


class Guard:
    """ASGI middleware in front of the whole app: refuses the upload routes, asks for credentials on the route
    descriptions and MCP when the server has a login, and limits wrong passwords per client address (50 guesses took
    0.31 s without it), whether given to the login form or as HTTP Basic to the API. Behind a reverse proxy every
    client shares the proxy's address, so one guesser locks the others out for a minute: a proxy should limit logins
    itself."""

    def __init__(self, app, auth: tuple[str, str] | None):
        self.app, self.auth = app, auth
        self.failures: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def recent(self, who: str, now: float) -> list[float]:
        with self.lock:
            if len(self.failures) > 10_000:  # addresses that stopped guessing long ago: keep the table small
                self.failures = {k: v for k, v in self.failures.items() if now - v[-1] < LOGIN_WINDOW_S}
            times = self.failures[who] = [t for t in self.failures.get(who, []) if now - t < LOGIN_WINDOW_S]
            if not times:
                del self.failures[who]
            return times

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if REFUSED.search(path):
            return await refuse(send, 404, "not found")
        program, login = PROGRAMS.match(path), scope["method"] == "POST" and LOGIN.search(path)
        if self.auth is None or not (program or login or DESCRIPTIONS.match(path)):
            return await self.app(scope, receive, send)
        who, now = (scope.get("client") or ("?",))[0], time.monotonic()
        times = self.recent(who, now)
        if len(times) >= LOGIN_FAILURES:
            wait = int(LOGIN_WINDOW_S - (now - times[0])) + 1
            return await refuse(send, 429, f"too many wrong passwords; try again in {wait} s", {"retry-after": str(wait)})
        if login:
            status = {}

            async def noting(message):
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            await self.app(scope, receive, noting)
            if status.get("code", 500) >= 400:
                self.failed(who)
            return
        given = basic_credentials(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1"))
        if same_credentials(given, self.auth):
            return await self.app(scope, receive, send)
        if given is not None:
            self.failed(who)
        if path.startswith("/api/"):  # the API also answers a browser logged in to the chat: its routes check both
            return await self.app(scope, receive, send)
        return await refuse(send, 401, "give the server's user and password (HTTP Basic)", {"www-authenticate": 'Basic realm="newsdesk"'})

    def failed(self, who: str):
        with self.lock:
            self.failures.setdefault(who, []).append(time.monotonic())


async def refuse(send, code: int, detail: str, headers: dict | None = None):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": code, "headers": [(b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()), *((k.encode(), v.encode()) for k, v in (headers or {}).items())]})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings, host: str = "127.0.0.1") -> FastAPI:
    """The chat, the article pages, the JSON API and the MCP server, on one app; host is where it listens (the MCP
    transport guards a loopback server against DNS rebinding)."""
    from .assistant import assistant  # the MCP SDK loads where it serves only

    demo, web = build(settings)
    auth = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        auth = (user, password)
    tools = assistant(web.desk)
    mcp = tools.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, host=host)
    app = FastAPI(title="newsdesk", description="Answers from news articles, with citations; search, articles, stories, "
                  "events, timelines and briefings. The same functions as the `newsdesk` command.",
                  lifespan=lambda _: tools.session_manager.run())
    app.add_middleware(Guard, auth=auth)
    app.router.routes.extend(mcp.routes)

    @app.get("/article/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article(article_id: str, request: Request, start: int = 0, end: int = 0, qs: int = 0, qe: int = 0):
        if not logged_in(request):
            raise HTTPException(status_code=401, detail="log in at / first")
        return article_page(web.library, article_id, start, end, qs, qe)

    add_api(app, web.desk, lambda request: auth is None or same_credentials(basic_credentials(request.headers.get("authorization")), auth)
            or logged_in(request))
    app = gr.mount_gradio_app(app, demo.queue(default_concurrency_limit=None), path="/", auth=auth, css=CSS, max_file_size="1mb")
    gradio_app = app.routes[-1].app

    def logged_in(request: Request) -> bool:
        # The article pages and the API sit outside Gradio, so they check Gradio's own login cookie.
        if auth is None:
            return True
        cookie = request.cookies.get(f"access-token-{gradio_app.cookie_id}") or request.cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}")
        return gradio_app.tokens.get(cookie) is not None

    return app


def serve(settings: Settings, host: str, port: int):
    import uvicorn

    app = create_app(settings, host)
    print(f"newsdesk: chat at http://{host}:{port}/, API at /api (docs at /docs), MCP at /mcp (Ctrl-C stops it)", flush=True)
    # Open event streams would otherwise hold a Ctrl-C for many seconds.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
