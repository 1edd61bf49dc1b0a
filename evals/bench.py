"""`hoidap bench`: ingest and answering speed and memory, written as JSON and a table.
The targets of the knowledge-base and answering issues are checked here, not in tests."""
from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hoidap.settings import PROJECT_ROOT, Settings

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _cli(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hoidap.cli", *args], check=True, capture_output=True, cwd=PROJECT_ROOT)
    return time.perf_counter() - t0


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"bench_process_mb": round(own, 1), "largest_child_mb": round(children, 1)}


def synthetic_pdf(path: Path, pages: int, sentences: list[str]) -> None:
    from fpdf import FPDF

    rng = random.Random(7)
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=10)
    for n in range(1, pages + 1):
        pdf.add_page()
        if n % 20 == 1:
            pdf.multi_cell(0, 6, f"{['I', 'II', 'III', 'IV', 'V'][(n // 20) % 5]}. PHẦN {n // 20 + 1}", new_x="LMARGIN", new_y="NEXT")
        for _ in range(6):
            pdf.multi_cell(0, 5, " ".join(rng.choice(sentences) for _ in range(3)), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def percentiles(values: list[float], more: bool = False) -> dict:
    if not values:
        return {"p50_ms": None, "p95_ms": None, **({"p99_ms": None, "max_ms": None} if more else {})}
    out = {"p50_ms": round(float(np.percentile(values, 50)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1)}
    if more:
        out |= {"p99_ms": round(float(np.percentile(values, 99)), 1), "max_ms": round(float(max(values)), 1)}
    return out


# --- the load run: `hoidap serve` as its own process, many clients over real HTTP -------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_status(pid: int) -> dict:
    """VmHWM (peak RSS), VmRSS and Threads of a live process, from /proc (Linux)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = round(int(value.split()[0]) / 1024, 1)  # kB -> MB
            elif key == "Threads":
                out[key] = int(value)
    except OSError:
        pass
    return out


def _proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _host_cpu_s() -> float | None:
    """CPU seconds every process of the machine has used (busy time in /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _own_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_shares(pid: int, before: tuple, after: tuple, wall: float) -> dict:
    """Cores kept busy during the run by the server, by the clients (this process) and by
    everything else on the machine — another job there skews every latency measured."""
    (srv0, own0, host0), (srv1, own1, host1) = before, after
    out = {"wall_s": round(wall, 1)}
    if srv0 is not None and srv1 is not None:
        out["server_cpu_s"] = round(srv1 - srv0, 1)
        out["server_cores_busy"] = round((srv1 - srv0) / wall, 2)
    out["clients_cores_busy"] = round((own1 - own0) / wall, 2)
    if host0 is not None and host1 is not None and srv0 is not None and srv1 is not None:
        out["machine_cores_busy"] = round((host1 - host0) / wall, 2)
        out["other_processes_cores_busy"] = round(max(0.0, (host1 - host0) - (srv1 - srv0) - (own1 - own0)) / wall, 2)
    return out


def _snapshot(pid: int) -> tuple:
    return _proc_cpu_s(pid), _own_cpu_s(), _host_cpu_s()


class _Server:
    """`python -m hoidap.cli serve` on a free loopback port, with no rate limit. A context
    manager: the process is ended on leaving, whatever happened (errors, Ctrl-C)."""

    def __init__(self, index_dir: Path, log_path: Path, startup_s: float = 180.0):
        self.index_dir, self.log_path, self.startup_s = index_dir, log_path, startup_s
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "_Server":
        import httpx

        env = dict(os.environ, HOIDAP_RATE_LIMIT_PER_MINUTE="0", HOIDAP_INDEX_DIR=str(self.index_dir),
                   HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
        for attempt in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "hoidap.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--index", str(self.index_dir)],
                    cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + self.startup_s
                with httpx.Client(timeout=5, trust_env=False) as client:
                    while time.monotonic() < deadline:
                        if self.proc.poll() is not None:
                            break
                        try:
                            if client.get(self.url + "/healthz").status_code == 200:
                                return self
                        except httpx.TransportError:
                            pass
                        time.sleep(0.2)
                if self.proc.poll() is None:
                    raise RuntimeError(f"the server did not answer /healthz within {self.startup_s:.0f} s: {self.log_tail()}")
            except BaseException:
                self.stop()
                raise
        raise RuntimeError(f"the server exited while starting (code {self.proc.returncode}): {self.log_tail()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _ask_payload(q) -> dict:
    return {"question": q.question, "history": list(q.history or [])}


def _one(client, url: str, payload: dict) -> tuple[float, str | None, float | None]:
    """(latency ms, error kind or None, the server's own `timings_ms.total`)."""
    import httpx

    t0 = time.perf_counter()
    try:
        r = client.post(url, json=payload)
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            return ms, f"HTTP {r.status_code}", None
        body = r.json()
        if not isinstance(body.get("answer"), str):
            return ms, "no answer in the JSON", None
        return ms, None, (body.get("timings_ms") or {}).get("total")
    except (httpx.HTTPError, ValueError) as e:
        return (time.perf_counter() - t0) * 1000, type(e).__name__, None


def _sequential(url: str, questions: list, n: int, warmup: int = 5) -> dict:
    """One client, one question at a time: the latency of an idle server, over HTTP."""
    import httpx

    lat, server, errors = [], [], Counter()
    with httpx.Client(timeout=30, trust_env=False) as client:
        for q in questions[:warmup]:
            _one(client, url, _ask_payload(q))
        t0 = time.perf_counter()
        for q in (questions * (n // max(1, len(questions)) + 1))[:n]:
            ms, err, server_ms = _one(client, url, _ask_payload(q))
            if err:
                errors[err] += 1
            else:
                lat.append(ms)
                if server_ms is not None:
                    server.append(server_ms)
        wall = time.perf_counter() - t0
    return {"requests": n, "answers": len(lat), "errors": sum(errors.values()), "error_kinds": dict(errors),
            "answers_per_s": round(len(lat) / wall, 2) if wall else None, **percentiles(lat, more=True),
            "server_total": percentiles(server)}


def _load(url: str, questions: list, clients: int, seconds: float, max_per_client: int, timeout_s: float,
          stop: threading.Event) -> dict:
    """`clients` threads, one httpx.Client each, asking the questions in a shuffled loop until
    `seconds` have passed (a request under way then is finished and counted)."""
    import httpx

    results: list[list] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1, timeout=60)
    deadline: list[float] = [0.0]

    def worker(i: int) -> None:
        rng = random.Random(1000 + i)
        order = list(questions)
        mine = results[i]
        with httpx.Client(timeout=timeout_s, trust_env=False,
                          limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
            start.wait()
            while len(mine) < max_per_client and not stop.is_set():
                rng.shuffle(order)
                for q in order:
                    if time.monotonic() >= deadline[0] or len(mine) >= max_per_client or stop.is_set():
                        return
                    mine.append(_one(client, url, _ask_payload(q)))

    threads = [threading.Thread(target=worker, args=(i,), name=f"load-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:  # every request has a timeout, so this ends soon after the deadline
        t.join(timeout=max(0.0, deadline[0] - time.monotonic()) + timeout_s + 5)
    stop.set()
    wall = time.perf_counter() - t0
    flat = [r for rs in results for r in list(rs)]
    lat = [ms for ms, err, _ in flat if err is None]
    server = [s for _, err, s in flat if err is None and s is not None]
    errors = Counter(err for _, err, _ in flat if err is not None)
    return {"clients": clients, "seconds": seconds, "wall_s": round(wall, 1), "requests": len(flat), "answers": len(lat),
            "errors": sum(errors.values()), "error_kinds": dict(errors),
            "answers_per_s": round(len(lat) / wall, 2) if wall else None, **percentiles(lat, more=True),
            "server_total": percentiles(server, more=True),
            "per_client_answers": {"min": min(len(r) for r in results), "max": max(len(r) for r in results)}}


def run_load(settings: Settings, clients: int = 20, seconds: float = 60, baseline: int = 50,
             index_dir: Path | None = None, timeout_s: float = 30.0) -> dict:
    """The HTTP load run: ingest the bundled corpus (unless `index_dir` is given), start
    `hoidap serve` in its own process on 127.0.0.1, measure one sequential client, then
    `clients` concurrent ones for `seconds`; read the server's peak RSS and stop it."""
    from evals.dataset import DEFAULT_QUESTIONS, load_questions

    if clients < 1 or seconds <= 0:
        raise ValueError("the load run needs at least one client and a positive duration")
    questions = load_questions(DEFAULT_QUESTIONS)
    work = Path(tempfile.mkdtemp(prefix="hoidap-load-"))
    try:
        out: dict = {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
                     "machine": f"{platform.machine()}, Python {platform.python_version()}"}
        if index_dir is None:
            index_dir = work / "corpus"
            out["ingest_s"] = round(_cli("ingest", str(settings.data_dir), "--index", str(index_dir), "--quiet"), 2)
        stop = threading.Event()
        t0 = time.perf_counter()
        with _Server(index_dir, work / "server.log") as server:
            out["server_start_s"] = round(time.perf_counter() - t0, 2)
            out["server_after_start"] = _proc_status(server.proc.pid)
            url = server.url + "/api/ask"
            pid = server.proc.pid
            try:
                out["loadavg_before"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
                snap, w0 = _snapshot(pid), time.perf_counter()
                out["single_client"] = _sequential(url, questions, baseline)
                out["single_client"]["cpu"] = _cpu_shares(pid, snap, _snapshot(pid), time.perf_counter() - w0)
                snap, w0 = _snapshot(pid), time.perf_counter()
                out["concurrent"] = _load(url, questions, clients, seconds, max_per_client=max(100, int(seconds * 200)),
                                          timeout_s=timeout_s, stop=stop)
                out["concurrent"]["cpu"] = _cpu_shares(pid, snap, _snapshot(pid), time.perf_counter() - w0)
            finally:
                stop.set()
                status = _proc_status(server.proc.pid)  # before the server is stopped
                out["server_peak_rss_mb"] = status.get("VmHWM")
                out["server_rss_end_mb"] = status.get("VmRSS")
                out["server_threads_end"] = status.get("Threads")
            if out["concurrent"]["errors"] or out["single_client"]["errors"]:
                out["server_log_tail"] = server.log_tail()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_bench(settings: Settings, pdf_pages: int = 600, synthetic_chunks: int = 100_000,
              clients: int = 20, seconds: float = 60) -> dict:
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
    from hoidap.model import Chunk
    from ingest.pipeline import ingest
    from hoidap.store import IndexStore
    from rag import Assistant

    out: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    work = Path(tempfile.mkdtemp(prefix="hoidap-bench-"))
    corpus_index = work / "corpus"
    out["ingest_corpus_cold_s"] = round(_cli("ingest", str(settings.data_dir), "--index", str(corpus_index), "--quiet"), 2)
    out["ingest_corpus_unchanged_s"] = round(_cli("ingest", str(settings.data_dir), "--index", str(corpus_index), "--quiet"), 2)
    out["ask_cold_s"] = round(_cli("ask", "Tác phẩm gồm mấy phần?", "--index", str(corpus_index)), 2)

    corpus = Settings(index_dir=corpus_index, data_dir=settings.data_dir)
    assistant = Assistant(corpus)
    questions = load_questions(DEFAULT_QUESTIONS)
    for q in questions[:5]:
        assistant.answer(q.question, q.history or None)  # warm up
    lat = []
    for q in questions:
        t0 = time.perf_counter()
        assistant.answer(q.question, q.history or None)
        lat.append((time.perf_counter() - t0) * 1000)
    out["answer_warm"] = percentiles(lat)

    sentences = [s.strip() + "." for c in assistant.index.chunks if c.kind == "text"
                 for s in c.text.split(".") if len(s.strip()) > 40]
    pdf = work / "pdf" / "book.pdf"
    pdf.parent.mkdir()
    synthetic_pdf(pdf, pdf_pages, sentences)
    report = ingest([pdf.parent], Settings(index_dir=work / "pdf-index"))
    out["pdf"] = {"pages": pdf_pages, "chunks": report.chunks, "seconds": round(report.seconds, 1),
                  "pages_per_s": round(pdf_pages / report.seconds, 2), "chunks_per_s": round(report.chunks / report.seconds, 2)}

    # 100k chunks: text recombined from the corpus, random unit vectors (embedding 100k
    # passages on 2 cores would take hours and measures the model, not the index).
    rng = np.random.default_rng(0)
    chunks = [Chunk(chunk_id=f"syn#{i}", doc_id=f"syn{i // 1000}", text=" ".join(random.Random(i).sample(sentences, 3)),
                    heading=f"Phần {i % 7}") for i in range(synthetic_chunks)]
    vectors = rng.normal(size=(synthetic_chunks, assistant.index.embedder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = {f"syn{d}": {"doc_id": f"syn{d}", "source": f"synthetic/{d}.txt", "title": f"Tài liệu tổng hợp {d}", "issuer": "",
                        "number": "", "date": "", "kind": "", "source_path": f"/synthetic/{d}.txt", "file_hash": "", "chunks": 1000}
            for d in range(synthetic_chunks // 1000 + 1)}
    big = work / "big"
    store = IndexStore(big)
    t0 = time.perf_counter()
    with store.lock():
        gen = store.write_generation(assistant.index.manifest.model, assistant.index.embedder.dim, docs, chunks, vectors,
                                     {d: "" for d in docs}, [c.heading + "\n" + c.text for c in chunks])
    build_s = time.perf_counter() - t0
    size_mb = sum(p.stat().st_size for p in gen.rglob("*") if p.is_file()) / 2**20
    big_assistant = Assistant(Settings(index_dir=big))
    lat = []
    for q in questions[:60]:
        t0 = time.perf_counter()
        big_assistant.answer(q.question)
        lat.append((time.perf_counter() - t0) * 1000)
    out["synthetic_100k"] = {"chunks": synthetic_chunks, "build_s": round(build_s, 1), "index_mb": round(size_mb, 1), **percentiles(lat)}
    out["peak_memory"] = _peak_mb()
    out["load"] = run_load(settings, clients, seconds, index_dir=corpus_index)
    from evals.zalo_load import run_zalo_load  # the Zalo webhook load run (evals/zalo_load.py)

    out["zalo"] = run_zalo_load(settings, index_dir=corpus_index)
    return out


def load_rows(load: dict) -> list[tuple[str, str, str]]:
    c, one = load["concurrent"], load["single_client"]
    errors = f"{c['errors']} errors" + (f" ({', '.join(f'{k}: {v}' for k, v in c['error_kinds'].items())})" if c["errors"] else "")
    return [
        (f"HTTP load: {c['clients']} clients × {c['seconds']:g} s",
         f"{c['answers']} answers, {c['answers_per_s']}/s, {c['p50_ms']} / {c['p95_ms']} ms, {errors}",
         "0 errors, p95 ≤ 1000 ms"),
        ("HTTP load: p99 / max; server-side p50 / p95",
         f"{c['p99_ms']} / {c['max_ms']} ms; {c['server_total']['p50_ms']} / {c['server_total']['p95_ms']} ms", ""),
        ("HTTP single client, sequential p50 / p95",
         f"{one['p50_ms']} / {one['p95_ms']} ms, {one['answers_per_s']}/s, {one['errors']} errors", ""),
        ("server process peak RSS (VmHWM); CPUs",
         f"{load['server_peak_rss_mb']} MB; {load['cpus_usable']} of {load['cpu_count']}"
         + (f"; under load cores busy: server {c['cpu']['server_cores_busy']}, clients {c['cpu']['clients_cores_busy']}"
            if "server_cores_busy" in c.get("cpu", {}) else "")
         + (f", other processes {c['cpu']['other_processes_cores_busy']}" if "other_processes_cores_busy" in c.get("cpu", {}) else ""),
         ""),
    ]


def table(result: dict) -> str:
    from evals.zalo_load import zalo_rows

    if "pdf" not in result and "load" not in result:  # --zalo-only
        return "\n".join(["| measure | result | target |", "|---|---|---|"]
                         + [f"| {a} | {b} | {c} |" for a, b, c in zalo_rows(result["zalo"])])
    if "pdf" not in result:  # --load-only
        rows = load_rows(result["load"])
        lines = ["| measure | result | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
        return "\n".join(lines)
    rows = [
        ("machine", result["machine"], ""),
        ("ingest bundled corpus, cold (process start, model load)", f"{result['ingest_corpus_cold_s']} s", "≤ 60 s"),
        ("re-ingest unchanged", f"{result['ingest_corpus_unchanged_s']} s", "≤ 5 s"),
        ("warm answer() p50 / p95", f"{result['answer_warm']['p50_ms']} / {result['answer_warm']['p95_ms']} ms", "≤ 150 / 400 ms"),
        ("cold `hoidap ask`", f"{result['ask_cold_s']} s", "≤ 8 s"),
        (f"synthetic {result['pdf']['pages']}-page PDF", f"{result['pdf']['pages_per_s']} pages/s, {result['pdf']['chunks_per_s']} chunks/s ({result['pdf']['seconds']} s)", ""),
        ("100k-chunk index: answer p50 / p95", f"{result['synthetic_100k']['p50_ms']} / {result['synthetic_100k']['p95_ms']} ms", "p50 ≤ 300 ms"),
        ("100k-chunk index: build, size", f"{result['synthetic_100k']['build_s']} s, {result['synthetic_100k']['index_mb']} MB", ""),
        ("peak memory (bench process / largest child)", f"{result['peak_memory']['bench_process_mb']} / {result['peak_memory']['largest_child_mb']} MB", ""),
    ] + (load_rows(result["load"]) if "load" in result else [])
    if "zalo" in result:
        rows += zalo_rows(result["zalo"])
    lines = ["| measure | result | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(settings: Settings, out: Path | None, load_only: bool = False, clients: int = 20, seconds: float = 60,
         zalo_only: bool = False) -> dict:
    """The whole bench (the load run included), or with `load_only` the load run alone."""
    if zalo_only:  # the Zalo webhook load run alone (evals/zalo_load.py)
        from evals.zalo_load import run_zalo_load

        result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "zalo": run_zalo_load(settings)}
    elif load_only:
        result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "load": run_load(settings, clients, seconds)}
    else:
        result = run_bench(settings, clients=clients, seconds=seconds)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(table(result))
    return result
