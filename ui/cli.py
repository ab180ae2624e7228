"""The `newsdesk` command line."""
import argparse
import json
import os
import re
import sys
from pathlib import Path

from pydantic import ValidationError

from newsdesk.rag.errors import NewsdeskError
from newsdesk.rag.settings import Settings


def settings_from(args) -> Settings:
    # Flags override NEWSDESK_* variables, which override the defaults.
    overrides = {k: v for k in ("home", "chroma_url", "database_url") if (v := getattr(args, k, None)) is not None}
    return Settings(**overrides)


# Controls (C0, DEL, C1), bidi overrides and marks, line separators, and lone surrogates (the bytes of a file name that
# are not UTF-8): what would let a file name, URL or title forge an output line, drive the terminal or reorder a line.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(m: re.Match) -> str:
    n = ord(m.group())
    if 0xDC80 <= n <= 0xDCFF:  # how Python keeps a byte of a name that is not UTF-8
        return f"\\x{n - 0xDC00:02x}"
    return repr(m.group())[1:-1] if n < 0x100 else f"\\u{n:04x}"


def shown(text) -> str:
    """Text from outside (file names, URLs, titles, errors that quote them) as it is safe to print: every character
    in UNSAFE is written as its escape (\\n, \\x1b, \\u202e), never raw."""
    return UNSAFE.sub(_escaped, str(text))


def human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown (server)"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def print_summary(summary, args, prefix: str = "") -> int:
    """The summary of an ingest or sync, as one JSON object or as lines; the exit code it implies."""
    s = summary
    if args.json:
        print(json.dumps(s.to_dict(), ensure_ascii=False), flush=True)
        return 1 if s.failed else 0
    print(f"{prefix}added {s.added}, updated {s.updated}, unchanged {s.unchanged}, removed {s.removed}, "
          f"duplicates {s.duplicates}, skipped {s.skipped}, failed {s.failed_count}")
    for src in s.sources:
        state = f"not modified" if src["not_modified"] else f"listed {src['listed']}, fetched {src['fetched']}"
        print(f"  {shown(src['name'])} ({src['kind']}): {state}, added {src['added']}, updated {src['updated']}, "
              f"unchanged {src['unchanged']}, failed {src['failed']}")
    for f in s.failed:
        print(f"failed: {shown(f['path'])}: {shown(f['error'])}")
    for (path, error), count in s.more.items():  # past the first failures, one line per file and error
        where = shown(path) if count == 1 and path else f"{count} more" + (f" in {shown(path)}" if path else "")
        print(f"failed: {where}: {shown(error)}")
    sys.stdout.flush()
    return 1 if s.failed else 0


def cmd_ingest(args, settings: Settings) -> int:
    from newsdesk.ingest.pipeline import ingest
    from newsdesk.rag.embed import resolve_device, resolve_precision

    summary = ingest(args.paths, settings, prune=args.prune, dry_run=args.dry_run, progress=not args.no_progress,
                     warn=lambda msg: print(f"warning: {shown(msg)}", file=sys.stderr))
    code = print_summary(summary, args, prefix="would be " if args.dry_run else "")
    if summary.added + summary.updated and not args.dry_run and not args.json:
        device = resolve_device(settings.device)
        print(f"embedded with {settings.embed_model or 'all-MiniLM-L6-v2'} ({resolve_precision(settings.precision, device)}{', on the GPU' if device == 'cuda' else ''})")
    return code


