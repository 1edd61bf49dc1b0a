"""Answer confidence: a small logistic model over retrieval features, fitted on data.

`confidence` is P(the extractive answer is correct) from the features below, with the
intercept shifted so that the operating point chosen on the fitting data (the most
unanswerable questions refused while at most 5% of the answerable ones are) falls on the
configured refusal threshold (`Settings.refuse_threshold`, 0.48). Question types (date,
number, who, list, other) have their own intercepts.

Refit with `python -m evals.calibrate --index DIR --write` (see evals/calibrate.py): it runs the
fitting question sets with refusals off, labels each answer correct or not, fits the model
(L2-regularised logistic regression, Newton's method) and rewrites the WEIGHTS block below.
"""
from __future__ import annotations

import math
import re

from hoidap.textnorm import fold

FEATURES = ["coverage", "unit_coverage", "doc_coverage", "predicate_coverage", "dense", "margin", "named_hit",
            "named_miss", "fact_hit", "fact_miss", "unknown_words", "unknown_pairs", "unknown_adjacent", "count_miss", "followup", "focus_hit", "type_date",
            "type_number", "type_who", "type_list"]

# The direction each piece of evidence may push (the fit holds a weight that comes out the
# other way at 0): covering the question raises confidence, what the corpus lacks lowers it.
SIGNS = {"coverage": 1, "unit_coverage": 1, "predicate_coverage": 1, "named_hit": 1, "fact_hit": 1, "focus_hit": 1,
         "named_miss": -1, "fact_miss": -1, "unknown_words": -1, "unknown_pairs": -1, "unknown_adjacent": -1,
         "count_miss": -1}

# BEGIN FITTED (written by `python -m evals.calibrate --write`; do not edit by hand)
WEIGHTS = {
    "bias": -2.1417, "coverage": 2.9300, "unit_coverage": 1.1167, "doc_coverage": -0.9454,
    "predicate_coverage": 2.8040, "dense": 0.2950, "margin": 1.0282, "named_hit": 0.0343, "named_miss": -1.9200,
    "fact_hit": 0.0000, "fact_miss": -0.4546, "unknown_words": 0.0000, "unknown_pairs": -0.3257,
    "unknown_adjacent": -0.5877, "count_miss": -1.9838, "followup": 0.1485, "focus_hit": 2.2792,
    "type_date": -0.2238, "type_number": -0.5925, "type_who": 0.1728, "type_list": 0.0426,
}
FIT = {'sets': ['questions.jsonl', 'questions-phone-dev.jsonl', 'questions-heldout-dev.jsonl'], 'variants': True, 'examples': 1204, 'l2': 1.0, 'unanswerable_weight': 3.0, 'max_false': 0.04, 'threshold_before_shift': 0.4854, 'false_refusals': 0.0375, 'refused_unanswerable': 0.8795, 'answerable': 1121, 'unanswerable': 83, 'correct_answers': 1027}
# END FITTED

_WORD = re.compile(r"\w+")
_CAPS = re.compile(r"(?<![\w&])[A-ZĐ][A-ZĐ&]{1,9}(?![\w&])")


def features(query, candidates, lead, unit_coverage: float, lexicon, stop: set[str], doc_coverage: float = 1.0,
             predicate_coverage: float = 1.0) -> dict[str, float]:
    """The model's inputs for one answer: `lead` is the candidate the answer quotes first;
    `doc_coverage`: how much of this turn's question its whole document covers (a plan asked
    about something it never mentions is a near-miss); `predicate_coverage`: how much of what
    the question asks, its names (documents, people) aside, the passage covers ("Đỗ Văn Nghị
    sinh năm nào": the name is there, "sinh năm" is not)."""
    second = next((c for c in candidates if c is not lead and c.chunk.doc_id != lead.chunk.doc_id), None)
    content = [w for w in _WORD.findall(fold(query.normalized or query.question).lower()) if w not in stop]
    unknown = [w for w in content if lexicon is not None and not lexicon.known_folded(w)]
    pairs = [f"{a} {b}" for a, b in zip(content, content[1:])]
    unknown_pairs = [p for p in pairs if lexicon is not None and not lexicon.occurs(p)]
    adjacent = unknown_adjacent(query, lexicon, stop)
    from .query import counted_noun, counts, has_fact

    noun = counted_noun(query.normalized or query.question)

    f = {
        "coverage": lead.coverage,
        "unit_coverage": unit_coverage,
        "doc_coverage": doc_coverage,
        "predicate_coverage": predicate_coverage,
        "dense": (lead.dense - 0.8) / 0.1,
        "margin": max(-1.0, min(1.0, lead.score - second.score)) if second else 1.0,
        "named_hit": float(bool(query.docs) and lead.chunk.doc_id in query.docs),
        "named_miss": float(bool(query.docs) and lead.chunk.doc_id not in query.docs),
        "fact_hit": float(bool(query.wants) and has_fact(query.wants, lead.chunk.text)),
        "fact_miss": float(bool(query.wants) and not has_fact(query.wants, lead.chunk.text)),
        "unknown_words": len(unknown) / len(content) if content else 0.0,
        "unknown_pairs": len(unknown_pairs) / len(pairs) if pairs else 0.0,
        "unknown_adjacent": adjacent,
        # "dày bao nhiêu trang" answered by a passage that gives no number of pages
        "count_miss": float(bool(noun) and not counts(lead.chunk.heading + " " + lead.chunk.text, noun)),
        "followup": float(query.followup),
        "focus_hit": float(lead.chunk.chunk_id in query.focus),  # "người đó" and the passage that named them
    }
    for t in ("date", "number", "who", "list"):  # a document number counts as a number
        f[f"type_{t}"] = float(query.qtype == t or (t == "number" and query.qtype == "docnum"))
    return f


def unknown_adjacent(query, lexicon, stop: set[str]) -> float:
    """Share of the syllable pairs the user typed side by side (at least one of them a topic
    word) that never stand side by side in the corpus, accent-free. Dropping function words
    before pairing hides compounds: typed without diacritics, "thu do cua phap" keeps only
    "thu" and "phap", each somewhere in the corpus, while "thu do" ("thủ đô") is nowhere."""
    if lexicon is None:
        return 0.0
    words = _WORD.findall(fold(query.normalized or query.question).lower())
    # an abbreviation typed in capitals ("bên MTTQ", "Sở KHCN") is written out in the corpus, so
    # its neighbours are never beside it there: that is no misread compound
    typed = {fold(m).lower() for m in _CAPS.findall(query.question)} & set(lexicon.abbreviations)
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])
             if (a not in stop or b not in stop) and a not in typed and b not in typed]
    if not pairs:
        return 0.0
    frame = _question_frame()
    return sum(1 for p in pairs if p not in frame and not lexicon.occurs(p)) / len(pairs)


_FRAME: set[str] = set()


def _question_frame() -> set[str]:
    """Accent-free pairs of the phrases questions are made of ("bao nhieu", "la gi")."""
    if not _FRAME:
        from .normalize import QUESTION_PHRASES

        for phrase in QUESTION_PHRASES:
            w = fold(phrase).lower().split()
            _FRAME.update(f"{a} {b}" for a, b in zip(w, w[1:]))
    return _FRAME


def probability(f: dict[str, float], weights: dict[str, float] | None = None) -> float:
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in f.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
