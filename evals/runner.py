"""`hoidap eval`: every question through the same `rag` entry point as the interfaces,
then results.jsonl, summary.json and the report."""
from __future__ import annotations

import json
import time
from pathlib import Path

from hoidap.settings import Settings
from hoidap.schema import AnswerOut, Turn
from hoidap.service import Service

from .dataset import DEFAULT_QUESTIONS, EvalQuestion, answer_correct, has_evidence, load_questions, shown_text
from .metrics import aggregate, by_tag, score_one


def result_record(q: EvalQuestion, ans: AnswerOut, latency_ms: float) -> dict:
    """One line of results.jsonl: the question's id and history, then the answer schema."""
    return {"id": q.id, "history": q.history, **ans.model_dump(mode="json"), "latency_ms": round(latency_ms, 1)}


def conversation(service: Service, history: list[str]) -> list[Turn]:
    """The earlier turns of a follow-up, asked in order as a user would, each passed on with
    what its answer cited (what an interface keeps and sends back as `history`)."""
    turns: list[Turn] = []
    for question in history:
        ans = service.ask(question, turns or None, channel=None)
        turns.append(Turn.from_answer(question, ans))
    return turns


def run_system(name: str, answer_fn, questions: list[EvalQuestion], progress=None, history_fn=None,
               derived: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """`history_fn(q)`: what to pass as history (default: the question strings); only the
    final question's answer is timed."""
    results, scored = [], []
    for q in questions:
        history = history_fn(q) if history_fn and q.history else (q.history or None)
        t0 = time.perf_counter()
        ans = answer_fn(q.question, history)
        rec = result_record(q, ans, (time.perf_counter() - t0) * 1000)
        s = score_one(q, rec, derived)
        rec["correct"] = s["correct"]
        results.append(rec)
        scored.append(s)
        if progress:
            progress(name)
    return results, scored


def failures(questions: list[EvalQuestion], results: list[dict]) -> list[dict]:
    out = []
    for q, r in zip(questions, results):
        cited = any(has_evidence(q, shown_text(c)) for c in r["citations"])
        if not answer_correct(q, r["answer"], r["refused"]) or (not q.unanswerable and not cited):
            out.append({"id": q.id, "question": q.question, "tags": q.tags, "unanswerable": q.unanswerable,
                        "expected": q.answer_contains, "evidence": q.evidence, "answer": r["answer"],
                        "refused": r["refused"], "top_source": r["retrieved"][0]["source"] if r["retrieved"] else ""})
    return out


def calibrate(questions: list[EvalQuestion], results: list[dict], max_false: float = 0.05) -> dict:
    """The refusal threshold that refuses the most unanswerable questions while refusing at
    most `max_false` of the answerable ones (injections are refused by rule, not threshold)."""
    answerable = sorted(r["confidence"] for q, r in zip(questions, results) if not q.unanswerable)
    unanswerable = [r["confidence"] for q, r in zip(questions, results) if q.unanswerable and "injection" not in q.tags]
    allowed = int(max_false * len(answerable))
    threshold = answerable[allowed] if answerable else 0.0  # everything below it is refused
    caught = sum(c < threshold for c in unanswerable)
    return {"suggested_threshold": round(threshold, 4), "false_refusals": allowed / max(1, len(answerable)),
            "refused_unanswerable": caught / max(1, len(unanswerable))}


def run_eval(settings: Settings, questions_path: Path | None = None, out_dir: Path = Path("eval-out"),
             compare_baseline: bool = False, progress=None, with_variants: bool = False) -> dict:
    questions = load_questions(questions_path or DEFAULT_QUESTIONS)
    service = Service(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    derived = _derived_documents(service)
    ask = lambda q, h: service.ask(q, h, channel=None)  # noqa: E731
    follow = lambda q: conversation(service, q.history)  # noqa: E731
    results, scored = run_system("ours", ask, questions, progress, history_fn=follow, derived=derived)
    summary = {"questions_file": str(questions_path or DEFAULT_QUESTIONS),
               "index_generation": results[0]["generation"] if results else service.generation,
               "model": service.model_name, "ours": aggregate(scored), "ours_by_tag": by_tag(questions, scored),
               "failures": failures(questions, results), "calibration": calibrate(questions, results),
               "refuse_threshold": settings.refuse_threshold}
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    if with_variants:
        summary["variants"] = run_variants(ask, follow, questions, scored, out_dir, progress, derived)
    if compare_baseline:
        from .baseline import BaselinePipeline

        from rag.index import open_index

        index = open_index(settings)
        baseline = BaselinePipeline(settings, index)
        b_results, b_scored = run_system("baseline", lambda q, h: baseline.answer(q, h).to_schema(), questions, progress)
        summary["baseline"] = aggregate(b_scored)
        summary["baseline_by_tag"] = by_tag(questions, b_scored)
        summary["baseline_chunks"] = baseline.n_nodes
        with open(out_dir / "baseline_results.jsonl", "w", encoding="utf-8") as f:
            for r in b_results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        index.close()
    summary["latencies_ms"] = [r["latency_ms"] for r in results]
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    from .report import write_report

    write_report(summary, out_dir)
    return summary


def run_variants(ask, follow, questions: list[EvalQuestion], original: list[dict], out_dir: Path, progress=None,
                 derived: set[str] | None = None) -> dict:
    """Correctness per variant kind next to the same questions as written: a robustness table.
    Each row covers the questions the variant changes; `original` is their score as written."""
    from .variants import KINDS, variants

    rows: dict[str, dict] = {}
    with open(out_dir / "variants_results.jsonl", "w", encoding="utf-8") as f:
        by_kind: dict[str, list[tuple[int, EvalQuestion]]] = {k: [] for k in KINDS}
        for i, q in enumerate(questions):
            for kind, v in variants(q):
                by_kind[kind].append((i, v))
        for kind in KINDS:
            pairs = by_kind[kind]
            if not pairs:
                continue
            results, scored = run_system(kind, ask, [v for _, v in pairs], progress, history_fn=follow, derived=derived)
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
            same = [original[i] for i, _ in pairs]
            rows[kind] = {"n": len(pairs), "original": aggregate(same), "variant": aggregate(scored),
                          "failures": [r["id"] for r, s in zip(results, scored) if not s["correct"]]}
    return rows


def _derived_documents(service: Service) -> set[str]:
    try:
        from rag.structures import structures

        with service._lease() as assistant:
            return set(structures(assistant.index).derived)
    except Exception:  # an evaluation without the derived-document check is still an evaluation
        return set()
