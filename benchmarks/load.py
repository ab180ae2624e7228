"""A bounded load test: concurrent gradio_client users against `newsdesk serve` on loopback.

Run: python -m newsdesk.benchmarks.load [CLIENTS] [QUESTIONS_PER_CLIENT]   (default 50 clients, 4 questions each)
It ingests corpus/ into a fresh home, starts the app on a free port, has every client ask seed-set questions at
once through the /ask API, and writes p50/p95 latency and the error count to benchmarks/results/.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    from gradio_client import Client

    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    per_client = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/seed_qa.jsonl").open()]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "NEWSDESK_HOME": home}
        subprocess.run([str(BIN / "newsdesk"), "ingest", str(ROOT / "corpus"), "--no-progress"], env=env, check=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = subprocess.Popen([str(BIN / "newsdesk"), "serve", "--port", str(port)], env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except OSError:
                    time.sleep(0.3)

            def user(i: int) -> list[tuple[float, str | None]]:
                out = []
                try:
                    client = Client(url, verbose=False)
                except Exception as e:  # a user who cannot even connect fails every question
                    return [(0.0, f"connect: {type(e).__name__}: {e}")] * per_client
                for j in range(per_client):
                    q = questions[(i * per_client + j) % len(questions)]
                    t = time.perf_counter()
                    try:
                        answer = json.loads(client.predict(q, api_name="/ask"))
                        error = answer.get("error") or (None if answer["question"] == q else "answer to another question")
                    except Exception as e:  # every failure counts; none may pass silently
                        error = f"{type(e).__name__}: {e}"
                    out.append(((time.perf_counter() - t) * 1000, error))
                return out

            t0, server_cpu0, client_cpu0 = time.perf_counter(), cpu_seconds(server.pid), time.process_time()
            with ThreadPoolExecutor(clients) as pool:
                results = [r for rs in pool.map(user, range(clients)) for r in rs]
            wall = time.perf_counter() - t0
            # Clients and server share the same cores here; their CPU seconds show which side the time went to.
            server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu0, time.process_time() - client_cpu0
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    latencies = [ms for ms, _ in results]
    errors = [e for _, e in results if e]
    report = {"clients": clients, "requests": len(results), "errors": len(errors),
              "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1),
              "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1),
              "requests_per_s": round(len(results) / wall, 2), "wall_s": round(wall, 1),
              "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(client_cpu, 1), "cores": os.cpu_count(),
              "first_errors": errors[:5]}
    results_dir = ROOT / "benchmarks" / "results"
    results_dir.mkdir(exist_ok=True)
    text = json.dumps(report, indent=1)
    (results_dir / f"load-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json").write_text(text)
    (results_dir / "load-latest.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
