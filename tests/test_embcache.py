"""The embedding cache (hoidap/embcache.py) and the ingest that uses it: nothing embedded twice
after a lost generation or a re-chunking, an ingest killed with SIGKILL resumes from the
cache, a damaged cache is set aside, vectors never cross models, progress with an estimate of
the time left (CLI and admin jobs)."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from conftest import SEEDS, copy_seeds, run_cli
from hoidap.embcache import FILE_NAME, EmbeddingCache, digest
from hoidap.settings import PROJECT_ROOT, Settings
from hoidap.store import IndexStore, index_text

SMALL = ["ke-hoach-mttq-thanh-pho", "ke-hoach-huyen-uy"]
PLAN_Q = "Ban Thường trực Ủy ban MTTQ thành phố giao nhiệm vụ gì?"


def live_texts(index) -> list[str]:
    store = IndexStore(index)
    gen = store.current()
    docs = store.manifest(gen).documents
    return [index_text(c, docs[c.doc_id]) for c in store.chunks(gen)]


def cache_of(index, readonly=True) -> EmbeddingCache:
    from hoidap.embeddings import make_embedder

    e = make_embedder()
    return EmbeddingCache(index / FILE_NAME, e.name, e.dim, readonly=readonly)


# --- (d) keyed by model and content ------------------------------------------------------------------

def test_vectors_never_cross_models_and_bad_rows_are_misses(tmp_path):
    path = tmp_path / FILE_NAME
    a = EmbeddingCache(path, "model-a", 4)
    vec = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
    assert a.store(["một", "hai"], vec)
    found = a.lookup(["hai", "ba", "một", "hai"])
    assert set(found) == {0, 2, 3} and found[2].tolist() == [1, 0, 0, 0] and found[0].tolist() == [0, 1, 0, 0]
    # Another model, or the same name with another dimension, never gets these vectors.
    assert EmbeddingCache(path, "model-b", 4).lookup(["một", "hai"]) == {}
    assert EmbeddingCache(path, "model-a", 8).lookup(["một", "hai"]) == {}
    b = EmbeddingCache(path, "model-b", 4)
    b.store(["một"], np.array([[0, 0, 1, 0]], np.float32))
    assert a.lookup(["một"])[0].tolist() == [1, 0, 0, 0] and b.lookup(["một"])[0].tolist() == [0, 0, 1, 0]
    # The key is the exact text: one character more is another passage.
    assert a.lookup(["một "]) == {}
    # A row of the wrong size or with non-finite values is a miss, not a vector.
    a._db.execute("INSERT OR REPLACE INTO embeddings (model, digest, vector) VALUES (?, ?, ?)", (a.model, digest("ngắn"), b"\0" * 12))
    a._db.execute("INSERT OR REPLACE INTO embeddings (model, digest, vector) VALUES (?, ?, ?)",
                  (a.model, digest("nan"), np.array([np.nan, 0, 0, 0], np.float32).tobytes()))
    a._db.commit()
    assert a.lookup(["ngắn", "nan"]) == {}
    # Pruning keeps the given passages of this model only.
    assert a.prune(["một"]) == 4 and a.count(all_models=True) == 1 and set(a.lookup(["một", "hai"])) == {0}


# --- (a) nothing embedded twice ------------------------------------------------------------------------

def test_lost_generation_and_rechunking_embed_only_what_changed(tmp_path):
    from ingest.pipeline import ingest

    src = copy_seeds(tmp_path / "src", SMALL)
    settings = Settings(index_dir=tmp_path / "index")
    first = ingest([src], settings)
    assert first.embedded == first.chunks > 20 and first.cached == 0
    texts = live_texts(settings.index_dir)
    with cache_of(settings.index_dir) as cache:
        assert cache.count() == len(set(texts)) and cache.contains(texts) == len(texts)

    # The generation is lost (deleted by hand): everything comes back from the cache.
    for gen in settings.index_dir.glob("gen-*"):
        shutil.rmtree(gen)
    (settings.index_dir / "CURRENT").unlink()
    again = ingest([src], settings)
    assert (again.embedded, again.cached, again.chunks) == (0, first.chunks, first.chunks)
    assert live_texts(settings.index_dir) == texts

    # One sentence edited: only the passage holding it is embedded.
    plan = src / "ke-hoach-huyen-uy.txt"
    plan.write_text(plan.read_text(encoding="utf-8").replace("chậm nhất vào ngày 01/11", "chậm nhất vào ngày 15/11"),
                    encoding="utf-8")
    edited = ingest([src], settings)
    new = set(live_texts(settings.index_dir)) - set(texts)
    assert edited.embedded == len(new) == 1
    assert edited.cached == IndexStore(settings.index_dir).manifest().documents["ke-hoach-huyen-uy"]["chunks"] - 1

    # Re-chunked with a smaller passage size: passages that stay the same come from the cache.
    seen = set(texts) | new
    rechunked = ingest([src], Settings(index_dir=settings.index_dir, chunk_chars=500), rebuild=True)
    after = live_texts(settings.index_dir)
    fresh = set(after) - seen
    assert rechunked.embedded == len(fresh) and 0 < len(fresh) < len(after)
    assert rechunked.cached == len(after) - rechunked.embedded > 0

    # Pruning keeps the live generation's passages only (nothing else changes).
    with cache_of(settings.index_dir) as cache:
        before = cache.count()
    pruned = ingest([src], Settings(index_dir=settings.index_dir, chunk_chars=500), prune_cache=True)
    assert pruned.embedded == 0 and pruned.generation == rechunked.generation
    with cache_of(settings.index_dir) as cache:
        assert pruned.cache_pruned == before - len(set(after)) > 0 and cache.count() == len(set(after))
        assert cache.contains(after) == len(after)


# --- (b) killed and resumed -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_book(tmp_path_factory):
    if not shutil.which("tesseract"):
        pytest.fail("tesseract-ocr-vie must be installed for this test (.ci/run installs it)")
    from evals.bookgen import make_book

    folder = tmp_path_factory.mktemp("book") / "books"
    make_book(folder / "tac-pham.pdf", pages=36)
    return folder


def test_an_ingest_killed_midway_resumes_from_the_cache(short_book, tmp_path):
    from hoidap.service import Service

    index = tmp_path / "index"
    plans = copy_seeds(tmp_path / "plans", ["ke-hoach-mttq-thanh-pho"])
    assert run_cli("ingest", str(plans), "--index", str(index), "--quiet").returncode == 0
    before = IndexStore(index).current()
    service = Service(Settings(index_dir=index))  # as a server answering meanwhile
    assert not service.ask(PLAN_Q).refused

    proc = subprocess.Popen([sys.executable, "-m", "hoidap.cli", "ingest", str(short_book), str(plans), "--index", str(index)],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reached = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            m = re.search(r"tac-pham\.pdf: embedded (\d+)/(\d+) new passages", line)
            if m and 0 < int(m.group(1)) < int(m.group(2)):
                reached.set()
        reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert reached.wait(120), "".join(lines)
        answered_meanwhile = service.ask(PLAN_Q)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    assert proc.returncode == -signal.SIGKILL, "".join(lines)
    assert not answered_meanwhile.refused
    done_before_kill = max(int(m.group(1)) for m in re.finditer(r"tac-pham\.pdf: embedded (\d+)/", "".join(lines)))
    assert re.search(r"· file ~\d+ (s|min) left · overall \d+% ~\d+ (s|min) left", "".join(lines)), "".join(lines)

    # The index is the previous generation, whole; the vectors embedded so far are cached.
    assert IndexStore(index).current() == before
    docs = run_cli("docs", "--index", str(index))
    assert docs.returncode == 0 and "1 documents" in docs.stderr
    service.refresh()
    assert not service.ask(PLAN_Q).refused
    with cache_of(index) as cache:
        assert cache.count() >= done_before_kill

    again = run_cli("ingest", str(short_book), str(plans), "--index", str(index))
    assert again.returncode == 0, again.stderr
    m = re.search(r"chunks: (\d+) \((\d+) embedded, (\d+) from the embedding cache\)", again.stdout)
    chunks, embedded, cached = map(int, m.groups())
    book_chunks = IndexStore(index).manifest().documents["tac-pham"]["chunks"]
    assert cached >= done_before_kill and embedded == book_chunks - cached  # the plan was unchanged: not counted
    assert "tac-pham.pdf: embedded" in again.stderr and f"{embedded}/{embedded} new passages (cache {cached})" in again.stderr
    service.refresh()
    assert service.health()["documents"] == 2
    service.close()


# --- (c) a damaged cache ---------------------------------------------------------------------------------

def test_a_damaged_cache_is_set_aside_and_the_ingest_succeeds(tmp_path):
    src = copy_seeds(tmp_path / "src", ["ke-hoach-mttq-thanh-pho"])
    index = tmp_path / "index"
    index.mkdir()
    (index / FILE_NAME).write_bytes(b"this is not an SQLite file " * 100)
    out = run_cli("ingest", str(src), "--index", str(index), "--quiet")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert re.search(r"note: embedding cache: the embedding cache .*embcache\.sqlite could not be read "
                     r"\(file is not a database\); it was moved to embcache\.sqlite\.damaged-\d+-\d+ and a new one was started",
                     out.stderr), out.stderr
    assert len(list(index.glob(FILE_NAME + ".damaged-*"))) == 1
    with cache_of(index) as cache:  # the new cache works
        assert cache.contains(live_texts(index)) == len(live_texts(index)) > 0

    # Truncated in the middle of its pages: the same, and no vector is taken from it.
    data = (index / FILE_NAME).read_bytes()
    (index / FILE_NAME).write_bytes(data[: len(data) // 2])
    shutil.rmtree(next(index.glob("gen-*")))
    (index / "CURRENT").unlink()
    out = run_cli("ingest", str(src), "--index", str(index), "--quiet")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    m = re.search(r"\((\d+) embedded, (\d+) from the embedding cache\)", out.stdout)
    assert m and int(m.group(2)) == 0 and "embedding cache" in out.stderr


# --- the admin job shows the same progress -----------------------------------------------------------------

def test_admin_job_shows_embedding_progress_and_the_chat_keeps_answering(tmp_path):
    from hoidap.admin import Admin
    from hoidap.service import Service

    settings = Settings(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads")
    service = Service(settings)
    service.ingest([copy_seeds(tmp_path / "plans", ["ke-hoach-mttq-thanh-pho"])])
    admin = Admin(service)
    data = (SEEDS / "ke-hoach-205-thanh-uy-yen-bai.txt").read_bytes()
    job = admin.upload([("ke-hoach-205.txt", data)])
    answers = []
    while job.status in ("queued", "running"):
        answers.append(service.ask(PLAN_Q))
        time.sleep(0.05)
    assert job.status == "done", job.message
    assert answers and not any(a.refused for a in answers)
    # The job's log keeps every progress line, so a busy machine polling slowly still sees them all.
    assert job.log[0] == "Đang đọc và phân đoạn tài liệu…" and job.log[-1] == job.message
    embedding = [m for m in job.log if m.startswith("Đang tạo véc-tơ: ke-hoach-205.txt: đã tạo véc-tơ ")]
    assert len(embedding) >= 2, job.log  # one line per embedded batch of 32, and there are more than 32
    assert any(re.search(r"tệp còn khoảng \d+ (giây|phút) · toàn bộ \d+%, còn khoảng", m) for m in embedding), embedding
    uploaded = next(d for d in service.documents() if d.source.endswith("ke-hoach-205.txt"))
    assert job.embedded == uploaded.chunks > 32 and job.cached == 0
    assert "đoạn lấy từ bộ nhớ đệm" in job.message and job.eta_s == 0.0
    service.close()


# --- progress output -------------------------------------------------------------------------------------

def test_progress_rewrites_one_line_on_a_terminal_and_prints_lines_to_a_log():
    import io

    from ingest.pipeline import EmbedStatus
    from ui.cli import IngestProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    half = EmbedStatus("sach.pdf", 32, 64, 10, embedded=32, missing=128, cached=10, seconds_per_passage=0.25, resolved=32)
    assert str(half) == "sach.pdf: embedded 32/64 new passages (cache 10) · file ~8 s left · overall 25% ~24 s left"
    assert half.vietnamese().endswith("tệp còn khoảng 8 giây · toàn bộ 25%, còn khoảng 24 giây")
    done = EmbedStatus("sach.pdf", 64, 64, 10, embedded=64, missing=128, cached=10, seconds_per_passage=0.25, resolved=64)
    cached = EmbedStatus("b.txt", 0, 0, 12, embedded=64, missing=128, cached=22, seconds_per_passage=0.25, resolved=64)
    assert str(cached) == "b.txt: 12 passages, all from the cache · overall 50% ~16 s left"
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = IngestProgress(stream)
        progress(1, 2, "sach.pdf")
        progress(None, None, half)  # within a second of the last line: left out
        progress(None, None, done)  # the end of a file always shows
        progress.close()
    assert log.getvalue().splitlines() == ["reading 1/2: sach.pdf", str(done)]
    assert "\n" not in terminal.getvalue() and terminal.getvalue().count("\r\x1b[K") == 3
    assert terminal.getvalue().endswith(str(done) + "\r\x1b[K")  # the line is cleared before the summary
