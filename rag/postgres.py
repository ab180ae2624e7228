"""The manifest in PostgreSQL (NEWSDESK_DATABASE_URL), for several machines sharing one collection: any number of
`newsdesk serve` processes and one `newsdesk ingest`/`sync`, with the vectors on a Chroma server.

Same tables, same public methods and same transactions as the SQLite manifest (rag/manifest.py); what differs is the
dialect: writers are serialised by an advisory lock held for the transaction (SQLite's BEGIN IMMEDIATE), and the
lexical index is PostgreSQL full-text search (a tsvector column under a GIN index) over the terms rag/lexical.py
makes, ranked by BM25 computed as SQLite's FTS5 computes it, so both backends rank alike."""
import hashlib
import json
import os
import socket
import threading
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit, urlunsplit

from .errors import BusyError, StoreError
from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import chunk_terms, terms, title_key
from .catalog import COLUMNS, CORE_SCHEMA, READ_COLUMNS, Catalog, indexed, now, placed_story
from .types import Version, chunk_id


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for name; advisory locks are per database, so only newsdesk's own collide."""
    return int.from_bytes(hashlib.blake2b(f"newsdesk {name}".encode(), digest_size=8).digest(), "big", signed=True)


WRITER = lock_key("manifest writer")
INGEST = lock_key("ingest")
MASK = (1 << 64) - 1  # pg_locks shows a bigint key as two unsigned 32-bit halves

SCHEMA = CORE_SCHEMA + """
-- The lexical index: each live chunk's terms (rag/lexical.py: already lower-cased, stemmed, without stopwords) as a
-- tsvector built from them as they are (no parser splits them again), and its length in terms, for BM25; written
-- with the article.
CREATE TABLE IF NOT EXISTS lexical (
    article_id TEXT NOT NULL, idx INTEGER NOT NULL, terms TSVECTOR NOT NULL, length INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx)
);
CREATE INDEX IF NOT EXISTS lexical_terms ON lexical USING GIN (terms);
"""


MAX_LEXEME = 2047  # bytes: PostgreSQL's limit for one lexeme
MAX_POSITION, MAX_POSITIONS = 16383, 256  # its limits for a position and for positions kept per lexeme


def quoted(term: str) -> str:
    """A term as one tsvector/tsquery lexeme, taken as it is."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(indexed: str) -> str:
    """Space-separated terms as a tsvector literal, each with its positions (their count is its frequency)."""
    positions: dict[str, list[int]] = {}
    for i, term in enumerate(indexed.split(), 1):
        if len(term.encode()) < MAX_LEXEME:
            positions.setdefault(term, []).append(min(i, MAX_POSITION))
    return " ".join(f"{quoted(t)}:{','.join(map(str, sorted(set(p))[:MAX_POSITIONS]))}" for t, p in positions.items())


class Row(tuple):
    """A result row read by position or by column name, like sqlite3.Row, so callers need not know the backend."""

    def __new__(cls, values, names: dict[str, int]):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key):
        return super().__getitem__(self._names[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._names)


def rows(cursor):
    names = {c.name: i for i, c in enumerate(cursor.description or [])}
    return lambda values: Row(values, names)


def safe_url(url: str) -> str:
    """url without its password, to show in messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}"))


def connect(url: str, purpose: str):
    import psycopg

    try:
        # autocommit: a read sees what is committed now; writes open explicit transactions.
        # jit off: its compile time (about 80 ms) exceeds what it saves on queries as short as these.
        return psycopg.connect(url, autocommit=True, row_factory=rows, connect_timeout=10, options="-c jit=off",
                               application_name=f"newsdesk {purpose} pid {os.getpid()} on {socket.gethostname()}"[:63])
    except psycopg.Error as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise StoreError(f"cannot use the database at {safe_url(url)}: {first}; "
                         "check NEWSDESK_DATABASE_URL (postgresql://user:password@host:port/database) or unset it") from None


def sql(query: str) -> str:
    """A statement written with SQLite's `?` placeholders, for psycopg (whose placeholder is %s)."""
    return query.replace("%", "%%").replace("?", "%s")


