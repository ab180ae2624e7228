"""Retrieval: score fusion of dense, BM25 and headline names, on a real store of articles that differ by name only."""
import pytest

from newsdesk.ingest.pipeline import index_unindexed, ingest
from newsdesk.rag.engine import build_engine
from newsdesk.rag.lexical import title_key, title_phrases
from newsdesk.rag.retrieve import Filters, Library, is_question
from newsdesk.rag.settings import Settings

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


def test_titles_are_found_as_phrases_of_the_question(cities):
    assert title_key("Amazon (company)") == "amazon" and title_key("Amazon River") == "amazon river"
    assert title_key("The") == title_key("The The") == ""  # a title of stopwords only would match every question
    assert "amazon" in title_phrases("What is the headquarter of Amazon?", whole=False)
    assert {"amazon", "amazon river"} <= set(title_phrases("How long is the Amazon river?", whole=False))
    # A keyword query gets the title only when the title is the whole query: a description names related things.
    assert title_phrases("Painting by Georges Seurat", whole=True) == ["painting georges seurat"]
    assert title_phrases("the Georges Seurat", whole=True) == ["georges seurat"]
    busan = cities.manifest.titled(title_phrases("What is the symbol flower of Busan?", whole=False))
    assert [cities.articles[a]["title"] for a in busan] == ["Busan"]


def test_the_question_names_its_article_and_ranks_it_first(cities):
    engine = build_engine(cities)
    for city, flower in CITIES.items():
        _, passages = engine.retrieve_passages(f"What is the symbol flower of {city}?")
        assert passages[0].meta["title"] == city, (city, [p.meta["title"] for p in passages])
        # The answer quotes the named article's sentence, not the same sentence of a look-alike article.
        a = engine.ask(f"What is the symbol flower of {city}?")
        assert a.citations[0].title == city and all(c.title == city for c in a.citations), (city, a.answer)
        assert any(f"the {flower} as" in q for c in a.citations for q in c.quotes), (city, a.answer)


def test_named_articles_obey_the_filters(cities):
    (other,) = cities.manifest.titled(["daegu"])
    _, passages = build_engine(cities, filters=Filters(article_id=other)).retrieve_passages("What is the symbol flower of Busan?")
    assert passages and {p.meta["title"] for p in passages} == {"Daegu"}


def test_the_lexical_index_grows_with_each_article_and_an_old_store_is_indexed_once(cities, tmp_path, embedder):
    manifest = cities.manifest
    rows = lambda: manifest.db.execute("SELECT rowid, article_id, idx FROM lexical_chunks ORDER BY rowid").fetchall()
    before = [tuple(r) for r in rows()]
    # The headline is indexed with each passage: a city's name finds its article by BM25 alone.
    assert manifest.search_terms("Gwangju", 3)[0][0].startswith(manifest.titled(["gwangju"])[0])
    (tmp_path / "sejong.txt").write_text("Sejong\n\nSejong is a planned city in South Korea, chosen as the seat of many ministries.\n")
    ingest([str(tmp_path)], cities.settings, embedder=embedder, progress=False)
    after = [tuple(r) for r in rows()]
    assert after[:len(before)] == before and len(after) == len(before) + 1  # the others' rows were not rewritten
    assert manifest.search_terms("ministries", 3)[0][0].startswith(manifest.titled(["sejong"])[0])
    # A store from before the lexical index (or of an older format) is indexed on the next ingest, once.
    manifest.set_meta("lexical_format", "2")
    assert not manifest.lexical_in_step()
    index_unindexed(manifest)
    assert manifest.lexical_in_step() and len(rows()) == len(after)
    assert manifest.search_terms("Gwangju", 3)[0][0].startswith(manifest.titled(["gwangju"])[0])


def test_a_keyword_search_reads_a_bounded_number_of_chunks(cities, monkeypatch):
    from newsdesk.rag.catalog import Catalog

    gwangju = cities.manifest.titled(["gwangju"])[0]
    everywhere = cities.manifest.search_terms("Gwangju metropolitan city", 10)
    assert len(everywhere) > 1 and everywhere[0][0].startswith(gwangju)
    # With room for fewer chunks than the common terms occur in, only the rarest term is looked up.
    monkeypatch.setattr(Catalog, "POSTINGS_READ", 3)
    assert [cid.split("-")[0] for cid, _ in cities.manifest.search_terms("Gwangju metropolitan city", 10)] == [gwangju]
