"""Each bad input gets a one-line error naming its file, the rest of the run goes on, and the store stays intact."""
import json
import os
import subprocess
import sys

import pytest

from newsdesk.ingest.pipeline import ingest
from newsdesk.rag.manifest import Manifest

from helpers import assert_consistent, stored

GOOD = "---\ntitle: Good\noutlet: Test Times\n---\nThe harbour bridge reopened on Tuesday after repairs.\n"


def failures(summary) -> dict:
    for f in summary.failed:
        assert "\n" not in f["error"] and f["error"]
    return {os.path.basename(f["path"].split(":")[0]): f["error"] for f in summary.failed}


@pytest.fixture
def stored_corpus(settings, corpus_copy, embedder):
    ingest([str(corpus_copy)], settings, embedder=embedder, progress=False)
    return sorted(stored(settings)["ids"])


def run_bad(settings, folder, embedder):
    (folder / "good.md").write_text(GOOD)
    summary = ingest([str(folder)], settings, embedder=embedder, progress=False)
    assert summary.added == 1  # the good file still goes in
    return summary


def test_bad_files_fail_one_by_one(settings, stored_corpus, tmp_path, embedder):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "undecodable.txt").write_bytes(b"caf\xe9 \xff\xfe\xfd \xff\xff" * 3 + b"\x80\x81")
    (bad / "huge.txt").write_bytes(b"word " * (10 * 1024 * 1024))  # 50 MB
    (bad / "yaml.md").write_text("---\ntitle: [unclosed\noutlet: x\n---\nBody text.\n")
    (bad / "unclosed.md").write_text("---\ntitle: x\nBody text with no closing line.\n")
    (bad / "list.md").write_text("---\n- a\n- b\n---\nBody.\n")
    (bad / "date.md").write_text("---\ntitle: x\ndate: last tuesday\n---\nBody.\n")
    (bad / "only-front.md").write_text("---\ntitle: x\n---\n\n")
    (bad / "notes.docx").write_bytes(b"PK\x03\x04")
    os.symlink("loop.md", bad / "loop.md")
    (bad / "dir").mkdir()
    os.symlink("..", bad / "dir" / "up")

    summary = run_bad(settings, bad, embedder)
    errors = failures(summary)
    assert errors["empty.md"] == "empty file"
    assert "binary" in errors["binary.txt"]
    assert "not valid UTF-8 or GB18030" in errors["undecodable.txt"]
    assert "50.0 MB" in errors["huge.txt"] and "NEWSDESK_MAX_FILE_MB" in errors["huge.txt"]
    assert errors["yaml.md"].startswith("malformed front matter at line 3:")
    assert "no closing '---'" in errors["unclosed.md"]
    assert "key: value" in errors["list.md"]
    assert "'date'" in errors["date.md"] and "ISO 8601" in errors["date.md"]
    assert "no article text" in errors["only-front.md"]
    assert "symlink loop" in errors["loop.md"]
    assert any("symlink loop" in f["error"] and f["path"].endswith("up") for f in summary.failed)
    assert summary.skipped == 1  # notes.docx
    assert len(summary.failed) == 11

    # Nothing already stored was lost or changed.
    ids = stored(settings)["ids"]
    assert set(stored_corpus) <= set(ids)
    assert_consistent(settings)


def test_missing_path_is_reported_and_the_rest_ingested(settings, tmp_path, embedder):
    good = tmp_path / "good.md"
    good.write_text(GOOD)
    summary = ingest([str(tmp_path / "nope"), str(good)], settings, embedder=embedder, progress=False)
    assert summary.added == 1
    assert failures(summary) == {"nope": "no such file or folder"}


def test_gb18030_text_is_read_and_says_so(settings, tmp_path, embedder):
    (tmp_path / "zh.txt").write_bytes("快手可灵的团队只有二十人。视频生成是二零二四年最热门的话题。".encode("gb18030"))
    notes = []
    summary = ingest([str(tmp_path)], settings, embedder=embedder, progress=False, warn=notes.append)
    assert summary.added == 1 and not summary.failed
    assert notes == [f"{tmp_path / 'zh.txt'}: not UTF-8; read as GB18030"]
    assert "快手可灵" in stored(settings)["documents"][0]


def test_declared_charset_wins(tmp_path):
    from newsdesk.ingest.readers import read_file

    html = '<html><head><meta charset="windows-1252"><title>Café</title></head><body><article><p>' + "Le café était fermé ce matin-là, dit-il. " * 5 + "</p></article></body></html>"
    (tmp_path / "page.html").write_bytes(html.encode("cp1252"))
    article = read_file(tmp_path / "page.html", 20).articles[0]
    assert "café était fermé" in article.text


def test_unreadable_file_fails_without_stopping_the_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD)
    secret = folder / "secret.md"
    secret.write_text(GOOD.replace("Good", "Secret"))
    secret.chmod(0)
    # Root reads any file; as root, the ingest runs without the capabilities that bypass file permissions.
    drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
    env = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "home")}
    result = subprocess.run([*(drop if os.geteuid() == 0 else []), sys.executable, "-m", "newsdesk.ui.cli", "ingest", str(folder), "--json", "--no-progress"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["added"] == 1
    assert summary["failed"] == [{"path": str(secret), "error": "permission denied: make the file readable (chmod +r) and rerun"}]
