"""Refit the answer-confidence model (rag/calibration.py).

    python -m evals.calibrate --index DIR [--questions A.jsonl B.jsonl …] [--variants] [--write]

Every question of the fitting sets (by default the project set and the DEV halves of the phone and
held-out sets — never a test half) is answered with refusals by confidence turned off; each answer is
labelled correct or not (unanswerable questions: not). An L2-regularised logistic regression
over `rag.calibration.FEATURES` is fitted by Newton's method; the operating threshold is the
highest that refuses at most MAX_FALSE of the answerable questions, and the intercept is
shifted so that threshold lands on the configured `refuse_threshold`. `--variants` adds the
automatic variants of the fitting questions (evals/variants.py) to the data. `--write`
replaces the WEIGHTS block of rag/calibration.py."""
from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import numpy as np

from hoidap.settings import Settings

from .dataset import answer_correct, load_questions

HERE = Path(__file__).parent
DEFAULT_SETS = [HERE / "questions.jsonl", HERE / "questions-phone-dev.jsonl", HERE / "questions-heldout-dev.jsonl"]
MAX_FALSE = 0.04  # refuse at most this share of the answerable fitting questions (target ≤ 0.05)
L2 = 1.0
# Unanswerable questions are few next to answerable ones (about 1 in 14 of the fitting data):
# each counts this much, so the model learns what an unanswerable question looks like.
UNANSWERABLE_WEIGHT = 3.0


def collect(settings: Settings, paths: list[Path], with_variants: bool = False) -> tuple[list[dict], list[int], list[bool]]:
    from rag import Assistant, Turn
    from rag.compare import compared_documents
    from rag.extract import answer_features, extractive_answer
    from rag.query import understand
    from rag.retrieve import retrieve
    from rag.structures import structures

    from .variants import variants

    bot = Assistant(settings)
    derived = structures(bot.index).derived
    rows, labels, answerable = [], [], []
    questions = [q for p in paths for q in load_questions(p)]
    if with_variants:
        questions += [v for q in questions for _, v in variants(q)]
    for q in questions:
        turns = []
        for h in q.history:
            a = bot.answer(h, turns or None)
            turns.append(Turn(question=h, doc_ids=[c.doc_id for c in a.citations], chunk_ids=[c.chunk_id for c in a.citations]))
        query = understand(q.question, aliases=bot.index.aliases, index=bot.index, state=bot.conversation(turns or None))
        candidates = retrieve(bot.index, query, settings.top_k)
        ans = extractive_answer(bot.index, query, candidates, threshold=-1.0)
        if ans.refused:  # refused by rule (a named thing missing, no holder of the office, injection)
            continue
        if compared_documents(query, bot.index.aliases, ans, derived):
            continue  # answered document by document (rag.compare): the whole question's confidence decides nothing
        lead = ans.retrieved[0]
        rows.append(answer_features(bot.index, query, candidates, lead))
        labels.append(int(answer_correct(q, ans.answer, False)))
        answerable.append(not q.unanswerable)
    bot.index.close()
    return rows, labels, answerable


def fit(rows: list[dict], labels: list[int], names: list[str], l2: float = L2, iters: int = 50,
        sample_weight: list[float] | None = None, signs: dict[str, int] | None = None) -> dict[str, float]:
    """Logistic regression; `signs` fixes the direction a feature may push (+1 / -1): a weight
    that comes out the other way (collinear features trading off) is held at 0 and the rest
    refitted, so the model never says that a word the corpus lacks raises confidence."""
    signs = signs or {}
    active = list(names)
    while True:
        w = _newton(rows, labels, active, l2, iters, sample_weight)
        wrong = [n for n in active if signs.get(n, 0) * w[n] < 0]
        if not wrong:
            return {"bias": w["bias"], **{n: w.get(n, 0.0) for n in names}}
        active.remove(max(wrong, key=lambda n: abs(w[n])))


