import json

import pytest

from newsdesk.ingest.readers import discover, read_file
from newsdesk.rag.errors import InputError


def make_pdf(lines: list[str], title: str) -> bytes:
    """A real one-page PDF with a text layer, written by hand so the test needs no PDF writer."""
    content = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /Author (Ann Reporter) >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def test_markdown_front_matter_fields(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\ntitle: Harbour\npublisher: Test Times\nauthors: [Ann, Bo]\npublished: 2024-05-01\nlang: en\neditor: Cy\n---\n# Ignored heading\nBody text.\n")
    a = read_file(p, 20).articles[0]
    assert (a.title, a.outlet, a.author, a.date, a.language) == ("Harbour", "Test Times", "Ann, Bo", "2024-05-01", "en")
    assert a.extra == {"editor": "Cy"} and a.text.startswith("# Ignored heading")
    assert a.identity == a.source == str(p.resolve())


def test_plain_text_takes_its_title_from_a_heading_or_the_name(tmp_path):
    (tmp_path / "city-budget_2024.txt").write_text("The council approved the budget.\n")
    (tmp_path / "b.md").write_text("# Bridge reopens\n\nThe bridge reopened.\n")
    assert read_file(tmp_path / "city-budget_2024.txt", 20).articles[0].title == "city budget 2024"
    assert read_file(tmp_path / "b.md", 20).articles[0].title == "Bridge reopens"


def test_html_main_text_and_metadata(tmp_path):
    html = """<html><head><title>Budget passes | Example Times</title><meta name="author" content="Jane Doe">
    <link rel="canonical" href="https://example.com/budget"><meta property="og:site_name" content="Example Times">
    <meta property="article:published_time" content="2024-05-01T10:00:00Z"></head>
    <body><nav>Home | World | Sport</nav><article><h1>Budget passes</h1>
    <p>The council voted on Monday to approve the new budget for the city, after a long debate.</p>
    <p>The mayor said the money would go to schools, roads and the harbour bridge.</p></article>
    <footer>Copyright Example Times</footer></body></html>"""
    (tmp_path / "page.html").write_text(html)
    a = read_file(tmp_path / "page.html", 20).articles[0]
    assert "approve the new budget" in a.text and "Home | World" not in a.text and "Copyright" not in a.text
    assert (a.title, a.author, a.outlet, a.url, a.identity) == ("Budget passes", "Jane Doe", "Example Times", "https://example.com/budget", "https://example.com/budget")
    assert a.date.startswith("2024-05-01")


def test_pdf_text_and_metadata(tmp_path):
    (tmp_path / "r.pdf").write_bytes(make_pdf(["The harbour bridge reopened on Tuesday.", "Repairs took nine months."], "Bridge report"))
    a = read_file(tmp_path / "r.pdf", 20).articles[0]
    assert "harbour bridge reopened" in a.text and "nine months" in a.text
    assert (a.title, a.author) == ("Bridge report", "Ann Reporter")


def test_broken_pdf_is_an_input_error(tmp_path):
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(InputError, match="PDF"):
        read_file(tmp_path / "x.pdf", 20)


def test_jsonl_bulk_import_reports_bad_lines_and_keeps_the_rest(tmp_path):
    lines = [
        {"text": "First story.", "title": "One", "outlet": "Wire", "author": "A", "date": "2024-01-02", "url": "https://w.example/1"},
        "not json",
        {"title": "no text"},
        {"text": "Second story.", "title": "Two"},
    ]
    (tmp_path / "bulk.jsonl").write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    result = read_file(tmp_path / "bulk.jsonl", 20)
    assert [a.title for a in result.articles] == ["One", "Two"]
    assert result.articles[0].identity == "https://w.example/1"
    assert result.articles[1].identity.endswith("bulk.jsonl#4")
    assert [(w.rsplit(":", 1)[1], e.split(":")[0]) for w, e in result.failures] == [("2", "not valid JSON"), ("3", "object has no 'text'")]


def test_json_array_and_bad_json(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"text": "A.", "title": "A"}, {"text": "B.", "title": "B"}]))
    assert len(read_file(tmp_path / "a.json", 20).articles) == 2
    (tmp_path / "b.json").write_text("{oops")
    with pytest.raises(InputError, match="not valid JSON"):
        read_file(tmp_path / "b.json", 20)


def test_discover_recurses_skips_unknown_and_hidden(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.md").write_text("x")
    (tmp_path / "a" / "y.HTML").write_text("y")
    (tmp_path / "a" / "z.csv").write_text("z")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "h.md").write_text("h")
    found = discover([str(tmp_path)])
    assert sorted(p.name for p in found.files) == ["x.md", "y.HTML"]
    assert [p.rsplit("/", 1)[1] for p in found.skipped] == ["z.csv"] and not found.failures


def test_plain_text_headline_on_the_first_line_becomes_the_title(tmp_path):
    (tmp_path / "a.txt").write_text("Storm closes the harbour\n\nThe harbour closed on Monday. Ships waited offshore.\n")
    (tmp_path / "b.txt").write_text("The harbour closed on Monday.\n\nShips waited offshore.\n")
    (tmp_path / "c.txt").write_text("Storm closes the harbour\n")
    a = read_file(tmp_path / "a.txt", 20).articles[0]
    assert (a.title, a.text) == ("Storm closes the harbour", "The harbour closed on Monday. Ships waited offshore.")
    # A first line that ends a sentence is text, and a lone line is the text itself.
    b = read_file(tmp_path / "b.txt", 20).articles[0]
    assert b.title == "b" and b.text.startswith("The harbour closed")
    c = read_file(tmp_path / "c.txt", 20).articles[0]
    assert (c.title, c.text) == ("c", "Storm closes the harbour")