def interval(value: str) -> float:
    """Seconds in a duration like 30m, 1h, 90s or 1h30m."""
    m = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value.strip())
    if not value.strip() or not m or not any(m.groups()):
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 30m, 1h, 90s or 1h30m")
    d, h, mi, sec = (int(g or 0) for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + sec


def cmd_sync(args, settings: Settings) -> int:
    import signal
    import threading
    import time
    from datetime import datetime

    from newsdesk.ingest.subscriptions import list_sources, sync
    from newsdesk.rag.errors import BusyError, InputError

    if not list_sources(settings):
        raise InputError("no sources to sync; follow one with `newsdesk sources add URL` (a feed, sitemap or article page)")
    stop = threading.Event()

    def on_interrupt(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("newsdesk: stopping once the pages in hand are stored (Ctrl-C again to abort)", file=sys.stderr, flush=True)

    signal.signal(signal.SIGINT, on_interrupt)
    embedder, code = None, 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            summary, embedder = sync(settings, stop, progress=not args.no_progress, embedder=embedder)
            code = print_summary(summary, args, prefix=f"{datetime.now().isoformat(timespec='seconds')} " if args.every else "")
        except BusyError as e:
            if not args.every:
                raise
            print(f"newsdesk: {shown(e)}; trying again next round", file=sys.stderr, flush=True)
        if not args.every:
            break
        while not stop.is_set() and time.monotonic() - started < args.every:
            time.sleep(0.2)
    if stop.is_set():
        print("newsdesk: stopped; the store is consistent" + ("" if args.every else "; `newsdesk sync` fetches the rest"), file=sys.stderr)
    return code


def cmd_sources(args, settings: Settings) -> int:
    from newsdesk.ingest.subscriptions import add_source, list_sources, remove_source

    if args.action == "add":
        added = add_source(args.url, settings, name=args.name)
        print(f"following {shown(added['name'])}: {added['kind']} {shown(added['url'])}"
              + (f" (the feed {shown(added['given'])} declares)" if added["given"] != added["url"] else "")
              + (f" ({added['entries']} entries)" if added["kind"] != "page" else "")
              + "; `newsdesk sync` fetches its articles")
    elif args.action == "remove":
        gone = remove_source(args.source, settings, purge=args.purge)
        print(f"removed {shown(gone['name'])} ({shown(gone['url'])}); " + (f"{gone['purged']} of its articles removed from the store" if args.purge
              else f"its {gone['kept']} articles stay in the store (--purge removes them)"))
    else:
        sources = list_sources(settings)
        if args.json:
            print(json.dumps(sources, ensure_ascii=False))
        elif not sources:
            print("no sources; follow one with `newsdesk sources add URL`")
        for s in sources if not args.json else []:
            print(f"{shown(s['name'])}  {s['kind']}  {shown(s['url'])}\n    last sync {s['last_sync'] or 'never'}, {s['articles']} articles"
                  + (f", last error: {shown(s['last_error'])}" if s["last_error"] else ""))
    return 0


def cmd_status(args, settings: Settings) -> int:
    from newsdesk.ingest.status import status

    info = status(settings)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"articles:    {info['articles']}\nstories:     {info['stories']} ({info['stories_in_several_articles']} told by more than one article)\n"
              f"events:      {info['events']} ({info['events_in_several_articles']} reported by more than one article)\n"
              f"chunks:      {info['chunks']}\n"
              f"store:       {info['store']} ({human_bytes(info['store_bytes'])})\n"
              f"manifest:    {info['database']}\n"
              f"embeddings:  {info['embedding_model']} ({info['precision']} on {info['device']})\n"
              f"last ingest: {info['last_ingest'] or 'never'}\n"
              f"sources:     {info['sources']}, last synced {info['last_sync'] or 'never'}")
    return 0


def cmd_timeline(args, settings: Settings) -> int:
    from newsdesk.rag.retrieve import Filters, Library
    from newsdesk.rag.timeline import timeline, topic_of

    entries = timeline(Library(settings), args.topic, Filters(outlet=args.outlet, since=args.since, until=args.until))
    if args.json:
        print(json.dumps([c.public() for c in entries], ensure_ascii=False))
        return 0
    if not entries:
        print(f"The articles don't tell what happened with {topic_of(args.topic)}.")
        return 0
    for c in entries:
        also = f" ({c.also_in()})" if c.also else ""
        print(f"{c.date[:10] or 'undated':<10}  {shown(c.outlet or 'unknown outlet')}{shown(also)}: {shown(c.title)}\n"
              f"            “{shown(c.quote)}”\n            {shown(c.url or shown_path(c.path))}")
    return 0


def cmd_stories(args, settings: Settings) -> int:
    from newsdesk.rag.manifest import open_manifest
    from newsdesk.rag.stories import story_list

    stories = story_list(open_manifest(settings), single=args.all)
    if args.json:
        print(json.dumps(stories, ensure_ascii=False))
        return 0
    if not stories:
        print("no story has run in more than one article" + ("" if args.all else "; --all lists every story"))
    for s in stories:
        when = s["first"] if s["first"] == s["last"] else f"{s['first'] or 'undated'} to {s['last']}"
        print(f"{shown(s['title'])}\n    {s['size']} article{'s' if s['size'] > 1 else ''}, {when or 'undated'}: {shown(', '.join(s['outlets']))}")
    return 0


def cmd_events(args, settings: Settings) -> int:
    from newsdesk.rag.events import event_list
    from newsdesk.rag.manifest import open_manifest
    from newsdesk.rag.retrieve import Filters

    window = Filters(since=args.since, until=args.until)  # checks the dates
    events = event_list(open_manifest(settings), single=args.all, since=window.since, until=window.until)
    if args.json:
        print(json.dumps(events, ensure_ascii=False))
        return 0
    if not events:
        print("no event is reported by more than one article" + ("" if args.all else "; --all lists every event"))
    for e in events:
        when = e["first"] if e["first"] == e["last"] else f"{e['first'] or 'undated'} to {e['last']}"
        n = len(e["articles"])
        print(f"{shown(e['title'])}\n    {n} article{'s' if n > 1 else ''}, {when or 'undated'}: {shown(', '.join(e['outlets']))}")
    return 0


def cmd_brief(args, settings: Settings) -> int:
    from newsdesk.rag.briefing import brief, briefing_text
    from newsdesk.rag.errors import InputError
    from newsdesk.rag.retrieve import Filters, Library

    Filters(since=args.since, until=args.until)  # a bad date is reported before the model loads
    if args.limit < 1:
        raise InputError(f"--limit {args.limit}: give 1 or more")
    b = brief(Library(settings), args.since, args.until, args.topic, args.limit)
    if args.json:
        print(json.dumps(b.public(), ensure_ascii=False))
        return 0
    print(shown(briefing_text(b).split("\n")[0]))
    for n, item in enumerate(b.items, 1):
        c = item.citations[0]
        print(f"\n{n}. {shown(item.title)}\n   {item.date[:10] or 'undated'} · reported by {shown(', '.join(item.outlets))}\n"
              f"   {shown(item.summary)}\n   {shown(c.url or shown_path(c.path))}")
    return 0


def cmd_remove(args, settings: Settings) -> int:
    from newsdesk.ingest.pipeline import remove

    gone = remove(args.article, settings)
    print(f"removed {gone['article_id']}: {shown(gone['title'])} ({shown(gone['source'])})")
    return 0


def top_k(value: str) -> int:
    n = int(value) if value.isdigit() else 0
    if not 1 <= n <= 50:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of passages from 1 to 50")
    return n


def shown_path(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def format_answer(answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            when = c.date[:10] or "undated"
            also = f" ({c.also_in()})" if c.also else ""
            lines.append(shown(f"[{c.n}] {c.title} — {c.outlet or 'unknown outlet'}, {when}{also} — {c.url or shown_path(c.path)}"))
            lines += [f"    “{shown(q)}”" for q in c.quotes]
    return "\n".join(lines)


def read_questions(path: str) -> list[str]:
    from newsdesk.rag.errors import InputError

    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the questions file ({getattr(e, 'strerror', None) or e})") from None
    questions = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                line = json.loads(line)["question"]
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}:{n}: expected a JSON object with a \"question\" key") from None
        questions.append(str(line))
    return questions


class Draft:
    """Streams an LLM's draft to stderr while it is written; the checked answer then goes to stdout."""

    def __init__(self, enabled: bool):
        self.enabled, self.started = enabled, False

    def __call__(self, delta: str):
        if self.enabled:
            if not self.started:
                sys.stderr.write("draft (checked against the sources below): ")
            self.started = True
            sys.stderr.write(delta)
            sys.stderr.flush()

    def end(self):
        if self.started:
            sys.stderr.write("\n\n")
        self.started = False


def cmd_ask(args, settings: Settings) -> int:
    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.chat import Chat
    from newsdesk.rag.errors import InputError
    from newsdesk.rag.retrieve import Filters, Library

    mode = args.llm or settings.llm
    filters = Filters(outlet=args.outlet, since=args.since, until=args.until)
    questions = read_questions(args.questions) if args.questions else None
    engine = build_engine(Library(settings), mode=mode, top_k=args.top_k, filters=filters)
    if questions is not None:
        failed = False
        for q in questions:
            try:
                print(json.dumps(engine.ask(q).to_dict(), ensure_ascii=False), flush=True)
            except InputError as e:
                failed = True
                print(json.dumps({"question": q[:200], "error": str(e)}, ensure_ascii=False), flush=True)
        return 1 if failed else 0
    draft = Draft(enabled=not args.json)
    if args.question:
        answer = engine.ask(args.question, on_delta=draft)
        draft.end()
        print(json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else format_answer(answer))
        return 0
    chat = Chat(engine)
    print("Ask about the articles; an empty line or Ctrl-D quits, /new starts over.", file=sys.stderr)
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        if question == "/new":
            chat.reset()
            continue
        try:
            answer = chat.ask(question, on_delta=draft)
            draft.end()
            print(json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else format_answer(answer), end="\n\n")
        except InputError as e:
            print(f"newsdesk: {shown(e)}", file=sys.stderr)


def cmd_check(args, settings: Settings) -> int:
    from newsdesk.ingest.check import check

    report = check(settings, repair=args.repair)
    consistent = report["repaired"] or not (report["missing_chunks"] or report["orphan_chunks"] or report["without_story"]
                                            or report["without_event"] or report["unfinished_versions"] or not report["bm25_in_step"] or report["furniture"])
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{report['articles']} articles, {report['chunks']} chunks; missing from the store {report['missing_chunks']}, "
              f"orphaned in the store {report['orphan_chunks']}, unfinished versions {report['unfinished_versions']}, "
              f"BM25 index {'in step' if report['bm25_in_step'] else 'behind'}"
              + (f", articles without a story {report['without_story']}" if report["without_story"] else "")
              + (f", articles without an event {report['without_event']}" if report["without_event"] else "")
              + (f", articles holding page furniture {report['furniture']}" if report["furniture"] else ""))
        print("repaired" if report["repaired"] else "consistent" if consistent else "inconsistent: run `newsdesk check --repair`")
    return 0 if consistent else 1


