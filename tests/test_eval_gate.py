"""Regression gate: the evaluation on the bundled corpus must stay above the stored floors."""
import json
from pathlib import Path

from evals.dataset import DEFAULT_QUESTIONS, load_questions
from evals.runner import run_eval

FLOORS = json.loads(Path(__file__).parents[1].joinpath("evals", "floors.json").read_text())


def test_question_set_is_complete():
    questions = load_questions(DEFAULT_QUESTIONS)
    assert len(questions) >= 120
    assert sum(q.unanswerable for q in questions) >= 12
    tags = {t for q in questions for t in q.tags}
    assert {"no-diacritics", "followup", "compare", "appendix", "qa", "list", "quote"} <= tags


def test_metrics_stay_above_floors(corpus_index, tmp_path):
    summary = run_eval(corpus_index, out_dir=tmp_path, compare_baseline=True)
    ours, base = summary["ours"], summary["baseline"]
    for key, floor in FLOORS["ours"].items():
        assert ours[key] >= floor, f"{key} fell to {ours[key]} (floor {floor})"
    assert ours["false_refusals"] <= FLOORS["max_false_refusals"]
    assert ours["hit@1"] - base["hit@1"] >= FLOORS["min_hit1_gain_over_baseline"]
    for name in ("results.jsonl", "summary.json", "report.md", "report.html"):
        assert (tmp_path / name).stat().st_size > 0
    first = json.loads((tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"id", "question", "answer", "refused", "citations", "retrieved", "latency_ms"} <= set(first)