class PostgresManifest(Catalog):
    """The manifest (rag/manifest.py's Manifest, method for method) in a PostgreSQL database."""

    LEXICAL_ROWS = "lexical"

    def __init__(self, url: str):
        super().__init__()
        self.exact: dict[str, int] = {}  # full counts of terms over the cap that were a question's rarest
        self.url = url
        self._db = connect(url, "manifest")
        self._reconnecting = threading.Lock()
        # Two processes starting on an empty database would race to create the same tables.
        with self.transaction():
            self.db.execute(SCHEMA)
        if self.get_meta("lexical_format") is None and self.counts()[0] == 0:
            self.set_meta("lexical_format", LEXICAL_FORMAT)  # a new store is indexed as it fills

    @property
    def db(self):
        # A web server outlives connections (the database restarted, a proxy dropped it): the statement that meets a
        # dead one fails, and the next one gets a new connection.
        if self._db.closed:
            with self._reconnecting:  # the web app's threads share this manifest
                if self._db.closed:
                    self._db = connect(self.url, "manifest")
        return self._db

    def close(self):
        self._db.close()

    # The SQL helpers Sources (ingest/sources.py) writes its tables with, on either backend.
    def run(self, query: str, params=()):
        return self.db.execute(sql(query), params)

    def run_many(self, query: str, seq):
        with self.db.cursor() as cur:
            cur.executemany(sql(query), list(seq))

    def script(self, text: str):
        with self.transaction():
            self.db.execute(text)

    @contextmanager
    def transaction(self):
        """A write transaction; writers take turns, as SQLite's BEGIN IMMEDIATE makes them."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER,))
            yield

    def get(self, article_id: str) -> Row | None:
        return self.db.execute("SELECT * FROM articles WHERE article_id = %s", (article_id,)).fetchone()

    def with_text(self, text_hash: str) -> Row | None:
        return self.db.execute("SELECT article_id, source FROM articles WHERE text_hash = %s LIMIT 1", (text_hash,)).fetchone()

    def articles(self) -> list[Row]:
        return self.db.execute("SELECT article_id, identity, source, title, content_hash, n_chunks FROM articles").fetchall()

    def find(self, key: str) -> Row | None:
        """An article by id, identity (path or url) or source path."""
        return self.db.execute("SELECT * FROM articles WHERE article_id = %s OR identity = %s OR source = %s LIMIT 1",
                               (key, key, key)).fetchone()

    def counts(self) -> tuple[int, int]:
        row = self.db.execute("SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM articles").fetchone()
        return int(row[0]), int(row[1])

    def _stale(self, versions):
        with self.db.cursor() as cur:
            cur.executemany("INSERT INTO stale VALUES (%s, %s, %s) ON CONFLICT (article_id, content_hash) "
                            "DO UPDATE SET n_chunks = excluded.n_chunks", list(versions))

    def mark_pending(self, versions: list[tuple[str, str, int]]):
        """Record (article_id, content_hash, n_chunks) before their chunks are written, so a crash leaves a trace."""
        with self.transaction():
            self._stale(versions)

    def commit_all(self, versions: list[Version]):
        """commit for many versions in one transaction, in order: all go live together or none does."""
        with self.transaction():
            for v in versions:
                a = v.article
                old = self.db.execute("SELECT article_id, content_hash, n_chunks FROM articles WHERE article_id = %s", (a.id,)).fetchone()
                if old is not None:
                    self._unindex(a.id)
                self._index(a.id, a.title, indexed(v))
                self.db.execute("DELETE FROM stale WHERE article_id = %s AND content_hash = %s", (a.id, a.content_hash))
                if old is not None and old["content_hash"] != a.content_hash:
                    self._stale([(old["article_id"], old["content_hash"], old["n_chunks"])])
                self.db.execute(
                    f"INSERT INTO articles ({COLUMNS}) VALUES ({', '.join(['%s'] * 16)}) ON CONFLICT (article_id) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:]),
                    (a.id, a.identity, a.source, a.title, a.outlet, a.author, a.date, a.url, a.language,
                     json.dumps(a.extra, ensure_ascii=False, default=str), a.text, a.content_hash, a.text_hash, len(v.spans), json.dumps(v.spans), now()),
                )
                if (story := placed_story(v, self)) is not None:
                    self._place(a.id, *story)
                story_id = story[0] if story else self.story_of(a.id)
                if v.event is not None:
                    self._place_event(a.id, v.event, story_id or a.id)
                self._count_sentences(a, story_id)
            self._bump()

    def _index(self, article_id: str, title: str, indexed: list[str]):
        with self.db.cursor() as cur:
            cur.executemany("INSERT INTO lexical VALUES (%s, %s, %s::tsvector, %s)",
                            [(article_id, i, tsvector(t), len(t.split())) for i, t in enumerate(indexed)])
        if key := title_key(title or ""):
            self.db.execute("INSERT INTO titles VALUES (%s, %s)", (key, article_id))

    def _unindex(self, article_id: str):
        self.db.execute("DELETE FROM lexical WHERE article_id = %s", (article_id,))
        self.db.execute("DELETE FROM titles WHERE article_id = %s", (article_id,))

    def search_terms(self, query: str, n: int, outlet: str | None = None, article_id: str | None = None,
                     since: int | None = None, until: int | None = None) -> list[tuple[str, float]]:
        """The n live chunks that best match any of query's terms, as (chunk id, score), best first; since and until
        are days as YYYYMMDD (rag.types.day_number), an undated article counting as day 0.

        Ranked by BM25 as SQLite's FTS5 computes it (k1 1.2, b 0.75, IDF floored at 1e-6), term frequencies counted
        from the tsvector's positions: ts_rank alone has no IDF and weighs "said" as much as a rare name (on the 274 natural
        Wikipedia questions, terms alone ranked the right article first for 0.493 with IDF x ts_rank, 0.558 with
        this, as in SQLite)."""
        chosen = self._affordable(list(dict.fromkeys(w for w in terms([query])[0] if len(w.encode()) < MAX_LEXEME)))
        if not chosen:
            return []
        words, dfs = [w for w, _ in chosen], [df for _, df in chosen]
        where, params = [], []
        day = "COALESCE(SUBSTRING(REPLACE(SUBSTR(COALESCE(f.date, ''), 1, 10), '-', '') FROM '^[0-9]+')::bigint, 0)"
        for clause, value in (("f.outlet = %s", outlet), ("f.article_id = %s", article_id), (f"{day} >= %s", since), (f"{day} <= %s", until)):
            if value is not None:
                where.append(f"AND {clause}")
                params.append(value)
        # Ranked alone, then joined to the articles for their content hashes: joining every matching chunk first cost
        # a third of the search. A filter needs the articles' columns before the ranking, so joins them there.
        filtered = f"JOIN articles f ON f.article_id = l.article_id {' '.join(where)}" if where else ""
        found = self.db.execute(
            # MATERIALIZED: inlined, the document frequencies were counted again for every matching chunk (5 s a
            # question at 10k articles instead of 20 ms). On a large table the chunk count is the planner's estimate
            # and the mean length a 1 % sample's (reading a million rows per question would cost more than the search);
            # BM25 hardly moves with either.
            "WITH stats AS MATERIALIZED (SELECT "
            "CASE WHEN c.reltuples >= 100000 THEN c.reltuples ELSE (SELECT COUNT(*) FROM lexical) END::float8 AS n, "
            "COALESCE(CASE WHEN c.reltuples >= 100000 THEN (SELECT AVG(length) FROM lexical TABLESAMPLE SYSTEM (1) REPEATABLE (0)) "
            "ELSE (SELECT AVG(length) FROM lexical) END, 1)::float8 AS avgdl FROM pg_class c WHERE c.oid = 'lexical'::regclass), "
            "df AS MATERIALIZED (SELECT x.w, x.lit::tsquery AS q, x.df FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS x(w, lit, df)), "
            "w AS MATERIALIZED (SELECT df.w, df.q, GREATEST(LN((stats.n - df.df + 0.5) / (df.df + 0.5)), 1e-6) AS idf "
            "FROM df, stats WHERE df.df > 0), "
            # ts_rank_cd of a one-term query with unit weights counts that term's positions, found by a binary search
            # of the tsvector: its frequency (unnesting each matching tsvector to find it took 80 % of a search). Written
            # 2.2 / (1 + K / tf) to compute it once; per hit, so the grouping hashes narrow rows, not tsvectors.
            "hits AS MATERIALIZED (SELECT l.article_id, l.idx, "
            "w.idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * l.length / stats.avgdl) / ts_rank_cd('{1,1,1,1}', l.terms, w.q, 0)) AS score "
            f"FROM w JOIN lexical l ON l.terms @@ w.q CROSS JOIN stats {filtered}), "
            "ranked AS (SELECT article_id, idx, SUM(score) AS score FROM hits "
            "GROUP BY article_id, idx ORDER BY score DESC, article_id, idx LIMIT %s) "
            "SELECT r.article_id, a.content_hash, r.idx, r.score FROM ranked r JOIN articles a ON a.article_id = r.article_id "
            "ORDER BY r.score DESC, r.article_id, r.idx",
            (words, [quoted(w) for w in words], dfs, *params, n)).fetchall()
        return [(chunk_id(r[0], r[1], r[2]), float(r[3])) for r in found]

    def _affordable(self, words: list[str]) -> list[tuple[str, int]]:
        """Catalog's choice, but for counts over the cap: each is a floor, so when every term is over it they all tie,
        and the rarest (chosen whatever its count, and its IDF) is told apart by exact counts, read once each and
        kept apart from the capped ones. Without them, at 1M chunks 33 of the 274 natural questions looked up their
        first word ("how", "what") instead of their rarest, which SQLite looks up."""
        chosen = super()._affordable(words)
        if not chosen or chosen[0][1] <= self.POSTINGS_READ:
            return chosen
        over = [w for w in words if self.frequency.get(w)]
        for w in over:
            if w not in self.exact:
                self.exact[w] = self._document_frequencies([w], None)[w]
        rarest = min(over, key=self.exact.__getitem__)
        return [(rarest, self.exact[rarest])]

    def _document_frequencies(self, words: list[str], cap: int | None) -> dict[str, int]:
        """The chunks each word occurs in, counted through the GIN index up to cap (a common word's full count
        would read its whole posting list); exact without a cap."""
        limit = "" if cap is None else f" LIMIT {int(cap)}"
        return {w: self.db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM lexical WHERE terms @@ %s::tsquery{limit}) s",
                                   (quoted(w),)).fetchone()[0] for w in words}

    def titled(self, keys: list[str]) -> list[str]:
        """Live articles whose title phrase is one of keys."""
        if not keys:
            return []
        return [r[0] for r in self.db.execute("SELECT article_id FROM titles WHERE key = ANY(%s)", (list(keys),))]

    def reindex(self, progress=None):
        """Index every live article again (a store from before the lexical index, or a repair), in batches."""
        with self.transaction():
            self.db.execute("DELETE FROM lexical")
            self.db.execute("DELETE FROM titles")
            self.db.execute("DELETE FROM meta WHERE key = 'lexical_format'")
        ids = [r[0] for r in self.db.execute("SELECT article_id FROM articles ORDER BY ingested_at, article_id")]
        for i in range(0, len(ids), 1000):
            with self.transaction():
                found = [r for r in (self.get(aid) for aid in ids[i:i + 1000]) if r is not None]
                for r in found:
                    self._index(r["article_id"], r["title"], chunk_terms(r["title"], r["text"], json.loads(r["spans"])))
            if progress:
                progress(len(found))
        self.set_meta("lexical_format", LEXICAL_FORMAT)

    def _forget_story(self, article_id: str):
        self.db.execute("DELETE FROM story_of WHERE article_id = %s", (article_id,))
        self.db.execute("DELETE FROM story_bands WHERE article_id = %s", (article_id,))

    def _place(self, article_id: str, story_id: str, keys: list[int]):
        self._forget_story(article_id)
        self.db.execute("INSERT INTO story_of VALUES (%s, %s)", (article_id, story_id))
        with self.db.cursor() as cur:
            cur.executemany("INSERT INTO story_bands VALUES (%s, %s)", [(k, article_id) for k in keys])

    def place(self, placed: list[tuple[str, tuple[str, list[int]]]]):
        """Record the stories of live articles stored before stories existed: (article id, (story id, band keys))."""
        with self.transaction():
            for article_id, (story_id, keys) in placed:
                self._place(article_id, story_id, keys)

    def forget_stories(self):
        """Drop every story and band key, to be recomputed (their constants changed)."""
        with self.transaction():
            self.db.execute("DELETE FROM story_of")
            self.db.execute("DELETE FROM story_bands")

    def story_candidates(self, keys: list[int], limit: int) -> list[str]:
        """Live articles sharing LSH bands with keys, those sharing the most first."""
        if not keys:
            return []
        found = self.db.execute("SELECT article_id, COUNT(*) AS n FROM story_bands WHERE key = ANY(%s) "
                                "GROUP BY article_id ORDER BY n DESC, article_id LIMIT %s", (list(keys), limit)).fetchall()
        return [r[0] for r in found]

    def rows(self, ids: list[str]) -> list[Row]:
        """Live articles by id, with their text, spans and story (their own id when they have none yet)."""
        if not ids:
            return []
        return self.db.execute(f"SELECT {READ_COLUMNS} FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id "
                               "WHERE a.article_id = ANY(%s)", (list(ids),)).fetchall()

    def newest(self, n: int) -> list[Row]:
        # NULLS LAST and byte order: as SQLite sorts them
        return self.db.execute(f"SELECT {READ_COLUMNS} FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id "
                               'ORDER BY a.date COLLATE "C" DESC NULLS LAST, a.article_id COLLATE "C" LIMIT %s', (n,)).fetchall()

    def story_members(self, story_id: str) -> list[Row]:
        """The live articles of a story (an article without one is a story of its own)."""
        # Two indexed lookups: a COALESCE over the join read every article (4 s an answer at 600k chunks).
        columns = "a.article_id, a.title, a.outlet, a.date, a.url, LENGTH(a.text) AS length"
        return self.db.execute(f"SELECT {columns} FROM story_of s JOIN articles a ON a.article_id = s.article_id WHERE s.story_id = %s "
                               f"UNION SELECT {columns} FROM articles a WHERE a.article_id = %s "
                               "AND NOT EXISTS (SELECT 1 FROM story_of s WHERE s.article_id = a.article_id)", (story_id, story_id)).fetchall()

    def story_of(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT story_id FROM story_of WHERE article_id = %s", (article_id,)).fetchone()
        return row[0] if row else None

    def story_rows(self) -> list[Row]:
        """Every live article's title, outlet, date, url and story (its own id when it has none yet)."""
        return self.db.execute("SELECT a.article_id, a.title, a.outlet, a.date, a.url, LENGTH(a.text) AS length, "
                               "COALESCE(s.story_id, a.article_id) AS story_id "
                               "FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id").fetchall()

    def unplaced(self) -> list[str]:
        """Live articles without a story: stored before stories existed."""
        return [r[0] for r in self.db.execute(
            "SELECT a.article_id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM story_of s WHERE s.article_id = a.article_id)")]

    def retire(self, article_id: str) -> bool:
        """Take an article out of the live set; its chunks become stale."""
        with self.transaction():
            old = self.get(article_id)
            if old is None:
                return False
            self._stale([(article_id, old["content_hash"], old["n_chunks"])])
            self.db.execute("DELETE FROM articles WHERE article_id = %s", (article_id,))
            self._unindex(article_id)
            self._forget_story(article_id)
            self._forget_event(article_id)
            self._forget_sentences(article_id)
            self._bump()
        return True

    def _bump(self):
        # Every change to the live set bumps the generation, so readers know when what they hold is stale.
        self.db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT (key) "
                        "DO UPDATE SET value = (meta.value::bigint + 1)::text")

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def live_chunks(self) -> list[Row]:
        """Every live article with its text and chunk spans."""
        return self.db.execute("SELECT article_id, content_hash, title, text, spans FROM articles").fetchall()

    def stale(self) -> list[tuple[tuple[str, str], list[str]]]:
        """Each stale version with the ids of its chunks."""
        found = self.db.execute("SELECT article_id, content_hash, n_chunks FROM stale ORDER BY article_id, content_hash").fetchall()
        return [((r[0], r[1]), [chunk_id(r[0], r[1], i) for i in range(r[2])]) for r in found]

    def forget_stale(self, versions: list[tuple[str, str]]):
        with self.transaction(), self.db.cursor() as cur:
            cur.executemany("DELETE FROM stale WHERE article_id = %s AND content_hash = %s", list(versions))

    def set_meta(self, key: str, value: str):
        with self.transaction():
            self.db.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


@contextmanager
def ingest_lock(url: str):
    """One writer (ingest, sync, remove, check) per database at a time, on any machine: a session-level advisory lock
    on a connection of its own, released when the process ends, however it ends."""
    conn = connect(url, "ingest")
    try:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (INGEST,)).fetchone()[0]:
            holder = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.objsubid = 1 AND l.classid::bigint = %s AND l.objid::bigint = %s LIMIT 1",
                ((INGEST & MASK) >> 32, INGEST & 0xFFFFFFFF)).fetchone()
            who = holder[0].split(" pid ", 1)[1] if holder and " pid " in holder[0] else "?"
            raise BusyError(f"another newsdesk ingest (pid {who}) is writing to {safe_url(url)}; wait for it to finish and rerun")
        try:
            yield
        finally:
            # Released before closing: a closed connection's backend lets go of its locks a moment later, and an ingest
            # run right after this one (the next test, the next file of a script) found the lock still held.
            with suppress(Exception):  # a lost connection has released it already
                conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST,))
    finally:
        conn.close()
