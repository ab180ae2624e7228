"""The web chat as users meet it: `newsdesk serve` started by the test, driven by gradio_client and by a real
headless Chromium through Playwright."""
import html
import json
import os
import shutil
import signal
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client

from conftest import BIN, CORPUS, ROOT, free_port, run_cli, wait_for

ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = """---
title: Ferry <script>window.__pwned = 1</script> notes
outlet: Test Wire
date: 2024-11-02
url: javascript:alert(1)
---
The harbour ferry <script>window.__pwned = 2</script> resumed service on Friday after the storm, the operator said.
<img src=x onerror="window.__pwned = 3"> Tickets for the ferry cost four euros, the operator added.
"""
# A link whose text is markup: rendered raw, it loaded the beacon and added a phishing link beside the sources.
PIER = """---
title: Pier lights notes
outlet: Harbour Post
date: 2024-11-03
url: 'https://news.example/pier"><img src="{beacon}/beacon.png"> [CLICKME](https://phish.example/login)'
---
The pier lights were switched back on on Sunday evening after a two-week repair, the harbour master said.
"""
LATE = """---
title: Lighthouse keepers return
outlet: Coast Herald
date: 2024-12-01
---
The lighthouse on Gull Rock got its keepers back in November after eleven years of automation, the coast guard said.
"""


def start_server(home: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "newsdesk"), "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "NEWSDESK_HOME": str(home), **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    wait_for(url, proc, "newsdesk serve", 180)
    return proc, url


def stop(proc: subprocess.Popen):
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


class Beacon:
    """A loopback server that counts the requests it gets: markup that reaches a browser as HTML would call it."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running `newsdesk serve` on corpus/ plus an article full of HTML and script, and one whose link is markup."""
    root = tmp_path_factory.mktemp("web")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "ferry.md").write_text(HOSTILE)
    beacon = Beacon()
    (corpus / "pier.md").write_text(PIER.format(beacon=beacon.url))
    home = root / "home"
    assert run_cli("ingest", corpus, "--no-progress", home=home).returncode == 0
    proc, url = start_server(home)
    yield {"url": url, "home": home, "root": root, "beacon": beacon}
    stop(proc)
    beacon.close()


def open_chat(p, url: str):
    """Debian's Chromium, headless, on the chat page: (browser, page, question box)."""
    browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                      "--disable-component-update", "--disable-sync", "--no-first-run"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    return browser, page, page.get_by_placeholder("Ask a question about the articles…")


def ask_in_chat(page, box, question: str) -> str:
    """Ask in the browser's chat; the chat's text once the answer's sources show."""
    box.fill(question)
    box.press("Enter")
    page.get_by_text("Sources", exact=True).first.wait_for(timeout=60_000)
    return page.locator(".bubble-wrap, [role=log]").first.inner_text()


def ask(url: str, question: str) -> dict:
    return json.loads(Client(url, verbose=False).predict(question, api_name="/ask"))


def test_the_ask_endpoint_answers_with_citations_and_abstains(site):
    a = ask(site["url"], "How many H100 GPUs did Meta use to train Movie Gen?")
    assert "6144" in a["answer"] and not a["abstained"] and a["mode"] == "extractive"
    assert any("6144" in q for c in a["citations"] for q in c["quotes"])
    assert set(a) == {"question", "answer", "citations", "abstained", "mode", "timeline", "timings_ms"}
    assert ask(site["url"], "What is the capital of Australia?")["abstained"] is True
    assert all(set(c) == {"n", "title", "outlet", "author", "date", "url", "passage", "quote", "quotes", "also"} for c in a["citations"])


