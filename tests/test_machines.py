"""Several machines sharing one collection: the manifest and lexical index in a real PostgreSQL server, the vectors in
a real `chroma run` server, and `newsdesk serve` processes that share no local folder."""
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsdesk.rag.errors import BusyError
from newsdesk.rag.boilerplate import sentence_keys
from newsdesk.rag.catalog import Catalog
from newsdesk.rag.manifest import Manifest
from newsdesk.rag.postgres import PostgresManifest
from newsdesk.rag.events import pack
from newsdesk.rag.types import Article, Signature, Version, day_number
from servers import chroma_url, postgres_url  # noqa: F401 (fixtures)

DOCS = [
    Article(text="The harbour ferry to Lindholm resumed on Monday after the storm. Ferry crews cleared the pier.",
            identity="/news/ferry.md", source="/news/ferry.md", title="Ferry service resumes", outlet="Coast Daily",
            date="2024-03-04"),
    Article(text="The city council approved a budget for new bicycle lanes. Cyclists welcomed the vote on lanes.",
            identity="/news/bikes.md", source="/news/bikes.md", title="Council backs bicycle lanes", outlet="City Post"),
    Article(text="A storm closed schools along the coast. The storm brought winds of 120 km/h and closed the harbour.",
            identity="/news/storm.md", source="/news/storm.md", title="Storm closes schools", outlet="Coast Daily",
            extra={"editor": "Ana"}),
]


def signed(a: Article) -> Signature:
    """A signature made of the article's longer words: what the catalogs store is compared here, not how names are read."""
    words = sorted({w for w in re.findall(r"[a-z]+", a.text.lower()) if len(w) >= 5})
    return Signature(words, words, day_number(a.date))


def spans(a: Article) -> list[tuple[int, int]]:
    half = len(a.text) // 2
    return [(0, half), (half, len(a.text))]


@pytest.fixture
def manifests(postgres_url, tmp_path):  # noqa: F811
    sqlite, pg = Manifest(tmp_path / "manifest.sqlite"), PostgresManifest(postgres_url)
    yield sqlite, pg
    sqlite.close()
    pg.db.execute("DROP TABLE IF EXISTS articles, stale, meta, story_of, story_bands, lexical, titles, sources, fetched, "
                  "outlet_sentences, unclean, event_of, event_names, event_df CASCADE")
    pg.close()


def view(m) -> dict:
    """Everything a manifest answers, in a form to compare across backends."""
    rows = lambda rs: sorted(tuple(r) for r in rs)
    return {
        "articles": rows(m.articles()),
        "counts": m.counts(),
        "stale": sorted(m.stale()),
        "generation": m.generation,
        "get": {a.id: {k: m.get(a.id)[k] for k in m.get(a.id).keys() if k != "ingested_at"} if m.get(a.id) else None for a in DOCS},
        "find": [m.find(a.identity)["article_id"] if m.find(a.identity) else None for a in DOCS],
        "with_text": [tuple(m.with_text(a.text_hash)) if m.with_text(a.text_hash) else None for a in DOCS],
        "stories": rows(m.story_rows()),
        "story_of": [m.story_of(a.id) for a in DOCS],
        "candidates": sorted(m.story_candidates([1, 2, -(2 ** 63)], 10)),
        "unplaced": sorted(m.unplaced()),
        "live": rows(m.live_chunks()),
        "titled": sorted(m.titled(["ferry service resumes", "storm closes schools", "nothing"])),
        "lexical_in_step": m.lexical_in_step(),
        # BM25 both, as FTS5 computes it: the same chunks in the same order, with the same scores
        "search": [(cid, round(score, 6)) for cid, score in m.search_terms("storm harbour", 10)],
        "meta": m.get_meta("k"),
        "rows": rows(m.rows([a.id for a in DOCS] + ["nope"])),
        "newest": [tuple(r) for r in m.newest(2)],
        "members": rows(m.story_members(DOCS[0].id)),
        "filtered": [sorted(cid for cid, _ in m.search_terms("storm harbour", 10, **f)) for f in FILTERS],
        # outlet boilerplate: each live article's sentence keys with its story, and the articles to clean again
        "sentences": rows(m.run("SELECT key, article_id, story_id FROM outlet_sentences")),
        "boilerplate": sorted(m.boilerplate([k for a in DOCS for k in sentence_keys(a.outlet, a.text)])),
        "unclean": m.unclean(),
        # events: each placed article's event, the names' counts, the candidates of a dated and an undated article
        "events": rows(m.event_rows()),
        "frequencies": m.name_frequencies(["storm", "harbour", "lindholm", "nothing"]),
        "event_candidates": [{a: (e, s.__dict__) for a, (e, s) in m.event_candidates(keys, day, 3, 10).items()}
                             for keys, day in ((["storm", "harbour"], 20240305), (["storm"], 20240310), (["cyclists"], 0))],
        "unevented": sorted(m.unevented()),
    }


