"""Per-question scores and their aggregates (overall and per tag)."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .dataset import EvalQuestion, answer_correct, has_evidence, page_hit, shown_text

KS = (1, 3, 5, 10)


def score_one(q: EvalQuestion, result: dict, derived: set[str] | None = None) -> dict:
    """`result` holds answer, refused, citations [{passage, doc_id}], retrieved [{passage}], latency_ms.
    `derived`: documents compiled from the others (a Q&A booklet), which must never be an
    answer's only source."""
    s: dict = {"correct": answer_correct(q, result["answer"], result["refused"]),
               "latency_ms": result["latency_ms"], "unanswerable": q.unanswerable, "refused": result["refused"]}
    if q.unanswerable:
        return s
    relevant = [has_evidence(q, shown_text(r)) for r in result["retrieved"][:10]]
    for k in KS:
        s[f"hit@{k}"] = any(relevant[:k])
    first = next((i for i, r in enumerate(relevant) if r), None)
    s["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevant) if r)
    idcg = sum(1 / math.log2(i + 2) for i in range(sum(relevant)))
    s["ndcg@10"] = dcg / idcg if idcg else 0.0
    cited = [has_evidence(q, shown_text(c)) for c in result["citations"]]
    s["citation_hit"] = any(cited)
    if cited:
        s["citation_precision"] = sum(cited) / len(cited)
    docs = [c.get("doc_id", "") for c in result["citations"]]
    if q.sources and not result["refused"]:
        s["source_hit"] = any(d in q.sources for d in docs)  # the primary document the question is about
    if q.page is not None:
        s["page_hit"] = page_hit(q, result["citations"])  # cited by the right page (a book)
    if docs and derived is not None:
        s["derived_only"] = all(d in derived for d in docs)
    return s


def aggregate(scored: list[dict]) -> dict:
    answerable = [s for s in scored if not s["unanswerable"]]
    unanswerable = [s for s in scored if s["unanswerable"]]

    def mean(rows: list[dict], key: str) -> float | None:
        vals = [float(r[key]) for r in rows if key in r]
        return round(sum(vals) / len(vals), 4) if vals else None

    out = {"questions": len(scored), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for key in [f"hit@{k}" for k in KS] + ["mrr@10", "ndcg@10", "citation_hit", "citation_precision", "source_hit", "page_hit"]:
        out[key] = mean(answerable, key)
    out["derived_only"] = mean(scored, "derived_only")
    out["answer_correctness"] = mean(scored, "correct")
    out["answerable_correctness"] = mean(answerable, "correct")
    out["correct_refusals"] = mean(unanswerable, "refused")
    out["false_refusals"] = mean(answerable, "refused")
    lat = np.array([s["latency_ms"] for s in scored]) if scored else np.zeros(1)
    out["latency_p50_ms"] = round(float(np.percentile(lat, 50)), 1)
    out["latency_p95_ms"] = round(float(np.percentile(lat, 95)), 1)
    return out


def by_tag(questions: list[EvalQuestion], scored: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for q, s in zip(questions, scored):
        for tag in q.tags or ["untagged"]:
            groups[tag].append(s)
    return {tag: aggregate(rows) for tag, rows in sorted(groups.items())}