def cmd_eval_retrieval(args) -> int:
    from newsdesk.benchmarks.retrieval import DEFAULT_QUESTIONS, RESULTS, run

    result = run(Path(args.work), Path(args.qa or DEFAULT_QUESTIONS), stock=not args.no_stock)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'':<30}{'hit@1':>8}{'hit@5':>8}{'MRR@10':>8}")
        for name in ("natural", "descriptions"):
            for who, scores in result[name].items():
                if isinstance(scores, dict):
                    label = f"{name} ({result[name]['queries']}) {who}"
                    print(f"{label:<30}" + "".join(f"{v:>8}" for v in scores.values()))
        print(f"cpu: {result['cpu']}")
    print(f"saved under {RESULTS}", file=sys.stderr)
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from tqdm import tqdm

    from newsdesk.rag.engine import build_engine
    from newsdesk.rag.errors import InputError
    from newsdesk.rag.evaluate import KEYS, evaluate, read_cases
    from newsdesk.rag.retrieve import Library

    if args.retrieval:
        return cmd_eval_retrieval(args)
    if not args.qa:
        raise InputError("name a question set: newsdesk eval QA.jsonl (or --retrieval for the Wikipedia benchmark)")
    cases, problems = read_cases(args.qa)
    for problem in problems:
        print(f"newsdesk: {shown(problem)}", file=sys.stderr)
    if not cases:
        raise InputError(f"{args.qa}: no usable questions; each line needs {{\"question\", \"expect\", \"file\", \"unanswerable\"}}")
    engine = build_engine(Library(settings), mode=args.llm or settings.llm, top_k=args.k)
    with tqdm(total=len(cases), desc="questions", unit="q", file=sys.stderr, disable=args.json or None) as bar:
        result = evaluate(engine, cases, progress=bar.update)
    if args.json:
        print(json.dumps(result))
    else:
        for key in KEYS:
            value = result[key]
            if isinstance(value, dict):
                for kind, share in value.items():
                    print(f"{'  ' + kind:<22}{'n/a' if share is None else share}")
                continue
            print(f"{key:<24}{'n/a' if value is None else value}")
    return 0