def test_the_open_server_takes_no_uploads_and_tells_no_file_paths(site):
    a = ask(site["url"], "When were the pier lights switched back on?")
    assert "Sunday" in a["answer"] and "/" not in json.dumps([c.get("path", "") for c in a["citations"]])
    assert str(site["root"]) not in json.dumps(a)
    for route in ("gradio_api/upload", "gradio_api/upload/", "gradio_api/process_recording"):
        request = urllib.request.Request(site["url"] + route, data=b"--b--\r\n", method="POST",
                                         headers={"Content-Type": "multipart/form-data; boundary=b"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(request, timeout=10)
        assert e.value.code == 404, route


def test_a_link_made_of_markup_is_stored_normalised_and_shown_as_inert_text(site):
    from playwright.sync_api import sync_playwright
    from urllib.parse import urlsplit

    from newsdesk.rag.manifest import Manifest
    from newsdesk.rag.types import Citation
    from newsdesk.ui.web import render_answer, render_sources

    manifest = Manifest(site["home"] / "manifest.sqlite")
    (pier,) = [manifest.get(r["article_id"]) for r in manifest.articles() if r["title"] == "Pier lights notes"]
    assert pier["url"].startswith("https://news.example/pier%22%3E%3Cimg") and not any(ch in pier["url"] for ch in "<>\"() ")
    with sync_playwright() as p:
        browser, page, box = open_chat(p, site["url"])
        ask_in_chat(page, box, "When were the pier lights switched back on?")
        page.wait_for_timeout(1500)
        assert "Harbour Post" in page.locator("body").inner_text()
        srcs = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert not any("beacon" in x for x in srcs) and site["beacon"].hits == []
        assert not any(urlsplit(h).hostname == "phish.example" for h in hrefs)
        assert any(urlsplit(h).hostname == "news.example" for h in hrefs)  # the original, as one inert link
        page.screenshot(path=str(ARTIFACTS / "inert-link.png"), full_page=True)
        browser.close()
    # A store from before links were normalised still holds the raw text: rendering makes it inert as well.
    raw = f'https://news.example/pier"><img src="{site["beacon"].url}/beacon.png"> [CLICKME](https://phish.example/login)'
    a = type("A", (), {"abstained": False, "timeline": False, "answer": "On Sunday. [1]", "closest": [],
                        "citations": [Citation(1, "Pier", "Harbour Post", "", "2024-11-03", raw, "/x", "p", "q",
                                               also=[{"title": "t", "outlet": "o", "date": "", "url": raw}])]})()
    for shown in (render_answer(a), render_sources(a)):
        assert "<img" not in shown and "](https://phish.example" not in shown and '"><' not in shown


def test_eight_simultaneous_clients_each_get_their_own_answer(site):
    questions = {
        "How many H100 GPUs did Meta use to train Movie Gen?": "6144",
        "How big was the Kuaishou Keling team?": "20 people",
        "Where did Pika first operate when it debuted?": "Discord",
        "How many monthly visits did Vidu reach within two months of launch?": "5.52 million",
        "What share of total internet traffic did video services account for in 2022?": "65.93%",
        "When did the harbour ferry resume service?": "Friday",
        "How much do tickets for the ferry cost?": "four euros",
        "How many parameters does Meta's Movie Gen video model have?": "30B",
    }
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda q: ask(site["url"], q), questions))
    for (q, fact), a in zip(questions.items(), answers):
        assert a["question"] == q and fact in a["answer"], (q, a["answer"])


def test_article_pages_show_stored_text_and_nothing_else(site):
    from newsdesk.rag.manifest import Manifest

    a = ask(site["url"], "When did the harbour ferry resume service?")
    c = next(c for c in a["citations"] if c["outlet"] == "Test Wire")
    assert c["url"] == ""  # not an http(s) link: not kept, so never made one
    ferry = next(r for r in Manifest(site["home"] / "manifest.sqlite").articles() if r["title"].startswith("Ferry"))
    page = urllib.request.urlopen(f"{site['url']}article/{ferry['article_id']}?start=0&end=40&qs=4&qe=10", timeout=10).read().decode()
    assert "&lt;script&gt;window.__pwned" in page and "<script" not in page and "<img" not in page
    assert page.count("<mark>") == 1 and "javascript:" not in page
    for bad in ["..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "....//....//etc/passwd", "..", "nope"]:
        try:
            body = urllib.request.urlopen(site["url"] + "article/" + bad, timeout=10).read().decode()
        except urllib.error.HTTPError as e:
            assert e.code == 404
        else:
            assert "root:" not in body


def test_a_browser_sees_a_streamed_cited_answer_and_article_html_stays_text(site):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page, box = open_chat(p, site["url"])
        chat = ask_in_chat(page, box, "How many H100 GPUs did Meta use to train Movie Gen?")
        assert "[1]" in chat and "6144" in chat
        title = "In 2024, every large model cannot avoid Rongmomo and Ziwei"
        assert page.get_by_text(title).first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

        page.get_by_role("button", name="Like").last.click()
        page.wait_for_timeout(1000)
        votes = [json.loads(line) for line in (site["home"] / "feedback.jsonl").read_text().splitlines()]
        assert votes[-1]["vote"] == "up" and "6144" in votes[-1]["answer"] and votes[-1]["citations"]

        box.fill("When did the harbour ferry resume service?")
        box.press("Enter")
        page.get_by_text("Friday", exact=False).last.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        text = page.locator("body").inner_text()
        assert "<script>window.__pwned = 2</script>" in text or "<script>window.__pwned = 1</script>" in text
        assert page.evaluate("window.__pwned") is None
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not any(h.lower().startswith("javascript:") for h in links)
        page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)

        stored = next(h for h in links if h.startswith("/article/"))
        page.goto(site["url"].rstrip("/") + stored)
        assert page.locator("mark").count() == 1 and page.evaluate("window.__pwned") is None
        browser.close()


