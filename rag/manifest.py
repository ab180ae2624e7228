"""What is stored, in SQLite under NEWSDESK_HOME: the source of truth for which version of each article is live."""
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import chunk_terms, terms, title_key
from .errors import StoreError
from .settings import Settings
from .catalog import COLUMNS, CORE_SCHEMA, READ_COLUMNS, Catalog, indexed, now, placed_story
from .types import Version, chunk_id

SCHEMA = CORE_SCHEMA + """
-- The lexical index (rag/lexical.py): one row per live chunk, its terms in a contentless FTS5 table (the text is in
-- articles already); each live article's title is in titles, as a phrase questions can name. Written with the article.
CREATE TABLE IF NOT EXISTS lexical_chunks (rowid INTEGER PRIMARY KEY, article_id TEXT NOT NULL, idx INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lexical_chunks_article ON lexical_chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(terms, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
CREATE VIRTUAL TABLE IF NOT EXISTS lexical_vocab USING fts5vocab(lexical, 'row');
"""


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

    def tuples(self, query: str, params):
        """Catalog.tuples without sqlite3.Row: placing an article reads the frequencies of its candidates' names, about
        650 rows on ECB+, and making a Row of each and then a tuple of it was a sixth of placing's time (cProfile)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        return cursor.execute(query, params)

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
