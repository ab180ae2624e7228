"""newsdesk as tools for an AI assistant: an MCP server (the official SDK) whose tools ask, search, get_article,
timeline and brief call ui/desk.py. Each tool returns text an assistant can quote, every source with its title,
outlet, date and url, and the same result as structured content. `newsdesk mcp` serves it over stdio; `newsdesk
serve` also serves it at /mcp (streamable HTTP) behind the server's credentials."""
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent

from newsdesk.rag.briefing import briefing_text
from newsdesk.rag.errors import NewsdeskError

from .api import AnswerOut, ArticleOut, BriefingOut, SearchOut, TimelineOut
from .desk import Desk

INSTRUCTIONS = ("newsdesk answers questions about a collection of news articles and cites the passages it used. "
                "Quote its answers with their citations; when it says the articles don't hold the answer, they don't.")


def source_line(c: dict) -> str:
    return f"[{c['n']}] {c['title'] or 'Untitled'}, {c['outlet'] or 'unknown outlet'}, {c['date'][:10] or 'undated'}, {c['url'] or 'no url'}"


def answer_text(out: dict) -> str:
    sources = [source_line(c) + "".join(f"\n    “{q}”" for q in c["quotes"]) for c in out["citations"]]
    return out["answer"] + ("\n\nSources:\n" + "\n".join(sources) if sources else "")


def result(text: str, structured: dict) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


def assistant(desk: Desk) -> MCPServer:
    server = MCPServer("newsdesk", instructions=INSTRUCTIONS)

    async def call(fn, *args):
        """fn on the desk; its errors (a bad date, an empty question) reach the assistant as the tool's message, which
        the SDK otherwise hides behind "Error executing tool"."""
        try:
            return await desk.run(fn, *args)
        except NewsdeskError as e:
            raise ToolError(str(e)) from None

    @server.tool(description="Answer a question from the news articles; every claim is cited [n] to a passage of a named "
                             "article. Dates are YYYY-MM-DD and narrow the articles by publication date.")
    async def ask(question: str, since: str | None = None, until: str | None = None, outlet: str | None = None) -> Annotated[CallToolResult, AnswerOut]:
        out = await call(desk.ask, question, None, since, until, outlet)
        return result(answer_text(out), out)

    @server.tool(description="Search the news articles: the passages that best match a query, best first, each with its "
                             "article's title, outlet, date and url. No answer is composed.")
    async def search(query: str, k: int = 10, since: str | None = None, until: str | None = None,
                     outlet: str | None = None) -> Annotated[CallToolResult, SearchOut]:
        out = await call(desk.search, query, k, since, until, outlet)
        lines = [f"{n}. {h['title'] or 'Untitled'}, {h['outlet'] or 'unknown outlet'}, {h['date'][:10] or 'undated'}, "
                 f"{h['url'] or 'no url'} (article {h['article_id']})\n   {h['passage']}" for n, h in enumerate(out["results"], 1)]
        return result("\n".join(lines) or "No passage matches.", out)

    @server.tool(description="One stored article by its id (as search and ask give it): metadata and full text.")
    async def get_article(article_id: str) -> Annotated[CallToolResult, ArticleOut]:
        out = await call(desk.article, article_id)
        if out is None:
            raise ToolError(f"article_id {article_id!r}: no stored article has this id")
        head = f"{out['title'] or 'Untitled'}\n{out['outlet'] or 'unknown outlet'} · {out['date'][:10] or 'undated'} · {out['url'] or 'no url'}"
        return result(f"{head}\n\n{out['text']}", out)

    @server.tool(description="What happened with a subject: the stories about it in date order, one quoted, cited "
                             "sentence each (one entry per event and day).")
    async def timeline(subject: str, since: str | None = None, until: str | None = None) -> Annotated[CallToolResult, TimelineOut]:
        entries = await call(desk.timeline, subject, since, until)
        lines = [f"{c['date'][:10] or 'Undated'} · {c['outlet'] or 'unknown outlet'}: {c['quote']} [{c['n']}]" for c in entries]
        text = "\n".join(lines) + "\n\nSources:\n" + "\n".join(map(source_line, entries)) if entries else \
            f"The articles don't tell what happened with {subject}."
        return result(text, {"subject": subject, "entries": entries})

    @server.tool(description="A news briefing: the events of a window (default: the latest day with articles), most "
                             "covered first, each with its lede, date and outlets; a topic narrows it to events about it.")
    async def brief(since: str | None = None, until: str | None = None, topic: str | None = None,
                    limit: int = 10) -> Annotated[CallToolResult, BriefingOut]:
        b = await call(desk.briefing, since, until, topic, limit)
        out = b.public(paths=False)
        items = [briefing_text(b).split("\n")[0]] + [f"{n}. {e['title']} ({e['date'][:10] or 'undated'}; reported by {', '.join(e['outlets'])})\n   {e['summary']}\n   "
                 + "; ".join(f"{c['outlet'] or 'unknown outlet'}: {c['url'] or 'no url'}" for c in e["citations"])
                 for n, e in enumerate(out["events"], 1)]
        return result("\n".join(items), out)

    return server