def cmd_bench(args, settings: Settings) -> int:
    from newsdesk.benchmarks.bench import RESULTS, run
    from newsdesk.rag.errors import InputError

    if args.corpus and not any(p.is_file() for p in Path(args.corpus).rglob("*")):
        raise InputError(f"--corpus {args.corpus}: no files there; pass a folder of articles, or omit it for the Wikipedia corpus")
    print("benchmarking: stock LlamaIndex, newsdesk ingest, the bare encoder, re-ingest, queries, cold start "
          "(the full default corpus takes most of an hour on 2 cores)", file=sys.stderr)
    result, floor = run(Path(args.corpus) if args.corpus else None, args.limit)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result)) + 2
        for key, value in result.items():
            print(f"{key:<{width}}{value}")
        print(f"{'cold_start_floor_s':<{width}}{floor}  (imports and one embedding, no newsdesk code)")
    print(f"saved under {RESULTS}", file=sys.stderr)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import socket

    from newsdesk.rag.errors import NewsdeskError

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: closed connections don't block
        try:
            probe.bind((args.host, args.port))
        except OSError as e:
            raise NewsdeskError(f"cannot listen on {args.host}:{args.port} ({e.strerror}); pick another with --port") from None
    if args.host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        print(f"newsdesk: note: listening on {args.host} without a login; set NEWSDESK_AUTH=user:password to require one", file=sys.stderr)
    from newsdesk.ui.web import serve

    serve(settings, args.host, args.port)
    return 0


