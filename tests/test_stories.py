"""Stories: wire copy under other headlines, bylines and cuts is grouped; retrieval quotes one copy and says where
else it ran."""
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli
from newsdesk.ingest.check import check
from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.engine import build_engine
from newsdesk.rag.manifest import Manifest
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings
from newsdesk.rag.stories import story_list

PAGES = Path(__file__).resolve().parents[2] / "shared/data/article-pages/ground-truth.json"
WIRE, NYAG_VB, NYAG_TC, OTHER = "05844573", "06e5123e", "1ace8c85", "14cc2a0c"


def body(prefix: str) -> str:
    truth = json.loads(PAGES.read_text())
    return next(v["articleBody"] for k, v in truth.items() if k.startswith(prefix))


def article(folder: Path, name: str, title: str, outlet: str, date: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(f"---\ntitle: {json.dumps(title)}\noutlet: {outlet}\ndate: {date}\nurl: https://{name}.example/story\n---\n{text}\n")
    return path


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("wire")
    wire = body(WIRE)
    paragraphs = wire.split("\n")
    article(folder, "ap", "New SUVs and electric vehicles highlight LA Auto Show", "AP", "2019-11-20", wire)
    # Another outlet's copy: its own headline, the last 30 % of paragraphs cut, as papers trim wire copy to fit.
    article(folder, "ctpost", "LA Auto Show: SUVs and EVs take the spotlight", "Connecticut Post", "2019-11-20",
            "\n".join(paragraphs[:max(1, int(len(paragraphs) * 0.7))]))
    # A third: a byline added on top, boilerplate below, the last paragraph cut, a day later. (Byline and boilerplate are
    # page furniture, cut at ingest: without the cut paragraph it would be the AP's text, stored once as a duplicate.)
    article(folder, "herald", "Electric SUVs star at Los Angeles show", "Daily Herald", "2019-11-21",
            "By Tom Krisher, Associated Press\n\n" + "\n".join(paragraphs[:-1]) + "\n\nSubscribe to our newsletter for the "
            "day's top stories. Copyright 2019 The Daily Herald. All rights reserved.")
    # Two outlets on the same news in their own words: related, not the same story.
    article(folder, "venturebeat", "New York attorney general investigating WeWork", "VentureBeat", "2019-11-18", body(NYAG_VB))
    article(folder, "techcrunch", "NY attorney general reportedly investigating WeWork", "TechCrunch", "2019-11-18", body(NYAG_TC))
    article(folder, "sciencealert", "NASA finds water plumes above Europa", "ScienceAlert", "2019-11-18", body(OTHER))
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    summary = ingest([str(folder)], settings, progress=False, embedder=embedder)
    assert summary.added == 6
    return settings, folder


def test_copies_of_one_wire_story_are_one_story_and_related_articles_are_not(newsroom):
    settings, _ = newsroom
    stories = story_list(Manifest(settings.manifest_path))
    assert len(stories) == 1
    story = stories[0]
    assert story["size"] == 3 and story["outlets"] == ["AP", "Connecticut Post", "Daily Herald"]
    # The representative is the earliest and, of the two that ran first, the complete one.
    assert story["title"] == "New SUVs and electric vehicles highlight LA Auto Show"
    assert (story["first"], story["last"]) == ("2019-11-20", "2019-11-21")
    listed = json.loads(run_cli("stories", "--all", "--json", home=settings.home).stdout)
    assert len(listed) == 4 and sorted(s["size"] for s in listed) == [1, 1, 1, 3]
    status = json.loads(run_cli("status", "--json", home=settings.home).stdout)
    assert (status["articles"], status["stories"], status["stories_in_several_articles"]) == (6, 4, 1)


def test_an_answer_quotes_one_copy_and_says_where_else_it_ran(newsroom, embedder):
    settings, _ = newsroom
    engine = build_engine(Library(settings, embedder=embedder))
    answer = engine.ask("What vehicles were highlighted at the Los Angeles auto show?")
    assert not answer.abstained
    outlets = {c.outlet for c in answer.citations}
    assert len(outlets) == 1, outlets  # never the same text three times
    c = answer.citations[0]
    others = {"AP", "Connecticut Post", "Daily Herald"} - {c.outlet}
    assert {a["outlet"] for a in c.also} == others
    assert c.also_in() == "also in " + ", ".join(a["outlet"] for a in c.also)
    out = run_cli("ask", "What vehicles were highlighted at the Los Angeles auto show?", home=settings.home)
    assert "(also in " in out.stdout


def test_an_edited_copy_leaves_its_story_and_a_store_from_before_stories_is_grouped_by_check_repair(newsroom, embedder):
    settings, folder = newsroom
    article(folder, "herald", "Europa's plumes, explained", "Daily Herald", "2019-11-21",
            "An explainer on a different subject altogether. " + body(OTHER)[::-1])
    ingest([str(folder)], settings, progress=False, embedder=embedder)
    assert story_list(Manifest(settings.manifest_path))[0]["size"] == 2
    # A store written before stories existed has no story rows: check says so, and --repair groups it.
    db = sqlite3.connect(settings.manifest_path)
    db.execute("DELETE FROM story_of")
    db.execute("DELETE FROM story_bands")
    db.commit()
    db.close()
    out = run_cli("check", home=settings.home)
    assert out.returncode == 1 and "articles without a story 6" in out.stdout
    assert check(settings, repair=True)["repaired"]
    assert check(settings)["without_story"] == 0
    assert story_list(Manifest(settings.manifest_path))[0]["size"] == 2
