"""Files in, Articles out: Markdown/text with front matter, HTML, PDF, JSON and JSONL."""
import errno
import json
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import yaml

from newsdesk.rag.errors import InputError
from newsdesk.rag.links import normal_url
from newsdesk.rag.types import Article

TEXT = {".md", ".markdown", ".txt"}
HTML = {".html", ".htm"}
SUPPORTED = TEXT | HTML | {".pdf", ".json", ".jsonl"}
FRONT_MATTER_MAX = 64 * 1024  # YAML aliases can expand exponentially; real front matter is a few hundred bytes

# Front-matter and JSON keys accepted for each Article field, first match wins.
ALIASES = {
    "title": ("title", "headline"),
    "outlet": ("outlet", "publication", "publisher", "site", "source"),
    "author": ("author", "authors", "byline"),
    "date": ("date", "published", "published_date", "published_at", "pubdate"),
    "url": ("url", "canonical_url", "link"),
    "language": ("language", "lang"),
}
TEXT_KEYS = ("text", "content", "body")


@dataclass
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (where, reason) for parts of a file, e.g. a JSONL line
    notes: list[str] = field(default_factory=list)  # worth telling the user, not failures
    size: int = 0  # bytes of the file this result covers, for progress

    def add(self, other: "ReadResult"):
        self.articles += other.articles
        self.failures += other.failures
        self.notes += other.notes
        self.size += other.size


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def text_of(name) -> str:
    """A path as text that SQLite, Chroma and a terminal can take: the bytes of a name that are not UTF-8 (which Python
    keeps as lone surrogates, which no store can encode) become \\xNN. A name that really holds those four characters
    reads the same; that clash is accepted for an identity that stays put from run to run."""
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate no file name holds (from JSON's \ud800, say)
        return os.fspath(name).encode("utf-8", "backslashreplace").decode("utf-8")


def source_of(path: Path) -> str:
    """The stored source of a file, and the identity of its article: its resolved path, as text."""
    return text_of(path.resolve())


def error_text(e: BaseException) -> str:
    """An exception as part of a one-line message: its kind and the first line of what it says, cut short."""
    first = (str(e).strip().splitlines() or [""])[0]
    return f"{type(e).__name__}: {first[:200]}" if first else type(e).__name__


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop: the link points back to itself; fix or delete the link"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: make the file readable (chmod +r) and rerun"
    if e.errno == errno.ENOENT:
        return "no such file or folder"
    return e.strerror or str(e)


def discover(paths: list[str]) -> Discovery:
    """Supported files under the given paths, recursively; hidden files and folders are ignored. Inside a folder, a
    link is followed only when it leads to a place inside that folder: a folder of articles from elsewhere must not
    be able to read /etc/shadow into the store."""
    found = Discovery()
    seen_files: set[Path] = set()

    def escapes(path: Path, top: str, real_top: Path, what: str) -> bool:
        if Path(os.path.realpath(path)).is_relative_to(real_top):
            return False
        found.failures.append((str(path), f"a link to a {what} outside {top}; not read"))
        return True

    def consider(path: Path, top: str = "", real_top: Path | None = None):
        try:
            path.stat()
        except OSError as e:
            found.failures.append((str(path), _os_reason(e)))
            return
        if real_top is not None and escapes(path, top, real_top, "file"):
            return
        if path.suffix.lower() not in SUPPORTED:
            found.skipped.append(str(path))
        elif path.resolve() not in seen_files:
            seen_files.add(path.resolve())
            found.files.append(path)

    for raw in paths:
        top = Path(raw)
        try:
            is_dir = top.is_dir()
            top.stat()
        except OSError as e:
            found.failures.append((raw, _os_reason(e)))
            continue
        if not is_dir:
            consider(top)
            continue
        visited: set[tuple[int, int]] = set()
        real_top = Path(os.path.realpath(top))
        for folder, dirs, names in os.walk(top, followlinks=True, onerror=lambda e: found.failures.append((e.filename, _os_reason(e)))):
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in visited:
                found.failures.append((folder, "symlink loop: this folder links back to one already being read; it was not read twice"))
                dirs[:] = []
                continue
            visited.add((st.st_dev, st.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not escapes(Path(folder) / d, raw, real_top, "folder"))
            for name in sorted(names):
                if not name.startswith("."):
                    consider(Path(folder) / name, raw, real_top)
    return found


def declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", head, re.I) or re.search(
        rb"^(?:charset|encoding)\s*:\s*['\"]?([A-Za-z0-9_.:-]+)", head, re.I | re.M
    )
    return m.group(1).decode("ascii").lower() if m else None


BINARY = "binary data, not text"
# Characters no text is made of: controls other than whitespace, private use, broken surrogates, U+FFFD. Real text has
# next to none; a binary file read as text (a BOM in front of NULs, say) is full of them.
JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\uf8ff\ufffd\U000f0000-\U0010ffff]")
JUNK_SHARE = 0.1
SAMPLE = 100_000  # characters looked at to judge a text
# A page labelled Latin-1 is windows-1252 (WHATWG): read as Latin-1, its curly quotes would be C1 control characters.
LATIN1 = dict.fromkeys(("iso-8859-1", "iso8859-1", "iso_8859-1", "latin-1", "latin1", "l1"), "cp1252")


