"""A folder of hostile files, ingested by the real CLI in one run: each bad file is one escaped line naming it, the good
articles beside them are stored and answerable, output and memory stay bounded, and the store checks clean."""
import json
import os
import re
import subprocess
import sys
import zlib

import pytest

from conftest import BIN, run_cli
from helpers import stored
from newsdesk.ingest.pipeline import FAILURE_KINDS, FAILURES_SHOWN, Summary
from newsdesk.ingest.readers import decode, discover, read_file
from newsdesk.rag.errors import InputError
from newsdesk.rag.settings import Settings
from newsdesk.ui.cli import shown

LINES = 1_000_000  # the JSONL of objects without text: a million lines once printed a million lines (352 MB)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NEWLINE_NAME = "etc-passwd\nfailed: etc-passwd: FAKE ERROR injected.md"
ESCAPE_NAME = "\x1b]0;pwned\x07.txt"
BAD_NAME = os.fsdecode(b"bad-\xff\xfe.md")
GB = "快手可灵的团队只有二十人。视频生成是二零二四年最热门的话题。"
CP1252 = "Quayside\n\nThe harbour master said \u201cthe tide gauge read 4.2 metres\u201d on Sunday \u2014 a record for the town.\n"


def pdf(content: bytes, content_filter: bytes = b"", font_extra: bytes = b"", extra_objects=(), trailer: bytes = b"") -> bytes:
    """A one-page PDF with a Helvetica text line, written byte by byte with a correct xref table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(content), content_filter, content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica %s >>" % font_extra, *extra_objects]
    out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def text_line(text: bytes) -> bytes:
    return b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text


def hostile_pdfs() -> dict[str, bytes]:
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <00000000> <FFFFFFFF> "
            b"endcodespacerange 1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange endcmap end end")
    return {
        # pypdf raises NotImplementedError for an encryption version it does not know
        "encrypted-v9.pdf": pdf(text_line(b"Secret"), trailer=b"/Encrypt << /Filter /Standard /V 9 /R 9 /Length 256 /P -4 "
                                b"/O <%s> /U <%s> >> /ID [<%s> <%s>]" % (b"00" * 48, b"00" * 48, b"11" * 16, b"11" * 16)),
        # 100 MB of spaces in 97 KB: pypdf stops at its 75 MB limit with LimitReachedError
        "flate-bomb.pdf": pdf(zlib.compress(b" " * 100_000_000, 9), b"/Filter /FlateDecode"),
        # a /ToUnicode range of 2^32 codes: LimitReachedError
        "tounicode-4gb.pdf": pdf(text_line(b"AAAA"), font_extra=b"/ToUnicode 6 0 R",
                                 extra_objects=[b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap)]),
    }


BAD = {  # file (relative to the folder): what its one line must say
    "encrypted-v9.pdf": "unreadable PDF (NotImplementedError",
    "flate-bomb.pdf": "unreadable PDF (LimitReachedError",
    "tounicode-4gb.pdf": "unreadable PDF (LimitReachedError",
    "utf16-binary.txt": "binary data",
    "links/shadow.txt": "a link to a file outside",
    "links/etc": "a link to a folder outside",
    NEWLINE_NAME: "empty file",
    ESCAPE_NAME: "empty file",
}


def build(folder, outside):
    folder.mkdir()
    (folder / "links").mkdir()
    (folder / ".archive").mkdir()
    outside.mkdir()
    (outside / "shadow").write_text("root:$6$TOPSECRET:19000:0:99999:7:::\n")
    (folder / "good.md").write_text("---\ntitle: Ferry\noutlet: Test Times\n---\n"
                                    "The Glimmerfen ferry carried 412 passengers on its first night crossing.\n")
    (folder / "good.pdf").write_bytes(pdf(text_line(b"The Oakridge reservoir rose 3 metres after the spring rains.")))
    (folder / BAD_NAME).write_text("The Harrowgate lighthouse keeper logged 37 storms in one winter.\n")
    (folder / "cp1252.txt").write_bytes(CP1252.encode("cp1252"))
    (folder / "zh.txt").write_bytes(GB.encode("gb18030"))
    (folder / "utf16.txt").write_bytes("\ufeffThe Millbrook tram line reopened with 9 new stops.\n".encode("utf-16-le"))
    (folder / "utf16-binary.txt").write_bytes(b"\xff\xfe" + b"\x00" * 4000 + bytes(range(256)) * 4)
    (folder / ".archive" / "kept.md").write_text("The Westfold bakery sold 900 loaves on market day.\n")
    os.symlink("../.archive/kept.md", folder / "links" / "kept.md")  # a link inside the folder is followed
    os.symlink(outside / "shadow", folder / "links" / "shadow.txt")
    os.symlink(outside, folder / "links" / "etc")
    for name, data in hostile_pdfs().items():
        (folder / name).write_bytes(data)
    (folder / NEWLINE_NAME).write_bytes(b"")
    (folder / ESCAPE_NAME).write_bytes(b"")
    (folder / "million.jsonl").write_bytes(b'{"title": "no text here"}\n' * LINES)


GOOD = 7  # good.md, good.pdf, the non-UTF-8 name, cp1252.txt, zh.txt, utf16.txt, links/kept.md

# RUSAGE_CHILDREN of a fresh interpreter is the peak of the one command it ran, not of every child pytest has had.
PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def measured(*args, home) -> tuple[subprocess.CompletedProcess, float]:
    """run_cli's run, with the command's peak resident memory in MB."""
    env = {**os.environ, "NEWSDESK_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", PEAK, str(BIN / "newsdesk"), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600)
    stderr, peak_kb = done.stderr.rstrip("\n").rsplit("\n", 1) if "\n" in done.stderr.strip() else ("", done.stderr)
    done.stderr = stderr
    return done, int(peak_kb) / 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The folder, ingested once: (folder, home, the run, its peak memory in MB)."""
    root = tmp_path_factory.mktemp("hostile-files")
    folder, home = root / "in", root / "home"
    build(folder, root / "outside")
    done, peak = measured("ingest", folder, "--no-progress", home=home)
    return folder, home, done, peak


