"""Numbered write steps of an ingest, and `python tests/crash_points.py N before|after ARGS...`: run
`newsdesk ARGS` and SIGKILL it just before or just after its Nth write step.

A step is any call that changes stored state: a vector-store write or delete, a manifest transaction (the lexical
index is written inside the manifest's). The calls themselves are the real ones; only the process's death is added, so the kill lands at the
same point on every run.
"""
import os
import signal
import sys
from contextlib import contextmanager

from newsdesk.rag.manifest import Manifest
from newsdesk.rag.store import Store

STEPS = [(Store, "upsert"), (Store, "delete"), (Manifest, "mark_pending"), (Manifest, "commit_all"),
         (Manifest, "forget_stale"), (Manifest, "retire"), (Manifest, "set_meta"), (Manifest, "count_sentences"),
         (Manifest, "forget_unclean")]


@contextmanager
def steps(kill_at: int | None = None, before: bool = True):
    """Count write steps while inside; with kill_at, SIGKILL this process at that step."""
    taken = [0]
    originals = [(owner, name, getattr(owner, name)) for owner, name in STEPS]

    def counted(fn):
        def step(*args, **kwargs):
            taken[0] += 1
            n = taken[0]
            if n == kill_at and before:
                os.kill(os.getpid(), signal.SIGKILL)
            result = fn(*args, **kwargs)
            if n == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return step

    for owner, name, fn in originals:
        setattr(owner, name, counted(fn))
    try:
        yield taken
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)


if __name__ == "__main__":
    from newsdesk.ui.cli import main

    kill_at, when, *argv = sys.argv[1:]
    with steps(int(kill_at), when == "before"):
        code = main(argv)
    sys.exit(code)