def _newton(rows: list[dict], labels: list[int], names: list[str], l2: float, iters: int,
            sample_weight: list[float] | None) -> dict[str, float]:
    X = np.array([[1.0] + [r[n] for n in names] for r in rows])
    y = np.array(labels, dtype=float)
    sw = np.array(sample_weight if sample_weight is not None else [1.0] * len(rows))
    w = np.zeros(X.shape[1])
    reg = np.eye(X.shape[1]) * l2
    reg[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -30, 30)))
        grad = X.T @ (sw * (p - y)) + reg @ w
        hess = X.T @ (X * (sw * p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return {"bias": float(w[0]), **{n: float(v) for n, v in zip(names, w[1:])}}


def operating_point(scores: list[float], answerable: list[bool], labels: list[int], max_false: float) -> tuple[float, dict]:
    ans = sorted(s for s, a in zip(scores, answerable) if a)
    allowed = int(max_false * len(ans))
    t = ans[allowed] if ans else 0.5
    unans = [s for s, a in zip(scores, answerable) if not a]
    return t, {"false_refusals": round(sum(s < t for s in ans) / max(1, len(ans)), 4),
               "refused_unanswerable": round(sum(s < t for s in unans) / max(1, len(unans)), 4),
               "answerable": len(ans), "unanswerable": len(unans), "correct_answers": int(sum(labels))}


def write_weights(weights: dict[str, float], fit_note: dict, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    items = [f'"{k}": {v:.4f}' for k, v in weights.items()]
    lines, line = [], "   "
    for item in items:
        if len(line) + len(item) + 2 > 116:
            lines.append(line.rstrip())
            line = "   "
        line += " " + item + ","
    lines.append(line.rstrip())
    block = ("# BEGIN FITTED (written by `python -m evals.calibrate --write`; do not edit by hand)\n"
             "WEIGHTS = {\n" + "\n".join(lines) + "\n}\n" + f"FIT = {fit_note!r}\n# END FITTED")
    text = re.sub(r"# BEGIN FITTED.*?# END FITTED", lambda m: block, text, flags=re.S)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from rag.calibration import FEATURES, SIGNS, probability

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", nargs="*", help="fitting question files (default: the project set and the phone and held-out dev halves)")
    ap.add_argument("--variants", action="store_true", help="add the automatic variants of the fitting questions")
    ap.add_argument("--write", action="store_true", help="rewrite the WEIGHTS block of rag/calibration.py")
    ap.add_argument("--rows", help="save the collected features here, or reuse them when the file exists")
    args = ap.parse_args(argv)
    settings = Settings(index_dir=Path(args.index))
    paths = [Path(p) for p in args.questions] if args.questions else DEFAULT_SETS
    if any("test" in p.name for p in paths):
        raise SystemExit("refusing to fit on a test set")
    if args.rows and Path(args.rows).exists():  # refit from saved features (same sets, same code)
        saved = json.loads(Path(args.rows).read_text(encoding="utf-8"))
        rows, labels, answerable = saved["rows"], saved["labels"], saved["answerable"]
    else:
        rows, labels, answerable = collect(settings, paths, args.variants)
        if args.rows:
            Path(args.rows).write_text(json.dumps({"rows": rows, "labels": labels, "answerable": answerable}), encoding="utf-8")
    rows = [{k: r.get(k, 0.0) for k in FEATURES} for r in rows]
    weights = fit(rows, labels, FEATURES, sample_weight=[UNANSWERABLE_WEIGHT if not a else 1.0 for a in answerable],
                  signs=SIGNS)
    scores = [probability(r, weights) for r in rows]
    t, stats = operating_point(scores, answerable, labels, MAX_FALSE)
    target = settings.refuse_threshold
    weights["bias"] += math.log(target / (1 - target)) - math.log(t / (1 - t))
    note = {"sets": [p.name for p in paths], "variants": args.variants, "examples": len(rows), "l2": L2,
            "unanswerable_weight": UNANSWERABLE_WEIGHT,
            "max_false": MAX_FALSE, "threshold_before_shift": round(t, 4), **stats}
    print(json.dumps({"weights": {k: round(v, 3) for k, v in weights.items()}, "fit": note}, ensure_ascii=False, indent=1))
    if args.write:
        write_weights(weights, note, Path(__file__).parents[1] / "rag" / "calibration.py")
        print("written to rag/calibration.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
