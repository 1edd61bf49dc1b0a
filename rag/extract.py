"""The default answer, which needs no language model: the sentence(s) or list that answer
the question, quoted verbatim from the best passages, each tied to a numbered citation —
or an honest refusal when the passages do not cover the question."""
from __future__ import annotations

import re

from hoidap.schema import Citation, OtherDocument
from hoidap.textnorm import fold

from .index import OpenIndex
from .query import Query, has_fact
from .retrieve import coverage
from .types import Answer, Candidate

LEAD_CHARS = 1000
_INJECTION = re.compile(
    r"bo qua (moi|tat ca|cac|nhung)? ?(huong dan|chi dan|chi thi|lenh|quy tac)|ignore (all|any|the|previous|your)|"
    r"(viet|sang tac|lam) (cho toi )?(mot )?(bai )?(tho|truyen|bai hat)|system prompt|jailbreak|dong vai|gia vo la|"
    r"quen (het|di) (moi|cac)|khong can (trich dan|nguon)")
REFUSAL = ("Các tài liệu trong kho không đề cập đến nội dung này, nên tôi không thể trả lời "
           "mà không có đoạn trích làm căn cứ.")
SUGGESTIONS = [
    "Tác phẩm gồm mấy phần?",
    "8 bài học kinh nghiệm trong phòng, chống tham nhũng, tiêu cực là gì?",
    "Thời hạn gửi báo cáo kết quả của Thành ủy Yên Bái?",
    "Ai ký Hướng dẫn của Ban Tuyên giáo Thị ủy?",
]


