"""Answers on real news: the development set over the 181 real article pages holds its floors (benchmarks/news.py runs
the whole set and prints every figure; this runs every other question of it, to keep the suite's time)."""
import gzip
import json

import pytest

from newsdesk.benchmarks.extraction import PAGES
from newsdesk.benchmarks.news import QA, furniture_lookup, labelled
from newsdesk.rag.engine import build_engine
from newsdesk.rag.evaluate import evaluate, read_cases
from newsdesk.rag.retrieve import Library
from newsdesk.rag.settings import Settings

if not (PAGES / "ground-truth.json").exists():
    pytest.skip(f"no article pages at {PAGES} (set NEWSDESK_ARTICLE_PAGES)", allow_module_level=True)


@pytest.fixture(scope="module")
def news(tmp_path_factory, embedder):
    from newsdesk.ingest.pipeline import ingest

    folder = tmp_path_factory.mktemp("news-pages")
    for key in json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8")):
        (folder / f"{key}.html").write_bytes(gzip.decompress((PAGES / "html" / f"{key}.html.gz").read_bytes()))
    settings = Settings(home=folder.parent / "news-home")
    ingest([str(folder)], settings, embedder=embedder, progress=False)
    return build_engine(Library(settings, embedder=embedder))


def half(kind) -> list:
    cases, problems = read_cases(str(QA))
    assert problems == []
    return [c for c in cases if kind(c)][::2]


def test_the_development_set_is_what_the_issue_asks_for():
    cases, _ = read_cases(str(QA))
    factoid = [c for c in cases if c.expect]
    assert len(factoid) >= 100 and len({c.file for c in factoid}) >= 60
    assert sum(c.miss == "near" for c in cases) + sum(c.miss == "off" for c in cases) >= 50
    assert sum(c.kind == "broad" and 3 <= len(c.facts) <= 5 for c in cases) >= 20


def test_factoid_answers_hold_the_fact_first_and_briefly(news):
    r = evaluate(news, half(lambda c: bool(c.expect)), furniture=furniture_lookup(labelled()))
    # Measured on this half (AMD EPYC, 2026-12-06, second round): 0.73 / 0.59 / 47 words, 9 % refused, 0 cited twice,
    # 0 furniture (the whole set after the third round: 0.73 / 0.62 / 44, 6.3 %; before this work 0.72 / 0.53 / 47, 0.7 %, 146 answers citing an article
    # twice, 6 quoting furniture); after the eighth round 0.85 / 0.79 on this half. The floors sit a little under, so a
    # regression shows and noise (the bf16 path on another CPU) does not.
    assert r["answer_accuracy"] >= 0.78 and r["first_sentence_accuracy"] >= 0.70, r
    assert r["factoid_mean_words"] <= 50 and r["wrongly_abstained"] <= 0.08, r
    assert r["cited_twice"] == 0 and r["furniture_quoted"] == 0, r


def test_unanswerable_questions_are_refused(news):
    r = evaluate(news, half(lambda c: c.unanswerable))
    # Measured on this half in the second round: near misses 0.33, off-topic 0.86 (the whole set after the third round
    # 0.47 and 0.85; before this work 0.00 and 0.46); in the eighth 0.78 and 0.93.
    assert r["abstention_near"] >= 0.60 and r["abstention_off"] >= 0.80, r


def test_a_timeline_keeps_to_its_subject_and_quotes_sentences_that_stand_alone(news):
    from newsdesk.rag.answer import LEANS
    from newsdesk.rag.timeline import timeline

    for subject, name in [("What happened with T-Mobile?", "t-mobile"), ("What happened with Boeing?", "boeing")]:
        entries = timeline(news.library, subject)
        assert len(entries) >= 2, subject
        for c in entries:
            article = news.library.articles[c.article_id]
            # every entry's article is about the subject (not a press release naming it among its clients) ...
            assert name in f"{article['title']} {article['text']}".lower(), (subject, c.title)
            # ... and its quote is read alone: no "But he added ...", no bracketed aside
            assert not LEANS.match(c.quote) and not c.quote.lstrip().startswith(("(", "[")), (subject, c.quote)


def test_broad_answers_hold_key_facts_within_the_budget(news):
    r = evaluate(news, half(lambda c: bool(c.facts)))
    # Measured on this half (AMD EPYC, 2026-12-07, fifth round): 0.47 at 113 words (fourth round 0.41 at 106; the whole
    # set 0.47 at 109, before 0.44 at 108, before this work 0.30 at 75). The target is 0.50 at 120 words.
    assert r["fact_recall"] >= 0.44 and r["mean_words"] <= 120, r


def test_what_happened_to_or_at_something_is_told_not_listed(news):
    # One happening ("at the protest", "to the guards") or stories of one day are told as an overview, not a timeline
    # of one line; a newsletter's next sentence naming the same man again ("Legere will hand over ...") goes with it.
    for question, facts in [("What happened at the Indiana teachers' protest?", ["Statehouse", "better pay"]),
                            ("What happened with T-Mobile's leadership?", ["Legere", "May 2020", "Siever"])]:
        a = news.ask(question)
        assert not a.abstained and not a.timeline and all(f in a.answer for f in facts), (question, a.answer)
        # every cited article is about what was asked (not an ad firm's news about "mobile marketing")
        assert all("T-Mobile" in news.library.articles[c.article_id]["text"] for c in a.citations if "T-Mobile" in question), a.answer


