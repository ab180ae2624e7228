"""Retrieval: score fusion of dense, BM25 and headline names, on a real store of articles that differ by name only."""
import json

import pytest

from ingest.pipeline import ingest
from rag.answer import build_engine
from rag.bm25 import Bm25Index
from rag.retrieve import Filters, Library, is_question, named_articles, title_index
from rag.settings import Settings

CITIES = {
    "Busan": "camellia", "Daegu": "magnolia", "Daejeon": "white magnolia", "Incheon": "rose", "Gwangju": "azalea",
    "Ulsan": "rose of Sharon",
}


@pytest.fixture(scope="module")
def cities(tmp_path_factory, embedder):
    """Six South Korean cities, each described in nearly the same words, each file headed by its name."""
    folder = tmp_path_factory.mktemp("cities")
    for city, flower in CITIES.items():
        (folder / f"{city.lower()}.txt").write_text(
            f"{city}\n\n{city} is a metropolitan city in South Korea with a busy port and a large population. "
            f"The city government chose the {flower} as its symbol flower. It is a centre of industry and trade in the region.\n")
    settings = Settings(home=tmp_path_factory.mktemp("cities-home"))
    ingest([str(folder)], settings, embedder=embedder, progress=False)
    return Library(settings, embedder=embedder)


def test_questions_and_keyword_queries_are_told_apart():
    assert is_question("What is the symbol flower of Busan?") and is_question("Find the largest continent")
    assert is_question("Population of Uttar Pradesh in 2011 census?") and is_question("list the companies")
    assert not is_question("Painting by Georges Seurat") and not is_question("Movie Gen")


def test_titles_are_found_as_phrases_of_the_question():
    index = title_index({"a": {"title": "Amazon (company)"}, "b": {"title": "Amazon River"}, "c": {"title": "The"},
                         "d": {"title": "Georges Seurat"}})
    assert "the" not in index  # a title of stopwords only would match every question
    assert named_articles(index, "What is the headquarter of Amazon?", whole=False) == {"a"}
    assert named_articles(index, "How long is the Amazon river?", whole=False) == {"a", "b"}
    # A keyword query gets the title only when the title is the whole query: a description names related things.
    assert named_articles(index, "Painting by Georges Seurat", whole=True) == set()
    assert named_articles(index, "the Georges Seurat", whole=True) == {"d"}


def test_the_question_names_its_article_and_ranks_it_first(cities):
    engine = build_engine(cities)
    for city, flower in CITIES.items():
        _, passages = engine.retrieve_passages(f"What is the symbol flower of {city}?")
        assert passages[0].meta["title"] == city, (city, [p.meta["title"] for p in passages])
        # The answer quotes the named article's sentence, not the same sentence of a look-alike article.
        a = engine.ask(f"What is the symbol flower of {city}?")
        assert a.citations[0].title == city and all(c.title == city for c in a.citations), (city, a.answer)
        assert any(f"the {flower} as" in c.quote for c in a.citations), (city, a.answer)


def test_named_articles_obey_the_filters(cities):
    other = next(aid for aid, a in cities.current().items() if a["title"] == "Daegu")
    _, passages = build_engine(cities, filters=Filters(article_id=other)).retrieve_passages("What is the symbol flower of Busan?")
    assert passages and {p.meta["title"] for p in passages} == {"Daegu"}


def test_an_index_of_the_old_format_is_rebuilt_with_headlines(cities):
    index = Bm25Index(cities.settings.home)
    saved = json.loads((index.dir / "ids.json").read_text())
    assert saved["format"] == 2
    (index.dir / "ids.json").write_text(json.dumps({**saved, "format": 1}))
    assert index.saved()["generation"] == -1  # counts as behind, so `newsdesk check` reports it and load rebuilds it
    index.load(cities.manifest)
    assert index.saved()["format"] == 2
    # The headline is indexed with each passage: a city's name finds its article by BM25 alone.
    assert index.search("Gwangju", 3)[0][0].startswith(next(a for a, v in cities.current().items() if v["title"] == "Gwangju"))
