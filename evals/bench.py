"""`hoidap bench`: ingest and answering speed and memory, written as JSON and a table.
The targets of the knowledge-base and answering issues are checked here, not in tests."""
from __future__ import annotations

import json
import os
import platform
import random
import re
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

def _cli(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hoidap.cli", *args], check=True, capture_output=True, cwd=PROJECT_ROOT)
    return time.perf_counter() - t0


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"bench_process_mb": round(own, 1), "largest_child_mb": round(children, 1)}


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

    def __init__(self, index_dir: Path, log_path: Path, startup_s: float = 180.0, env: dict[str, str] | None = None):
        """`env`: settings for this server on top of the bench's (the caller's own `HOIDAP_`
        variables are left out then, so that only what is given applies)."""
        self.index_dir, self.log_path, self.startup_s, self.extra_env = index_dir, log_path, startup_s, env
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "_Server":
        import httpx

        env = dict(os.environ)
        if self.extra_env is not None:
            env = {k: v for k, v in env.items() if not k.startswith("HOIDAP_")} | self.extra_env
        env.update(HOIDAP_RATE_LIMIT_PER_MINUTE="0", HOIDAP_INDEX_DIR=str(self.index_dir), HF_HUB_OFFLINE="1",
                   GRADIO_ANALYTICS_ENABLED="False")
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


# --- the book: cold, killed at ~50 % and resumed, everything cached ------------------------------------

_SUMMARY = re.compile(r"chunks: (\d+) \((\d+) embedded, (\d+) from the embedding cache\); ([\d.]+) s(?: \(([^)]*)\))?;")
_PROGRESS = re.compile(r"overall (\d+)%")


def _busy_other(wall: float, before: tuple, after: tuple) -> float | None:
    """Cores kept busy by processes other than this one and its children during `wall` s."""
    (host0, kids0, own0), (host1, kids1, own1) = before, after
    if host0 is None or host1 is None:
        return None
    return round(max(0.0, (host1 - host0) - (kids1 - kids0) - (own1 - own0)) / wall, 2)


def _cpu_marks() -> tuple:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _host_cpu_s(), kids.ru_utime + kids.ru_stime, _own_cpu_s()