def test_each_bad_file_is_one_escaped_line_and_the_good_ones_are_stored(hostile):
    folder, home, done, peak = hostile
    out, err = done.stdout, done.stderr
    assert done.returncode == 1, err
    assert not RAW_CONTROL.search(out + err), [line for line in (out + err).splitlines() if RAW_CONTROL.search(line)]
    lines = out.splitlines()
    assert len(lines) < 60, lines[:80]
    assert lines[0] == f"added {GOOD}, updated 0, unchanged 0, removed 0, duplicates 0, skipped 0, failed {LINES + len(BAD)}"
    for name, reason in BAD.items():
        mine = [line for line in lines if line.startswith(f"failed: {shown(folder / name)}: ")]
        assert len(mine) == 1 and reason in mine[0], (name, mine)
    assert "FAKE ERROR injected.md: empty file" in out and not any(line.startswith("failed: etc-passwd") for line in lines)
    # the JSONL: the first lines in full, then one line counting the rest
    jsonl = [line for line in lines if "million.jsonl" in line]
    counted = [line for line in jsonl if " more in " in line]
    assert len(jsonl) <= FAILURES_SHOWN + 1 and len(counted) == 1
    assert counted[0] == f"failed: {LINES - len(jsonl) + 1} more in {folder / 'million.jsonl'}: object has no 'text'"
    assert "warning: " + str(folder / "cp1252.txt") + ": not UTF-8; read as CP1252" in err
    assert "warning: " + str(folder / "zh.txt") + ": not UTF-8; read as GB18030" in err

    status = json.loads(run_cli("status", "--json", home=home).stdout)
    assert status["articles"] == GOOD
    texts = "\n".join(stored(Settings(home=home))["documents"])
    assert "said “the tide gauge read 4.2 metres” on Sunday — a record" in texts and GB in texts
    assert "Millbrook tram" in texts and "Westfold bakery" in texts and "TOPSECRET" not in texts
    assert run_cli("check", home=home).returncode == 0

    # Answerable, and the answering command's peak is the model's (and the store's) footprint to compare with.
    asked, model_peak = measured("ask", "--json", "How many storms did the Harrowgate lighthouse keeper log?", home=home)
    answer = json.loads(asked.stdout)
    assert "37 storms" in answer["answer"]
    assert answer["citations"][0]["path"] == str(folder.resolve()) + "/bad-\\xff\\xfe.md"
    assert peak - model_peak < 300, (peak, model_peak)


