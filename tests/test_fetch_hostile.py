"""The fetcher, ingest and sync against a hostile web site on loopback (tests/hostile_site.py): malformed and
scriptable redirects, decompression bombs, redirects and listing entries that lead to internal hosts, markup in URLs.
Each costs one line naming its URL; the rest of the run is stored."""
import ipaddress
import json
import re
import subprocess
import sys
from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings as hypothesis_settings, strategies as st

from conftest import ROOT, run_cli
from helpers import assert_consistent
from hostile_site import METADATA, SECRET, HostileSite, bombs
from newsdesk.ingest.fetch import Fetcher, Response, Stopped, address_problem
from newsdesk.ingest.furniture import strip
from newsdesk.ingest.check import check
from newsdesk.ingest.pipeline import ingest
from newsdesk.ingest.subscriptions import add_source, list_sources, sync
from newsdesk.ingest.readers import decode, extract_page
from newsdesk.rag.errors import FetchError
from newsdesk.rag.links import normal_url
from newsdesk.rag.settings import Settings
from test_sources import polite, stored_by_url


@pytest.fixture(scope="module")
def site():
    with HostileSite() as s:
        s.hang_s = 2
        yield s


def failures(summary) -> dict:
    """{URL: error} of every failure, whether the summary lists it in full or only counts it."""
    d = summary.to_dict()
    return {f["path"]: f["error"] for f in d["failed"] + d.get("failed_more", [])}


def test_a_hostile_feed_and_sitemap_cost_one_line_per_url_and_the_rest_of_the_sync_is_stored(site, tmp_path, embedder):
    settings = polite(tmp_path / "home")
    site.add_feed("/feeds/good.rss", "rss", site.keys[20:23])
    for url in (site.feed_url, site.sitemap_url, site.base + "/feeds/good.rss"):
        add_source(url, settings)
    summary, _ = sync(settings, progress=False, embedder=embedder)

    errors = failures(summary)
    rows = stored_by_url(settings)
    odd = {url: errors.pop(url, None) for url in site.odd}
    assert set(errors) == set(site.expected), set(errors) ^ set(site.expected)
    for url, pattern in site.expected.items():
        assert re.search(pattern, errors[url]) and "\n" not in errors[url], (url, errors[url])
    # What no one foresaw either works or fails on one line, alone.
    assert all((error is None and url in rows) or (error and "\n" not in error) for url, error in odd.items()), odd
    listed = len(site.expected) + sum(e is not None for e in odd.values())
    assert [s["failed"] for s in summary.sources] == [listed, listed, 0]
    # The good pages beside them are stored, each once, the encoded ones decoded to the page they are.
    for key in site.keys[10:13] + site.keys[20:23]:
        assert site.url(key) in rows, key
    for encoding, key in site.encodings.items():
        row = rows[f"{site.base}/enc/{quote(encoding)}"]
        assert row["text"] == strip(extract_page(decode(site.html(key))[0], site.url(key))[0]), encoding
    # A Location holding markup is stored percent-encoded, never as markup.
    assert normal_url(site.base + site.markup) in rows
    assert not any(re.search(r"[<>\"' ]", r["url"] + r["identity"]) for r in rows.values())
    # The internal host was never asked, and nothing of it is stored.
    assert site.internal.hits == [] and not any(SECRET in r["text"] for r in rows.values())
    assert all(s["last_sync"] for s in list_sources(settings)) and len(list_sources(settings)) == 3
    assert_consistent(settings)
    report = check(settings)
    assert (report["missing_chunks"], report["orphan_chunks"], report["unfinished_versions"], report["bm25_in_step"]) == (0, 0, 0, True)


