"""Polite, bounded HTTP for news sources: robots.txt, per-host limits and delays, timeouts, a redirect cap, a size cap
that every decoder keeps as it decodes, and no way from a listing or a redirect to an address the user did not give."""
import ipaddress
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import brotli
import httpcore
import httpx
from protego import Protego

from newsdesk.rag.errors import FetchError
from newsdesk.rag.links import normal_url
from newsdesk.rag.settings import Settings

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


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # where DNS64 puts IPv4-only sites on IPv6-only networks


class Refused(Exception):
    """A connection to an address that only a URL the user gave may lead to."""


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why a redirect or a listing may not lead to ip ("a loopback address"), or "" for a public address."""
    if ip.version == 6:  # an IPv4 address carried in IPv6 (::ffff:127.0.0.1, 2002:7f00:1::, NAT64's) is judged as itself
        ip = ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else ip)
    for kind, test in (("a loopback", ip.is_loopback), ("a link-local", ip.is_link_local), ("a multicast", ip.is_multicast),
                       ("an unspecified", ip.is_unspecified), ("a reserved", ip.is_reserved), ("a private", ip.is_private)):
        if test:
            return f"{kind} address"
    # What is left and not global: shared address space (100.64/10, where Alibaba's metadata service lives), benchmarking...
    return "" if ip.is_global else "not a public address"


class Guard(httpcore.SyncBackend):
    """Resolves a host once, checks every address, and connects only to the checked ones, so DNS cannot answer one
    address to the check and another to the connection. Hosts the user gave (and all hosts, with
    NEWSDESK_FETCH_PRIVATE_HOSTS) are not checked. TLS still verifies the name: httpcore sends the URL's host as SNI."""

    def __init__(self, trusted: set[str], allow_all: bool):
        self.trusted, self.allow_all = trusted, allow_all

    def trusts(self, host: str) -> bool:
        return self.allow_all or host.lower() in self.trusted

    def addresses(self, host: str, port: int) -> list[str]:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise httpcore.ConnectError(str(e)) from None
        ips = list(dict.fromkeys(info[4][0] for info in found))
        if self.trusts(host):
            return ips
        problems = {ip: address_problem(ipaddress.ip_address(ip.split("%")[0])) for ip in ips}
        allowed = [ip for ip in ips if not problems[ip]]
        if not allowed:
            ip, problem = next(iter(problems.items()))
            shown = ip if ip == host else f"{host} ({ip})"
            raise Refused(f"{shown} is {problem}")
        return allowed

    def check(self, host: str):
        """The check alone, for a request a proxy makes: a name this machine cannot resolve is the proxy's to resolve."""
        try:
            self.trusts(host) or self.addresses(host, 0)
        except httpcore.ConnectError:
            pass

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        ips = self.addresses(host, port)
        for ip in ips:
            try:
                return super().connect_tcp(ip, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                if ip == ips[-1]:
                    raise


def guarded_transport(guard: Guard) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx has no public seam for httpcore's network backend yet (encode/httpx#3749): its transport's pool is
    # replaced by one that connects through the guard, with httpx's default limits.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), max_connections=100,
                                              max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=guard)
    return transport


def proxy_mounts() -> dict:
    """The proxies of the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), which httpx ignores once it is
    given a transport, mounted as httpx itself would mount them."""
    from httpx._utils import get_environment_proxies

    return {pattern: httpx.HTTPTransport(proxy=proxy) if proxy else None for pattern, proxy in get_environment_proxies().items()}


def decoder(encoding: str):
    """A function (data, limit) -> at most about `limit` bytes of data unpacked, for one Content-Encoding; what is left
    unpacked is never asked for, since reaching the limit refuses the body."""
    if encoding in ("gzip", "x-gzip"):
        unpack = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return lambda data, limit: unpack.decompress(data, limit)
    if encoding == "br":
        unpack = brotli.Decompressor()
        return lambda data, limit: unpack.process(data, output_buffer_limit=limit)
    if encoding == "deflate":
        unpack, head = None, b""

        def inflate(data, limit):
            nonlocal unpack, head
            # RFC 9110's deflate is zlib-wrapped, but some servers send it raw: a zlib header is CM=8 in the low
            # nibble, and its two bytes a multiple of 31.
            if unpack is None:
                head += data
                if len(head) < 2:
                    return b""
                wrapped = head[0] & 0x0F == 8 and int.from_bytes(head[:2], "big") % 31 == 0
                unpack, data = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS), head
            return unpack.decompress(data, limit)
        return inflate
    return None


# What the decoders above undo, and nothing else. zstd is left out: the zstandard package's decompressobj has no output
# limit, so a zstd bomb could not be stopped at the cap.
ACCEPT_ENCODING = "gzip, deflate, br"


class Unpacker:
    """Undoes a body's Content-Encoding layers (listed in the order applied) as its raw bytes arrive, each layer asked
    for no more than the cap: httpx's own decoders unpack a whole network chunk at once, so 1.6 KB of Brotli grew
    the process by 2 GB before the size check saw it."""

    def __init__(self, url: str, encoding: str, cap: int):
        names = [e.strip().lower() for e in encoding.split(",") if e.strip().lower() not in ("", "identity")]
        self.url, self.cap, self.names = url, cap, names[::-1]
        self.layers = [decoder(name) for name in self.names]
        if None in self.layers:
            raise FetchError(url, f"cannot decode the body: its Content-Encoding is {encoding.strip()[:60]!r}, not {ACCEPT_ENCODING}", permanent=True)
        self.made = [0] * len(self.layers)

    def __call__(self, data: bytes) -> bytes:
        for i, layer in enumerate(self.layers):
            if not data:
                return b""
            try:
                data = layer(data, self.cap + 1 - self.made[i])
            except (zlib.error, brotli.error) as e:
                raise FetchError(self.url, f"a broken {self.names[i]} body ({e})", permanent=True) from None
            self.made[i] += len(data)
            if self.made[i] > self.cap:
                raise FetchError(self.url, f"too big: over the {self.cap / 1048576:g} MB limit unpacked (NEWSDESK_FETCH_MAX_MB)", permanent=True)
        return data