# A lookup, a list and an overview, with the facts each answer must show; the screenshot is the README's.
THREE = [("How many H100 GPUs did Meta use to train Movie Gen?", ["6144"]),
         ("Which companies have released video generation models since April?", ["Kuaishou", "ByteDance", "Zhipu", "MiniMax"]),
         ("What do we know about Meta's Movie Gen?", ["6144", "30B", "Flow Matching"])]


def test_a_browser_gets_a_lookup_a_list_and_an_overview_each_cited(site):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page, box = open_chat(p, site["url"])
        for n, (question, facts) in enumerate(THREE, 1):
            box.fill(question)
            box.press("Enter")
            page.wait_for_function("n => { const c = document.querySelector('.bubble-wrap, [role=log]');"
                                   " return c && c.innerText.split('Sources').length > n; }", arg=n, timeout=60_000)
            page.wait_for_timeout(500)
            reply = page.locator(".bubble-wrap, [role=log]").first.inner_text().split(question)[-1]
            for fact in facts:
                assert fact in reply, (question, fact, reply[:800])
            assert "[1]" in reply and "36Kr" in reply
        # The chat scrolls inside a fixed height; unfold it so the picture shows all three answers.
        page.evaluate("""() => { for (let e = document.querySelector('.bubble-wrap, [role=log]'); e && e !== document.body;
                                      e = e.parentElement) { e.style.height = 'auto'; e.style.maxHeight = 'none'; e.style.overflow = 'visible'; } }""")
        page.wait_for_timeout(500)
        page.locator(".bubble-wrap, [role=log]").first.screenshot(path=str(ARTIFACTS / "three-answers.png"))
        browser.close()


def test_a_browser_sees_one_article_cited_once_with_every_quoted_sentence_marked_and_a_refused_question(site):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page, box = open_chat(p, site["url"])
        ask_in_chat(page, box, "What do we know about Meta's Movie Gen?")
        page.wait_for_selector(".source mark", timeout=60_000)
        reply = page.locator(".bubble-wrap, [role=log]").first.inner_text()
        assert "[1]" in reply and "[2]" not in reply, reply  # one article, one number
        assert page.locator(".source").count() == 1 and page.locator(".source mark").count() >= 2
        assert reply.count("“") >= 2  # each quoted sentence listed under its one source
        page.screenshot(path=str(ARTIFACTS / "one-citation.png"), full_page=True)

        box.fill("What is the capital of Australia?")
        box.press("Enter")
        page.get_by_text("The articles don't cover this", exact=False).first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        assert "don't cover this" in page.locator(".bubble-wrap, [role=log]").first.inner_text().split("capital of Australia")[-1]
        page.screenshot(path=str(ARTIFACTS / "refused.png"), full_page=True)
        browser.close()


def test_new_articles_are_answered_without_a_restart(site):
    late = site["root"] / "late"
    late.mkdir()
    (late / "lighthouse.md").write_text(LATE)
    assert ask(site["url"], "When did the Gull Rock lighthouse get its keepers back?")["abstained"]
    assert run_cli("ingest", late, "--no-progress", home=site["home"]).returncode == 0
    a = ask(site["url"], "When did the Gull Rock lighthouse get its keepers back?")
    assert "November" in a["answer"] and a["citations"][0]["outlet"] == "Coast Herald"