FILTERS = [{"outlet": "Coast Daily"}, {"article_id": DOCS[1].id}, {"since": 20240301}, {"until": 20240303}, {"since": 20240304, "until": 20240304}]


def test_both_manifests_have_the_same_methods():
    public = lambda cls: {n for n in dir(cls) if not n.startswith("_")}
    assert public(Manifest) == public(PostgresManifest) - {"db"}  # db: an attribute of SQLite's, a property here


def test_postgres_manifest_answers_as_the_sqlite_one(manifests):
    sqlite, pg = manifests
    for m in manifests:
        m.mark_pending([(a.id, a.content_hash, 2) for a in DOCS])
        for i, a in enumerate(DOCS[:2]):
            event = signed(a)
            event.vector = pack([1.0, float(i), 0.5])
            m.commit_all([Version(a, spans(a), story=(DOCS[0].id, [1, 2, 3]), event=event)])
        m.commit_all([Version(DOCS[2], spans(DOCS[2]), event=signed(DOCS[2]))])
        m.set_meta("k", "v1")
        m.set_meta("k", "v2")
    assert view(sqlite) == view(pg)
    assert view(pg)["stale"] == [] and view(pg)["candidates"] == sorted([DOCS[0].id, DOCS[1].id])
    assert view(pg)["lexical_in_step"] and len(view(pg)["search"]) == 4
    # The bicycle article is a copy in the ferry's story (as committed), so in its event; the storm article, undated, is
    # a candidate of any day and shares the ferry's "storm" and "harbour" but is scored apart (no vector, few names).
    assert len({r[-1] for r in view(pg)["events"]}) == 2 and view(pg)["frequencies"]["harbour"] == 2
    assert sorted(view(pg)["event_candidates"][0]) == sorted([DOCS[0].id, DOCS[2].id])
    assert list(view(pg)["event_candidates"][1]) == [DOCS[2].id]  # the ferry's day is out of a window of 3 days
    assert [len(f) for f in view(pg)["filtered"]] == [4, 0, 2, 2, 2]  # undated articles are day 0
    for m in manifests:
        # "lanes" twice in the second half of the bicycle article; a rare word outweighs a common one.
        assert m.search_terms("bicycle lanes", 1)[0][0].startswith(f"{DOCS[1].id}-{DOCS[1].content_hash[:16]}-00001")
        assert m.search_terms("Lindholm storm", 1)[0][0].startswith(f"{DOCS[0].id}-{DOCS[0].content_hash[:16]}-00000")
    # With room for one chunk's postings only the rarest term is looked up, in both (PostgreSQL counts it through
    # its index, up to that cap).
    assert {cid.split("-")[0] for cid, _ in sqlite.search_terms("bicycle lanes Lindholm", 9)} == {DOCS[0].id, DOCS[1].id}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Catalog, "POSTINGS_READ", 1)
        found = []
        for m in manifests:
            m.frequency.clear()
            found.append([cid for cid, _ in m.search_terms("bicycle lanes Lindholm", 9)])
        assert found[0] == found[1] and {cid.split("-")[0] for cid in found[0]} == {DOCS[0].id}
        # A term over the cap, when it is the rarest, is still looked up: PostgreSQL counts it in full (once), so its
        # IDF, and so the scores, match SQLite's exact count ("harbour" is in 2 of the 6 chunks; counted up to a cap
        # of 1, its IDF would be 1.30 instead of 0.59), on the first question and on the next.
        patch.setattr(Catalog, "POSTINGS_READ", 0)
        for m in manifests:
            m.frequency.clear()
        # When every term is over the cap, the rarest is told apart by exact counts: "harbour" (2 chunks), not "storm"
        # (3), which the question names first and which the capped counts cannot tell from it.
        for question in ("harbour", "harbour", "storm harbour", "storm harbour"):
            scores = [dict(m.search_terms(question, 9)) for m in manifests]
            assert scores[0].keys() == scores[1].keys() and len(scores[0]) == 2
            assert all(scores[1][c] == pytest.approx(score, rel=1e-6) for c, score in scores[0].items())
    for m in manifests:  # counts read under the patched cap
        m.frequency.clear()
    pg.exact.clear()

    changed = dataclasses.replace(DOCS[0], text=DOCS[0].text + " The storm is over.")
    for m in manifests:
        m.commit(changed, spans(changed), None)
        assert m.retire(DOCS[1].id) and not m.retire("nope")
        m.place([(DOCS[2].id, ("s-2", [-(2 ** 63), 5]))])
    assert view(sqlite) == view(pg)
    assert [v for v, _ in view(pg)["stale"]] == sorted([(DOCS[0].id, DOCS[0].content_hash), (DOCS[1].id, DOCS[1].content_hash)])

    for m in manifests:
        m.forget_stale([v for v, _ in m.stale()])
        m.forget_stories()
        m.forget_events()
        m.reindex()
    assert view(sqlite) == view(pg)
    assert view(pg)["unevented"] == sorted([changed.id, DOCS[2].id]) and view(pg)["frequencies"]["harbour"] == 0
    assert view(pg)["stale"] == [] and view(pg)["unplaced"] == sorted([changed.id, DOCS[2].id])
    assert json.loads(pg.get(DOCS[2].id)["extra"]) == {"editor": "Ana"}