def decode(data: bytes, charset: str = "") -> tuple[str, str]:
    """Text and the encoding that read it: a BOM, the charset an HTTP server sent, the one the text declares, UTF-8,
    GB18030 (common for Chinese text), then the encoding charset-normalizer detects. InputError for binary data and
    for bytes no encoding reads as text; its message fits a file and a web page alike."""
    text, encoding = _decoded(data, charset)
    sample = text[:SAMPLE]
    if len(JUNK.findall(sample)) > JUNK_SHARE * len(sample):
        raise InputError(f"{BINARY} (read as {encoding.upper()}, it is full of control characters)")
    return text, encoding


def _decoded(data: bytes, charset: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:  # strictly: bytes read as UTF-16 by mistake look like plausible CJK, but break its surrogate pairs
            return data[:len(data) // 2 * 2].decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{BINARY}: it starts with a UTF-16 byte order mark but is not UTF-16") from None
    if b"\x00" in data[:8192]:
        raise InputError(BINARY)
    labels = (LATIN1.get(c, c) for c in (charset.lower(), declared_charset(data), "utf-8") if c)
    for enc in dict.fromkeys(labels):
        try:
            return data.decode(enc), enc
        except (UnicodeError, LookupError):  # UnicodeError: a codec such as punycode, named by a hostile server
            continue
    if (text := chinese(data)) is not None:
        return text, "gb18030"
    if found := detected(data):
        return found
    raise InputError("not text: not valid UTF-8 or GB18030, and no other encoding reads it as text (binary data?)")


def chinese(data: bytes) -> str | None:
    """The text when the bytes are GB18030 Chinese. GB18030 reads almost any byte pair, so windows-1252 text decodes
    too (a curly quote joins the letter after it); real Chinese is nearly all GB2312's common characters, which such
    pairs are not."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = re.sub(r"[\x00-\x7f]+", "", text[:SAMPLE])
    return text if wide.encode("gb2312", errors="replace").count(b"?") <= 0.1 * len(wide) else None


def detected(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    if best.encoding != "cp1252":
        # Western text that declares no charset is windows-1252 on the web (WHATWG's default); the detector often
        # names a cousin (cp1250, cp775) that reads its curly quotes and dashes as other letters.
        western = from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= best.chaos:
            best = western
    return str(best), best.encoding


# Lone surrogates too: JSON and YAML can spell them (\ud800), and no store can encode them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ud800-\udfff]")


def clean(text: str) -> str:
    """Normalised text: NFC, Unix newlines, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text).strip()


def iso_date(value, key: str = "date") -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise InputError(f"field '{key}': {str(value)[:40]!r} is not an ISO 8601 date (e.g. 2024-10-19)") from None


def as_text(value, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        raise InputError(f"field '{key}' must be text, not a {type(value).__name__}")
    return clean(str(value))


def fields_from(mapping: dict) -> tuple[dict, dict]:
    """Article fields and the remaining keys of a front-matter or JSON mapping."""
    fields, used = {}, set()
    for name, keys in ALIASES.items():
        key = next((k for k in keys if mapping.get(k) not in (None, "")), None)
        if key is None:
            continue
        used.add(key)
        fields[name] = iso_date(mapping[key], key) if name == "date" else as_text(mapping[key], key)
    if fields.get("url"):
        # A link is shown in the chat and the terminal: only an http(s) URL, in its normal form, is kept.
        fields["url"] = normal_url(fields["url"])
    extra = {clean(k): clean(v) if isinstance(v, str) else v if isinstance(v, (int, float, bool)) else clean(str(v))
             for k, v in mapping.items() if k not in used and k not in TEXT_KEYS and not isinstance(v, (dict, list))}
    return fields, extra


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.M)
    if not end:
        raise InputError("malformed front matter: it opens with '---' but has no closing '---' line")
    raw = text[4:4 + end.start()]
    if len(raw) > FRONT_MATTER_MAX:
        raise InputError(f"front matter is {len(raw) // 1024} KB, over the {FRONT_MATTER_MAX // 1024} KB limit")
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise InputError(f"malformed front matter{where}: {getattr(e, 'problem', None) or e}; fix the YAML between the '---' lines") from None
    except RecursionError:
        raise InputError("malformed front matter: nested too deeply; use flat 'key: value' lines") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError("malformed front matter: expected 'key: value' lines")
    return {str(k): v for k, v in meta.items()}, text[4 + end.end():]


# A plain-text article's headline: a Markdown heading, or a short first line that ends no sentence and stands
# alone above a blank line (how wire copy and saved pages usually start).
HEADING = re.compile(r"\s*#\s+(.+)(?:\n|$)")
HEADLINE = re.compile(r"([^\n]{1,200}[^\s.!?:;,\"'”’])[ \t]*\n[ \t]*\n")


def title_from(text: str, path: Path) -> tuple[str, str]:
    """(title, body): a headline is taken out of the body, so it is neither quoted nor counted twice; without one
    the title comes from the file name."""
    m = HEADING.match(text) or HEADLINE.match(text)
    if m and text[m.end():].strip():
        return m.group(1).strip(), text[m.end():].strip()
    return re.sub(r"[-_]+", " ", text_of(path.stem)).strip(), text


def read_text_file(path: Path, data: bytes, result: ReadResult):
    text, encoding = decode(data)
    if encoding not in ("utf-8", "utf-8-sig"):
        result.notes.append(f"{text_of(path)}: not UTF-8; read as {encoding.upper()}")
    meta, body = split_front_matter(text.replace("\r\n", "\n"))
    body = clean(body)
    if not body:
        raise InputError("no article text" + (" after the front matter" if meta else ""))
    fields, extra = fields_from(meta)
    if "title" not in fields:
        fields["title"], body = title_from(body, path)
    result.articles.append(Article(text=body, identity=source_of(path), source=source_of(path), extra=extra, **fields))


# trafilatura and the libraries under it (htmldate, justext) keep lxml objects at module level, and lxml crashes the
# process (SIGABRT, SIGSEGV) when two threads use them at once (trafilatura issues #840 and #925, open upstream; seen
# here in `sync`, whose fetching threads read pages side by side). Every page is read on this one thread instead.
_EXTRACTOR = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-extract")


def extract_page(html: str, url: str = "") -> tuple[str, dict]:
    """(body, fields) of an article page, read with trafilatura; the fields' url is the page's canonical one.
    InputError when the page holds no article text. Safe to call from any thread."""
    return _EXTRACTOR.submit(_extract, html, url).result()


def _extract(html: str, url: str) -> tuple[str, dict]:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False)
    body = clean(doc.text or "") if doc else ""
    if not body:
        raise InputError("no article text found in the page")
    try:
        published = iso_date(doc.date) if doc.date else ""
    except InputError:
        published = ""
    outlet = clean(doc.sitename or doc.hostname or "")
    if re.match(r"https?://", outlet):  # some sites name themselves by their address
        outlet = re.sub(r"^https?://(www\.)?", "", outlet).rstrip("/")
    fields = {
        "title": clean(doc.title or ""),
        "outlet": outlet,
        "author": clean(doc.author or ""),
        "date": published,
        "url": normal_url(doc.url or ""),
        "language": doc.language or "",
    }
    return body, fields