def test_prune_keeps_to_a_renamed_identity_and_json_stays_bounded(hostile):
    folder, home, _, _ = hostile
    (folder / BAD_NAME).unlink()
    done = run_cli("ingest", folder, "--prune", "--json", "--no-progress", home=home)
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 1 and len(done.stdout) < 20_000
    summary = json.loads(done.stdout)
    assert (summary["unchanged"], summary["removed"], summary["added"]) == (GOOD - 1, 1, 0)
    assert len(summary["failed"]) == FAILURES_SHOWN and summary["failed_total"] == LINES + len(BAD)
    assert {"path": str(folder / "million.jsonl"), "error": "object has no 'text'",
            "count": LINES - sum("million.jsonl" in f["path"] for f in summary["failed"])} in summary["failed_more"]
    assert json.loads(run_cli("status", "--json", home=home).stdout)["articles"] == GOOD - 1
    assert run_cli("check", home=home).returncode == 0


@pytest.mark.parametrize("data, charset, text, encoding", [
    ("\ufeffThe tram reopened.".encode("utf-16-le"), "", "The tram reopened.", "utf-16"),
    (b"\xfe\xff" + "快手可灵的团队。".encode("utf-16-be"), "", "快手可灵的团队。", "utf-16"),
    ("He said \u201chello\u201d \u2014 it\u2019s na\u00efve.".encode("cp1252"), "", "He said “hello” — it’s naïve.", "cp1252"),
    ("\u201cYes,\u201d he said.".encode("cp1252"), "", "“Yes,” he said.", "cp1252"),
    ("The \u201cbridge\u201d is open".encode("cp1252"), "", "The “bridge” is open", "cp1252"),  # valid GB18030 bytes too
    ("\u201cquoted\u201d".encode("cp1252"), "iso-8859-1", "“quoted”", "cp1252"),  # Latin-1 labels mean windows-1252
    (GB.encode("gb18030"), "", GB, "gb18030"),
    ("OpenAI 的 Sora 模型在 2024 年 2 月发布，引起轰动。".encode("gb18030"), "", "OpenAI 的 Sora 模型在 2024 年 2 月发布，引起轰动。", "gb18030"),
    ("Министр заявил, что мост будет восстановлен во вторник.".encode("cp1251"), "", "Министр заявил, что мост будет восстановлен во вторник.", "cp1251"),
    ("Café".encode("utf-8"), "", "Café", "utf-8"),
], ids=["utf-16le-bom", "utf-16be-bom-chinese", "cp1252-quotes", "cp1252-short", "cp1252-also-gb18030",
        "latin-1-label", "gb18030", "gb18030-mixed", "cp1251", "utf-8"])
def test_decode_reads_text_in_its_encoding(data, charset, text, encoding):
    assert decode(data, charset) == (text, encoding)


