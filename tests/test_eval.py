"""`newsdesk eval`: the seed question set meets its thresholds, and the command reports what it skips."""
import json
from pathlib import Path

from conftest import run_cli
from newsdesk.rag.engine import build_engine
from newsdesk.rag.evaluate import KEYS, evaluate, read_cases

SEED = Path(__file__).parent / "data" / "seed_qa.jsonl"


def meets_targets(library):
    cases, problems = read_cases(str(SEED))
    assert problems == [] and len(cases) >= 30 and sum(c.unanswerable for c in cases) >= 5
    r = evaluate(build_engine(library), cases)
    assert r["answer_accuracy"] >= 0.95 and r["citation_accuracy"] >= 0.95, r
    assert r["abstention_recall"] == 1.0 and r["abstention_precision"] >= 0.9, r
    assert r["hit_at_1"] == 1.0 and r["n"] == len(cases)


def test_seed_set_meets_the_quality_targets(either_corpus_library):
    meets_targets(either_corpus_library)


def test_eval_command_prints_exactly_the_keys_and_names_malformed_lines(corpus_library, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join([
        json.dumps({"question": "How many H100 GPUs did Meta use to train Movie Gen?", "expect": ["6144"],
                    "file": "2024-10-19-36kr-video-generation-every-large-model.md", "unanswerable": False}),
        "{not json",
        json.dumps({"question": "What is the capital of Australia?", "expect": [], "unanswerable": True}),
        json.dumps({"expect": ["x"]}),
        json.dumps({"question": "Who won?", "expect": "not a list"}),
    ]))
    r = run_cli("eval", qa, "--json", home=corpus_library.settings.home)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert list(result) == KEYS and result["n"] == 2
    assert result["answer_accuracy"] == 1.0 and result["citation_accuracy"] == 1.0 and result["hit_at_1"] == 1.0
    assert result["abstention_recall"] == 1.0 and result["abstention_precision"] == 1.0
    for n in (2, 4, 5):
        assert f"qa.jsonl:{n}: skipped" in r.stderr
    assert run_cli("eval", tmp_path / "missing.jsonl", home=corpus_library.settings.home).returncode == 1


def test_lines_with_facts_instead_of_expect_are_read(tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join([
        json.dumps({"question": "What do we know about Movie Gen?", "kind": "overview", "facts": ["6144", "30B|30 billion"]}),
        json.dumps({"question": "Tell me about Pika", "facts": "Discord"}),
        json.dumps({"question": "Tell me about Runway"}),
    ]))
    cases, problems = read_cases(str(qa))
    assert [(c.facts, c.expect) for c in cases] == [(["6144", "30B|30 billion"], [])]
    assert problems == [f"{qa}:2: skipped: \"facts\" must be a list of strings",
                        f"{qa}:3: skipped: an answerable line needs \"expect\" or \"facts\""]


def test_eval_without_a_question_set_or_with_a_broken_one_is_one_line_and_builds_nothing(corpus_library, tmp_path):
    home = corpus_library.settings.home
    r = run_cli("eval", home=home)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "newsdesk: error: name a question set: newsdesk eval QA.jsonl (or --retrieval for the Wikipedia benchmark)"]
    broken = tmp_path / "wiki.jsonl"
    broken.write_text('{"question": "What is the symbol flower of Busan?"}\n')  # no "file"
    for questions in (broken, tmp_path / "missing.jsonl"):
        r = run_cli("eval", "--retrieval", questions, "--work", tmp_path / "work", "--no-stock", home=home)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(lines) == 1 and f"{questions}: cannot read the questions" in lines[0], r.stderr
    assert not (tmp_path / "work").exists()  # refused before any corpus or store is built