def read_html(path: Path, data: bytes, result: ReadResult):
    html, _ = decode(data)
    body, fields = extract_page(html)
    fields["title"] = fields["title"] or text_of(path.stem)
    result.articles.append(Article(text=body, identity=fields["url"] or source_of(path), source=source_of(path), **fields))


def read_pdf(path: Path, data: bytes, result: ReadResult):
    from io import BytesIO

    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise InputError("encrypted PDF: decrypt it first")
        body = clean("\n\n".join(page.extract_text() or "" for page in reader.pages))
        info = reader.metadata or {}
    except (InputError, MemoryError):
        raise
    except Exception as e:  # pypdf raises many kinds on hostile files (LimitReachedError, NotImplementedError, ...)
        raise InputError(f"unreadable PDF ({error_text(e)})") from None
    if not body:
        raise InputError("no extractable text in the PDF (a scan? run OCR on it first)")
    created = getattr(info, "creation_date", None) if info else None
    result.articles.append(Article(
        text=body, identity=source_of(path), source=source_of(path),
        title=clean(str(info.get("/Title") or "")) or text_of(path.stem), author=clean(str(info.get("/Author") or "")),
        date=created.isoformat() if created else "",
    ))


def json_article(obj, path: Path, number: int, result: ReadResult):
    """One JSON object (or a JSONL line's text) as an Article; a bad one is a failure of its line or item, not of the file."""
    try:
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as e:
                raise InputError(f"not valid JSON: {e.msg}") from None
        if not isinstance(obj, dict):
            raise InputError("expected a JSON object with a 'text' field")
        body = clean(as_text(next((obj[k] for k in TEXT_KEYS if k in obj), ""), "text"))
        if not body:
            raise InputError("object has no 'text'")
        fields, extra = fields_from(obj)
        fields.setdefault("title", body[:80].split("\n")[0])
        identity = fields.get("url") or f"{source_of(path)}#{number}"
        result.articles.append(Article(text=body, identity=identity, source=source_of(path), extra=extra, **fields))
    except InputError as e:
        result.failures.append((f"{text_of(path)}:{number}", str(e)))


