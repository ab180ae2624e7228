"""Links to articles: one normal form for every URL newsdesk stores or shows."""
import re
from urllib.parse import quote, urlsplit, urlunsplit

HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?")
# RFC 3986's unreserved and sub-delimiters, less the characters that end or break a Markdown link or an HTML
# attribute ( ) ' and the ones a browser re-encodes anyway; everything else is percent-encoded.
PATH_SAFE = "/:@!$&*+,;=%~-._"
QUERY_SAFE = PATH_SAFE + "?"
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _quoted(part: str, safe: str) -> str:
    return quote(LONE_PERCENT.sub("%25", part), safe=safe)


def normal_url(url: str) -> str:
    """url as an absolute http(s) URL that is safe to store, print and put into Markdown or HTML: lower-case scheme
    and host (IDNA for other scripts), no user name or password (they make `https://bank.example@evil.example`),
    markup and spaces percent-encoded. "" when it is not an http(s) URL with a valid host."""
    if not isinstance(url, str) or len(url) > 8192:
        return ""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:  # a malformed IPv6 literal, a port that is not a number or out of range
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    if ":" in host:  # an IPv6 literal, which urlsplit has already taken from between its brackets
        if not re.fullmatch(r"[0-9a-f:.]+", host):
            return ""
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return ""
        if not HOST.fullmatch(host):
            return ""
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme.lower(), netloc, _quoted(parts.path, PATH_SAFE) or "/",
                       _quoted(parts.query, QUERY_SAFE), _quoted(parts.fragment, QUERY_SAFE)))