@pytest.mark.parametrize("data", [
    b"\xff\xfe" + b"\x00" * 4000,  # a BOM before NULs
    b"\xff\xfe" + bytes(range(256)) * 16,  # a BOM before bytes that break UTF-16's surrogate pairs
    bytes(range(1, 32)) * 50,  # valid UTF-8, all control characters
    bytes(range(256)) * 8,
    b"caf\xe9 \xff\xfe\xfd \xff\xff" * 3 + b"\x80\x81",
    bytes((i * 7919 + 13) % 255 + 1 for i in range(4000)),
], ids=["bom-nuls", "bom-broken-pairs", "utf-8-controls", "nuls", "undecodable", "noise"])
def test_decode_refuses_binary_data_in_words_that_fit_a_page_or_a_file(data):
    with pytest.raises(InputError) as e:
        decode(data)
    message = str(e.value)
    assert ("binary" in message or "no other encoding reads it as text" in message) and "\n" not in message
    assert "re-save" not in message and "file" not in message


def test_malformed_pdfs_are_one_error_each(tmp_path):
    for name, data in hostile_pdfs().items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=r"^unreadable PDF \((NotImplementedError|LimitReachedError): "):
            read_file(tmp_path / name, 20)


def test_discover_follows_links_only_inside_the_folder(tmp_path):
    top, outside = tmp_path / "top", tmp_path / "outside"
    (top / "sub").mkdir(parents=True)
    outside.mkdir()
    (top / "sub" / "a.md").write_text("A.")
    for hidden, name in ((".shelf", "b.md"), (".drafts", "d.md")):
        (top / hidden).mkdir()
        (top / hidden / name).write_text("Text.")
    (outside / "c.md").write_text("C.")
    os.symlink(".shelf", top / "shelf")  # links that stay inside are followed: a folder's,
    os.symlink(".drafts/d.md", top / "d.md")  # and a file's
    os.symlink(outside / "c.md", top / "c.md")
    os.symlink(outside, top / "away")
    os.symlink("..", top / "sub" / "up")  # a loop: reported as before
    found = discover([str(top)])
    assert sorted(p.name for p in found.files) == ["a.md", "b.md", "d.md"]
    errors = {os.path.relpath(path, top): error for path, error in found.failures}
    assert errors.pop("c.md") == f"a link to a file outside {top}; not read"
    assert errors.pop("away") == f"a link to a folder outside {top}; not read"
    assert "symlink loop" in errors.pop(os.path.join("sub", "up")) and not errors
    # A link named on the command line is the user's choice, and followed.
    assert [p.name for p in discover([str(top / "c.md")]).files] == ["c.md"]


def test_summary_stays_bounded_at_any_number_of_failures():
    summary, other = Summary(), Summary()
    for n in range(1, 200_001):
        summary.fail(f"/in/big.jsonl:{n}", "object has no 'text'")
    for n in range(FAILURE_KINDS + 10):
        other.fail(f"/in/f{n}.md", f"reason {n}")
    summary.add(other)
    assert summary.failed_count == 200_000 + FAILURE_KINDS + 10
    assert len(summary.failed) == FAILURES_SHOWN and len(summary.more) == FAILURE_KINDS + 1
    assert summary.more[("/in/big.jsonl", "object has no 'text'")] == 200_000 - FAILURES_SHOWN
    assert summary.more[("", "other errors")] == 11
    assert len(json.dumps(summary.to_dict())) < 10_000
    assert Summary().to_dict() == {"added": 0, "updated": 0, "unchanged": 0, "removed": 0, "duplicates": 0, "skipped": 0,
                                   "failed": [], "sources": []}


def test_shown_escapes_what_could_forge_a_line_or_drive_a_terminal():
    assert shown("a\nfailed: b") == "a\\nfailed: b"
    assert shown("\x1b]0;pwned\x07.txt") == "\\x1b]0;pwned\\x07.txt"
    assert shown("evil\u202etxt.exe \x9b") == "evil\\u202etxt.exe \\x9b"
    assert shown(BAD_NAME) == "bad-\\xff\\xfe.md"
    assert shown("café “quoted” 快手") == "café “quoted” 快手"
