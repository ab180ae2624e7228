"""What is stored, in SQLite under NEWSDESK_HOME: the source of truth for which version of each article is live."""
import json
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import chunk_terms, terms, title_key
from .errors import StoreError
from .settings import Settings
from .boilerplate import BOILERPLATE_STORIES, sentence_keys
from .events import place as place_event
from .stories import place
from .types import Article, Fingerprint, Signature, Version, chunk_id

# The tables both manifests hold (rag/postgres.py adds its own lexical index to these): SQL both accept.
CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, identity TEXT NOT NULL, source TEXT NOT NULL,
    title TEXT, outlet TEXT, author TEXT, date TEXT, url TEXT, language TEXT, extra TEXT,
    text TEXT NOT NULL, content_hash TEXT NOT NULL, text_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, spans TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
-- `remove` and `find` look articles up by path or url: without these, a scan of every article.
CREATE INDEX IF NOT EXISTS articles_identity ON articles(identity);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
-- briefings read the articles of a window of days, and the newest date
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
-- Chunk sets in the vector store that are not live: a version being written (a crash may leave it
-- half-written) or a version just superseded or removed. Each is deleted from the store, then from here.
CREATE TABLE IF NOT EXISTS stale (
    article_id TEXT NOT NULL, content_hash TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    PRIMARY KEY (article_id, content_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
-- Stories (rag/stories.py): each live article's story, and its LSH band keys (signed 64-bit), written with the article.
CREATE TABLE IF NOT EXISTS story_of (article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_of_story ON story_of(story_id);
CREATE TABLE IF NOT EXISTS story_bands (key BIGINT NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_bands_key ON story_bands(key);
CREATE INDEX IF NOT EXISTS story_bands_article ON story_bands(article_id);
CREATE TABLE IF NOT EXISTS titles (key TEXT NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS titles_key ON titles(key);
CREATE INDEX IF NOT EXISTS titles_article ON titles(article_id);
-- Outlet boilerplate (rag/boilerplate.py): the keys of (outlet, sentence) each live article has held, with its story,
-- written with the article and kept while it is live; and the articles that hold a sentence which became boilerplate
-- after they were stored, to be cleaned again.
CREATE TABLE IF NOT EXISTS outlet_sentences (key BIGINT NOT NULL, article_id TEXT NOT NULL, story_id TEXT NOT NULL,
    PRIMARY KEY (key, article_id));
CREATE INDEX IF NOT EXISTS outlet_sentences_article ON outlet_sentences(article_id);
CREATE TABLE IF NOT EXISTS unclean (article_id TEXT PRIMARY KEY);
-- Events (rag/events.py): each live article's event, day and signature (JSON), and its names with their day, looked up
-- for candidates; how many live articles hold each name. Written with the article.
CREATE TABLE IF NOT EXISTS event_of (article_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, day INTEGER NOT NULL,
    signature TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_of_event ON event_of(event_id);
CREATE TABLE IF NOT EXISTS event_names (key TEXT NOT NULL, day INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_names_key ON event_names(key, day);
CREATE INDEX IF NOT EXISTS event_names_article ON event_names(article_id);
CREATE TABLE IF NOT EXISTS event_df (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

SCHEMA = CORE_SCHEMA + """
-- The lexical index (rag/lexical.py): one row per live chunk, its terms in a contentless FTS5 table (the text is in
-- articles already); each live article's title is in titles, as a phrase questions can name. Written with the article.
CREATE TABLE IF NOT EXISTS lexical_chunks (rowid INTEGER PRIMARY KEY, article_id TEXT NOT NULL, idx INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lexical_chunks_article ON lexical_chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(terms, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
CREATE VIRTUAL TABLE IF NOT EXISTS lexical_vocab USING fts5vocab(lexical, 'row');
"""

READ_COLUMNS = ("a.article_id, a.content_hash, a.text, a.spans, a.title, a.outlet, a.author, a.date, a.url, a.source, a.language, "
                "COALESCE(s.story_id, a.article_id) AS story_id")
COLUMNS = "article_id, identity, source, title, outlet, author, date, url, language, extra, text, content_hash, text_hash, n_chunks, spans, ingested_at"


def indexed(v: Version) -> list[str]:
    """A version's chunks' lexical terms: given (worked out beside the encoder, ingest.pipeline), or computed now."""
    return v.terms if v.terms is not None else chunk_terms(v.article.title, v.article.text, v.spans)


def placed_story(v: Version, manifest) -> tuple[str, list[int]] | None:
    """A version's (story id, band keys); one given as a fingerprint is placed now, inside the commit, so it sees the
    versions committed before it in the same transaction."""
    return place(v.story, v.article.id, manifest) if isinstance(v.story, Fingerprint) else v.story


def shift(day: int, days: int) -> int:
    """A YYYYMMDD day moved by a number of days."""
    moved = date(day // 10000, day // 100 % 100, day % 100) + timedelta(days=days)
    return moved.year * 10000 + moved.month * 100 + moved.day


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Catalog:
    """What the SQLite and PostgreSQL manifests share, written once in SQL both accept through `run` (`?`
    placeholders): making a version live, the lexical index's checks and the meta table."""

    LEXICAL_ROWS = "lexical_chunks"  # the table with one row per indexed chunk: (article_id, idx, ...)
    POSTINGS_READ = 10_000  # most chunks a keyword search reads (see _affordable)
    frequency: dict[str, int]  # term -> chunks it occurs in, as last read (search_terms)

    def __init__(self):
        self.frequency = {}

    def commit(self, article: Article, spans: list[tuple[int, int]], story: tuple[str, list[int]] | None = None):
        """Make this version live in one transaction; the version it replaces becomes stale.

        spans are the chunks' character offsets, so retrieval can rebuild passages without the vector store; story is
        (story id, LSH band keys) from rag.stories.place, kept in step with the article in the same transaction, as
        are its terms in the lexical index."""
        self.commit_all([Version(article, spans, story=story)])

    def lexical_current(self) -> bool:
        """Whether the lexical index is of the current format; commits keep it in step from then on."""
        return self.get_meta("lexical_format") == LEXICAL_FORMAT

    def lexical_in_step(self) -> bool:
        """Whether the lexical index holds exactly the live chunks, in the current format."""
        if not self.lexical_current():
            return False
        indexed = self.run(f"SELECT article_id, COUNT(*), MAX(idx) FROM {self.LEXICAL_ROWS} GROUP BY article_id").fetchall()
        live = {r[0]: r[1] for r in self.run("SELECT article_id, n_chunks FROM articles")}
        return len(indexed) == sum(1 for n in live.values() if n) and all(live.get(a) == n == top + 1 for a, n, top in indexed)

    def _affordable(self, words: list[str]) -> list[tuple[str, int]]:
        """The query's terms with the chunks each occurs in, rarest first, while those chunks number POSTINGS_READ or
        fewer (the rarest always): an OR query's cost grows with them, and a term common enough to exceed the budget
        adds little to a BM25 score. At 10k articles no natural question comes near it (the most read 4,995), so
        ranking there is BM25's own; at 133k chunks it cut the lexical search's p50 from 46 ms. Counts are remembered
        for the life of the process: an ingest moves them little, and they only choose terms."""
        if len(self.frequency) > 100_000:
            self.frequency.clear()
        unknown = [w for w in words if w not in self.frequency]
        if unknown:
            self.frequency.update(self._document_frequencies(unknown, self.POSTINGS_READ + 1))
        chosen, read = [], 0
        for w in sorted((w for w in words if self.frequency.get(w)), key=lambda w: self.frequency[w]):
            read += self.frequency[w]
            if chosen and read > self.POSTINGS_READ:
                break
            chosen.append((w, self.frequency[w]))
        return chosen

    def get_meta(self, key: str) -> str | None:
        row = self.run("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def boilerplate(self, keys: list[int]) -> set[int]:
        """Those of keys (rag.boilerplate.sentence_key) held by BOILERPLATE_STORIES or more stories: their outlet's
        boilerplate. Each key's rows are few (once a sentence is boilerplate no new article stores it), so this reads
        about as many rows as keys, at any size of store."""
        found: set[int] = set()
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            found.update(r[0] for r in self.run(
                f"SELECT key FROM outlet_sentences WHERE key IN ({','.join('?' * len(part))}) GROUP BY key "
                "HAVING COUNT(DISTINCT story_id) >= ?", (*part, BOILERPLATE_STORIES)))
        return found

    def _count_sentences(self, article: Article, story_id: str | None):
        """Inside a commit's transaction: record the article's sentences under its story, and mark every live article
        holding one that is boilerplate now (this one included) to be cleaned again (ingest.pipeline.clean_stored).
        Rows stay until the article is retired, so an article cleaned of a sentence still counts it."""
        keys = sentence_keys(article.outlet, article.text)
        self.run("DELETE FROM unclean WHERE article_id = ?", (article.id,))
        self.run_many("INSERT INTO outlet_sentences VALUES (?, ?, ?) ON CONFLICT (key, article_id) DO UPDATE SET story_id = excluded.story_id",
                      [(k, article.id, story_id or article.id) for k in keys])
        if crossed := sorted(self.boilerplate(keys)):
            holders = {r[0] for r in self.run(f"SELECT article_id FROM outlet_sentences WHERE key IN ({','.join('?' * len(crossed))})", crossed)}
            self.run_many("INSERT INTO unclean VALUES (?) ON CONFLICT DO NOTHING", [(h,) for h in sorted(holders)])

    def count_sentences(self, ids: list[str]):
        """Record the sentences of stored articles (a store from before outlet boilerplate was counted), in one
        transaction."""
        with self.transaction():
            for article_id in ids:
                row = self.run("SELECT article_id, outlet, text FROM articles WHERE article_id = ?", (article_id,)).fetchone()
                if row is not None:
                    story = self.run("SELECT story_id FROM story_of WHERE article_id = ?", (article_id,)).fetchone()
                    keys = sentence_keys(row[1] or "", row[2])
                    self.run_many("INSERT INTO outlet_sentences VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                  [(k, article_id, story[0] if story else article_id) for k in keys])

    def unclean(self) -> list[str]:
        """Live articles holding a sentence that became their outlet's boilerplate after they were stored."""
        return [r[0] for r in self.run("SELECT article_id FROM unclean ORDER BY article_id")]

    def forget_unclean(self, ids: list[str]):
        with self.transaction():
            self.run_many("DELETE FROM unclean WHERE article_id = ?", [(i,) for i in ids])

    def _place_event(self, article_id: str, found: Signature, story_id: str):
        """Inside a commit's transaction: place the article in its event (rag.events.place) and index its names."""
        event = place_event(found, article_id, story_id, self)
        self._forget_event(article_id)
        self.run("INSERT INTO event_of VALUES (?, ?, ?, ?)", (article_id, event, found.day, json.dumps(found.__dict__)))
        self.run_many("INSERT INTO event_names VALUES (?, ?, ?)", [(k, found.day, article_id) for k in found.names])
        self.run_many("INSERT INTO event_df VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = event_df.n + 1", [(k,) for k in found.names])

    def _forget_event(self, article_id: str):
        keys = [r[0] for r in self.run("SELECT key FROM event_names WHERE article_id = ?", (article_id,))]
        self.run_many("UPDATE event_df SET n = n - 1 WHERE key = ?", [(k,) for k in keys])
        self.run("DELETE FROM event_names WHERE article_id = ?", (article_id,))
        self.run("DELETE FROM event_of WHERE article_id = ?", (article_id,))

    def name_frequencies(self, keys) -> dict[str, int]:
        """How many live articles hold each of keys (0 for a name none holds)."""
        keys, found = list(keys), {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            found.update(tuple(r) for r in self.run(f"SELECT key, n FROM event_df WHERE key IN ({','.join('?' * len(part))})", part))
        return {k: found.get(k, 0) for k in keys}

    def event_candidates(self, keys: list[str], day: int, window: int, limit: int) -> dict[str, tuple[str, Signature]]:
        """Live articles holding any of keys, those holding the most first, as article id -> (event id, signature);
        for a dated article (day YYYYMMDD), only those undated or within window days of it."""
        if not keys:
            return {}
        where, params = f"key IN ({','.join('?' * len(keys))})", list(keys)
        if day:
            where += " AND (day = 0 OR day BETWEEN ? AND ?)"
            params += [shift(day, -window), shift(day, window)]
        found = [r[0] for r in self.run(f"SELECT article_id, COUNT(*) AS n FROM event_names WHERE {where} GROUP BY article_id "
                                        "ORDER BY n DESC, article_id LIMIT ?", (*params, limit))]
        rows = {r[0]: (r[1], Signature(**json.loads(r[2]))) for r in self.run(
            f"SELECT article_id, event_id, signature FROM event_of WHERE article_id IN ({','.join('?' * len(found))})", found)} if found else {}
        return {a: rows[a] for a in found if a in rows}

    def event_of_story(self, story_id: str, article_id: str) -> str | None:
        """The event of another article of a story, if one is placed."""
        row = self.run("SELECT e.event_id FROM story_of s JOIN event_of e ON e.article_id = s.article_id "
                       "WHERE s.story_id = ? AND s.article_id <> ? LIMIT 1", (story_id, article_id)).fetchone()
        if row is None:  # the story's first article, which holds no story_of row of another id
            row = self.run("SELECT event_id FROM event_of WHERE article_id = ? AND article_id <> ?", (story_id, article_id)).fetchone()
        return row[0] if row else None

    def event_rows(self, since: str | None = None, until: str | None = None) -> list:
        """Every live article's title, outlet, date, url, source, length and event (its own id while it has none);
        with since or until (ISO dates, inclusive), only the articles dated within."""
        where, params = [], []
        if since:
            where.append("a.date >= ?")
            params.append(since[:10])
        if until:
            where.append("a.date <> '' AND a.date < ?")
            params.append((date.fromisoformat(until[:10]) + timedelta(days=1)).isoformat())
        return self.run("SELECT a.article_id, a.title, a.outlet, a.date, a.url, a.source, LENGTH(a.text) AS length, "
                        "COALESCE(e.event_id, a.article_id) AS event_id FROM articles a LEFT JOIN event_of e ON e.article_id = a.article_id"
                        + (" WHERE " + " AND ".join(where) if where else ""), params).fetchall()

    def events_of(self, article_ids) -> dict[str, str]:
        """Each article's event (its own id while it has none)."""
        ids, found = list(article_ids), {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            found.update(tuple(r) for r in self.run(f"SELECT article_id, event_id FROM event_of WHERE article_id IN "
                                                    f"({','.join('?' * len(part))})", part))
        return {a: found.get(a, a) for a in ids}

    def newest_date(self) -> str | None:
        """The date of the newest dated live article (ISO), or None."""
        row = self.run("SELECT MAX(date) FROM articles WHERE date > ''").fetchone()
        return row[0] if row and row[0] else None

    def unevented(self) -> list[str]:
        """Live articles without an event: stored before events existed, or before their constants changed."""
        return [r[0] for r in self.run("SELECT a.article_id FROM articles a WHERE NOT EXISTS "
                                       "(SELECT 1 FROM event_of e WHERE e.article_id = a.article_id)")]

    def place_events(self, placed: list[tuple[str, Signature]]):
        """Place stored articles in their events, in order, in one transaction: (article id, signature)."""
        with self.transaction():
            for article_id, found in placed:
                story = self.run("SELECT story_id FROM story_of WHERE article_id = ?", (article_id,)).fetchone()
                self._place_event(article_id, found, story[0] if story else article_id)

    def forget_events(self):
        """Drop every event, to be placed again (their constants changed)."""
        with self.transaction():
            for table in ("event_of", "event_names", "event_df"):
                self.run(f"DELETE FROM {table}")

    def _forget_sentences(self, article_id: str):
        self.run("DELETE FROM outlet_sentences WHERE article_id = ?", (article_id,))
        self.run("DELETE FROM unclean WHERE article_id = ?", (article_id,))


class Manifest(Catalog):
    def __init__(self, path: Path):
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        try:
            # WAL lets the web app read while an ingest writes.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise StoreError(f"{path}: cannot open the manifest ({e}); restore it from a backup, or move it aside and "
                             "ingest again into a new one") from None
        if self.get_meta("lexical_format") is None and self.counts()[0] == 0:
            self.set_meta("lexical_format", LEXICAL_FORMAT)  # a new store is indexed as it fills

    def close(self):
        self.db.close()

    # Plain SQL for tables kept beside the manifest's (ingest/sources.py), written once for both backends: `?`
    # placeholders and statements SQLite and PostgreSQL both accept (rag/postgres.py has the same three).
    def run(self, query: str, params=()):
        return self.db.execute(query, params)

    def run_many(self, query: str, seq):
        self.db.executemany(query, seq)

    def script(self, text: str):
        self.db.executescript(text)

    @contextmanager
    def transaction(self):
        """A write transaction; BEGIN IMMEDIATE makes writers take turns instead of failing at commit."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            yield

    def get(self, article_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM articles WHERE article_id = ?", (article_id,)).fetchone()

    def with_text(self, text_hash: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT article_id, source FROM articles WHERE text_hash = ?", (text_hash,)).fetchone()

    def articles(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT article_id, identity, source, title, content_hash, n_chunks FROM articles").fetchall()

    def find(self, key: str) -> sqlite3.Row | None:
        """An article by id, identity (path or url) or source path."""
        return self.db.execute(
            "SELECT * FROM articles WHERE article_id = ? OR identity = ? OR source = ? LIMIT 1", (key, key, key)
        ).fetchone()

    def counts(self) -> tuple[int, int]:
        row = self.db.execute("SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM articles").fetchone()
        return row[0], row[1]

    def mark_pending(self, versions: list[tuple[str, str, int]]):
        """Record (article_id, content_hash, n_chunks) before their chunks are written, so a crash leaves a trace."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR REPLACE INTO stale VALUES (?, ?, ?)", versions)

    def commit_all(self, versions: list[Version]):
        """commit for many versions in one transaction, in order: all go live together or none does."""
        ids = [v.article.id for v in versions]
        olds = {r["article_id"]: r for i in range(0, len(ids), 500)
                for r in self.db.execute(f"SELECT * FROM articles WHERE article_id IN ({','.join('?' * len(ids[i:i + 500]))})", ids[i:i + 500])}
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for v in versions:
                a, old = v.article, olds.get(v.article.id)
                if old is not None:
                    self._unindex(old)
                self._index(a.id, a.title, indexed(v))
                self.db.execute("DELETE FROM stale WHERE article_id = ? AND content_hash = ?", (a.id, a.content_hash))
                if old is not None and old["content_hash"] != a.content_hash:
                    self.db.execute("INSERT OR REPLACE INTO stale VALUES (?, ?, ?)", (old["article_id"], old["content_hash"], old["n_chunks"]))
                self.db.execute(
                    f"INSERT OR REPLACE INTO articles ({COLUMNS}) VALUES ({', '.join('?' * 16)})",
                    (a.id, a.identity, a.source, a.title, a.outlet, a.author, a.date, a.url, a.language,
                     json.dumps(a.extra, ensure_ascii=False, default=str), a.text, a.content_hash, a.text_hash, len(v.spans), json.dumps(v.spans), now()),
                )
                if (story := placed_story(v, self)) is not None:
                    self._forget_story(a.id)
                    self.db.execute("INSERT INTO story_of VALUES (?, ?)", (a.id, story[0]))
                    self.db.executemany("INSERT INTO story_bands VALUES (?, ?)", [(k, a.id) for k in story[1]])
                story_id = story[0] if story else self.story_of(a.id)
                if v.event is not None:
                    self._place_event(a.id, v.event, story_id or a.id)
                self._count_sentences(a, story_id)
            self._bump()

    def _index(self, article_id: str, title: str, indexed: list[str]):
        for i, t in enumerate(indexed):
            rowid = self.db.execute("INSERT INTO lexical_chunks (article_id, idx) VALUES (?, ?)", (article_id, i)).lastrowid
            self.db.execute("INSERT INTO lexical (rowid, terms) VALUES (?, ?)", (rowid, t))
        if key := title_key(title or ""):
            self.db.execute("INSERT INTO titles VALUES (?, ?)", (key, article_id))

    def _unindex(self, old: sqlite3.Row):
        """Take a live version out of the lexical index; a contentless FTS5 table forgets a row only when told the
        terms it was given, which are recomputed from the stored text."""
        rowids = [r[0] for r in self.db.execute("SELECT rowid FROM lexical_chunks WHERE article_id = ? ORDER BY idx", (old["article_id"],))]
        indexed = chunk_terms(old["title"], old["text"], json.loads(old["spans"]))
        if len(rowids) == len(indexed):
            self.db.executemany("INSERT INTO lexical (lexical, rowid, terms) VALUES ('delete', ?, ?)", zip(rowids, indexed))
        self.db.execute("DELETE FROM lexical_chunks WHERE article_id = ?", (old["article_id"],))
        self.db.execute("DELETE FROM titles WHERE article_id = ?", (old["article_id"],))

    def search_terms(self, query: str, n: int, outlet: str | None = None, article_id: str | None = None,
                     since: int | None = None, until: int | None = None) -> list[tuple[str, float]]:
        """The n live chunks that best match query's terms by BM25, as (chunk id, score), best first; since and until
        are days as YYYYMMDD (rag.types.day_number), an undated article counting as day 0."""
        words = [w for w, _ in self._affordable(list(dict.fromkeys(terms([query])[0])))]
        if not words:
            return []
        where, params = ["lexical MATCH ?"], [" OR ".join(f'"{w}"' for w in words)]
        day = "CAST(REPLACE(SUBSTR(COALESCE(a.date, ''), 1, 10), '-', '') AS INTEGER)"
        for clause, value in (("a.outlet = ?", outlet), ("a.article_id = ?", article_id), (f"{day} >= ?", since), (f"{day} <= ?", until)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if len(where) == 1:  # ranked alone first, then joined: the usual case, and the cheaper plan
            sql = ("SELECT c.article_id, a.content_hash, c.idx, -f.score FROM (SELECT rowid, bm25(lexical) AS score FROM lexical "
                   "WHERE lexical MATCH ? ORDER BY score LIMIT ?) f JOIN lexical_chunks c ON c.rowid = f.rowid "
                   "JOIN articles a ON a.article_id = c.article_id ORDER BY f.score")
        else:
            sql = ("SELECT c.article_id, a.content_hash, c.idx, -bm25(lexical) AS score FROM lexical "
                   "JOIN lexical_chunks c ON c.rowid = lexical.rowid JOIN articles a ON a.article_id = c.article_id "
                   f"WHERE {' AND '.join(where)} ORDER BY bm25(lexical) LIMIT ?")
        rows = self.db.execute(sql, (*params, n)).fetchall()
        return [(chunk_id(r[0], r[1], r[2]), r[3]) for r in rows]

    def _document_frequencies(self, words: list[str], cap: int) -> dict[str, int]:
        """The chunks each word occurs in (exact: fts5vocab keeps them)."""
        found = {}
        for i in range(0, len(words), 500):
            part = words[i:i + 500]
            found.update(self.db.execute(f"SELECT term, doc FROM lexical_vocab WHERE term IN ({','.join('?' * len(part))})", part).fetchall())
        return {w: found.get(w, 0) for w in words}

    def titled(self, keys: list[str]) -> list[str]:
        """Live articles whose title phrase is one of keys."""
        if not keys:
            return []
        found = []
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            found += [r[0] for r in self.db.execute(f"SELECT article_id FROM titles WHERE key IN ({','.join('?' * len(part))})", part)]
        return found

    def reindex(self, progress=None):
        """Index every live article again (a store from before the lexical index, or a repair), in batches."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO lexical (lexical) VALUES ('delete-all')")
            self.db.execute("DELETE FROM lexical_chunks")
            self.db.execute("DELETE FROM titles")
            self.db.execute("DELETE FROM meta WHERE key = 'lexical_format'")
        ids = [r[0] for r in self.db.execute("SELECT article_id FROM articles ORDER BY rowid")]
        for i in range(0, len(ids), 1000):
            rows = [self.get(aid) for aid in ids[i:i + 1000]]
            indexed = [chunk_terms(r["title"], r["text"], json.loads(r["spans"])) for r in rows if r is not None]
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                for r, t in zip([r for r in rows if r is not None], indexed):
                    self._index(r["article_id"], r["title"], t)
            if progress:
                progress(len(rows))
        self.set_meta("lexical_format", LEXICAL_FORMAT)

    def _forget_story(self, article_id: str):
        self.db.execute("DELETE FROM story_of WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM story_bands WHERE article_id = ?", (article_id,))

    def place(self, placed: list[tuple[str, tuple[str, list[int]]]]):
        """Record the stories of live articles stored before stories existed: (article id, (story id, band keys))."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for article_id, (story_id, keys) in placed:
                self._forget_story(article_id)
                self.db.execute("INSERT INTO story_of VALUES (?, ?)", (article_id, story_id))
                self.db.executemany("INSERT INTO story_bands VALUES (?, ?)", [(k, article_id) for k in keys])

    def forget_stories(self):
        """Drop every story and band key, to be recomputed (their constants changed)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM story_of")
            self.db.execute("DELETE FROM story_bands")

    def story_candidates(self, keys: list[int], limit: int) -> list[str]:
        """Live articles sharing LSH bands with keys, those sharing the most first."""
        if not keys:
            return []
        rows = self.db.execute(f"SELECT article_id, COUNT(*) AS n FROM story_bands WHERE key IN ({','.join('?' * len(keys))}) "
                               "GROUP BY article_id ORDER BY n DESC LIMIT ?", (*keys, limit)).fetchall()
        return [r[0] for r in rows]

    def rows(self, ids: list[str]) -> list[sqlite3.Row]:
        """Live articles by id, with their text, spans and story (their own id when they have none yet)."""
        out = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            out += self.db.execute(f"SELECT {READ_COLUMNS} FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id "
                                   f"WHERE a.article_id IN ({','.join('?' * len(part))})", part).fetchall()
        return out

    def newest(self, n: int) -> list[sqlite3.Row]:
        return self.db.execute(f"SELECT {READ_COLUMNS} FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id "
                               "ORDER BY a.date DESC, a.article_id LIMIT ?", (n,)).fetchall()

    def story_members(self, story_id: str) -> list[sqlite3.Row]:
        """The live articles of a story (an article without one is a story of its own)."""
        # Two indexed lookups: a COALESCE over the join read every article (4 s an answer at 600k chunks).
        columns = "a.article_id, a.title, a.outlet, a.date, a.url, LENGTH(a.text) AS length"
        return self.db.execute(f"SELECT {columns} FROM story_of s JOIN articles a ON a.article_id = s.article_id WHERE s.story_id = ? "
                               f"UNION SELECT {columns} FROM articles a WHERE a.article_id = ? "
                               "AND NOT EXISTS (SELECT 1 FROM story_of s WHERE s.article_id = a.article_id)", (story_id, story_id)).fetchall()

    def story_of(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT story_id FROM story_of WHERE article_id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def story_rows(self) -> list[sqlite3.Row]:
        """Every live article's title, outlet, date, url and story (its own id when it has none yet)."""
        return self.db.execute("SELECT a.article_id, a.title, a.outlet, a.date, a.url, LENGTH(a.text) AS length, "
                               "COALESCE(s.story_id, a.article_id) AS story_id "
                               "FROM articles a LEFT JOIN story_of s ON s.article_id = a.article_id").fetchall()

    def unplaced(self) -> list[str]:
        """Live articles without a story: stored before stories existed."""
        return [r[0] for r in self.db.execute("SELECT article_id FROM articles WHERE article_id NOT IN (SELECT article_id FROM story_of)")]

    def retire(self, article_id: str) -> bool:
        """Take an article out of the live set; its chunks become stale."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            old = self.get(article_id)
            if old is None:
                return False
            self.db.execute("INSERT OR REPLACE INTO stale VALUES (?, ?, ?)", (article_id, old["content_hash"], old["n_chunks"]))
            self.db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
            self._unindex(old)
            self._forget_story(article_id)
            self._forget_event(article_id)
            self._forget_sentences(article_id)
            self._bump()
        return True

    def _bump(self):
        # Every change to the live set bumps the generation, so readers know when what they hold is stale.
        self.db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def live_chunks(self) -> list[sqlite3.Row]:
        """Every live article with its text and chunk spans."""
        return self.db.execute("SELECT article_id, content_hash, title, text, spans FROM articles").fetchall()

    def stale(self) -> list[tuple[tuple[str, str], list[str]]]:
        """Each stale version with the ids of its chunks."""
        rows = self.db.execute("SELECT article_id, content_hash, n_chunks FROM stale").fetchall()
        return [((r[0], r[1]), [chunk_id(r[0], r[1], i) for i in range(r[2])]) for r in rows]

    def forget_stale(self, versions: list[tuple[str, str]]):
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM stale WHERE article_id = ? AND content_hash = ?", versions)

    def set_meta(self, key: str, value: str):
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def open_manifest(settings: Settings):
    """The manifest where the settings put it, the one place the backend is chosen: PostgreSQL when
    NEWSDESK_DATABASE_URL is set (several machines share it), else SQLite under NEWSDESK_HOME."""
    if settings.database_url:
        from .postgres import PostgresManifest

        return PostgresManifest(settings.database_url)
    return Manifest(settings.manifest_path)
