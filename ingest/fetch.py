"""Polite, bounded HTTP for news sources: robots.txt, per-host limits and delays, timeouts, a redirect cap and a size cap."""
import re
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from rag.errors import FetchError
from rag.settings import Settings

ROBOTS_TTL_S = 3600  # re-read a host's robots.txt hourly when `sync --every` runs for days
MAX_CRAWL_DELAY_S = 60  # a robots.txt Crawl-delay above this is treated as this, so one host cannot stall a sync


@dataclass
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 when the validators sent still hold
    body: bytes
    content_type: str  # lower-case, without parameters
    etag: str = ""
    last_modified: str = ""
    charset: str = ""  # from the Content-Type header


class Stopped(Exception):
    """The sync was asked to stop (Ctrl-C) before this request started."""


class Host:
    """One host's politeness state: a slot per allowed concurrent request, and when the next request may start."""

    def __init__(self, slots: int):
        self.slots = threading.Semaphore(slots)
        self.lock = threading.Lock()
        self.robots_lock = threading.Lock()
        self.next_start = 0.0
        self.robots: Protego | None = None
        self.robots_error = ""
        self.robots_read = -ROBOTS_TTL_S


def gunzipped(body: bytes, url: str, cap: int) -> bytes:
    """A body that is itself a gzip file (sitemap.xml.gz, served as application/x-gzip), unpacked within the cap."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    unpack = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = unpack.decompress(body, cap + 1)
    except zlib.error as e:
        raise FetchError(url, f"a broken gzip file ({e})", permanent=True) from None
    if len(data) > cap:
        raise FetchError(url, f"too big: over the {cap / 1048576:g} MB limit unpacked (NEWSDESK_FETCH_MAX_MB)", permanent=True)
    return data


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def reason_for(e: httpx.HTTPError, timeout: float) -> str:
    if isinstance(e, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    text = str(e)
    if isinstance(e, httpx.ConnectError):
        if "Name or service not known" in text or "nodename nor servname" in text or "No address associated" in text:
            return "DNS: host not found; check the URL"
        return "cannot connect: connection refused" if "refused" in text.lower() else f"cannot connect ({text})"
    return f"network error ({type(e).__name__}: {text})"


class Fetcher:
    """Fetches URLs on behalf of every source of one sync, sharing per-host limits across threads."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None):
        self.settings, self.stop = settings, stop or threading.Event()
        self.client = httpx.Client(headers={"User-Agent": settings.user_agent}, follow_redirects=False,
                                   timeout=httpx.Timeout(settings.fetch_timeout_s))
        self.hosts: dict[str, Host] = {}
        self.hosts_lock = threading.Lock()

    def close(self):
        self.client.close()

    def host(self, url: str) -> Host:
        with self.hosts_lock:
            return self.hosts.setdefault(host_of(url), Host(self.settings.fetch_per_host))

    def get(self, url: str, etag: str = "", last_modified: str = "") -> Response:
        """url's body, following at most fetch_max_redirects redirects, each hop allowed by its host's robots.txt.
        Raises FetchError naming the url and the reason."""
        validators = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        for _ in range(self.settings.fetch_max_redirects + 1):
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise FetchError(url, "not an http(s) URL", permanent=True)
            self.allowed(url)
            response, location = self.request(url, validators)
            if location is None:
                return response
            url = urljoin(url, location)
        raise FetchError(url, f"more than {self.settings.fetch_max_redirects} redirects (a redirect loop?)", permanent=True)

    def allowed(self, url: str):
        host = self.host(url)
        with host.robots_lock:
            if time.monotonic() - host.robots_read > ROBOTS_TTL_S:
                host.robots, host.robots_error = self.read_robots(host_of(url))
                host.robots_read = time.monotonic()
        if host.robots_error:
            raise FetchError(url, host.robots_error)
        if not host.robots.can_fetch(url, self.settings.user_agent):
            raise FetchError(url, "blocked by the site's robots.txt", permanent=True)

    def read_robots(self, origin: str) -> tuple[Protego | None, str]:
        # RFC 9309: a missing robots.txt (4xx) allows everything; an unreachable one (5xx, network) allows nothing.
        url = origin + "/robots.txt"
        try:
            response, location = self.request(url, {}, small=True)
        except FetchError as e:
            if e.reason.startswith("HTTP 4"):
                return Protego.parse(""), ""
            if e.reason.startswith("HTTP 5"):
                return None, f"its robots.txt answered {e.reason}, which means no crawling for now; try again later"
            return None, e.reason
        text = "" if location is not None else response.body.decode("utf-8", errors="replace")
        return Protego.parse(text), ""

    def delay(self, url: str) -> float:
        host = self.host(url)
        crawl_delay = host.robots.crawl_delay(self.settings.user_agent) if host.robots else None
        return max(self.settings.fetch_delay_s, min(crawl_delay or 0, MAX_CRAWL_DELAY_S))

    def request(self, url: str, headers: dict, small: bool = False) -> tuple[Response, str | None]:
        """One GET in one of the host's slots, started no sooner than the host's delay allows: (response, redirect
        location or None)."""
        host = self.host(url)
        cap = (512 * 1024) if small else int(self.settings.fetch_max_mb * 1024 * 1024)
        timeout = self.settings.fetch_timeout_s
        with host.slots:
            with host.lock:
                wait = host.next_start - time.monotonic()
                host.next_start = max(host.next_start, time.monotonic()) + (0 if small else self.delay(url))
            # Waiting for the host's turn is where a stop is noticed: requests not yet started are not made.
            if self.stop.wait(max(wait, 0)):
                raise Stopped(url)
            deadline = time.monotonic() + 4 * timeout  # a server that drips bytes never trips the per-read timeout
            try:
                with self.client.stream("GET", url, headers=headers) as r:
                    if r.is_redirect and r.headers.get("location"):
                        return None, r.headers["location"]
                    if r.status_code == 304:
                        return Response(url, 304, b"", "", headers.get("If-None-Match", ""), headers.get("If-Modified-Since", "")), None
                    if r.status_code >= 400:
                        raise FetchError(url, f"HTTP {r.status_code} {r.reason_phrase}".strip(), permanent=r.status_code in (404, 410))
                    declared = int(r.headers.get("content-length") or 0)
                    if declared > cap:
                        raise FetchError(url, f"too big: {declared / 1048576:.1f} MB, over the {cap / 1048576:g} MB limit (NEWSDESK_FETCH_MAX_MB)", permanent=True)
                    body = bytearray()
                    for part in r.iter_bytes():
                        body += part
                        if len(body) > cap:
                            raise FetchError(url, f"too big: over the {cap / 1048576:g} MB limit (NEWSDESK_FETCH_MAX_MB)", permanent=True)
                        if time.monotonic() > deadline:
                            raise FetchError(url, f"too slow: the body took over {4 * timeout:g} s")
                    content_type = r.headers.get("content-type", "")
                    charset = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
                    return Response(url, r.status_code, gunzipped(bytes(body), url, cap), content_type.split(";")[0].strip().lower(),
                                    r.headers.get("etag", ""), r.headers.get("last-modified", ""), charset.group(1) if charset else ""), None
            except httpx.HTTPError as e:
                raise FetchError(url, reason_for(e, timeout)) from None
