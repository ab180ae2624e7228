"""The interfaces for programs, with real clients: the JSON API with httpx against a running `newsdesk serve`, and the
MCP server with the SDK's own client, over stdio against `newsdesk mcp` and over HTTP against `serve`."""
import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from conftest import BIN, CORPUS, run_cli
from test_web import start_server, stop

LOGIN = ("editor", "s3cret")
QUESTION = "How many H100 GPUs did Meta use to train Movie Gen?"
FERRY = "Which operator runs the Lindholm ferry?"
ARTICLES = {  # beside the seed article (a file, without url): two with urls, of one event
    "ferry1.md": ("Storm stops the Lindholm ferry", "Coast Daily", "2024-03-04", "https://coast.example/ferry-stops",
                  "The harbour ferry to Lindholm stopped on Monday after a storm tore a mooring loose at the Vestby pier. "
                  "Operator Nordfjord Lines said repairs would take three days."),
    "ferry2.md": ("Lindholm ferry out for days", "Harbour News", "2024-03-05", "https://harbour.example/ferry-out",
                  "Nordfjord Lines cancelled the Lindholm ferry's crossings after Monday's storm damaged the Vestby pier; "
                  "the harbour ferry should run again within three days, the operator said."),
}
ROUTES = ["/api/search?q=Kling", "/api/stories", "/api/events", "/api/timeline?subject=Kling", "/api/brief", "/api/articles/x"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("articles")
    for name, (title, outlet, date, url, text) in ARTICLES.items():
        (folder / name).write_text(f"---\ntitle: {title}\noutlet: {outlet}\ndate: {date}\nurl: {url}\n---\n{text}\n")
    home = tmp_path_factory.mktemp("api") / "home"
    assert run_cli("ingest", CORPUS, str(folder), "--no-progress", home=home).returncode == 0
    proc, url = start_server(home, {"NEWSDESK_AUTH": ":".join(LOGIN)})
    try:
        yield home, url.rstrip("/")
    finally:
        stop(proc)


def test_every_route_answers_as_the_cli_does_and_is_described(served):
    home, url = served
    with httpx.Client(base_url=url, auth=LOGIN, timeout=120) as api:
        answer = api.post("/api/ask", json={"question": QUESTION}).json()
        assert "6144" in answer["answer"] and not answer["abstained"] and answer["mode"] == "extractive"
        cited = answer["citations"][0]
        assert cited["title"] == "In 2024, every large model cannot avoid Rongmomo and Ziwei | Focus Analysis"
        assert cited["outlet"] == "36Kr" and cited["quote"] in cited["passage"] and "path" not in cited
        # the same object `newsdesk ask --json` prints, less the file paths
        cli = __import__("json").loads(run_cli("ask", "--json", QUESTION, home=home).stdout)
        assert answer["answer"] == cli["answer"] and [c["quote"] for c in answer["citations"]] == [c["quote"] for c in cli["citations"]]

        hits = api.get("/api/search", params={"q": "Kling video generation", "k": 3}).json()
        assert hits["query"] == "Kling video generation" and 1 <= len(hits["results"]) <= 3
        assert [h["score"] for h in hits["results"]] == sorted((h["score"] for h in hits["results"]), reverse=True)
        first = hits["results"][0]
        assert "video generation" in first["passage"] and first["outlet"] == "36Kr" and first["date"].startswith("2024-10-19")

        article = api.get(f"/api/articles/{first['article_id']}").json()
        assert article["text"][first["start"]:first["end"]] == first["passage"] and article["title"] == first["title"]
        assert article["story"] and article["event"]
        missing = api.get("/api/articles/nothing-here")
        assert missing.status_code == 404 and missing.json() == {"error": "article_id 'nothing-here': no stored article has this id"}

        stories = api.get("/api/stories", params={"all": "true"}).json()
        assert len(stories) == 3 and article["story"] in {s["story"] for s in stories} and api.get("/api/stories").json() == []
        events = api.get("/api/events").json()  # the two ferry reports are one event
        assert [e["outlets"] for e in events] == [["Coast Daily", "Harbour News"]]
        assert events[0]["articles"][0]["url"] == "https://coast.example/ferry-stops" and "path" not in events[0]["articles"][0]
        assert article["event"] in {e["event"] for e in api.get("/api/events", params={"all": "true"}).json()}
        entries = api.get("/api/timeline", params={"subject": "the Lindholm ferry"}).json()
        assert [e["date"][:10] for e in entries] == ["2024-03-04", "2024-03-05"] and entries[0]["url"] == "https://coast.example/ferry-stops"
        brief = api.get("/api/brief").json()
        assert set(brief) == {"since", "until", "topic", "events"} and brief["since"] == article["date"][:10]
        lede = brief["events"][0]
        assert " ".join(lede["citations"][0]["quote"].split()) == " ".join(lede["summary"].split())

        schema = api.get("/openapi.json").json()
        assert {"/api/ask", "/api/search", "/api/articles/{article_id}", "/api/stories", "/api/events", "/api/timeline",
                "/api/brief"} <= set(schema["paths"])
        assert {"AskRequest", "AnswerOut", "Hit", "BriefingOut", "ErrorOut"} <= set(schema["components"]["schemas"])
        assert "swagger" in api.get("/docs").text.lower()


@pytest.mark.parametrize("method, route, body, field", [
    ("post", "/api/ask", {"question": ""}, "question"),
    ("post", "/api/ask", {"question": "x" * 5000}, "question"),
    ("post", "/api/ask", {}, "question"),
    ("post", "/api/ask", {"question": QUESTION, "since": "2024-13-01"}, "since"),
    ("post", "/api/ask", {"question": QUESTION, "top_k": 0}, "top_k"),
    ("post", "/api/ask", {"question": QUESTION, "mode": "magic"}, "mode"),
    ("get", "/api/search?q=Kling&k=1000", None, "k"),
    ("get", "/api/search", None, "q"),
    ("get", "/api/brief?until=yesterday", None, "until"),
    ("get", "/api/brief?limit=0", None, "limit"),
])
def test_bad_input_is_a_4xx_with_one_line_naming_the_field(served, method, route, body, field):
    _, url = served
    with httpx.Client(base_url=url, auth=LOGIN, timeout=120) as api:
        response = api.post(route, json=body) if method == "post" else api.get(route)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert "\n" not in error and error.split()[0].rstrip(":") == field, error


def test_without_the_login_every_program_door_is_closed(served):
    _, url = served
    with httpx.Client(base_url=url, timeout=60) as anyone:
        assert anyone.post("/api/ask", json={"question": QUESTION}).status_code == 401
        for route in ROUTES + ["/openapi.json", "/docs"]:
            response = anyone.get(route)
            assert response.status_code == 401, route
        assert anyone.post("/mcp", json={}).status_code == 401
        assert anyone.get("/api/stories", auth=("editor", "wrong")).status_code == 401


def test_twenty_callers_at_once_all_get_answers(served):
    _, url = served
    questions = [QUESTION, "What is Kling?", "Who made Sora?", "What did Kuaishou launch?"] * 5
    with httpx.Client(base_url=url, auth=LOGIN, timeout=300) as api, ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda q: api.post("/api/ask", json={"question": q}), questions))
    assert [r.status_code for r in responses] == [200] * 20
    assert all(r.json()["question"] == q for r, q in zip(responses, questions))