def read_json(path: Path, data: bytes, result: ReadResult):
    text, _ = decode(data)
    if path.suffix.lower() == ".jsonl":
        items = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg} at line {e.lineno}") from None
        doc = doc.get("articles", doc) if isinstance(doc, dict) else doc
        items = list(enumerate(doc if isinstance(doc, list) else [doc]))
    for number, obj in items:
        json_article(obj, path, number, result)
    if not items:
        raise InputError("no articles in the file")


JSONL_PIECE = 2000  # lines per piece of a streamed JSONL: a few groups' worth, so memory stays flat at any file size


def read_jsonl(path: Path, max_mb: float) -> Iterator[ReadResult]:
    """A JSONL file in pieces, line by line, so its size is unbounded; each line may be up to max_mb.

    Lines are numbered as str.splitlines numbers them (what reading the whole file did), so identities stay put."""
    limit = int(max_mb * 1024 * 1024)
    with open(path, "rb") as f:
        if f.read(2) in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 cannot be split at newline bytes: read it whole
            if path.stat().st_size > limit:
                raise InputError(f"UTF-16 JSONL is read whole and is over the {max_mb:g} MB limit; re-save it as UTF-8")
            result = ReadResult(size=path.stat().st_size)
            read_json(path, path.read_bytes(), result)
            yield result
            return
        f.seek(0)
        piece, number, items, first = ReadResult(), 0, 0, True
        other = None  # the encoding of the lines that are not UTF-8, detected once: detecting takes milliseconds a line
        while raw := f.readline(limit + 1):
            piece.size += len(raw)
            if len(raw) > limit and not raw.endswith(b"\n"):
                number += 1
                piece.failures.append((f"{text_of(path)}:{number}", f"line is over the {max_mb:g} MB limit"))
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):  # skip the rest of the line
                    piece.size += len(rest)
                piece.size += len(rest)
                continue
            if first and b"\x00" in raw[:8192]:
                raise InputError(f"{BINARY}: is the file extension right?")
            first = False
            try:
                text = raw.decode("utf-8-sig")  # -sig: a BOM before the first line is no part of its JSON
            except UnicodeDecodeError:
                try:
                    if other is None:
                        text, other = decode(raw)
                    else:
                        text = raw.decode(other)
                except (InputError, UnicodeDecodeError, LookupError) as e:
                    other = other or ""
                    number += 1
                    piece.failures.append((f"{text_of(path)}:{number}", str(e) if isinstance(e, InputError) else
                                           f"not valid UTF-8{' or ' + other.upper() if other else ''} text"))
                    continue
            for line in text.splitlines():
                number += 1
                if line.strip():
                    items += 1
                    json_article(line, path, number, piece)
            if items and items % JSONL_PIECE == 0 and (piece.articles or piece.failures):
                yield piece
                piece = ReadResult()
        if not items:
            raise InputError("no articles in the file")
        yield piece


def read_pieces(path: Path, max_mb: float) -> Iterator[ReadResult]:
    """A file's articles in pieces: a JSONL streamed line by line, any other file whole (and at most max_mb).
    InputError when the whole file cannot be used."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError("empty file")
        if path.suffix.lower() == ".jsonl":
            yield from read_jsonl(path, max_mb)
            return
        if size > max_mb * 1024 * 1024:
            raise InputError(f"file is {size / 1024 / 1024:.1f} MB, over the {max_mb:g} MB limit; split it or raise NEWSDESK_MAX_FILE_MB")
        data = path.read_bytes()
    except OSError as e:
        raise InputError(_os_reason(e)) from None
    result = ReadResult(size=len(data))
    suffix = path.suffix.lower()
    reader = read_html if suffix in HTML else read_pdf if suffix == ".pdf" else read_json if suffix == ".json" else read_text_file
    reader(path, data, result)
    yield result


def read_file(path: Path, max_mb: float) -> ReadResult:
    """Articles of one file; InputError when the whole file cannot be used."""
    result = ReadResult()
    for piece in read_pieces(path, max_mb):
        result.add(piece)
    return result
