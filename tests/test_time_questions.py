"""Time in questions ("latest", "on June 3, 2024", "in 2023") and timelines, on a developing story told by dated
articles whose facts change (tests/data/developing)."""
import json
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.engine import build_engine
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings
from newsdesk.rag.timeframe import read_timeframe

DEVELOPING = ROOT / "tests/data/developing"
QUESTIONS = [json.loads(line) for line in (ROOT / "tests/data/developing_questions.jsonl").read_text().splitlines() if line.strip()]
TODAY = date(2024, 6, 20)


@pytest.fixture(scope="module")
def developing(tmp_path_factory, embedder):
    settings = Settings(home=tmp_path_factory.mktemp("developing"), today=TODAY)
    assert ingest([str(DEVELOPING)], settings, progress=False, embedder=embedder).added == 16
    return settings, build_engine(Library(settings, embedder=embedder))


@pytest.fixture(scope="module")
def answers(developing):
    return {q["question"]: developing[1].ask(q["question"]) for q in QUESTIONS}


def first_file(answer) -> str | None:
    return Path(answer.citations[0].path).name if answer.citations else None


def test_latest_questions_cite_the_newest_article_and_date_each_sentence(developing):
    _, engine = developing
    answer = engine.ask("What is the latest death toll in the Marrowby flood?")
    assert first_file(answer) == "2024-06-06-valley-courier-marrowby-toll-19.md" and "19" in answer.answer
    assert answer.answer.startswith("6 June 2024: ")
    # Where the sources moved on, the newer figure comes first and each carries its date.
    answer = engine.ask("What is the most recent closing price of Corvale Systems shares?")
    dates = [c.date[:10] for c in answer.citations]
    assert dates[0] == "2024-06-14" and dates == sorted(dates, reverse=True) and "$46.10" in answer.answer.split("[1]")[0]


def test_a_question_about_a_date_cites_that_dates_article(developing, answers):
    _, engine = developing
    answer = engine.ask("What was the death toll in Marrowby on June 3, 2024?")
    assert first_file(answer) == "2024-06-03-northern-herald-marrowby-toll-rises.md" and "12" in answer.answer
    answer = engine.ask("What was the score of the Northern Cup final in 2023?")
    assert first_file(answer) == "2023-05-28-sportsdesk-north-cup-final-2023.md" and "2-0" in answer.answer
    # The undated explainer's old toll is never taken as new, nor as of any date.
    for question, a in answers.items():
        assert first_file(a) != "undated-marrowby-river-tene-explainer.md", question


def test_the_question_set_and_time_less_questions_are_ranked_as_before(developing, answers, embedder):
    settings, engine = developing
    cited = sum(first_file(answers[q["question"]]) == q["expect_file"] for q in QUESTIONS)
    # 14 of 16 measured (the semi-final is abstained on: its best sentence scores 0.40, under the 0.42 floor; the
    # current CEO is named only in a quote of a later article about something else).
    assert cited >= 13, cited
    plain = build_engine(Library(settings.model_copy(update={"recency_weight": 0.0, "today": date(2030, 1, 1)}), embedder=embedder))
    for q in QUESTIONS:
        if read_timeframe(q["question"], TODAY) is None:
            assert answers[q["question"]].to_dict()["citations"] == plain.ask(q["question"]).to_dict()["citations"]


def test_a_timeline_lists_the_stories_in_date_order_with_one_quote_each(developing):
    settings, engine = developing
    out = run_cli("timeline", "What happened with the Marrowby flood?", "--json", home=settings.home)
    entries = json.loads(out.stdout)
    dated = [e["date"][:10] for e in entries if e["date"]]
    assert dated == ["2024-06-01", "2024-06-03", "2024-06-06"] and entries[-1]["date"] == ""
    assert all("Marrowby" in e["title"] or "Marrowby" in e["passage"] for e in entries)
    for e in entries:
        assert e["quote"] in e["passage"] and e["url"].startswith("https://example-news.test/")
    answer = engine.ask("What happened with the Marrowby flood?")
    assert answer.timeline and answer.answer.splitlines()[0].startswith("2024-06-01 · Valley Courier: ")
    assert len(answer.citations) == 4
    assert run_cli("timeline", "the price of tea in Ulaanbaatar", home=settings.home).stdout.startswith("The articles don't tell")
    for broken in ("   ", "x" * 20_000):
        out = run_cli("timeline", broken, home=settings.home)
        assert out.returncode == 1 and out.stderr.count("\n") == 1 and "the question is" in out.stderr