def test_a_browser_gets_a_timeline_of_dated_entries_in_order_each_with_a_working_source_link(site):
    from playwright.sync_api import sync_playwright

    assert run_cli("ingest", ROOT / "tests/data/developing", "--no-progress", home=site["home"]).returncode == 0
    with sync_playwright() as p:
        browser, page, _ = open_chat(p, site["url"])
        page.get_by_role("tab", name="Timeline").click()
        topic = page.get_by_placeholder("A subject, e.g. the Riverton flood")
        topic.fill("the Marrowby flood")
        topic.press("Enter")
        page.wait_for_selector("ol.timeline li", timeout=60_000)
        entries = page.locator("ol.timeline li")
        dates = [d for d in entries.locator(".when").all_inner_texts() if d != "undated"]
        assert dates == ["2024-06-01", "2024-06-03", "2024-06-06"]
        for i in range(entries.count()):
            entry = entries.nth(i)
            link = entry.locator("a").first
            quote = entry.locator("p").inner_text().strip("“”")
            response = page.request.get(site["url"].rstrip("/") + link.get_attribute("href"))
            assert response.ok and quote[:60] in html.unescape(response.text())  # the stored article, quote and all
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("ol.timeline").screenshot(path=str(ARTIFACTS / "timeline.png"))
        browser.close()


def test_a_browser_gets_a_briefing_of_event_cards_for_the_latest_day_and_for_a_window_and_topic(site):
    from playwright.sync_api import sync_playwright

    assert run_cli("ingest", ROOT / "tests/data/developing", "--no-progress", home=site["home"]).returncode == 0
    with sync_playwright() as p:
        browser, page, _ = open_chat(p, site["url"])
        page.get_by_role("tab", name="Briefing").click()
        page.wait_for_selector(".briefing .card", timeout=60_000)  # the latest day, shown on opening
        assert page.locator(".card").count() >= 1
        page.get_by_label("From (YYYY-MM-DD)").fill("2024-05-15")
        page.get_by_label("To (YYYY-MM-DD)").fill("2024-06-06")
        page.get_by_label("Topic").fill("the Marrowby flood")
        page.get_by_role("button", name="Show").click()
        page.wait_for_function("document.querySelector('.briefing') && document.body.innerText.includes('news about the Marrowby flood')",
                               timeout=60_000)
        cards = page.locator(".card")
        assert cards.count() >= 1
        assert all("Marrowby" in t for t in cards.locator("h4").all_inner_texts())
        for i in range(cards.count()):
            card = cards.nth(i)
            assert card.locator(".when").inner_text().endswith("June 2024")
            assert card.locator(".meta a").count() >= 1  # the outlets, linked
            quote = card.locator("p").inner_text().rsplit("[", 1)[0].strip().strip("“”")
            response = page.request.get(site["url"].rstrip("/") + card.locator("a.cite").get_attribute("href"))
            assert response.ok and quote[:60] in html.unescape(response.text())
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "briefing.png"), full_page=True)
        browser.close()


def test_login_guards_the_chat_the_api_and_article_pages(tmp_path):
    home = tmp_path / "home"
    assert run_cli("ingest", CORPUS, "--no-progress", home=home).returncode == 0
    proc, url = start_server(home, {"NEWSDESK_AUTH": "editor:s3cret"})
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)
        a = json.loads(Client(url, auth=("editor", "s3cret"), verbose=False).predict(
            "How many H100 GPUs did Meta use to train Movie Gen?", api_name="/ask"))
        assert "6144" in a["answer"]
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "article/anything", timeout=10)
        assert e.value.code == 401
        for route in ("docs", "openapi.json", "redoc", "gradio_api/openapi.json", "gradio_api/info", "config"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url + route, timeout=10)
            assert e.value.code in (401, 403, 404), route
        codes = []
        for _ in range(7):
            form = urllib.parse.urlencode({"username": "editor", "password": "guess"}).encode()
            try:
                urllib.request.urlopen(urllib.request.Request(url + "login", data=form), timeout=10)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
        assert codes[:5] == [400] * 5 and codes[5:] == [429, 429]
        # The right password is refused too while the address is locked out, so guessing on cannot find it.
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(url + "login", data=urllib.parse.urlencode(
                {"username": "editor", "password": "s3cret"}).encode()), timeout=10)
        assert e.value.code == 429
    finally:
        stop(proc)