async def use_tools(client: Client) -> tuple[set[str], object, object]:
    async with client:
        tools = {t.name for t in (await client.list_tools()).tools}
        answer = await client.call_tool("ask", {"question": FERRY})
        hits = await client.call_tool("search", {"query": "Lindholm ferry storm", "k": 2})
        # a broken argument is the tool's error, on one line naming it; the store is untouched
        bad = await client.call_tool("brief", {"since": "yesterday"})
        assert bad.is_error and "since 'yesterday' is not a date" in bad.content[0].text and "\n" not in bad.content[0].text.strip()
        missing = await client.call_tool("get_article", {"article_id": "nothing-here"})
        assert missing.is_error and "'nothing-here': no stored article" in missing.content[0].text
        return tools, answer, hits


def check_tools(tools: set[str], answer, hits):
    assert {"ask", "search", "get_article", "timeline", "brief"} <= tools
    assert not answer.is_error and "Nordfjord Lines" in answer.structured_content["answer"]
    cited = answer.structured_content["citations"][0]
    text = answer.content[0].text
    # the text an assistant quotes names every source: title, outlet, date and url
    assert text.startswith(answer.structured_content["answer"]) and "Sources:" in text
    assert all(x in text for x in (cited["title"], cited["outlet"], cited["date"][:10], cited["url"]))
    assert not hits.is_error and 1 <= len(hits.structured_content["results"]) <= 2
    assert hits.structured_content["results"][0]["url"] in hits.content[0].text


def test_mcp_over_stdio_lists_the_tools_and_answers_with_citations(served):
    home, _ = served
    server = StdioServerParameters(command=str(BIN / "newsdesk"), args=["mcp"], env={**os.environ, "NEWSDESK_HOME": str(home)})
    check_tools(*asyncio.run(use_tools(Client(server, read_timeout_seconds=180))))


def test_mcp_over_http_on_serve_needs_the_login_and_answers(served):
    _, url = served

    async def call():
        async with httpx2.AsyncClient(auth=LOGIN, timeout=180) as http:
            return await use_tools(Client(streamable_http_client(f"{url}/mcp", http_client=http), read_timeout_seconds=180))

    check_tools(*asyncio.run(call()))
