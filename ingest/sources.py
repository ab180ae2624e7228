"""News sources: article pages, RSS/Atom feeds and sitemaps, read into Articles and remembered between syncs.

A page, a feed and a sitemap are one idea: a URL that yields article pages. A feed or sitemap lists entries; an
entry whose listing has not changed since it was last fetched is not fetched again, and a page is fetched with
the validators (ETag, Last-Modified) of its last fetch."""
import calendar
import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from newsdesk.rag.errors import FetchError, InputError
from newsdesk.rag.links import normal_url
from newsdesk.rag.catalog import now
from newsdesk.rag.types import Article, Source

from .fetch import Fetcher, Response, Stopped
from .readers import decode, extract_page, iso_date

HTML_TYPES = {"text/html", "application/xhtml+xml"}
XML_TYPES = {"application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
             "application/x-gzip", "application/gzip"}  # the last two: sitemap.xml.gz, unpacked by the fetcher
MAX_CHILD_SITEMAPS = 50

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, kind TEXT NOT NULL, added_at TEXT NOT NULL,
    last_sync TEXT, last_error TEXT, etag TEXT, last_modified TEXT
);
-- Every URL fetched for an article: what its listing said then (signature) and the page's validators, so the
-- next sync asks again only when something changed. Rows are written only after their articles are stored.
CREATE TABLE IF NOT EXISTS fetched (
    url TEXT PRIMARY KEY, source TEXT NOT NULL, signature TEXT, etag TEXT, last_modified TEXT,
    article_id TEXT, error TEXT, fetched_at TEXT NOT NULL
);
"""


def is_url(text: str) -> bool:
    return bool(re.match(r"https?://", text, re.I))


def absolute(base: str, link: str) -> str:
    """A listed link in normal form, or as listed when it is no http(s) URL, so that its one-line failure names it."""
    try:
        return normal_url(urljoin(base, link.strip())) or link.strip()
    except ValueError:  # a malformed IPv6 literal or port
        return link.strip()


def unexpected(e: Exception) -> str:
    """The one line an error no one foresaw leaves: its type and message."""
    return f"failed unexpectedly: {type(e).__name__}: {' '.join(str(e).split())[:300]}"


@dataclass
class Entry:
    """A link a feed or sitemap lists."""
    url: str
    title: str = ""
    date: str = ""  # the listing's date for it: used only when the page gives none
    signature: str = ""  # what the listing says about it; unchanged means the page need not be fetched again


@dataclass
class Listing:
    kind: str  # feed or sitemap
    title: str
    entries: list[Entry]


@dataclass
class Harvest:
    """What one source yielded in one sync, held until its articles are stored."""
    url: str
    kind: str = ""
    title: str = ""
    articles: list[Article] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    listed: int = 0  # entries the feed or sitemap lists
    known: int = 0  # entries not fetched: listed unchanged since they were fetched
    fetched: int = 0  # pages requested
    unchanged: int = 0  # pages the server said had not changed (304)
    not_modified: bool = False
    interrupted: bool = False
    validators: tuple[str, str] | None = None  # the source's own ETag and Last-Modified, saved when all went well
    error: str = ""  # why the source itself could not be read


FETCHED = ("url", "source", "signature", "etag", "last_modified", "article_id", "error", "fetched_at")


class Sources:
    """The followed sources and the fetch records, in the manifest's database (SQLite or PostgreSQL), over a
    connection of their own (the manifest passed in): fetching threads read it while the writer commits articles
    through another. Its SQL is what both databases accept, run through the manifest's run/run_many/transaction."""

    def __init__(self, manifest):
        self.manifest = manifest
        self.manifest.script(SCHEMA)
        self.lock = threading.RLock()  # one connection, shared by the fetching threads

    def close(self):
        self.manifest.close()

    def all(self) -> list[Source]:
        rows = self.manifest.run(
            "SELECT s.*, (SELECT COUNT(*) FROM articles a WHERE a.source = s.url) AS n FROM sources s ORDER BY s.added_at, s.name").fetchall()
        return [Source(url=r["url"], name=r["name"], kind=r["kind"], added_at=r["added_at"], last_sync=r["last_sync"] or "",
                       last_error=r["last_error"] or "", articles=r["n"]) for r in rows]

    def find(self, key: str) -> Source | None:
        return next((s for s in self.all() if key in (s.name, s.url)), None)

    def add(self, url: str, name: str, kind: str):
        with self.lock, self.manifest.transaction():
            self.manifest.run("INSERT INTO sources (url, name, kind, added_at) VALUES (?, ?, ?, ?)", (url, name, kind, now()))

    def remove(self, url: str):
        with self.lock, self.manifest.transaction():
            self.manifest.run("DELETE FROM sources WHERE url = ?", (url,))
            self.manifest.run("DELETE FROM fetched WHERE source = ?", (url,))

    def validators(self, url: str) -> tuple[str, str]:
        """The ETag and Last-Modified to send for url: a followed source's from its last sync, a page's from its
        last fetch while its article is still stored, else none."""
        with self.lock:
            row = self.manifest.run("SELECT etag, last_modified FROM sources WHERE url = ?", (url,)).fetchone()
            if row is None:
                row = self.record(url)
                if row is None or not row["article_id"] or self.manifest.get(row["article_id"]) is None:
                    return "", ""
            return row["etag"] or "", row["last_modified"] or ""

    def record(self, url: str):
        with self.lock:
            return self.manifest.run("SELECT * FROM fetched WHERE url = ?", (url,)).fetchone()

    def remember(self, harvest: Harvest):
        """Save what a harvest learned, once its articles are stored."""
        with self.lock, self.manifest.transaction():
            self.manifest.run_many(
                f"INSERT INTO fetched ({', '.join(FETCHED)}) VALUES ({', '.join('?' * len(FETCHED))}) "
                f"ON CONFLICT (url) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in FETCHED[1:])}",
                [tuple({**r, "fetched_at": now()}[c] for c in FETCHED) for r in harvest.records])
            error = harvest.error or (f"{len(harvest.failures)} of its pages failed, e.g. {harvest.failures[0][0]}: {harvest.failures[0][1]}"
                                      if harvest.failures else "")
            self.manifest.run("UPDATE sources SET last_sync = ?, last_error = ? WHERE url = ?", (now(), error, harvest.url))
            if harvest.validators is not None:
                self.manifest.run("UPDATE sources SET etag = ?, last_modified = ? WHERE url = ?", (*harvest.validators, harvest.url))


def slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:40].strip("-")


def default_name(url: str, title: str) -> str:
    """A short name to type: the listing's title, else the site and the file ("nytimes-news" for
    https://www.nytimes.com/sitemaps/news.xml)."""
    if slug(title):
        return slug(title)
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    site = host if re.fullmatch(r"[\d.]+|\[.*\]", host) else host.rsplit(".", 1)[0]
    stem = parts.path.rstrip("/").rsplit("/", 1)[-1].split(".")[0]
    return slug(f"{site} {stem}") or "source"


def kind_of(response: Response) -> str:
    head = response.body[:2048].lstrip().lower()
    if response.content_type in HTML_TYPES and not head.startswith(b"<?xml"):
        return "page"
    if response.content_type in XML_TYPES or head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf")):
        return "sitemap" if re.search(rb"<(?:\w+:)?(?:urlset|sitemapindex)[\s>]", response.body[:4096]) else "feed"
    return "page" if response.content_type in HTML_TYPES else ""


def struct_iso(value) -> str:
    return datetime.fromtimestamp(calendar.timegm(value), timezone.utc).isoformat() if value else ""


def signature(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def read_feed(response: Response) -> Listing:
    import feedparser

    doc = feedparser.parse(response.body)
    entries = []
    for e in doc.entries:
        link = e.get("link") or next((l.get("href") for l in e.get("links", []) if l.get("href")), "")
        if not link:
            continue
        published = struct_iso(e.get("published_parsed") or e.get("updated_parsed"))
        changed = struct_iso(e.get("updated_parsed")) or published
        entries.append(Entry(url=absolute(response.url, link), title=e.get("title", ""), date=published,
                             signature=signature(changed, e.get("title", ""), e.get("summary", ""))))
    # feedparser reads through small faults; a feed is refused only when nothing usable came out of it.
    if not entries and (doc.bozo or not doc.version):
        reason = str(getattr(doc, "bozo_exception", "")) or "no entries with links"
        raise FetchError(response.url, f"feed not parseable ({reason[:120]})")
    return Listing("feed", doc.feed.get("title", ""), entries)


def read_sitemap(response: Response, fetcher: Fetcher, depth: int = 0) -> Listing:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(response.body, parser)
    except etree.XMLSyntaxError as e:
        raise FetchError(response.url, f"sitemap not parseable ({e})") from None

    def text(node, name: str) -> str:
        found = node.xpath(f".//*[local-name()='{name}']")
        return (found[0].text or "").strip() if found else ""

    if etree.QName(root).localname == "sitemapindex":
        if depth:
            raise FetchError(response.url, "a sitemap index inside a sitemap index; give the inner one")
        children = sorted(root.xpath("./*[local-name()='sitemap']"), key=lambda n: text(n, "lastmod"), reverse=True)
        entries = []
        for child in children[:MAX_CHILD_SITEMAPS]:
            entries += read_sitemap(fetcher.get(absolute(response.url, text(child, "loc"))), fetcher, depth + 1).entries
        return Listing("sitemap", "", entries)
    if etree.QName(root).localname != "urlset":
        raise FetchError(response.url, f"not a sitemap: its root element is <{etree.QName(root).localname}>")
    entries = []
    for node in root.xpath("./*[local-name()='url']"):
        loc = text(node, "loc")
        if not loc:
            continue
        published, lastmod = text(node, "publication_date"), text(node, "lastmod")
        try:
            date = iso_date(published or lastmod) if (published or lastmod) else ""
        except InputError:
            date = ""
        entries.append(Entry(url=absolute(response.url, loc), title=text(node, "title"), date=date if published else "",
                             signature=signature(lastmod, published, text(node, "title"))))
    return Listing("sitemap", "", entries)


def same_site(a: str, b: str) -> bool:
    host = lambda u: (urlsplit(u).hostname or "").removeprefix("www.")
    return host(a) == host(b)


def page_article(response: Response, source: str, entry: Entry | None = None, outlet: str = "") -> Article:
    """The article of a fetched page. Its identity is the page's canonical URL when that is on the same site (a
    page cannot claim another site's article), else the URL it was fetched from."""
    if response.content_type not in HTML_TYPES:
        raise FetchError(response.url, f"not an article: the server sent {response.content_type or 'no content type'}, not HTML", permanent=True)
    try:
        html, _ = decode(response.body, response.charset)
        body, fields = extract_page(html, response.url)
    except InputError as e:
        raise FetchError(response.url, f"not an article: {e}", permanent=True) from None
    fields["url"] = fields["url"] if fields["url"] and same_site(fields["url"], response.url) else response.url
    # The page's own date wins; the listing's is the fallback; the fetch time never stands in for either.
    fields["date"] = fields["date"] or (entry.date if entry else "")
    fields["title"] = fields["title"] or (entry.title if entry else "") or fields["url"]
    host = urlsplit(response.url).hostname or ""
    if not fields["outlet"] or fields["outlet"] == host:
        fields["outlet"] = outlet or host
    return Article(text=body, identity=fields["url"], source=source, **fields)


def listing_of(response: Response, kind: str, fetcher: Fetcher) -> Listing:
    return read_sitemap(response, fetcher) if kind == "sitemap" else read_feed(response)


FEED_LINK = re.compile(rb"<link\b[^>]*\btype=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.I)


def feed_link(response: Response) -> str:
    """The feed a page declares (<link rel="alternate" type="application/rss+xml" href="...">), or ""."""
    for tag in FEED_LINK.findall(response.body[:256 * 1024]):
        href = re.search(rb"\bhref=[\"']([^\"']+)", tag)
        if href and re.search(rb"\brel=[\"']?alternate", tag, re.I):
            return absolute(response.url, href.group(1).decode("utf-8", errors="replace"))
    return ""


def probe(url: str, fetcher: Fetcher) -> tuple[str, str, str, int]:
    """(url, kind, title, entries) of a source to follow; a web page that declares a feed stands for its feed,
    since a section or home page is how people name the news they follow. FetchError when it is none of these."""
    response = fetcher.get(url)
    kind = kind_of(response)
    if kind == "page" and (declared := feed_link(response)):
        url, response = declared, fetcher.get(declared)
        kind = kind_of(response)
    if not kind:
        raise FetchError(url, f"not an article, feed or sitemap: the server sent {response.content_type or 'no content type'}")
    if kind == "page":
        return url, kind, page_article(response, url).title, 1
    listing = listing_of(response, kind, fetcher)
    return url, kind, listing.title, len(listing.entries)


def harvest(url: str, fetcher: Fetcher, sources: Sources, settings, stop: threading.Event, progress=None) -> Harvest:
    """Fetch one source: its listing (conditionally) and every listed page that is new or changed."""
    h = Harvest(url)
    if stop.is_set():
        h.interrupted = True
        return h
    try:
        response = fetcher.get(url, *sources.validators(url))
        if response.status == 304:
            h.not_modified = True
            h.unchanged += sources.record(url) is not None
            return h
        h.kind = kind_of(response)
        if not h.kind:
            raise FetchError(url, f"not an article, feed or sitemap: the server sent {response.content_type or 'no content type'}", permanent=True)
        if h.kind == "page":
            take_page(h, url, None, fetcher, sources, response)
            h.validators = (response.etag, response.last_modified)
            return h
        listing = listing_of(response, h.kind, fetcher)
    except FetchError as e:
        h.error = e.reason
        h.failures.append((e.url, e.reason))
        return h
    except Stopped:
        h.interrupted = True
        return h
    except Exception as e:  # a source that fails in a way no one foresaw fails alone, on one line
        h.error = unexpected(e)
        h.failures.append((url, h.error))
        return h
    h.title = listing.title
    entries = list({e.url: e for e in listing.entries}.values())
    h.listed = len(entries)
    entries.sort(key=lambda e: e.date, reverse=True)
    todo = []
    for e in entries[:settings.source_max_entries]:
        old = sources.record(e.url)
        if old is not None and old["signature"] == e.signature:
            h.known += 1
        else:
            todo.append(e)
    transient = []
    if progress is not None:
        with sources.lock:
            progress.total = (progress.total or 0) + len(todo)
            progress.refresh()

    def one(entry: Entry):
        if stop.is_set():
            h.interrupted = True
            return
        try:
            take_page(h, entry.url, entry, fetcher, sources, outlet=listing.title)
        except Stopped:
            h.interrupted = True
        except FetchError as e:
            h.failures.append((entry.url, e.reason))
            if e.permanent:
                h.records.append(record(entry.url, url, entry.signature, error=e.reason))
            else:
                transient.append(entry.url)
        except Exception as e:  # one entry no one foresaw fails alone; asked again next sync
            h.failures.append((entry.url, unexpected(e)))
            transient.append(entry.url)
        finally:
            if progress is not None:
                progress.update(1)

    with ThreadPoolExecutor(settings.fetch_workers) as pool:
        list(pool.map(one, todo))
    # A failure worth retrying, or a stop, keeps the listing's validators unsaved: the next sync reads it whole again.
    if not transient and not h.interrupted:
        h.validators = (response.etag, response.last_modified)
    return h


def record(url: str, source: str, signature: str, response: Response | None = None, article_id: str = "", error: str = "") -> dict:
    return {"url": url, "source": source, "signature": signature, "etag": response.etag if response else "",
            "last_modified": response.last_modified if response else "", "article_id": article_id, "error": error}


def take_page(h: Harvest, url: str, entry: Entry | None, fetcher: Fetcher, sources: Sources, response: Response | None = None, outlet: str = ""):
    """Fetch one page (conditionally, when its article is still stored) and add its article to the harvest."""
    if response is None:
        with sources.lock:
            h.fetched += 1
        response = fetcher.get(url, *sources.validators(url))
    sig = entry.signature if entry else ""
    if response.status == 304:
        with sources.lock:
            h.unchanged += 1
            h.records.append(record(url, h.url, sig, response, sources.record(url)["article_id"]))
        return
    article = page_article(response, h.url, entry, outlet)
    with sources.lock:
        h.articles.append(article)
        h.records.append(record(url, h.url, sig, response, article.id))
