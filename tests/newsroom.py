"""A real HTTP news site on loopback, for tests: the 181 article pages of the article-extraction benchmark,
feeds and sitemaps generated from them, conditional requests, edits and faults.

    with Newsroom() as site:
        site.add_feed("/feeds/tech.rss", "rss", site.keys[:10])
        fetch(site.base + "/feeds/tech.rss")

Standard library only, so `python tests/newsroom.py [--port 8765]` serves a demo site on its own.
"""
import argparse
import gzip
import hashlib
import html
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

PAGES = Path(os.environ.get("NEWSDESK_ARTICLE_PAGES") or Path(__file__).resolve().parents[1].parent / "shared/data/article-pages")
FAULTS = {"404", "500", "timeout", "redirect-loop", "huge", "huge-chunked", "pdf", "slow-drip"}
FEEDS = {"rss": "application/rss+xml", "atom": "application/atom+xml",
         "sitemap": "application/xml", "sitemap-index": "application/xml"}
# A year after the pages' own 2019 dates, so a test can tell which date a reader kept.
FIRST_PUBLISHED = datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)
HUGE = 30 * 1024 * 1024  # over any sane page-size limit, so the client must stop reading, not the server
CHUNK = (b"<p>" + b"filler " * 9400)[:64 * 1024 - 5] + b"</p>\n"  # HUGE is a whole number of these
DRIP = b"<html><head><title>Drip</title></head><body><p>" + b"one byte a second " * 50 + b"</p></body></html>"
NOT_FOUND = b"<html><body><h1>Not found</h1></body></html>"
GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def small_pdf(text: str) -> bytes:
    """A one-page PDF whose text a PDF reader can extract; byte offsets in the xref table must be exact."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = small_pdf("Newsroom test PDF: quarterly figures for the press.")


def http_date(t: float) -> str:
    return format_datetime(datetime.fromtimestamp(t, timezone.utc), usegmt=True)


def iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def x(text: str) -> str:
    return escape(XML_UNSAFE.sub("", text))


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    status: int | None = None  # None while unanswered, and for good when a "timeout" fault never answers


@dataclass
class Route:
    body: bytes
    content_type: str
    modified: float
    status: int = 200
    headers: dict = field(default_factory=dict)


class Newsroom:
    """The site; start it with `with Newsroom() as site:` (or start()/close())."""

    def __init__(self, pages: Path = PAGES, hang_s: float = 10.0):
        self.hang_s = hang_s
        self.robots = "User-agent: *\nAllow: /\n"  # None serves 404, as a site without one does
        truth = json.loads((Path(pages) / "ground-truth.json").read_text(encoding="utf-8"))
        self.keys = sorted(truth)
        self._truth = {k: v["articleBody"] for k, v in truth.items()}
        self._origin = {k: v["url"] for k, v in truth.items()}
        self._html = {k: gzip.decompress((Path(pages) / "html" / f"{k}.html.gz").read_bytes()) for k in self.keys}
        self._index = {k: i for i, k in enumerate(self.keys)}
        self._path = {k: self._mirror(k) for k in self.keys}
        self._by_path = {p: k for k, p in self._path.items()}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._modified = dict.fromkeys(self.keys, later())
        self._updated: dict[str, datetime] = {}
        self._dropped: set[str] = set()
        self._routes: dict[str, Route] = {}
        self._feeds: dict[str, tuple[str, list[str]]] = {}
        self._generated: dict[str, tuple[str, float]] = {}  # path -> (ETag, Last-Modified) of its last body
        self._faults: dict[str, str] = {}
        self._log: list[Request] = []
        self._in_flight: Counter = Counter()
        self._max_in_flight: Counter = Counter()
        self._server = None
        self.base = ""

    def _mirror(self, key: str) -> str:
        u = urlsplit(self._origin[key])  # the fragment stays out: clients never send it
        return f"/{u.netloc}{u.path or '/'}" + (f"?{u.query}" if u.query else "")

    def start(self, port: int = 0) -> "Newsroom":
        """Serve on 127.0.0.1:`port` (0: a free one) from a daemon thread."""
        self._server = QuietServer(("127.0.0.1", port), type("Handler", (NewsroomHandler,), {"newsroom": self}))
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval, so that close() returns at once rather than after half a second.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True, name="newsroom").start()
        return self

    def close(self):
        self._stop.set()  # ends hanging and dripping answers
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "Newsroom":
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- the pages ---
    def url(self, key: str) -> str:
        return self.base + self._path[key]

    def path(self, key: str) -> str:
        return self._path[key]

    def truth(self, key: str) -> str:
        return self._truth[key]

    def html(self, key: str) -> bytes:
        return self._html[key]

    def title(self, key: str) -> str:
        m = re.search(rb"<title[^>]*>(.*?)</title", self._html[key], re.I | re.S)
        return " ".join(html.unescape(m.group(1).decode("utf-8", "replace")).split()) if m else ""

    def published(self, key: str) -> datetime:
        return FIRST_PUBLISHED + timedelta(days=self._index[key])

    def updated(self, key: str) -> datetime:
        return self._updated.get(key) or self.published(key)

    def edit(self, key: str, old: str, new: str):
        """Replace text in a page: its ETag and Last-Modified change, and so does its updated date in feeds."""
        with self._lock:
            page = self._html[key]
            if old.encode() not in page:
                raise ValueError(f"{old!r} is not in page {key}")
            self._html[key] = page.replace(old.encode(), new.encode())
            self._modified[key] = later(self._modified[key])
            self._updated[key] = datetime.fromtimestamp(self._modified[key], timezone.utc)

    def drop(self, key: str):
        """Out of every feed; the page itself is still served."""
        with self._lock:
            self._dropped.add(key)

    def put(self, path: str, body: bytes | str, content_type: str = "text/html", status: int = 200, headers: dict | None = None):
        """Add or replace a route; it wins over a page or feed at the same path."""
        body = body.encode() if isinstance(body, str) else body
        with self._lock:
            before = self._routes.get(path)
            self._routes[path] = Route(body, content_type, later(before and before.modified), status, dict(headers or {}))

    def fault(self, path: str, kind: str | None):
        """Answer `path` (any path: a page, a feed, /robots.txt) with a fault from FAULTS; None clears it.
        "timeout" holds the connection hang_s seconds and closes it unanswered; "redirect-loop" 302s between
        path and path?r=1; "huge" is 30 MiB with a Content-Length, "huge-chunked" the same chunked;
        "slow-drip" sends a byte of body a second."""
        if kind is not None and kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {sorted(FAULTS)}")
        with self._lock:
            if kind is None:
                self._faults.pop(path, None)
            else:
                self._faults[path] = kind

    # --- feeds ---
    def add_feed(self, path: str, kind: str, keys: list[str]):
        """A feed of the pages `keys` (for "sitemap-index", of the sitemap paths `keys`); replaces any at `path`."""
        if kind not in FEEDS:
            raise ValueError(f"unknown feed kind {kind!r}: one of {sorted(FEEDS)}")
        known = self._feeds if kind == "sitemap-index" else self._path
        missing = [k for k in keys if k not in known]
        if missing:
            raise KeyError(f"not {'a sitemap added' if kind == 'sitemap-index' else 'a page key'}: {missing[0]}")
        with self._lock:
            self._feeds[path] = (kind, list(keys))

    def _entries(self, keys: list[str]) -> list[str]:
        return [k for k in keys if k not in self._dropped]

    def feed(self, path: str) -> bytes:
        """The feed's body as served now."""
        with self._lock:
            return self._render(path)

    def _render(self, path: str) -> bytes:
        kind, keys = self._feeds[path]
        return getattr(self, "_" + kind.replace("-", "_"))(path, keys).encode()

    def _rss(self, path: str, keys: list[str]) -> str:
        items = "".join(
            f"<item><title>{x(self.title(k))}</title><link>{x(self.url(k))}</link>"
            f"<description>{x(self._truth[k][:200])}</description><guid isPermaLink=\"false\">{k}</guid>"
            f"<pubDate>{format_datetime(self.published(k), usegmt=True)}</pubDate>"
            # RSS has no updated date; Atom's, which feedparser reads, lets an edit change the feed.
            f"<atom:updated>{iso(self.updated(k))}</atom:updated></item>\n"
            for k in self._entries(keys))
        return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
                f"<channel><title>Newsroom {x(path)}</title><link>{x(self.base)}/</link>"
                f"<description>Test feed</description><atom:link href={quoteattr(self.base + path)} rel=\"self\"/>\n"
                f"{items}</channel></rss>\n")

    def _atom(self, path: str, keys: list[str]) -> str:
        keys = self._entries(keys)
        entries = "".join(
            f"<entry><id>urn:newsroom:{k}</id><title>{x(self.title(k))}</title><link href={quoteattr(self.url(k))}/>"
            f"<published>{iso(self.published(k))}</published><updated>{iso(self.updated(k))}</updated>"
            f"<summary>{x(self._truth[k][:200])}</summary></entry>\n"
            for k in keys)
        newest = max((self.updated(k) for k in keys), default=FIRST_PUBLISHED)
        return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                f"<id>urn:newsroom:{x(path)}</id><title>Newsroom {x(path)}</title><updated>{iso(newest)}</updated>"
                f"<author><name>Newsroom</name></author><link href={quoteattr(self.base + path)} rel=\"self\"/>\n"
                f"{entries}</feed>\n")

    def _sitemap(self, path: str, keys: list[str]) -> str:
        urls = "".join(
            f"<url><loc>{x(self.url(k))}</loc><lastmod>{iso(self.updated(k))}</lastmod>"
            f"<news:news><news:publication><news:name>{x(urlsplit(self._origin[k]).netloc)}</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>{iso(self.published(k))}</news:publication_date>"
            f"<news:title>{x(self.title(k))}</news:title></news:news></url>\n"
            for k in self._entries(keys))
        return ('<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
                ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
                f"{urls}</urlset>\n")

    def _sitemap_index(self, path: str, paths: list[str]) -> str:
        def newest(p):
            return max((self.updated(k) for k in self._entries(self._feeds[p][1])), default=FIRST_PUBLISHED)

        maps = "".join(f"<sitemap><loc>{x(self.base + p)}</loc><lastmod>{iso(newest(p))}</lastmod></sitemap>\n"
                       for p in paths)
        return ('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{maps}</sitemapindex>\n')

    # --- what the server saw ---
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def hits(self, path_prefix: str = "") -> int:
        with self._lock:
            return sum(r.path.startswith(path_prefix) for r in self._log)

    def clear_log(self):
        """Forget the requests and the in-flight maxima."""
        with self._lock:
            self._log.clear()
            self._max_in_flight.clear()

    @property
    def max_in_flight(self) -> dict[str, int]:
        """The most requests in progress at once, by Host header (loopback URLs all share one)."""
        with self._lock:
            return dict(self._max_in_flight)

    # --- serving, called by the handler ---
    def _begin(self, method: str, path: str, headers: dict) -> Request:
        request = Request(method, path, headers)
        host = headers.get("Host", "")
        with self._lock:
            self._log.append(request)
            self._in_flight[host] += 1
            self._max_in_flight[host] = max(self._max_in_flight[host], self._in_flight[host])
        return request

    def _end(self, request: Request):
        with self._lock:
            self._in_flight[request.headers.get("Host", "")] -= 1

    def _fault_for(self, path: str) -> tuple[str | None, str]:
        """The fault at `path`, and for the second leg of a redirect loop the path it loops back to."""
        with self._lock:
            if path in self._faults:
                return self._faults[path], path
            for tail in ("?r=1", "&r=1"):
                back = path.removesuffix(tail)
                if back != path and self._faults.get(back) == "redirect-loop":
                    return "redirect-loop", back
        return None, path

    def _resource(self, path: str) -> tuple[int, bytes, str, float, dict] | None:
        """(status, body, Content-Type, Last-Modified, extra headers) of a path, or None when there is nothing."""
        with self._lock:
            route = self._routes.get(path)
            if route:
                return route.status, route.body, route.content_type, route.modified, route.headers
            if path == "/robots.txt" and self.robots is not None:
                body = self.robots.encode()
                return 200, body, "text/plain; charset=utf-8", self._stamp(path, body), {}
            if path in self._by_path:
                key = self._by_path[path]
                return 200, self._html[key], "text/html", self._modified[key], {}
            if path in self._feeds:
                body = self._render(path)
                return 200, body, FEEDS[self._feeds[path][0]] + "; charset=utf-8", self._stamp(path, body), {}
        return None

    def _stamp(self, path: str, body: bytes) -> float:
        """Last-Modified of a generated body: it moves exactly when the body does, whatever changed it."""
        tag = etag(body)
        known = self._generated.get(path)
        if not known or known[0] != tag:
            known = self._generated[path] = (tag, later(known and known[1]))
        return known[1]