def _ingest_run(paths: list[Path], index: Path, *extra: str, kill_at: float | None = None) -> dict:
    """`hoidap ingest` as its own process (process start and model load included), timed; with
    `kill_at` (0..1) it is killed with SIGKILL once its progress says that share of the new
    passages is embedded."""
    import signal

    cmd = [sys.executable, "-m", "hoidap.cli", "ingest", *map(str, paths), "--index", str(index), *extra]
    marks, t0 = _cpu_marks(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    killed = False
    for line in proc.stderr:  # progress lines (not a terminal: one per update)
        err.append(line)
        m = _PROGRESS.search(line)
        if kill_at is not None and m and int(m.group(1)) >= kill_at * 100 and not killed:
            proc.send_signal(signal.SIGKILL)
            killed = True
    stdout = proc.stdout.read()
    proc.wait()
    wall = time.perf_counter() - t0
    out = {"seconds": round(wall, 1), "other_processes_cores_busy": _busy_other(wall, marks, _cpu_marks()),
           "returncode": proc.returncode}
    if killed:
        out |= {"killed_at": err[-1].strip(), "embedded_before_kill": sum(_per_file_last(err))}
        return out
    m = _SUMMARY.search(stdout)
    if proc.returncode not in (0, 1) or not m:  # 1: some file failed or warned (named in stderr)
        raise RuntimeError(f"{' '.join(cmd[2:])} exited with {proc.returncode}: {''.join(err)[-2000:]}{stdout[-500:]}")
    out |= {"chunks": int(m.group(1)), "embedded": int(m.group(2)), "cached": int(m.group(3)),
            "ingest_s": float(m.group(4)),
            "stages_s": {k: float(v.split()[0]) for k, v in (x.strip().split(" ", 1) for x in (m.group(5) or "").split(",") if x.strip())}}
    return out


def _per_file_last(lines: list[str]) -> list[int]:
    """The last 'embedded k/n' of each file in progress output."""
    last: dict[str, int] = {}
    for line in lines:
        m = re.match(r"(.+?): embedded (\d+)/\d+ new passages", line.strip())
        if m:
            last[m.group(1)] = int(m.group(2))
    return list(last.values())


def run_book(settings: Settings, pages: int, work: Path) -> dict:
    """The generated book (evals/bookgen.py) and its booklet with the bundled plans: a cold
    ingest, an ingest killed once about half of the passages were embedded and run again (its
    embedding cache kept), and an ingest with everything cached (--rebuild)."""
    from evals.bookgen import make_book, make_booklet

    folder = work / "book"
    t0 = time.perf_counter()
    book = make_book(folder / "tac-pham.pdf", pages=pages)
    make_booklet(folder / "tai-lieu-hoi-dap.pdf", book)
    out: dict = {"pages": pages, "generate_s": round(time.perf_counter() - t0, 1),
                 "loadavg_before": os.getloadavg()[0]}
    paths = [folder, settings.data_dir]
    cold = _ingest_run(paths, work / "cold")
    out["cold"] = cold | {"pages_per_s": round(pages / cold["seconds"], 2),
                          "chunks_per_s": round(cold["chunks"] / cold["seconds"], 2)}
    if cold["embedded"] and cold["stages_s"].get("embed"):
        out["cold"]["embed_ms_per_passage"] = round(1000 * cold["stages_s"]["embed"] / cold["embedded"], 1)
    resumed_index = work / "killed"
    out["killed"] = _ingest_run(paths, resumed_index, kill_at=0.5)
    out["resumed"] = _ingest_run(paths, resumed_index)
    out["resumed"]["share_of_cold"] = round(out["resumed"]["seconds"] / cold["seconds"], 3)
    out["all_cached"] = _ingest_run(paths, resumed_index, "--rebuild")
    out["all_cached"]["share_of_cold"] = round(out["all_cached"]["seconds"] / cold["seconds"], 3)
    cache = resumed_index / "embcache.sqlite"
    out["cache_mb"] = round(cache.stat().st_size / 2**20, 1) if cache.exists() else None
    return out


# --- 100k passages of real text, real embeddings (evals/realtext.py) ---------------------------------

def _index_size_mb(gen: Path) -> float:
    return round(sum(p.stat().st_size for p in gen.rglob("*") if p.is_file()) / 2**20, 1)


def run_realtext(settings: Settings, n: int = 100_000, corpus_index: Path | None = None, work: Path | None = None,
                 cache_path: Path | None = None, reuse_vectors: bool = False) -> dict:
    """An index of the first `n` real-text passages (or the largest fully embedded prefix, in
    whole documents, when the embedding job has not finished: said in the result) plus the
    bundled corpus, written by the normal store writer with the model's vectors from the
    embedding cache; then a real `hoidap serve` on it answers the evaluation questions over
    HTTP: latency, the server's memory, and hit@1 with the 100k distractors.

    `reuse_vectors`: all `n` passages even when only some are embedded yet, each passage not yet
    embedded taking the vector of an embedded one (real text and real vectors, but not its own:
    the search costs the same, so latency, size and memory are measured; hit@1 means little)."""
    from evals import realtext as R
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
    from evals.metrics import score_one
    from evals.dataset import has_evidence, shown_text
    from hoidap.embcache import EmbeddingCache
    from hoidap.embeddings import make_embedder
    from hoidap.store import IndexStore, index_text

    cache_path = cache_path or R.DEFAULT_CACHE
    work = work or Path(tempfile.mkdtemp(prefix="hoidap-realtext-"))
    embedder = make_embedder()
    docs, chunks = R.build(n)
    texts = R.embed_texts(docs, chunks)
    with EmbeddingCache(cache_path, embedder.name, embedder.dim, readonly=True) as cache:
        found = cache.lookup(texts)
    prefix = next((i for i in range(n) if i not in found), n)
    use = n if prefix == n or (reuse_vectors and found) else (prefix // R.PER_DOC) * R.PER_DOC
    out: dict = {"requested": n, "embedded_in_cache": len(found), "chunks_real": use, "cache": str(cache_path)}
    if use == 0:
        out["skipped"] = "no fully embedded document yet: run `python -m evals.realtext embed` first"
        return out
    docs, chunks, texts = R.documents(use), chunks[:use], texts[:use]
    embedded = sorted(found)
    vectors = np.vstack([found[i] if i in found else found[embedded[i % len(embedded)]] for i in range(use)]).astype(np.float32)
    out["own_vectors"] = sum(1 for i in range(use) if i in found)
    doc_texts = {d: "\n\n".join(c.text for c in chunks[i * R.PER_DOC:(i + 1) * R.PER_DOC]) for i, d in enumerate(docs)}
    if corpus_index is not None:  # the bundled plans join, so their questions have an answer among the distractors
        store = IndexStore(corpus_index)
        gen = store.current()
        cdocs = store.manifest(gen).documents
        cchunks = store.chunks(gen)
        docs |= cdocs
        chunks = list(chunks) + cchunks
        texts = list(texts) + [index_text(c, cdocs[c.doc_id]) for c in cchunks]
        vectors = np.vstack([vectors, np.asarray(store.embeddings(gen), dtype=np.float32)])
        doc_texts |= {d: (gen / "docs" / f"{d}.txt").read_text(encoding="utf-8") for d in cdocs}
    big = work / "index"
    store = IndexStore(big)
    t0 = time.perf_counter()
    with store.lock():
        gen = store.write_generation(embedder.name, embedder.dim, docs, chunks, vectors, doc_texts, texts,
                                     settings.lexical_scheme)
    out |= {"chunks_total": len(chunks), "build_s": round(time.perf_counter() - t0, 1), "index_mb": _index_size_mb(gen)}
    del vectors, texts, doc_texts, found
    from rag import prepare_generation  # what `hoidap ingest` does after writing a generation

    out["structures_s"] = round(prepare_generation(Settings(index_dir=big, data_dir=settings.data_dir)), 1)
    out["index_mb_with_structures"] = _index_size_mb(gen)
    questions = load_questions(DEFAULT_QUESTIONS)
    corpus_docs = set(IndexStore(corpus_index).manifest().documents) if corpus_index else set()
    marks, t0 = _cpu_marks(), time.perf_counter()
    with _Server(big, work / "server.log", startup_s=600) as server:
        out["server_start_s"] = round(time.perf_counter() - t0, 1)
        out["server_after_start"] = _proc_status(server.proc.pid)
        import httpx

        lat, server_ms, retrieve_ms, scored, top_corpus = [], [], [], [], []
        with httpx.Client(timeout=120, trust_env=False) as client:
            for q in questions[:5]:
                _one(client, server.url + "/api/ask", _ask_payload(q))  # warm up
            t1 = time.perf_counter()
            for q in questions:
                t = time.perf_counter()
                r = client.post(server.url + "/api/ask", json=_ask_payload(q))
                lat.append((time.perf_counter() - t) * 1000)
                body = r.json()
                server_ms.append((body.get("timings_ms") or {}).get("total") or lat[-1])
                if (body.get("timings_ms") or {}).get("retrieve") is not None:
                    retrieve_ms.append(body["timings_ms"]["retrieve"])
                rec = {"id": q.id, "history": q.history, **body, "latency_ms": lat[-1]}
                scored.append(score_one(q, rec))
                if not q.unanswerable:
                    first = body["retrieved"][0] if body["retrieved"] else None
                    top_corpus.append(bool(first) and first["doc_id"] in corpus_docs and has_evidence(q, shown_text(first)))
            wall = time.perf_counter() - t1
        status = _proc_status(server.proc.pid)
    answerable = [s for s in scored if not s["unanswerable"]]
    out |= {"questions": len(questions), **percentiles(lat), "server_total": percentiles(server_ms),
            "server_retrieve": percentiles(retrieve_ms),
            "server_peak_rss_mb": status.get("VmHWM"), "server_rss_end_mb": status.get("VmRSS"),
            "hit@1": round(sum(s["hit@1"] for s in answerable) / len(answerable), 3),
            "hit@1_from_corpus_document": round(sum(top_corpus) / len(top_corpus), 3),
            "answer_correctness": round(sum(s["correct"] for s in scored) / len(scored), 3),
            "other_processes_cores_busy": _busy_other(wall + out["server_start_s"], marks, _cpu_marks())}
    if use < n:
        out["projection"] = ("an index of the first {use} real-text passages (the embedding job had embedded {k} of {n}); "
                             "dense search is an exact scan, linear in the passages").format(use=use, k=out["embedded_in_cache"], n=n)
    if out["own_vectors"] < use:
        out["reused_vectors"] = use - out["own_vectors"]
    return out


def run_bench(settings: Settings, pdf_pages: int = 600, synthetic_chunks: int = 100_000,
              clients: int = 20, seconds: float = 60) -> dict:
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
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

    out["book"] = run_book(settings, pdf_pages, work / "book")
    out["realtext"] = run_realtext(settings, synthetic_chunks, corpus_index=corpus_index, work=work / "realtext")
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


def book_rows(b: dict) -> list[tuple[str, str, str]]:
    cold, res, cached, killed = b["cold"], b["resumed"], b["all_cached"], b["killed"]
    split = ", ".join(f"{k} {v} s" for k, v in cold.get("stages_s", {}).items())
    return [
        (f"book ({b['pages']} pages) + booklet + plans, cold ingest",
         f"{cold['seconds']} s: {cold['pages_per_s']} pages/s, {cold['chunks_per_s']} chunks/s, {cold['chunks']} chunks "
         f"({split}; {cold.get('embed_ms_per_passage')} ms per embedded passage)", ""),
        ("book: killed at ~50 %, run again",
         f"killed after {killed['seconds']} s ({killed['embedded_before_kill']} passages embedded); the rerun took "
         f"{res['seconds']} s = {res['share_of_cold']:.0%} of cold ({res['cached']} from the cache, {res['embedded']} embedded)",
         "≤ 60 % of cold"),
        ("book: everything cached (--rebuild)",
         f"{cached['seconds']} s = {cached['share_of_cold']:.0%} of cold ({cached['cached']} from the cache); "
         f"cache file {b['cache_mb']} MB", ""),
    ]


def realtext_rows(r: dict) -> list[tuple[str, str, str]]:
    if "skipped" in r:
        return [("real-text index", r["skipped"], "")]
    n = f"{r['chunks_real'] // 1000}k" if r["chunks_real"] % 1000 == 0 else str(r["chunks_real"])
    if r.get("reused_vectors"):
        n += f" (vectors: {r['own_vectors']} own, {r['reused_vectors']} reused)"
    return [
        (f"{n} real-text chunks (+ plans): answer p50 / p95 over HTTP", f"{r['p50_ms']} / {r['p95_ms']} ms "
         f"(server-side {r['server_total']['p50_ms']} / {r['server_total']['p95_ms']} ms, of which retrieval "
         f"{r['server_retrieve']['p50_ms']} / {r['server_retrieve']['p95_ms']} ms; {r['questions']} questions)",
         "p50 ≤ 100 ms"),
        (f"{n} real-text chunks: build (store writer), query structures, size on disk",
         f"{r['build_s']} s, {r.get('structures_s')} s, {r.get('index_mb_with_structures', r['index_mb'])} MB", ""),
        (f"{n} real-text chunks: `hoidap serve` start; RSS after start / peak",
         f"{r['server_start_s']} s; {r['server_after_start'].get('VmRSS')} / {r['server_peak_rss_mb']} MB", "reported, bounded"),
        (f"{n} real-text chunks: bundled questions, hit@1 (top passage from the plan itself)",
         f"{r['hit@1']} ({r['hit@1_from_corpus_document']}); answer correctness {r['answer_correctness']}", ""),
    ]


def table(result: dict) -> str:
    from evals.zalo_load import zalo_rows

    rows = [("machine", result["machine"], "")]
    if "ingest_corpus_cold_s" in result:
        rows += [
            ("ingest bundled corpus, cold (process start, model load)", f"{result['ingest_corpus_cold_s']} s", "≤ 60 s"),
            ("re-ingest unchanged", f"{result['ingest_corpus_unchanged_s']} s", "≤ 5 s"),
            ("warm answer() p50 / p95", f"{result['answer_warm']['p50_ms']} / {result['answer_warm']['p95_ms']} ms", "≤ 150 / 400 ms"),
            ("cold `hoidap ask`", f"{result['ask_cold_s']} s", "≤ 8 s"),
        ]
    if "book" in result:
        rows += book_rows(result["book"])
    if "realtext" in result:
        rows += realtext_rows(result["realtext"])
    if "peak_memory" in result:
        rows.append(("peak memory (bench process / largest child)",
                     f"{result['peak_memory']['bench_process_mb']} / {result['peak_memory']['largest_child_mb']} MB", ""))
    if "load" in result:
        rows += load_rows(result["load"])
    if "zalo" in result:
        rows += zalo_rows(result["zalo"])
    lines = ["| measure | result | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(settings: Settings, out: Path | None, load_only: bool = False, clients: int = 20, seconds: float = 60,
         zalo_only: bool = False, book_only: bool = False, realtext_only: bool = False, pages: int = 600,
         realtext_n: int = 100_000, reuse_vectors: bool = False) -> dict:
    """The whole bench (the load run included), or one part of it alone."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if book_only:
        work = Path(tempfile.mkdtemp(prefix="hoidap-book-"))
        try:
            result = {"machine": machine, "book": run_book(settings, pages, work)}
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif realtext_only:
        work = Path(tempfile.mkdtemp(prefix="hoidap-realtext-"))
        try:
            _cli("ingest", str(settings.data_dir), "--index", str(work / "corpus"), "--quiet")
            result = {"machine": machine, "realtext": run_realtext(settings, realtext_n, corpus_index=work / "corpus",
                                                                   work=work, reuse_vectors=reuse_vectors)}
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif zalo_only:  # the Zalo webhook load run alone (evals/zalo_load.py)
        from evals.zalo_load import run_zalo_load

        result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "zalo": run_zalo_load(settings)}
    elif load_only:
        result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "load": run_load(settings, clients, seconds)}
    else:
        result = run_bench(settings, pdf_pages=pages, synthetic_chunks=realtext_n, clients=clients, seconds=seconds)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(table(result))
    return result
