"""A hostile web site on loopback, for tests: the news site of tests/newsroom.py (its real article pages are the good
pages) with routes that attack the client, and an "internal" server beside it.

    with HostileSite() as site:
        site.feed_url          # an RSS feed listing every hostile URL beside good pages
        site.expected          # {hostile URL: the pattern its one-line failure must match}
        site.internal.hits     # requests that reached the internal server

The site is 127.0.0.1, the name a user gives. The internal server listens on loopback too, but is reached by other
names (`localhost`, `[::ffff:127.0.0.1]`): a client that trusts only the host its user typed must refuse it by its
address, as it would refuse an intranet host or 169.254.169.254 reached from a public site.
"""
import functools
import threading
import zlib
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote
from xml.sax.saxutils import escape

import brotli

from newsroom import Newsroom, QuietServer

BOMB = 1 << 30  # each bomb unpacks to 1 GiB of zeros
SECRET = "The internal password is swordfish-7f3a"
METADATA = "http://169.254.169.254/latest/meta-data/"
INVALID = "not a valid http\\(s\\) URL"


@functools.cache
def bombs() -> dict[str, tuple[bytes, str]]:
    """{name: (body, Content-Encoding)}, each 1 GiB of zeros unpacked, built in about a second: after a full flush a
    deflate stream holds no back-references, so 1 MiB of zeros compresses to the same block every time, repeated."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    raw = first + block * (BOMB // len(zeros) - 2) + deflate.compress(zeros) + deflate.flush()
    crc, adler = 0, 1
    for _ in range(BOMB // len(zeros)):
        crc, adler = zlib.crc32(zeros, crc), zlib.adler32(zeros, adler)
    gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + raw + crc.to_bytes(4, "little") + (BOMB % 2**32).to_bytes(4, "little")
    wrapped = b"\x78\xda" + raw + adler.to_bytes(4, "big")
    packer = brotli.Compressor(quality=5)
    br = b"".join(packer.process(zeros) for _ in range(BOMB // len(zeros))) + packer.finish()
    return {"br": (br, "br"), "gzip": (gzip, "gzip"), "deflate": (wrapped, "deflate"), "raw-deflate": (raw, "deflate"),
            "gzip-then-br": (brotli.compress(gzip, quality=5), "gzip, br")}


def encoded(body: bytes, encoding: str) -> bytes:
    """body with the Content-Encoding `encoding` applied, layer by layer in the order listed."""
    for name in encoding.split(","):
        name = name.strip()
        if name == "gzip":
            packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        elif name in ("deflate", "raw-deflate"):
            packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS if name == "deflate" else -zlib.MAX_WBITS)
        else:
            body = brotli.compress(body)
            continue
        body = packer.compress(body) + packer.flush()
    return body


class Internal:
    """The internal host: a page that must never be fetched through a redirect or a listing."""

    def __init__(self):
        self.hits: list[str] = []
        page = ("<html><head><title>Internal wiki: credentials</title></head><body><article><h1>Internal wiki: credentials</h1>"
                + f"<p>{SECRET}. Do not share it outside the operations team, and rotate it every quarter.</p>" * 6
                + "</article></body></html>").encode()
        internal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                internal.hits.append(self.path)
                found = self.path == "/secret.html"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(page)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True, name="internal").start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HostileSite(Newsroom):
    def start(self, port: int = 0) -> "HostileSite":
        super().start(port)
        self.internal = Internal()
        secret = f"localhost:{self.internal.port}/secret.html"
        self.redirects = {  # path: Location it answers, and what the failure must say
            "/go/data": ("data:text/html,<script>alert(document.cookie)</script>", INVALID),
            "/go/javascript": ("javascript:alert(1)", INVALID),
            "/go/bad-ipv6": ("http://[::1", INVALID),
            "/go/space-in-host": ("http://exa mple/", INVALID),
            "/go/bad-port": ("http://127.0.0.1:99999/", INVALID),
            # not UTF-8: the bytes go out as they are (http.server writes headers as Latin-1)
            "/go/not-utf8": ("/\xff\xfe/caf\xe9", "HTTP 404"),
            "/go/long": ("/" + "a" * 9000, INVALID),  # past any URL newsdesk stores, within the header limit
            "/go/huge": ("/" + "a" * 200_000, "network error"),  # past the HTTP client's header limit (100 KB)
            "/go/loop": ("/go/loop", "more than 5 redirects"),
            "/go/internal": (f"http://{secret}", r"refused: localhost \(127\.0\.0\.1\) is a loopback address"),
            "/go/mapped": (f"http://[::ffff:127.0.0.1]:{self.internal.port}/secret.html", r"refused: ::ffff:127\.0\.0\.1 is a loopback address"),
            "/go/metadata": (METADATA, r"refused: 169\.254\.169\.254 is a link-local address"),
        }
        for path, (location, _) in self.redirects.items():
            self.put(path, b"", status=302, headers={"Location": location})
        self.entries = {  # a listing's entries that are not URLs to fetch, or lead where a listing may not lead
            "http://[::1/": INVALID,
            "http://exa mple/": INVALID,
            "data:text/html,<script>alert(1)</script>": INVALID,
            "javascript:alert(1)": INVALID,
            "ftp://127.0.0.1/file": INVALID,
            f"http://{secret}": r"refused: localhost \(127\.0\.0\.1\) is a loopback address",
            METADATA: r"refused: 169\.254\.169\.254 is a link-local address",
            "http://[fd00:ec2::254]/latest/meta-data/": r"refused: fd00:ec2::254 is a private address",
            "http://100.64.0.1/": r"refused: 100\.64\.0\.1 is not a public address",
            "http://[::ffff:169.254.169.254]/latest/": r"refused: ::ffff:169\.254\.169\.254 is a link-local address",
        }
        for name, (body, encoding) in bombs().items():
            self.put(f"/bomb/{name}", body, headers={"Content-Encoding": encoding})
        self.put("/enc/unknown", encoded(self.html(self.keys[0]), "gzip"), headers={"Content-Encoding": "x-squash"})
        self.expected = {self.base + path: reason for path, (_, reason) in self.redirects.items()}
        self.expected.update({self.base + f"/bomb/{name}": "too big" for name in bombs()})
        self.expected[self.base + "/enc/unknown"] = "x-squash"
        self.expected.update(self.entries)
        # Good pages served with every encoding the client advertises: they must be stored as the plain page is.
        self.encodings = {"gzip": self.keys[1], "deflate": self.keys[2], "raw-deflate": self.keys[3], "br": self.keys[4],
                          "gzip, br": self.keys[5]}
        for encoding, key in self.encodings.items():
            self.put(f"/enc/{quote(encoding)}", encoded(self.html(key), encoding),
                     headers={"Content-Encoding": encoding.replace("raw-", "")})
        # A redirect whose Location holds markup, to a page that is served at that path (percent-encoded, as sent).
        self.markup = '/markup/"><img src=http://127.0.0.1:9/beacon.png>'
        self.put(quote(self.markup, safe="/:=@"), self.html(self.keys[6]))
        self.put("/go/markup", b"", status=302, headers={"Location": self.markup})
        # A charset that names a codec which is no text encoding (Python's punycode raises UnicodeError, not the
        # InputError readers raise): stored or refused on one line, it must not end the run.
        page = ("<html><head><title>Council approves budget</title></head><body><article><h1>Council approves budget</h1>"
                + "<p>The council approved the new budget on Tuesday after a long debate about road repairs and school funding.</p>" * 6
                + "</article></body></html>")
        self.put("/charset/punycode", page.encode(), "text/html; charset=punycode")
        self.odd = [self.base + "/charset/punycode"]
        self.good = [self.url(k) for k in self.keys[10:13]] + [self.base + f"/enc/{quote(e)}" for e in self.encodings] + [self.base + "/go/markup"]
        listed = self.good + self.odd + list(self.expected)
        self.put("/feeds/hostile.rss", self.rss(listed), "application/rss+xml")
        self.put("/sitemap-hostile.xml", self.sitemap(listed), "application/xml")
        return self

    @property
    def feed_url(self) -> str:
        return self.base + "/feeds/hostile.rss"

    @property
    def sitemap_url(self) -> str:
        return self.base + "/sitemap-hostile.xml"

    @staticmethod
    def rss(urls: list[str]) -> str:
        items = "".join(f"<item><title>Entry {i}</title><link>{escape(u)}</link><guid isPermaLink=\"false\">{i}</guid>"
                        f"<pubDate>Mon, 0{1 + i % 9} Jan 2024 08:00:00 GMT</pubDate></item>\n" for i, u in enumerate(urls))
        return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Hostile news</title>'
                f"<link>http://127.0.0.1/</link><description>Hostile test feed</description>\n{items}</channel></rss>\n")

    @staticmethod
    def sitemap(urls: list[str]) -> str:
        locs = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls)
        return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{locs}</urlset>\n'

    def close(self):
        super().close()
        if getattr(self, "internal", None):
            self.internal.close()


if __name__ == "__main__":
    with HostileSite() as site:
        print(site.feed_url, site.sitemap_url, sep="\n", flush=True)
        threading.Event().wait()