def test_sources_are_kept_alike_in_both_databases(manifests):
    from newsdesk.ingest.sources import Harvest, Sources

    def record(url, article_id, etag=""):
        return {"url": url, "source": "https://news.test/feed", "signature": "s1", "etag": etag, "last_modified": "",
                "article_id": article_id, "error": ""}

    seen = []
    for m in manifests:
        m.commit(DOCS[0], spans(DOCS[0]), None)
        sources = Sources(m)
        sources.add("https://news.test/feed", "news-feed", "feed")
        sources.add("https://news.test/other", "other", "page")
        harvest = Harvest("https://news.test/feed", records=[record("https://news.test/a", DOCS[0].id, '"e1"'),
                                                             record("https://news.test/b", "gone")],
                          failures=[("https://news.test/b", "404")], validators=('"f1"', "Mon, 01 Jan 2024 00:00:00 GMT"))
        sources.remember(harvest)
        harvest.records = [record("https://news.test/a", DOCS[0].id, '"e2"')]  # a record written again replaces the last
        sources.remember(harvest)
        sources.remove("https://news.test/other")
        listed = [(s.url, s.name, s.kind, s.articles, s.last_error, bool(s.last_sync)) for s in sources.all()]
        seen.append((listed, sources.find("news-feed").url, sources.validators("https://news.test/feed"),
                     sources.validators("https://news.test/a"), sources.validators("https://news.test/b"),
                     sources.record("https://news.test/a")["etag"]))
    assert seen[0] == seen[1]
    assert seen[1][0] == [("https://news.test/feed", "news-feed", "feed", 0, "1 of its pages failed, e.g. https://news.test/b: 404", True)]
    assert seen[1][2:] == (('"f1"', "Mon, 01 Jan 2024 00:00:00 GMT"), ('"e2"', ""), ("", ""), '"e2"')


def test_a_dropped_database_connection_is_replaced(manifests):
    import psycopg

    _, pg = manifests
    pg.commit(DOCS[0], spans(DOCS[0]), None)
    with psycopg.connect(pg.url, autocommit=True) as admin:  # as a database restart does to every session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'newsdesk manifest%'")
    with pytest.raises(psycopg.OperationalError):
        pg.counts()
    assert pg.counts() == (1, 2) and pg.search_terms("Lindholm", 1)


def test_writers_take_turns_across_machines(postgres_url, tmp_path):  # noqa: F811
    from conftest import run_cli
    from newsdesk.rag.postgres import ingest_lock

    with ingest_lock(postgres_url):
        with pytest.raises(BusyError, match=r"another newsdesk ingest \(pid \d+ on .+\) is writing to postgresql://"), \
                ingest_lock(postgres_url):
            pass
        # Another machine's ingest: a home of its own, so only the database can tell it to wait.
        (tmp_path / "a.md").write_text("---\ntitle: A\n---\nA short article.\n")
        refused = run_cli("ingest", tmp_path / "a.md", home=tmp_path / "elsewhere", env={"NEWSDESK_DATABASE_URL": postgres_url})
        assert refused.returncode == 1 and f"(pid {os.getpid()} on " in refused.stderr, refused.stderr
    with ingest_lock(postgres_url):  # released at the end, and by a process's death (the session ends)
        pass


