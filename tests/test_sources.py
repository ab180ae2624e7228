"""News sources against a real HTTP server on loopback serving 181 real article pages, feeds and sitemaps."""
import gzip
import os
import re
import signal
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from conftest import BIN, run_cli
from helpers import assert_consistent
from newsdesk.ingest.readers import decode, extract_page
from newsdesk.ingest.check import check
from newsdesk.ingest.pipeline import ingest
from newsdesk.ingest.subscriptions import add_source, list_sources, remove_source, sync
from newsroom import Newsroom
from newsdesk.rag.manifest import Manifest
from newsdesk.rag.settings import Settings


def shingles(text: str, n: int = 4) -> set:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(len(words) - n + 1, 1))}


def recall(truth: str, got: str) -> float:
    want = shingles(truth)
    return len(want & shingles(got)) / len(want)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def stored_by_url(settings) -> dict:
    manifest = Manifest(settings.manifest_path)
    rows = {r["url"]: r for r in manifest.db.execute("SELECT * FROM articles")}
    manifest.close()
    return rows


@pytest.fixture(scope="module")
def site():
    with Newsroom() as s:
        s.hang_s = 4
        yield s


def polite(home, **kw) -> Settings:
    # No delay between requests: these tests make hundreds; the delay itself is tested on its own.
    return Settings(home=home, fetch_delay_s=0, fetch_timeout_s=1.5, **kw)


@pytest.fixture(scope="module")
def followed(site, tmp_path_factory, embedder):
    """A store following an RSS feed, an Atom feed and a news sitemap of 15 pages each, synced once."""
    settings = polite(tmp_path_factory.mktemp("followed"))
    keys = site.keys[:45]
    site.add_feed("/feeds/tech.rss", "rss", keys[:15])
    site.add_feed("/feeds/world.atom", "atom", keys[15:30])
    site.add_feed("/sitemap-news.xml", "sitemap", keys[30:45])
    added = [add_source(site.base + p, settings) for p in ("/feeds/tech.rss", "/feeds/world.atom", "/sitemap-news.xml")]
    site.clear_log()
    summary, _ = sync(settings, progress=False, embedder=embedder)
    return settings, keys, added, summary


