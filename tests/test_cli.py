"""The `newsdesk` command as a user runs it: real process, real store."""
import json
import socket

from conftest import CORPUS, run_cli


def test_ingest_corpus_twice_then_status_and_remove(tmp_path):
    home = tmp_path / "home"
    first = run_cli("ingest", CORPUS, "--json", home=home)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0, "duplicates": 0, "skipped": 0, "failed": [], "sources": []}
    assert "embedding" in first.stderr and "article/s" in first.stderr  # the progress bar
    second = run_cli("ingest", CORPUS, "--json", home=home)
    assert json.loads(second.stdout)["added"] == 0 and json.loads(second.stdout)["unchanged"] == 1

    status = json.loads(run_cli("status", "--json", home=home).stdout)
    assert status["articles"] == 1 and status["chunks"] > 10 and status["store"].endswith("chroma")
    assert status["store_bytes"] > 0 and status["precision"] in ("bf16", "fp32") and status["last_ingest"]
    text = run_cli("status", home=home).stdout
    assert "articles:    1" in text and "all-MiniLM-L6-v2" in text

    missing = run_cli("remove", "no-such-article", home=home)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "newsdesk status" in missing.stderr
    gone = run_cli("remove", next(CORPUS.glob("*.md")), home=home)
    assert gone.returncode == 0 and "removed" in gone.stdout
    assert json.loads(run_cli("status", "--json", home=home).stdout)["articles"] == 0


def test_exit_codes_for_failures_and_bad_usage(tmp_path):
    home = tmp_path / "home"
    (tmp_path / "empty.md").write_text("")
    failed = run_cli("ingest", tmp_path / "empty.md", home=home)
    assert failed.returncode == 1
    assert f"failed: {tmp_path / 'empty.md'}: empty file" in failed.stdout
    assert run_cli("ingest", home=home).returncode == 2
    assert run_cli("ingest", CORPUS, "--bogus", home=home).returncode == 2
    bad_setting = run_cli("status", home=home, env={"NEWSDESK_PRECISION": "fp8"})
    assert bad_setting.returncode == 2 and "precision" in bad_setting.stderr
    for workers in ("many", "-1"):
        bad_workers = run_cli("status", home=home, env={"NEWSDESK_PREPARE_WORKERS": workers})
        assert bad_workers.returncode == 2 and bad_workers.stderr.startswith("newsdesk: error: setting prepare_workers:")


def test_serve_and_bench_refuse_bad_settings_and_flags_in_one_line(tmp_path):
    bad_auth = run_cli("serve", home=tmp_path, env={"NEWSDESK_AUTH": "no-colon"})
    assert bad_auth.returncode == 2 and bad_auth.stderr.startswith("newsdesk: error: setting auth:")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli("serve", "--port", port, home=tmp_path)
    assert busy.returncode == 1 and busy.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    nothing = run_cli("bench", "--corpus", tmp_path / "nowhere", home=tmp_path)
    assert nothing.returncode == 1 and nothing.stderr.count("\n") == 1 and "no files there" in nothing.stderr


def test_unreachable_chroma_server_is_one_clear_line(tmp_path):
    (tmp_path / "a.md").write_text("The bridge reopened.")
    result = run_cli("ingest", tmp_path / "a.md", home=tmp_path / "home", env={"NEWSDESK_CHROMA_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("newsdesk: error: cannot use the Chroma server at http://127.0.0.1:9") and "chroma run" in last


def test_ask_json_on_a_store_of_the_corpus(corpus_library, tmp_path):
    home = corpus_library.settings.home  # ingested by the session; the ingest command has its own test above
    result = run_cli("ask", "--json", "How many H100 GPUs did Meta use to train Movie Gen?", home=home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "6144" in answer["answer"] and any("6144" in q for c in answer["citations"] for q in c["quotes"])

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Where did Pika first operate when it debuted?"}\nWhat is the capital of Australia?\n\n' + "x" * 10_000 + "\n")
    lines = [json.loads(x) for x in run_cli("ask", "--questions", questions, home=home).stdout.splitlines()]
    assert len(lines) == 3
    assert "Discord" in lines[0]["answer"] and lines[1]["abstained"] is True and "10,000 characters" in lines[2]["error"]

    chat = run_cli("ask", home=home, input="How big was the Kuaishou Keling team?\nand when did it launch?\n")
    assert chat.returncode == 0 and chat.stdout.count("Sources:") == 2 and "20 people" in chat.stdout
    assert "[1]" in chat.stdout and "36Kr, 2024-10-19" in chat.stdout

    bad_date = run_cli("ask", "--since", "soon", "anything", home=home)
    assert bad_date.returncode == 1 and "not a date" in bad_date.stderr


def test_ask_refuses_broken_input_in_one_line(tmp_path):
    home = tmp_path / "home"
    missing = run_cli("ask", "--questions", tmp_path / "nope.txt", home=home)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "cannot read the questions file" in missing.stderr
    broken = tmp_path / "q.jsonl"
    broken.write_text('{"question": "fine?"}\n{"q": "no question key"}\n')
    bad_line = run_cli("ask", "--questions", broken, home=home)
    assert bad_line.returncode == 1 and f"{broken}:2: expected a JSON object" in bad_line.stderr
    for k in ("0", "-3", "many", "51"):
        assert run_cli("ask", "--top-k", k, "anything", home=home).returncode == 2


def test_a_damaged_or_foreign_manifest_is_one_clear_line(tmp_path):
    import sqlite3

    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "manifest.sqlite").write_bytes(bytes(range(256)) * 20)
    opened = run_cli("status", home=garbage)
    assert opened.returncode == 1 and opened.stderr.count("\n") == 1
    assert opened.stderr.startswith(f"newsdesk: error: {garbage / 'manifest.sqlite'}: cannot open the manifest (file is not a database)")
    # A database of another program's (or an older, hand-edited one) opens, then fails at its first query.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "manifest.sqlite") as db:
        db.execute("CREATE TABLE articles (article_id TEXT PRIMARY KEY, identity TEXT, source TEXT, text_hash TEXT, date TEXT)")
    failed = run_cli("status", home=foreign)
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1, failed.stderr
    assert failed.stderr.startswith("newsdesk: error: the manifest database failed: no such column: n_chunks")
