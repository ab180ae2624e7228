"""Real servers for the tests of several machines: PostgreSQL (Debian's `postgresql` package) and `chroma run`,
each on a free loopback port in a temporary folder, stopped and removed at the end."""
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import BIN, free_port, wait_for


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: pg_config's answer, else the newest /usr/lib/postgresql/*/bin."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
        if out and (Path(out) / "pg_ctl").exists():
            return Path(out)
    except OSError:
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def as_postgres() -> list[str]:
    """The prefix that runs a command as a user PostgreSQL accepts: it refuses to run as root, so root runs it as
    the `postgres` user the Debian package creates; anyone else runs it as themselves."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("PostgreSQL refuses to run as root, and there is no `postgres` user to run it as "
                    "(install Debian's postgresql package, as the README's test command does)")
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]


@contextmanager
def postgres(database: str = "newsdesk"):
    """A PostgreSQL server on a free loopback port with an empty database; yields its URL."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no pg_ctl; the README's test command installs Debian's postgresql)")
    prefix = as_postgres()
    # Under /tmp, not pytest's tmp_path: that sits in a folder only its owner (root) may enter, and the server
    # runs as another user.
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    data.mkdir()
    sockets.mkdir()
    if prefix:
        import pwd

        user = pwd.getpwnam("postgres")
        for p in (folder, data, sockets):
            os.chown(p, user.pw_uid, user.pw_gid)
    port = free_port()

    def run(*args, timeout=120):
        done = subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=folder)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(str(args[0])).name} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    started = False
    try:
        # trust on loopback: the server lives only as long as the test and listens on 127.0.0.1 only. fsync off: the
        # tests kill processes, never the machine, so durability across a power cut is not what they check.
        run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(bindir / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w", "-t", "60", "start")
        started = True
        run(bindir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", database)
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def chroma(path: Path):
    """A `chroma run` server on a free loopback port over the folder path; yields its URL."""
    port = free_port()
    proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", proc, "chroma run", 60)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def postgres_url():
    """A real PostgreSQL server for the module's tests."""
    with postgres() as url:
        yield url


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A `chroma run` server of the module's own."""
    with chroma(tmp_path_factory.mktemp("chroma-machines")) as url:
        yield url
