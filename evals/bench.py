"""`hoidap bench`: ingest and answering speed and memory, written as JSON and a table.
The targets of the knowledge-base and answering issues are checked here, not in tests."""
from __future__ import annotations

import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
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


def percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1)}


def run_bench(settings: Settings, pdf_pages: int = 600, synthetic_chunks: int = 100_000) -> dict:
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
    from hoidap.model import Chunk
    from ingest.pipeline import ingest
    from hoidap.store import IndexStore
    from rag import Assistant

    out: dict = {"machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"}
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
    return out


def table(result: dict) -> str:
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
    ]
    lines = ["| measure | result | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(settings: Settings, out: Path | None) -> dict:
    result = run_bench(settings)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(table(result))
    return result
