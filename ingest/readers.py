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

from rag.errors import InputError
from rag.links import normal_url
from rag.types import Article

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


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop: the link points back to itself; fix or delete the link"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: make the file readable (chmod +r) and rerun"
    if e.errno == errno.ENOENT:
        return "no such file or folder"
    return e.strerror or str(e)


def discover(paths: list[str]) -> Discovery:
    """Supported files under the given paths, recursively; hidden files and folders are ignored."""
    found = Discovery()
    seen_files: set[Path] = set()

    def consider(path: Path):
        try:
            path.stat()
        except OSError as e:
            found.failures.append((str(path), _os_reason(e)))
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
        for folder, dirs, names in os.walk(top, followlinks=True, onerror=lambda e: found.failures.append((e.filename, _os_reason(e)))):
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in visited:
                found.failures.append((folder, "symlink loop: this folder links back to one already being read; it was not read twice"))
                dirs[:] = []
                continue
            visited.add((st.st_dev, st.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    consider(Path(folder) / name)
    return found


def declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", head, re.I) or re.search(
        rb"^(?:charset|encoding)\s*:\s*['\"]?([A-Za-z0-9_.:-]+)", head, re.I | re.M
    )
    return m.group(1).decode("ascii").lower() if m else None


def decode(data: bytes, charset: str = "") -> tuple[str, str]:
    """Text and the encoding that read it: a BOM, the charset an HTTP server sent, the one the text declares, UTF-8,
    then GB18030 (common for Chinese text)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    if b"\x00" in data[:8192]:
        raise InputError("binary data, not text: is the file extension right?")
    candidates = [charset.lower(), declared_charset(data), "utf-8", "gb18030"]
    for enc in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError("not valid UTF-8 or GB18030 text: re-save the file as UTF-8")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


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
    extra = {k: v if isinstance(v, (str, int, float, bool)) else str(v)
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
    return re.sub(r"[-_]+", " ", path.stem).strip(), text


def read_text_file(path: Path, data: bytes, result: ReadResult):
    text, encoding = decode(data)
    if encoding not in ("utf-8", "utf-8-sig"):
        result.notes.append(f"{path}: not UTF-8; read as {encoding.upper()}")
    meta, body = split_front_matter(text.replace("\r\n", "\n"))
    body = clean(body)
    if not body:
        raise InputError("no article text" + (" after the front matter" if meta else ""))
    fields, extra = fields_from(meta)
    if "title" not in fields:
        fields["title"], body = title_from(body, path)
    result.articles.append(Article(text=body, identity=str(path.resolve()), source=str(path.resolve()), extra=extra, **fields))


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
    fields["title"] = fields["title"] or path.stem
    result.articles.append(Article(text=body, identity=fields["url"] or str(path.resolve()), source=str(path.resolve()), **fields))


def read_pdf(path: Path, data: bytes, result: ReadResult):
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise InputError("encrypted PDF: decrypt it first")
        body = clean("\n\n".join(page.extract_text() or "" for page in reader.pages))
        info = reader.metadata or {}
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"not a readable PDF ({e})") from None
    if not body:
        raise InputError("no extractable text in the PDF (a scan? run OCR on it first)")
    created = getattr(info, "creation_date", None) if info else None
    result.articles.append(Article(
        text=body, identity=str(path.resolve()), source=str(path.resolve()),
        title=clean(str(info.get("/Title") or "")) or path.stem, author=clean(str(info.get("/Author") or "")),
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
        identity = fields.get("url") or f"{path.resolve()}#{number}"
        result.articles.append(Article(text=body, identity=identity, source=str(path.resolve()), extra=extra, **fields))
    except InputError as e:
        result.failures.append((f"{path}:{number}", str(e)))


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
        while raw := f.readline(limit + 1):
            piece.size += len(raw)
            if len(raw) > limit and not raw.endswith(b"\n"):
                number += 1
                piece.failures.append((f"{path}:{number}", f"line is over the {max_mb:g} MB limit"))
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):  # skip the rest of the line
                    piece.size += len(rest)
                piece.size += len(rest)
                continue
            if first and b"\x00" in raw[:8192]:
                raise InputError("binary data, not text: is the file extension right?")
            first = False
            try:
                text, _ = decode(raw)
            except InputError as e:
                number += 1
                piece.failures.append((f"{path}:{number}", str(e)))
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