LIGHTHOUSE = """---
title: Lighthouse keepers return to Gull Rock
outlet: Coast Herald
date: 2024-12-01
---
The lighthouse on Gull Rock got its keepers back in {month} after eleven years of automation, the coast guard said.
Two keepers now live on the rock and climb the tower's 143 steps every evening to check the lamp.
"""
QUESTION = "When did the Gull Rock lighthouse get its keepers back?"
# Runs `newsdesk ARGS` under tests/crash_points.py, its write steps counted on the PostgreSQL manifest as on SQLite's.
KILL_AT = """
import sys
import crash_points
from newsdesk.rag.postgres import PostgresManifest
from newsdesk.ui.cli import main
crash_points.STEPS += [(PostgresManifest, name) for owner, name in list(crash_points.STEPS) if owner.__name__ == "Manifest"]
kill_at, when, *argv = sys.argv[1:]
with crash_points.steps(int(kill_at), when == "before"):
    sys.exit(main(argv))
"""


def answers(url: str) -> dict:
    from test_web import ask

    return ask(url, QUESTION)


def test_two_servers_on_two_empty_homes_share_one_collection(tmp_path, postgres_url, chroma_url):  # noqa: F811
    from conftest import BIN, ROOT, run_cli
    from test_web import start_server, stop

    env = {"NEWSDESK_DATABASE_URL": postgres_url, "NEWSDESK_CHROMA_URL": chroma_url, "NEWSDESK_COLLECTION": "machines"}
    news = tmp_path / "news"
    news.mkdir()
    article = news / "lighthouse.md"
    article.write_text(LIGHTHOUSE.format(month="November"))
    # Each process on its own "machine": a home of its own, which must stay empty of collection state.
    homes = {name: tmp_path / name for name in ("ingester", "web1", "web2")}
    done = run_cli("ingest", news, "--no-progress", home=homes["ingester"], env=env)
    assert done.returncode == 0, done.stderr
    with ThreadPoolExecutor(2) as pool:  # side by side: each takes a few seconds of imports to come up
        servers = list(pool.map(lambda name: start_server(homes[name], env), ("web1", "web2")))
    try:
        urls = [url for _, url in servers]
        for url in urls:
            a = answers(url)
            assert "November" in a["answer"] and a["citations"][0]["outlet"] == "Coast Herald", a

        # A new version, killed mid-way: after its chunks are written to Chroma, before it goes live.
        article.write_text(LIGHTHOUSE.format(month="March"))
        killed = subprocess.run([sys.executable, "-c", KILL_AT, "2", "after", "ingest", str(news), "--no-progress"],
                                capture_output=True, text=True, timeout=300, cwd=ROOT / "tests",
                                env={**os.environ, **env, "NEWSDESK_HOME": str(homes["ingester"]), "PYTHONPATH": str(ROOT / "tests")})
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        checked = run_cli("check", "--json", home=homes["ingester"], env=env)
        report = json.loads(checked.stdout)
        assert report["unfinished_versions"] == 1 and report["articles"] == 1 and checked.returncode == 1, report
        for url in urls:
            a = answers(url)
            assert "November" in a["answer"] and "March" not in a["answer"], a
            for c in a["citations"]:
                assert all(q in LIGHTHOUSE.format(month="November") for q in c["quotes"]), c

        repaired = run_cli("check", "--repair", home=homes["ingester"], env=env)
        assert repaired.returncode == 0 and "repaired" in repaired.stdout, repaired.stdout + repaired.stderr
        rerun = run_cli("ingest", news, "--no-progress", "--json", home=homes["ingester"], env=env)
        assert rerun.returncode == 0 and json.loads(rerun.stdout)["updated"] == 1, rerun.stdout + rerun.stderr
        clean = run_cli("check", home=homes["ingester"], env=env)
        assert clean.returncode == 0 and "consistent" in clean.stdout, clean.stdout
        for url in urls:
            a = answers(url)
            assert "March" in a["answer"] and "November" not in a["answer"], a
            for c in a["citations"]:
                assert all(q in LIGHTHOUSE.format(month="March") for q in c["quotes"]), c
    finally:
        for proc, _ in servers:
            stop(proc)
    for name, home in homes.items():
        assert not home.exists() or not [p for p in home.rglob("*") if p.suffix in (".sqlite", ".lock") or p.name == "chroma"], name


def test_an_unreachable_database_fails_in_one_line_without_its_password(tmp_path):
    from conftest import free_port, run_cli

    url = f"postgresql://newsdesk:s3cret@127.0.0.1:{free_port()}/newsdesk"
    done = run_cli("status", home=tmp_path / "home", env={"NEWSDESK_DATABASE_URL": url})
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "s3cret" not in done.stderr
    assert done.stderr.startswith(f"newsdesk: error: cannot use the database at postgresql://newsdesk@127.0.0.1:{url.split(':')[3]}")