def cmd_mcp(args, settings: Settings) -> int:
    from newsdesk.ui.assistant import assistant
    from newsdesk.ui.desk import Desk

    desk = Desk(settings)
    desk.library.embedder.model  # loaded before the assistant's first call, not during it
    print("newsdesk: MCP server on stdio (tools: ask, search, get_article, timeline, brief)", file=sys.stderr, flush=True)
    assistant(desk).run("stdio")  # stdout is the protocol's: everything else goes to stderr
    return 0


def filter_flags(s: argparse.ArgumentParser):
    s.add_argument("--since", metavar="DATE", help="only articles published on or after DATE (YYYY-MM-DD)")
    s.add_argument("--until", metavar="DATE", help="only articles published on or before DATE")
    s.add_argument("--outlet", metavar="NAME", help="only articles from this outlet")


def parser() -> argparse.ArgumentParser:
    # The global flags go before or after the command ("newsdesk ask --home DIR ..."); unset, they leave no value, so
    # the command's copy does not overwrite one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS, help="folder for all state (env NEWSDESK_HOME, default ./.newsdesk)")
    common.add_argument("--chroma-url", default=argparse.SUPPRESS, help="use a Chroma server, e.g. http://127.0.0.1:8000 (env NEWSDESK_CHROMA_URL)")
    common.add_argument("--database-url", default=argparse.SUPPRESS,
                        help="keep the manifest in PostgreSQL, e.g. postgresql://user:pw@host/db (env NEWSDESK_DATABASE_URL)")
    p = argparse.ArgumentParser(prog="newsdesk", description="Cited answers from a collection of news articles.", parents=[common])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", parents=[common], help="add or update articles from files, folders and URLs (pages, feeds, sitemaps)")
    s.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    s.add_argument("--prune", action="store_true", help="remove stored articles whose files are gone")
    s.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    s.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(run=cmd_ingest)

    s = sub.add_parser("sources", parents=[common], help="the feeds, sitemaps and pages that `sync` follows")
    actions = s.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", parents=[common], help="follow a feed, sitemap or article page")
    a.add_argument("url", metavar="URL")
    a.add_argument("--name", help="what to call it (default: from its title)")
    a = actions.add_parser("list", parents=[common], help="every source, its last sync, articles and last error")
    a.add_argument("--json", action="store_true", help="print one JSON array")
    a = actions.add_parser("remove", parents=[common], help="stop following a source")
    a.add_argument("source", metavar="NAME_OR_URL")
    a.add_argument("--purge", action="store_true", help="remove its articles from the store too")
    s.set_defaults(run=cmd_sources)

    s = sub.add_parser("sync", parents=[common], help="fetch what is new or changed in every source")
    s.add_argument("--every", type=interval, metavar="DURATION", help="keep syncing at this interval (30m, 1h, ...) until Ctrl-C")
    s.add_argument("--json", action="store_true", help="print each sync's summary as one JSON object")
    s.add_argument("--no-progress", action="store_true", help="no progress bars")
    s.set_defaults(run=cmd_sync)

    s = sub.add_parser("ask", parents=[common], help="answer a question from the articles, with citations")
    s.add_argument("question", nargs="?", help="omit for an interactive multi-turn prompt")
    s.add_argument("--json", action="store_true", help="print one JSON object per answer")
    s.add_argument("--questions", metavar="FILE", help="answer every question in FILE (lines, or JSONL with \"question\"), one JSON object per line")
    s.add_argument("--top-k", type=top_k, metavar="N", help="passages to answer from (default 5)")
    s.add_argument("--llm", choices=["extractive", "local", "openai"], help="answer mode (env NEWSDESK_LLM)")
    filter_flags(s)
    s.set_defaults(run=cmd_ask)

    s = sub.add_parser("check", parents=[common], help="compare the manifest with the vector store and BM25 index")
    s.add_argument("--repair", action="store_true", help="make the store and index agree with the manifest")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(run=cmd_check)

    s = sub.add_parser("eval", parents=[common], help="measure retrieval and answers on a question set (JSONL)")
    s.add_argument("qa", metavar="QA.jsonl", nargs="?", help='lines of {"question", "expect": [...], "file", "unanswerable"}; '
                   'with --retrieval, natural questions of {"question", "file"} (default ../shared/eval/wiki-questions-dev.jsonl)')
    s.add_argument("--retrieval", action="store_true", help="retrieval on natural questions and description queries over "
                   "10,033 Wikipedia paragraphs, newsdesk beside the stock LlamaIndex pipeline")
    s.add_argument("--work", default=".newsdesk-eval", metavar="DIR", help="with --retrieval: where the corpus and both "
                   "stores are built once and reused (default ./.newsdesk-eval)")
    s.add_argument("--no-stock", action="store_true", help="with --retrieval: skip the stock pipeline")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--k", type=top_k, default=None, metavar="N", help="passages to answer from (default 5)")
    s.add_argument("--llm", choices=["extractive", "local", "openai"], help="answer mode (env NEWSDESK_LLM)")
    s.set_defaults(run=cmd_eval)

    s = sub.add_parser("bench", parents=[common], help="ingest and query speed against stock LlamaIndex and the bare encoder")
    s.add_argument("--corpus", metavar="DIR", help="articles to measure on (default: 10,033 Wikipedia paragraphs)")
    s.add_argument("--limit", type=int, metavar="N", help="only the first N Wikipedia paragraphs")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(run=cmd_bench)

    s = sub.add_parser("serve", parents=[common], help="the web chat")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    s.add_argument("--port", type=int, default=7860)
    s.set_defaults(run=cmd_serve)

    s = sub.add_parser("mcp", parents=[common], help="serve the tools of an AI assistant (ask, search, get_article, timeline, brief) over MCP on stdio")
    s.set_defaults(run=cmd_mcp)

    s = sub.add_parser("status", parents=[common], help="what is stored and where")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_status)

    s = sub.add_parser("timeline", parents=[common], help="what happened with a subject: its stories in date order, one quoted sentence each")
    s.add_argument("topic", metavar="SUBJECT")
    s.add_argument("--json", action="store_true", help="print one JSON array of entries")
    filter_flags(s)
    s.set_defaults(run=cmd_timeline)

    s = sub.add_parser("stories", parents=[common], help="articles that are one story (wire copy, rewrites), grouped")
    s.add_argument("--all", action="store_true", help="stories told by one article too")
    s.add_argument("--json", action="store_true", help="print one JSON array")
    s.set_defaults(run=cmd_stories)

    s = sub.add_parser("brief", parents=[common], help="the events of a day or a window, most covered first, each with its lede and outlets")
    s.add_argument("--since", metavar="DATE", help="first day (YYYY-MM-DD; default: the latest day that has articles)")
    s.add_argument("--until", metavar="DATE", help="last day (YYYY-MM-DD)")
    s.add_argument("--topic", metavar="TEXT", help="only events about this subject")
    s.add_argument("--limit", type=int, default=10, metavar="N", help="at most N events (default 10)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(run=cmd_brief)

    s = sub.add_parser("events", parents=[common], help="articles that report one event (across outlets and days), grouped")
    s.add_argument("--all", action="store_true", help="events reported by one article too")
    s.add_argument("--since", metavar="DATE", help="only events with an article published on or after DATE (YYYY-MM-DD)")
    s.add_argument("--until", metavar="DATE", help="only events with an article published on or before DATE")
    s.add_argument("--json", action="store_true", help="print one JSON array")
    s.set_defaults(run=cmd_events)

    s = sub.add_parser("remove", parents=[common], help="remove one article by id, path or url")
    s.add_argument("article", metavar="ID_OR_PATH")
    s.set_defaults(run=cmd_remove)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = settings_from(args)
        return args.run(args, settings)
    except ValidationError as e:
        err = e.errors()[0]
        print(f"newsdesk: error: setting {'.'.join(map(str, err['loc']))}: {shown(err['msg'])}", file=sys.stderr)
        return 2
    except NewsdeskError as e:
        print(f"newsdesk: error: {shown(e)}", file=sys.stderr)
        return 1
    except Exception as e:
        if type(e).__module__.split(".")[0] not in ("sqlite3", "psycopg"):
            raise
        # The database failed mid-command (disk full, the server gone for good, a lock held too long): each write is
        # one transaction, so what is stored stays consistent.
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        print(f"newsdesk: error: the manifest database failed: {shown(first)}; what is stored is consistent: fix the cause "
              "and rerun the command (`newsdesk check` verifies the store)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("newsdesk: interrupted; rerun the same command to finish (stored articles are intact)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