def units(text: str) -> list[str]:
    """Quotable units of a passage: its lines, long lines cut at sentence ends. A line
    holding an enumerated list "(1) …; (2) …" stays whole."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if len(line) <= 500 or re.search(r"\(\d\)", line):
            out.append(line)
        else:
            out.extend(s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ“(])", line) if s)
    return out


def unit_score(index: OpenIndex, query: Query, unit: str) -> float:
    return coverage(index, query, unit) + (0.15 if has_fact(query.wants, unit) else 0.0)


def confidence(index: OpenIndex, query: Query, candidates: list[Candidate]) -> float:
    """How well the best passages cover the question, 0..1, calibrated on the evaluation."""
    if not candidates or not query.terms:
        return 0.0
    top = candidates[0]
    return 0.7 * top.coverage + 0.3 * max(0.0, (top.dense - 0.75) / 0.15)


def is_injection(question: str) -> bool:
    return bool(_INJECTION.search(fold(question)))


def citation(n: int, cand: Candidate, quoted: list[tuple[int, int]] | None = None) -> Citation:
    """`quoted`: offsets inside the passage of the parts the answer quotes (the whole passage
    when None); the citation carries them as offsets in the document text."""
    c, d = cand.chunk, cand.doc
    base = c.span[0]
    parts = quoted if quoted is not None else [(0, len(c.text))]
    return Citation(marker=n, passage=c.text, title=d.get("title", ""), issuer=d.get("issuer", ""),
                    number=d.get("number", ""), date=d.get("date", ""), kind=d.get("kind", ""), heading=c.heading,
                    page=c.page, source=d.get("source", ""), span=c.span, doc_id=c.doc_id, chunk_id=c.chunk_id,
                    highlights=[(base + a, base + b) for a, b in parts if b > a],
                    also_in=[OtherDocument(**{k: a.get(k, "") for k in ("doc_id", "title", "source", "chunk_id")})
                             for a in cand.also_in])


def _item(parts: list[str], i: int, budget: int) -> list[int]:
    """A "- item" goes with its "+ …" details (deadline, speaker): the whole group around
    unit i, as far as the budget allows, the best unit first."""
    if not parts[i].startswith(("- ", "+")):
        return [i]
    start = i
    while start > 0 and parts[start].startswith("+"):
        start -= 1
    end = i + 1
    while end < len(parts) and parts[end].startswith("+"):
        end += 1
    group = [i] + [k for k in range(start, end) if k != i]
    out, used = [], 0
    for k in group:
        if not out or used + len(parts[k]) <= budget:
            out.append(k)
            used += len(parts[k])
    return out


def _locate(passage: str, parts: list[str]) -> list[tuple[int, int]]:
    """Offsets of quoted parts inside the passage, searched in reading order (every part is a
    verbatim piece of it; the last may be cut short with "…")."""
    spans, pos = [], 0
    for part in parts:
        piece = part[:-1] if part.endswith("…") else part
        start = passage.find(piece, pos)
        if start < 0:
            start = passage.find(piece)
        if start >= 0:
            spans.append((start, start + len(piece)))
            pos = start + len(piece)
    return spans


def _cut(text: str, budget: int) -> str:
    return text if len(text) <= budget else text[:budget].rsplit(" ", 1)[0] + "…"


def quote(index: OpenIndex, query: Query, cand: Candidate, budget: int) -> tuple[str, list[tuple[int, int]]]:
    """The part of a passage that answers (the best unit and close runners-up, in order),
    with the offsets of what was quoted inside the passage."""
    chunk = cand.chunk
    if chunk.kind == "qa":
        text = _cut(chunk.text.split("Trả lời:", 1)[-1].strip(), budget)
        return text, _locate(chunk.text, [text])
    if chunk.kind in ("row", "signature") or len(chunk.text) <= 300:
        return chunk.text.replace("\n", " "), [(0, len(chunk.text))]
    parts = units(chunk.text)
    scores = [unit_score(index, query, u) for u in parts]
    best = max(range(len(parts)), key=lambda i: scores[i])
    chosen = set(_item(parts, best, budget))
    for i in sorted(range(len(parts)), key=lambda i: -scores[i]):
        if scores[i] >= 0.6 * scores[best] and sum(len(parts[k]) for k in chosen | {i}) <= budget:
            chosen.add(i)
    picked = [parts[i] for i in sorted(chosen)]
    text = " ".join(picked)
    if len(text) > budget + 200:
        text = _cut(text, budget)
        kept, used = [], 0
        for p in picked:  # the parts that survive the cut, the last one shortened
            if used >= len(text):
                break
            kept.append(p if used + len(p) <= len(text) else text[used:])
            used += len(p) + 1
        picked = kept
    return text, _locate(chunk.text, picked)


def extractive_answer(index: OpenIndex, query: Query, candidates: list[Candidate], threshold: float) -> Answer:
    conf = confidence(index, query, candidates)
    if is_injection(query.question) or conf < threshold:
        return refusal(query, candidates, conf)
    first = candidates[0]
    lead, spans = quote(index, query, first, LEAD_CHARS - 200)
    citations = [citation(1, first, spans)]
    text = f"{lead} [1]"
    for cand in _second_sources(query, candidates):
        room = LEAD_CHARS - len(text) - 10
        if room <= 150:
            break
        n = len(citations) + 1
        piece, spans = quote(index, query, cand, room)
        text += f"\n{piece} [{n}]"
        citations.append(citation(n, cand, spans))
    return Answer(question=query.question, answer=text, refused=False, confidence=conf, citations=citations, retrieved=candidates)


def _second_sources(query: Query, candidates: list[Candidate]) -> list[Candidate]:
    """Other documents' passages worth quoting after the first: the best one of every other
    document the question names (comparisons), else one nearly as good as the first."""
    first = candidates[0]

    def other(c: Candidate) -> bool:
        return c.chunk.doc_id != first.chunk.doc_id and not (c.chunk.dup_group and c.chunk.dup_group == first.chunk.dup_group)

    if len(query.docs) >= 2:
        best: dict[str, Candidate] = {}
        for c in candidates[1:]:
            if other(c) and c.chunk.doc_id in query.docs and c.chunk.doc_id not in best:
                best[c.chunk.doc_id] = c
        return list(best.values())
    runner_up = next((c for c in candidates[1:4] if other(c)), None)
    return [runner_up] if runner_up and runner_up.score >= 0.9 * first.score else []


def refusal(query: Query, candidates: list[Candidate], conf: float) -> Answer:
    closest = candidates[:3]
    lines = [REFUSAL]
    if closest and not is_injection(query.question):
        lines.append("Các đoạn gần nhất (chỉ để tham khảo, không phải câu trả lời):")
        for n, c in enumerate(closest, 1):
            lines.append(f"- Gần nhất [{n}]: {c.doc.get('title', '')[:80]} — {c.chunk.heading[:80]}")
    lines.append("Bạn có thể hỏi, ví dụ: " + "; ".join(SUGGESTIONS[:3]))
    # The closest passages are shown as such, never cited as support.
    return Answer(question=query.question, answer="\n".join(lines), refused=True, confidence=conf, citations=[],
                  retrieved=candidates, suggestions=SUGGESTIONS)