def test_a_url_the_user_gives_may_name_any_host_and_the_setting_lets_redirects_reach_them(site, tmp_path, embedder, monkeypatch):
    secret = f"http://localhost:{site.internal.port}/secret.html"
    settings = polite(tmp_path / "home")
    summary = ingest([site.base + "/go/internal", site.base + "/go/mapped", site.base + "/go/metadata"], settings, progress=False, embedder=embedder)
    errors = failures(summary)
    assert summary.added == 0 and len(errors) == 3 and all("refused: " in e and "NEWSDESK_FETCH_PRIVATE_HOSTS" in e for e in errors.values()), errors
    assert re.search(r"169\.254\.169\.254 is a link-local address, reached by a redirect from .*/go/metadata", errors[METADATA])
    assert site.internal.hits == []
    # Typed by the user, the internal URL is theirs to fetch.
    assert ingest([secret], settings, progress=False, embedder=embedder).added == 1
    assert site.internal.hits == ["/robots.txt", "/secret.html"]

    monkeypatch.setenv("NEWSDESK_FETCH_PRIVATE_HOSTS", "true")
    allowed = Settings(home=tmp_path / "allowed", fetch_delay_s=0, fetch_timeout_s=1.5)
    assert allowed.fetch_private_hosts
    summary = ingest([site.base + "/go/internal"], allowed, progress=False, embedder=embedder)
    assert summary.added == 1 and not summary.failed, summary.failed
    assert SECRET in stored_by_url(allowed)[secret]["text"]


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"), ("::ffff:127.0.0.1", "a loopback address"),
    ("2002:7f00:1::", "a loopback address"), ("64:ff9b::7f00:1", "a loopback address"),
    ("169.254.169.254", "a link-local address"), ("::ffff:169.254.169.254", "a link-local address"), ("fe80::1", "a link-local address"),
    ("fd00:ec2::254", "a private address"), ("10.0.0.1", "a private address"), ("192.168.1.1", "a private address"),
    ("172.16.0.1", "a private address"), ("100.64.0.1", "not a public address"), ("100.100.100.200", "not a public address"),
    ("0.0.0.0", "an unspecified address"), ("::", "an unspecified address"), ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"), ("240.0.0.1", "a reserved address"),
    ("93.184.215.14", ""), ("2606:4700::1111", ""), ("64:ff9b::5db8:d70e", ""),
])
def test_which_addresses_a_redirect_or_a_listing_may_reach(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


MEASURE = """
import json, resource, sys
from newsdesk.ingest.fetch import Fetcher
from newsdesk.rag.errors import FetchError
from newsdesk.rag.settings import Settings

base, names = sys.argv[1], sys.argv[2:]
fetcher = Fetcher(Settings(fetch_delay_s=0), given=[base])
fetcher.get(base + "/robots.txt")  # the client, its connection and robots.txt are part of the baseline
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux
baseline = peak()
for name in names:
    try:
        outcome = f"returned {len(fetcher.get(base + '/bomb/' + name).body)} bytes"
    except FetchError as e:
        outcome = str(e)
    print(json.dumps({"bomb": name, "baseline_mb": baseline, "peak_mb": peak(), "outcome": outcome}), flush=True)
"""


def test_decompression_bombs_are_refused_at_the_cap_with_bounded_memory(site):
    # In a process of its own, so that its peak RSS is the fetcher's alone. Each bomb is 1 GiB unpacked; httpx's own
    # decoders took this process to 2.1 GB on the Brotli one.
    done = subprocess.run([sys.executable, "-c", MEASURE, site.base, *bombs()], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["bomb"] for r in results] == list(bombs())
    for r in results:
        assert re.search(r"too big: over the 10 MB limit unpacked", r["outcome"]), r
        assert r["peak_mb"] - r["baseline_mb"] < 300, r


def test_the_cli_reports_a_malformed_url_on_one_line(tmp_path):
    out = run_cli("ingest", "http://[::1", "--no-progress", home=tmp_path / "home")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert [line for line in out.stdout.splitlines() if "[::1" in line] == ["failed: http://[::1: not a valid http(s) URL"]
    out = run_cli("sources", "add", "http://[::1", home=tmp_path / "home")
    assert out.returncode == 1 and out.stderr == "newsdesk: error: http://[::1: not a valid http(s) URL\n"


# The property test's Locations and URLs: fixed hostile forms, and random text that can name no host beyond the site
# and `.invalid` names (RFC 2606; they never resolve), so that no example reaches a real host.
HOSTILE = ["data:text/html,<p>x</p>", "javascript:alert(1)", "http://[::1", "http://[::1]:1/", "http://exa mple/", "//", "///",
           "http://", "https://:80/", "http://127.0.0.1:99999/", "http://127.0.0.1:1/", "http://user:pass@127.0.0.1:1/",
           "http://[::ffff:127.0.0.1]/", METADATA, "http://0/", "http://2130706433/", "mailto:a@b", "\\\\evil", "/%", "/%zz",
           "?q=<script>", "#frag", "", " ", "http://xn--/", "http://a..b/", "http://ex\u00e4mple.invalid/", "\u2028", "http://localhost/"]
NEXT = object()  # the next link of the chain
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)


def tamed(text: str) -> str:
    """text, unless it names a host other than the site's or a `.invalid` one: then a path on the site."""
    try:
        host = urlsplit(urljoin("http://127.0.0.1:1/a/", text)).hostname
    except ValueError:
        return text
    return text if host in (None, "127.0.0.1") or host.endswith(".invalid") else "./" + text


LOCATION = st.one_of(st.sampled_from(HOSTILE), st.just(NEXT), TEXT.map(tamed),
                     st.builds(lambda a, b: tamed(a + b), st.sampled_from(HOSTILE), TEXT))


@pytest.fixture(scope="module")
def fetcher(site):
    f = Fetcher(Settings(fetch_delay_s=0, fetch_timeout_s=1.5), given=[site.base])
    yield f
    f.close()


CHAINS = iter(range(10 ** 9))


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.one_of(st.none(), LOCATION), chain=st.lists(st.one_of(st.just(NEXT), LOCATION), min_size=1, max_size=7))
def test_any_url_or_redirect_chain_gives_a_response_or_one_fetch_error(site, fetcher, start, chain):
    n = next(CHAINS)
    for i, location in enumerate(chain):
        location = f"/chain/{n}/{i + 1}" if location is NEXT else location
        # UTF-8 on the wire, as a server would send it (http.server writes headers as Latin-1)
        site.put(f"/chain/{n}/{i}", b"", status=302, headers={"Location": location.encode("utf-8").decode("latin-1")})
    site.put(f"/chain/{n}/{len(chain)}", b"<html><body><p>The end of the chain.</p></body></html>")
    url = f"{site.base}/chain/{n}/0"
    if start is not None and start is not NEXT:
        try:
            url = urljoin(site.base + "/a/", start)
        except ValueError:  # not even a URL to join: given as it is
            url = start
    try:
        assert isinstance(fetcher.get(url), Response)
        event("a response")
    except (FetchError, Stopped) as e:
        assert str(e).strip() and len(str(e).splitlines()) == 1, str(e)
        event(re.sub(r"\W*'.*|\(.*| \d.*", "", getattr(e, "reason", "stopped"))[:40])  # --hypothesis-show-statistics