def hide_location(response: httpx.Response):
    # httpx builds the request a redirect leads to even when not following it, and raises InvalidURL there (not an
    # HTTPError) for a Location it cannot parse (data:..., http://[::1): the Location is moved out of its sight, to be
    # judged by Fetcher.get.
    if "location" in response.headers:
        response.extensions = {**response.extensions, "location": response.headers.pop("location")}


def shown(text: str) -> str:
    """A URL as given, for a one-line message: control characters and line breaks escaped, and cut short."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= 200 else text[:200] + "..."


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def reason_for(e: httpx.HTTPError, timeout: float) -> str:
    if isinstance(e, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    text = " ".join(str(e).split())[:300]
    if isinstance(e, httpx.ConnectError):
        if "Name or service not known" in text or "nodename nor servname" in text or "No address associated" in text:
            return "DNS: host not found; check the URL"
        return "cannot connect: connection refused" if "refused" in text.lower() else f"cannot connect ({text})"
    return f"network error ({type(e).__name__}: {text})"


class Fetcher:
    """Fetches URLs on behalf of every source of one sync, sharing per-host limits across threads."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None, given: list[str] = ()):
        """given: the URLs the user typed (ingest's arguments, the followed sources); their hosts may be any address,
        where a redirect or a listing may lead only to public ones."""
        self.settings, self.stop = settings, stop or threading.Event()
        trusted = {urlsplit(normal_url(u)).hostname for u in given if normal_url(u)}
        self.guard = Guard(trusted, settings.fetch_private_hosts)
        mounts = proxy_mounts()
        # Through a proxy, the proxy resolves and connects: the guard can only check what the name resolves to here,
        # before the request; a name that resolves differently for the proxy is the proxy's to police.
        self.proxied = any(mounts.values())
        self.client = httpx.Client(headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                                   follow_redirects=False, timeout=httpx.Timeout(settings.fetch_timeout_s),
                                   transport=guarded_transport(self.guard), mounts=mounts,
                                   event_hooks={"response": [hide_location]})
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
        if not normal_url(url):
            raise FetchError(shown(url), "not a valid http(s) URL", permanent=True)
        url = given = normal_url(url)
        for _ in range(self.settings.fetch_max_redirects + 1):
            try:
                if self.proxied:
                    self.guard.check(urlsplit(url).hostname)
                self.allowed(url)
                response, location = self.request(url, validators)
            except Refused as e:
                how = "a redirect or a listing" if url == given else f"a redirect from {given}"
                raise FetchError(url, f"refused: {e}, reached by {how}, not a URL you gave "
                                      "(NEWSDESK_FETCH_PRIVATE_HOSTS=true allows it)", permanent=True) from None
            if location is None:
                return response
            try:
                target = normal_url(urljoin(url, location))
            except ValueError:
                target = ""
            if not target:
                raise FetchError(url, f"redirects to '{shown(location)}', not a valid http(s) URL", permanent=True)
            url = target
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
                    if r.is_redirect and r.extensions.get("location"):
                        return None, r.extensions["location"]
                    if r.status_code == 304:
                        return Response(url, 304, b"", "", headers.get("If-None-Match", ""), headers.get("If-Modified-Since", "")), None
                    if r.status_code >= 400:
                        raise FetchError(url, f"HTTP {r.status_code} {r.reason_phrase}".strip(), permanent=r.status_code in (404, 410))
                    declared = int(r.headers.get("content-length") or 0)
                    if declared > cap:
                        raise FetchError(url, f"too big: {declared / 1048576:.1f} MB, over the {cap / 1048576:g} MB limit (NEWSDESK_FETCH_MAX_MB)", permanent=True)
                    unpack, body, raw = Unpacker(url, r.headers.get("content-encoding", ""), cap), bytearray(), 0
                    for part in r.iter_raw():
                        raw += len(part)
                        body += unpack(part)
                        if raw > cap or len(body) > cap:
                            raise FetchError(url, f"too big: over the {cap / 1048576:g} MB limit (NEWSDESK_FETCH_MAX_MB)", permanent=True)
                        if time.monotonic() > deadline:
                            raise FetchError(url, f"too slow: the body took over {4 * timeout:g} s")
                    content_type = r.headers.get("content-type", "")
                    charset = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
                    return Response(url, r.status_code, gunzipped(bytes(body), url, cap), content_type.split(";")[0].strip().lower(),
                                    r.headers.get("etag", ""), r.headers.get("last-modified", ""), charset.group(1) if charset else ""), None
            except httpx.HTTPError as e:
                raise FetchError(url, reason_for(e, timeout)) from None
            except httpx.InvalidURL as e:  # a URL normal_url accepts and httpx does not: refused alike
                raise FetchError(url, f"not a valid http(s) URL ({e})", permanent=True) from None