def later(than: float | None = None) -> float:
    """Now, or a second after `than` if that is not yet past: HTTP dates count whole seconds, and a change
    must move Last-Modified or an If-Modified-Since client would miss it."""
    now = float(int(time.time()))
    return now if than is None else max(now, than + 1)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def not_modified(headers, tag: str, modified: float) -> bool:
    if "If-None-Match" in headers:
        offered = [t.strip().removeprefix("W/") for t in headers["If-None-Match"].split(",")]
        return tag in offered or "*" in offered
    if "If-Modified-Since" in headers:
        try:
            since = parsedate_to_datetime(headers["If-Modified-Since"]).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # an unreadable date is ignored, as RFC 9110 says
        return since >= modified
    return False


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], GONE):  # a client hanging up is normal here
            super().handle_error(request, client_address)


class NewsroomHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 for keep-alive and chunked bodies, like a real news site.
    protocol_version = "HTTP/1.1"
    newsroom: Newsroom
    request_record: Request | None = None

    def log_message(self, format, *args):
        pass

    def send_response(self, code, message=None):
        if self.request_record:  # None for what the base class refuses itself (a POST, a malformed request)
            self.request_record.status = code  # now, not when a slow body ends
        super().send_response(code, message)

    def do_GET(self):
        self._serve(body=True)

    def do_HEAD(self):
        self._serve(body=False)

    def _serve(self, body: bool):
        site = self.newsroom
        # Title-Case names, so a test finds "If-None-Match" however the client spelled it.
        self.request_record = site._begin(self.command, self.path, {k.title(): v for k, v in self.headers.items()})
        try:
            kind, back = site._fault_for(self.path)
            if kind:
                self._fault(site, kind, back, body)
            else:
                self._answer(site, body)
        except GONE:
            self.close_connection = True
        finally:
            site._end(self.request_record)
            self.request_record = None

    def _answer(self, site: Newsroom, body: bool):
        found = site._resource(self.path)
        if found is None:
            return self._send(404, NOT_FOUND, "text/html", body)
        status, data, content_type, modified, extra = found
        headers = {}
        if status == 200:
            tag = etag(data)
            headers = {"ETag": tag, "Last-Modified": http_date(modified)}
            if not_modified(self.headers, tag, modified):
                return self._send(304, b"", None, False, {**headers, **extra})
        self._send(status, data, content_type, body, {**headers, **extra})

    def _send(self, status: int, data: bytes, content_type: str | None, body: bool, headers: dict | None = None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _fault(self, site: Newsroom, kind: str, path: str, body: bool):
        if kind == "404":
            return self._send(404, NOT_FOUND, "text/html", body)
        if kind == "500":
            return self._send(500, b"<html><body><h1>Internal server error</h1></body></html>", "text/html", body)
        if kind == "pdf":
            return self._send(200, PDF, "application/pdf", body)
        if kind == "redirect-loop":
            target = path if path != self.path else path + ("&r=1" if "?" in path else "?r=1")
            return self._send(302, b"", "text/html", body, {"Location": site.base + target})
        if kind == "timeout":
            site._stop.wait(site.hang_s)
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if kind == "huge-chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(HUGE if kind == "huge" else len(DRIP)))
        self.end_headers()
        if not body:
            return
        if kind == "slow-drip":
            for i in range(len(DRIP)):
                self.wfile.write(DRIP[i:i + 1])
                if site._stop.wait(1):
                    break
        else:
            chunked = kind == "huge-chunked"
            for _ in range(HUGE // len(CHUNK)):
                if site._stop.is_set():
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
            else:
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
        # Cut short by close(), the body is incomplete: only a closed connection tells the client so.
        self.close_connection = site._stop.is_set()


def main():
    parser = argparse.ArgumentParser(description="Serve the article pages with a demo set of feeds, until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pages", type=Path, default=PAGES)
    args = parser.parse_args()
    site = Newsroom(args.pages).start(args.port)
    third = len(site.keys) // 3
    demo = {"/feeds/tech.rss": ("rss", site.keys[:third]), "/feeds/world.atom": ("atom", site.keys[third:2 * third]),
            "/sitemap-news.xml": ("sitemap", site.keys[2 * third:])}
    for path, (kind, keys) in demo.items():
        site.add_feed(path, kind, keys)
        print(site.base + path, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.close()

if __name__ == "__main__":
    main()
