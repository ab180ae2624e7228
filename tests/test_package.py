"""newsdesk as an installed package: a wheel built from the repository installs into a fresh venv, answers there,
and puts only `newsdesk` on the import path."""
import shutil
import site
import subprocess
import sys
import venv
import zipfile

from conftest import CORPUS, ROOT

QUESTION = "How many H100 GPUs did Meta use to train Movie Gen?"


def test_a_wheel_installs_into_a_fresh_venv_and_answers_there(tmp_path):
    # Built from a copy, so that the build leaves nothing in the working tree.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", ".newsdesk*", "tests", "corpus", "docs", "results",
                                                                "__pycache__", "*.egg-info", "build", "dist", "test-artifacts"))
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("newsdesk-*.whl"))
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert len(tops) == 2 and "newsdesk" in tops and any(t.endswith(".dist-info") for t in tops), tops

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    # The dependencies are this environment's (read through a .pth, not installed again: torch, chromadb and gradio
    # would take minutes); newsdesk itself comes from the wheel only, since this environment's .pth files, its
    # editable install among them, are not read from a directory a .pth adds.
    packages = next((fresh / "lib").glob("python3*/site-packages"))
    (packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run([str(fresh / "bin" / "pip"), "install", "--no-deps", "--no-index", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-3000:]

    def run(*args: str) -> subprocess.CompletedProcess:
        # Outside the repository, so that its folders are not on the path as the current directory.
        return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)

    where = run(str(fresh / "bin" / "python"), "-c", "import newsdesk.rag.answer as a; print(a.__file__)")
    assert where.returncode == 0 and where.stdout.startswith(str(packages)), where.stdout + where.stderr
    for generic in ("rag", "ui", "ingest", "benchmarks"):
        refused = run(str(fresh / "bin" / "python"), "-c", f"import {generic}")
        assert refused.returncode == 1 and f"No module named '{generic}'" in refused.stderr

    home = tmp_path / "home"
    stored = run(str(fresh / "bin" / "newsdesk"), "ingest", "--home", str(home), str(CORPUS), "--no-progress")
    assert stored.returncode == 0, stored.stderr
    answered = run(str(fresh / "bin" / "newsdesk"), "ask", "--home", str(home), QUESTION)  # a global flag after the command
    assert answered.returncode == 0 and "6144" in answered.stdout, answered.stderr
    same = run(str(fresh / "bin" / "python"), "-m", "newsdesk", "--home", str(home), "status", "--json")
    assert same.returncode == 0 and '"articles": 1' in same.stdout, same.stdout + same.stderr