def test_an_overview_quotes_a_sentence_under_a_headline_naming_the_subject(news):
    # "... the Minneapolis ad agency Broadhead Co. came up with the campaign" names neither South Dakota nor meth; its
    # article's headline does ("South Dakota doubles down on 'Meth. We're on it.'"), so it is about the subject and
    # its facts count
    a = news.ask("What's the story behind South Dakota's anti-meth ad campaign?")
    assert "Broadhead" in a.answer and "449,000" in a.answer, a.answer
    # and no quoted sentence is torn from its start or a dateline alone ("SIOUX FALLS, S.D.", "awareness campaign has ...")
    assert all(not q.split("\n")[-1][:1].islower() and not q.isupper() for c in a.citations for q in c.quotes), a.answer


def test_a_list_of_names_is_answered_only_by_sentences_naming_them(news):
    # The articles report the two service members' deaths, not their names: a list asking for people gets the same
    # gate as a lookup. The two teachers freed in the swap are named, and the answer names them.
    a = news.ask("What were the names of the two US service members killed in the helicopter crash in Afghanistan?")
    assert a.abstained, a.answer
    a = news.ask("Which two university teachers were freed by the Taliban in the prisoner swap?")
    assert not a.abstained and "Kevin King" in a.answer and "Timothy Weeks" in a.answer, a.answer


def test_a_story_from_before_an_election_does_not_say_who_won_it(news):
    # "... in the run-up to the 2020 presidential election" names the year, but a 2019 story cannot report what
    # happened in it; asked what is planned for then, it may answer.
    a = news.ask("Who won the 2020 US presidential election?")
    assert a.abstained, a.answer
    from newsdesk.rag.entities import past_tense

    assert past_tense("Who won the 2020 US presidential election?") and not past_tense("When will the 2020 Olympics start?")


def test_a_sentence_giving_the_answer_is_no_not_known_statement(news):
    # "The person, who was not identified, was hospitalized in the county of Huade": what is not known is someone else.
    a = news.ask("In which county was the man with bubonic plague hospitalized?")
    assert not a.abstained and "Huade" in a.answer.split("[1]")[0], a.answer


def test_what_will_happen_is_not_answered_by_a_year_already_past_or_a_duration(news):
    # The story (Nov 2019) says the film "was greenlit in 2016" and ended "a three-year silence": neither says when it
    # will come out.
    a = news.ask("When will the fourth Star Trek film be released?")
    assert a.abstained, a.answer
    # ... while a date still to come answers
    a = news.ask("On which date will WeWork's maintenance workers lose their jobs?")
    assert not a.abstained and "Dec" in a.answer, a.answer


def test_what_happened_is_not_answered_by_a_year_after_the_story(news):
    # "a 2020 North American tour" (in a 2019 story) says nothing of when McDonald joined; "joined the band in 1975" does.
    a = news.ask("In which year did Michael McDonald join the Doobie Brothers?")
    assert not a.abstained and "1975" in a.answer.split("[1]")[0], a.answer


def test_a_sentence_saying_the_asked_thing_is_not_known_answers_so_though_it_names_others():
    from newsdesk.rag.answer import unknown_of

    q = "Who is the third, undisclosed buyer of Boeing 737 Max jets at the Dubai Air Show?"
    told = "Boeing attracted bids for some 60 of the 737 Max jet from SunExpress, Air Astana and a third undisclosed buyer."
    assert unknown_of(told, q)
    # what is not known there is someone else, not the county asked about
    assert not unknown_of("The person, who was not identified, was hospitalized in the county of Huade.",
                          "In which county was the man with bubonic plague hospitalized?")


def test_the_undisclosed_buyer_is_said_to_be_undisclosed(news):
    a = news.ask("Who is the third, undisclosed buyer of Boeing 737 Max jets at the Dubai Air Show?")
    assert a.abstained and a.answer.startswith("The articles don't say.") and "undisclosed" in a.answer, a.answer


def test_an_attribute_asked_about_must_be_spoken_of_closely(news):
    # "tens of thousands more residents ... after people threw petrol bombs" gives no population (population~people
    # is 0.53 to MiniLM, under the attribute's 0.55)
    a = news.ask("What is the population of Hong Kong?")
    assert a.abstained, a.answer


def test_a_precise_answer_holding_the_questions_figures_and_time_comes_first(news):
    from newsdesk.rag.evaluate import first_claim

    first = {q: first_claim(news.ask(q).answer) for q in (
        "How many flybys of Europa will the Europa Clipper spacecraft make?",  # 45, not "dozens of flybys"
        "In which year did Prince Andrew say he visited Epstein in New York to end their friendship?",  # not "the early 2000s"
        "Which Thunder player scored a season-high 31 points against the Lakers?",  # the sentence with his 31 points
        "How many new vehicles were sold in the Houston area in October?")}  # October's sales, not last year's
    wanted = ["45", "2010", "Schröder", "30,154"]
    assert all(w in a for w, a in zip(wanted, first.values())), first
