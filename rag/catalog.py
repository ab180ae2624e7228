"""What is stored, whichever database keeps it: the schema both catalogs share and the queries written once for both
(Catalog); rag/manifest.py is the SQLite catalog, rag/postgres.py the PostgreSQL one."""
import json
from datetime import date, datetime, timedelta, timezone

from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import chunk_terms
from .boilerplate import BOILERPLATE_STORIES, sentence_keys
from .events import place as place_event
from .stories import place
from .types import Article, Fingerprint, Signature, Version

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
        """Inside a commit's transaction: place the article in its event (rag.events.place), move there the candidates
        it takes (each with its story's copies) and index its names."""
        event, moved = place_event(found, article_id, story_id, self)
        for other in moved:
            story = self.story_of(other) or other
            self.run("UPDATE event_of SET event_id = ? WHERE article_id IN (?, ?) OR article_id IN "
                     "(SELECT article_id FROM story_of WHERE story_id = ?)", (event, other, story, story))
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
        keys = list(keys)
        found = self.pairs("SELECT key, n FROM event_df WHERE key IN ({})", keys)
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
        ids = list(article_ids)
        found = self.pairs("SELECT article_id, event_id FROM event_of WHERE article_id IN ({})", ids)
        return {a: found.get(a, a) for a in ids}

    def pairs(self, query: str, keys: list) -> dict:
        """The (key, value) rows of query, whose "IN ({})" takes the keys, read 500 keys at a time."""
        found = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            found.update(self.tuples(query.format(",".join("?" * len(part))), part))
        return found

    def tuples(self, query: str, params):
        """The rows of query as plain tuples."""
        return (tuple(r) for r in self.run(query, params))

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