def test_following_two_feeds_and_a_sitemap_stores_each_pages_full_text_and_own_date(site, followed):
    settings, keys, added, summary = followed
    assert [a["kind"] for a in added] == ["feed", "feed", "sitemap"]
    assert [a["entries"] for a in added] == [15, 15, 15]
    assert summary.added + summary.duplicates == 45 and not summary.failed, summary.failed
    assert [s["added"] + s["duplicates"] for s in summary.sources] == [15, 15, 15]
    rows = stored_by_url(settings)
    recalls = []
    for key in keys:
        row = rows.get(site.url(key))
        if row is None:  # a duplicate of another page's text
            continue
        recalls.append(recall(site.truth(key), row["text"]))
        # The listings say 2024; a page's own date (2010-2019 here) wins wherever the page has one.
        own = extract_page(decode(site.html(key))[0])[1]["date"]
        assert row["date"] == own if own else row["date"].startswith("2024"), (key, own, row["date"])
        assert row["outlet"] and row["outlet"] != "127.0.0.1", key
    recalls.sort()
    # Full text, not the 200-character summaries the feeds carry: the median page keeps nearly all its body.
    assert recalls[len(recalls) // 2] > 0.9 and sum(recalls) / len(recalls) > 0.8, recalls[:10]
    assert {r["source"] for r in rows.values()} == {a["url"] for a in added}
    assert max(site.max_in_flight.values()) <= settings.fetch_per_host
    assert all(r.headers.get("User-Agent") == settings.user_agent for r in site.requests)


def test_a_second_sync_asks_only_for_the_listings_and_gets_not_modified(site, followed, embedder):
    settings = followed[0]
    site.clear_log()
    summary, _ = sync(settings, progress=False, embedder=embedder)
    assert (summary.added, summary.updated, len(summary.failed)) == (0, 0, 0)
    assert [s["not_modified"] for s in summary.sources] == [True, True, True]
    pages = [r for r in site.requests if r.path not in ("/feeds/tech.rss", "/feeds/world.atom", "/sitemap-news.xml", "/robots.txt")]
    assert pages == [] and {r.status for r in site.requests if r.path != "/robots.txt"} == {304}


def test_a_changed_page_is_updated_and_a_dropped_entry_keeps_its_article(site, followed, embedder):
    settings, keys = followed[0], followed[1]
    before = stored_by_url(settings)
    key = next(k for k in keys[:15] if site.url(k) in before)
    word = re.findall(r"\b[A-Za-z]{6,}\b", site.truth(key))[5]
    site.edit(key, word, "Zyxwvutsrq")
    dropped = next(k for k in keys[15:30] if site.url(k) in before)
    site.drop(dropped)
    site.clear_log()
    summary, _ = sync(settings, progress=False, embedder=embedder)
    assert (summary.updated, summary.added, len(summary.failed)) == (1, 0, 0), summary
    page_requests = [r.path for r in site.requests if r.path.startswith("/") and r.path not in (
        "/feeds/tech.rss", "/feeds/world.atom", "/sitemap-news.xml", "/robots.txt")]
    assert page_requests == [path_of(site.url(key))]
    after = stored_by_url(settings)
    assert "Zyxwvutsrq" in after[site.url(key)]["text"] and "Zyxwvutsrq" not in before[site.url(key)]["text"]
    assert after[site.url(dropped)]["content_hash"] == before[site.url(dropped)]["content_hash"]
    assert len(after) == len(before)
    assert_consistent(settings)
    assert check(settings)["bm25_in_step"]


def test_sources_list_and_remove_with_and_without_purge(site, tmp_path, embedder):
    settings = polite(tmp_path / "home")
    keys = site.keys[60:66]
    site.add_feed("/feeds/a.rss", "rss", keys[:3])
    site.add_feed("/feeds/b.rss", "rss", keys[3:])
    a = add_source(site.base + "/feeds/a.rss", settings, name="alpha")
    b = add_source(site.base + "/feeds/b.rss", settings)
    with pytest.raises(Exception, match="already a source"):
        add_source(site.base + "/feeds/a.rss", settings)
    # A section page that declares its feed stands for the feed.
    site.add_feed("/feeds/c.rss", "rss", keys[:1])
    site.put("/section/c", b'<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/c.rss"></head><body>News</body></html>')
    assert add_source(site.base + "/section/c", settings, name="beta")["url"] == site.base + "/feeds/c.rss"
    remove_source("beta", settings)
    sync(settings, progress=False, embedder=embedder)
    listed = {s["name"]: s for s in list_sources(settings)}
    assert set(listed) == {"alpha", b["name"]} and listed["alpha"]["articles"] == 3 and listed["alpha"]["last_sync"]
    assert remove_source("alpha", settings) == {"name": "alpha", "url": a["url"], "purged": 0, "kept": 3}
    assert len(stored_by_url(settings)) == 6
    assert remove_source(b["url"], settings, purge=True)["purged"] == 3
    assert {r["source"] for r in stored_by_url(settings).values()} == {a["url"]}
    assert_consistent(settings)
    out = run_cli("sources", "remove", "nobody", home=settings.home)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "no source named" in out.stderr


FAULTS = {  # fault: what the one-line error must say
    "404": r"HTTP 404",
    "500": r"HTTP 500",
    "timeout": r"timed out",
    "redirect-loop": r"more than \d+ redirects",
    "huge": r"too big: 30\.0 MB",
    "huge-chunked": r"too big",
    "pdf": r"not an article: .*application/pdf",
    "slow-drip": r"too slow|timed out",
}


def test_every_failure_is_one_line_naming_the_url_and_the_rest_of_the_sync_completes(site, tmp_path, embedder):
    settings = polite(tmp_path / "home")
    keys = site.keys[70:90]
    faulty = dict(zip(FAULTS, keys))
    blocked = keys[len(FAULTS)]
    site.add_feed("/feeds/faults.rss", "rss", keys)
    for fault, key in faulty.items():
        site.fault(path_of(site.url(key)), fault)
    site.robots = f"User-agent: *\nDisallow: {path_of(site.url(blocked))}\n"
    try:
        add_source(site.base + "/feeds/faults.rss", settings)
        summary, _ = sync(settings, progress=False, embedder=embedder)
        errors = {f["path"]: f["error"] for f in summary.failed}
        assert len(summary.failed) == len(FAULTS) + 1
        for fault, key in faulty.items():
            assert re.search(FAULTS[fault], errors[site.url(key)]), (fault, errors[site.url(key)])
        assert "robots.txt" in errors[site.url(blocked)]
        assert all("\n" not in e for e in errors.values())
        assert summary.added + summary.duplicates == len(keys) - len(FAULTS) - 1
        assert not any(r.path == path_of(site.url(blocked)) for r in site.requests)
        assert "pages failed" in list_sources(settings)[0]["last_error"]
    finally:
        for key in faulty.values():
            site.fault(path_of(site.url(key)), None)
        site.robots = "User-agent: *\nAllow: /\n"
    # What may pass next time is asked again (the feed itself is re-read in full); a 404 or a PDF is not.
    site.clear_log()
    summary, _ = sync(settings, progress=False, embedder=embedder)
    retried = {r.path for r in site.requests}
    for fault in ("500", "timeout", "slow-drip"):
        assert path_of(site.url(faulty[fault])) in retried, fault
    for fault in ("404", "pdf", "huge"):
        assert path_of(site.url(faulty[fault])) not in retried, fault
    assert not summary.failed
    assert_consistent(settings)


def test_a_feed_that_fails_keeps_its_articles_and_says_why(site, tmp_path, embedder):
    settings = polite(tmp_path / "home")
    site.add_feed("/feeds/flaky.atom", "atom", site.keys[100:103])
    add_source(site.base + "/feeds/flaky.atom", settings)
    sync(settings, progress=False, embedder=embedder)
    before = stored_by_url(settings)
    site.put("/feeds/flaky.atom", b"<feed><entry><title>cut off", content_type="application/atom+xml")
    summary, _ = sync(settings, progress=False, embedder=embedder)
    assert [f["path"] for f in summary.failed] == [site.base + "/feeds/flaky.atom"]
    assert "feed not parseable" in summary.failed[0]["error"]
    site.fault("/feeds/flaky.atom", "500")
    try:
        out = run_cli("sync", "--no-progress", home=settings.home, env={"NEWSDESK_FETCH_DELAY_S": "0"})
    finally:
        site.fault("/feeds/flaky.atom", None)
    assert out.returncode == 1
    assert f"failed: {site.base}/feeds/flaky.atom: HTTP 500" in out.stdout
    assert stored_by_url(settings).keys() == before.keys() == {site.url(k) for k in site.keys[100:103]}
    assert "HTTP 500" in list_sources(settings)[0]["last_error"]


def test_ingest_takes_urls_beside_files_and_refuses_what_is_not_an_article(site, tmp_path, embedder):
    settings = polite(tmp_path / "home")
    page = site.url(site.keys[110])
    site.put("/files/report.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")
    site.put("/files/broken.rss", b"<rss><channel><item><title>oops", content_type="application/rss+xml")
    # A Latin-1 page that says so only in its HTTP header, and a gzipped sitemap file.
    latin = "<html><head><title>Café crème</title></head><body><article><h1>Café crème</h1><p>" + \
        "Le café crème coûte trois euros à Paris, où les garçons de café servent les clients pressés. " * 8 + "</p></article></body></html>"
    site.put("/fr/cafe", latin.encode("latin-1"), content_type="text/html; charset=iso-8859-1")
    site.add_feed("/plain-sitemap.xml", "sitemap", [site.keys[112]])
    site.put("/sitemap.xml.gz", gzip.compress(site.feed("/plain-sitemap.xml")), content_type="application/x-gzip")
    moved = site.url(site.keys[111])
    site.put("/go/moved", b"", status=301, headers={"Location": moved})
    summary = ingest([page, site.base + "/files/report.pdf", site.base + "/files/broken.rss", "http://127.0.0.1:9/nothing-listens",
                      "http://no-such-host.invalid/news", site.base + "/go/moved", site.base + "/fr/cafe", site.base + "/sitemap.xml.gz"],
                     settings, progress=False, embedder=embedder)
    errors = {f["path"]: f["error"] for f in summary.failed}
    assert summary.added == 4 and len(errors) == 4, errors
    assert "coûte trois euros" in stored_by_url(settings)[site.base + "/fr/cafe"]["text"]
    assert site.url(site.keys[112]) in stored_by_url(settings)
    # .invalid never resolves (RFC 2606); where name lookups cannot leave the machine, that may be a timeout instead
    assert re.search(r"DNS: host not found|timed out|cannot connect", errors["http://no-such-host.invalid/news"])
    assert moved in stored_by_url(settings)  # a redirected URL is stored under where it led
    assert "not an article, feed or sitemap" in errors[site.base + "/files/report.pdf"]
    assert "feed not parseable" in errors[site.base + "/files/broken.rss"]
    assert "connection refused" in errors["http://127.0.0.1:9/nothing-listens"]
    assert recall(site.truth(site.keys[110]), stored_by_url(settings)[page]["text"]) > 0.8
    # Asked again, the page is fetched conditionally and found unchanged.
    site.clear_log()
    out = run_cli("ingest", page, "--no-progress", home=settings.home, env={"NEWSDESK_FETCH_DELAY_S": "0"})
    assert out.returncode == 0 and "added 0, updated 0, unchanged 1" in out.stdout
    assert [r.status for r in site.requests if r.path == path_of(page)] == [304]


def test_requests_to_one_host_are_spaced_by_the_delay(site, tmp_path, embedder):
    settings = Settings(home=tmp_path / "home", fetch_delay_s=0.3)
    site.add_feed("/feeds/slow.rss", "rss", site.keys[120:124])
    site.clear_log()
    started = time.monotonic()
    summary = ingest([site.base + "/feeds/slow.rss"], settings, progress=False, embedder=embedder)
    # robots.txt is exempt; the feed and its four pages start at least 0.3 s apart.
    assert summary.added + summary.duplicates == 4 and time.monotonic() - started >= 4 * 0.3


def test_a_running_library_answers_from_a_synced_article_citing_its_outlet_and_date(site, followed, embedder):
    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.retrieve import Library
    from newsdesk.ui.web import status_line

    settings = followed[0]
    library = Library(settings, embedder=embedder)
    engine = build_engine(library, mode="extractive")
    key = site.keys[125]
    truth = site.truth(key)
    question = "What happened: " + " ".join(truth.split()[:25]) + "?"
    site.add_feed("/feeds/late.rss", "rss", [key])
    add_source(site.base + "/feeds/late.rss", settings, name="late")
    sync(settings, progress=False, embedder=embedder)
    answer = engine.ask(question)
    assert not answer.abstained
    cited = answer.citations[0]
    assert cited.url == site.url(key) and cited.outlet and cited.date[:4] != "2024"
    # The web chat's status area lists the sources with their last sync.
    assert re.search(r"late \(1 article, synced just now\)", status_line(library, "extractive"))


def test_sync_every_runs_until_ctrl_c_and_leaves_the_store_consistent(site, followed, tmp_path):
    settings = followed[0]
    env = {**os.environ, "NEWSDESK_HOME": str(settings.home), "NEWSDESK_FETCH_DELAY_S": "0"}
    proc = subprocess.Popen([str(BIN / "newsdesk"), "sync", "--every", "1s", "--no-progress"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    rounds = []
    deadline = time.time() + 120
    while len(rounds) < 2 and time.time() < deadline:
        line = proc.stdout.readline()
        if re.match(r"\d{4}-\d\d-\d\dT\S+ added", line):
            rounds.append(line)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert len(rounds) == 2, (rounds, err)
    assert proc.returncode == 0 and "stopped" in err
    out = run_cli("check", home=settings.home)
    assert out.returncode == 0 and "consistent" in out.stdout


def test_ctrl_c_during_a_sync_stores_the_pages_in_hand_and_the_next_sync_fetches_the_rest(site, tmp_path):
    keys = site.keys[140:150]
    site.add_feed("/feeds/long.rss", "rss", keys)
    home = tmp_path / "home"
    assert run_cli("sources", "add", site.base + "/feeds/long.rss", home=home).returncode == 0
    site.clear_log()
    env = {**os.environ, "NEWSDESK_HOME": str(home), "NEWSDESK_FETCH_DELAY_S": "0.5"}
    proc = subprocess.Popen([str(BIN / "newsdesk"), "sync", "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    pages = {path_of(site.url(k)) for k in keys}
    deadline = time.time() + 60
    while sum(r.path in pages for r in site.requests) < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "stopped; the store is consistent" in err, err
    first = int(re.match(r"added (\d+)", out).group(1))
    assert 1 <= first < len(keys)
    assert run_cli("check", home=home).returncode == 0
    out = run_cli("sync", "--no-progress", "--json", home=home, env={"NEWSDESK_FETCH_DELAY_S": "0"})
    import json

    second = json.loads(out.stdout)
    assert first + second["added"] + second["duplicates"] == len(keys) and not second["failed"]


def test_cli_sources_commands_and_sync_json(site, tmp_path):
    home = tmp_path / "home"
    site.add_feed("/feeds/cli.atom", "atom", site.keys[130:132])
    env = {"NEWSDESK_FETCH_DELAY_S": "0"}
    out = run_cli("sources", "add", site.base + "/feeds/cli.atom", "--name", "cli-feed", home=home, env=env)
    assert out.returncode == 0 and "following cli-feed: feed" in out.stdout
    out = run_cli("sync", "--json", "--no-progress", home=home, env=env)
    assert out.returncode == 0
    import json

    result = json.loads(out.stdout)
    assert result["added"] + result["duplicates"] == 2 and result["sources"][0]["name"] == "cli-feed"
    listed = json.loads(run_cli("sources", "list", "--json", home=home).stdout)
    assert listed[0]["articles"] == result["added"] and listed[0]["kind"] == "feed"
    out = run_cli("sources", "add", "ftp://example.org/feed", home=home)
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    out = run_cli("sync", "--every", "soon", home=home)
    assert out.returncode == 2 and "duration" in out.stderr
