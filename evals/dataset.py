"""The question-set format (one JSON object per line) and the lenient text matching the
metrics use: case, whitespace runs, Unicode form, tone-mark placement and markdown emphasis are ignored."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from hoidap.textnorm import canonical

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")


@dataclass
class EvalQuestion:
    id: str
    question: str
    answer_contains: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    unanswerable: bool = False
    tags: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    # doc_ids of the primary documents an answer must cite (one of them); empty = any document
    sources: list[str] = field(default_factory=list)
    # the page (or [first, last] pages) of a paged document a cited passage must cover (a book)
    page: int | list[int] | None = None


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    seen: set[str] = set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            q = EvalQuestion(**raw)
        except (json.JSONDecodeError, TypeError) as e:
            raise ValueError(f"{path}:{n}: not a valid question object ({e})") from None
        if q.id in seen:
            raise ValueError(f"{path}:{n}: duplicate id {q.id!r}")
        if not q.unanswerable and not q.evidence:
            raise ValueError(f"{path}:{n}: answerable question {q.id!r} needs evidence")
        seen.add(q.id)
        questions.append(q)
    return questions


def contains(text: str, needle: str) -> bool:
    return _plain(needle) in _plain(text)


_JOINER_SPACES = re.compile(r"\s*([-/])\s*")


def _plain(text: str) -> str:
    """Matched leniently, and without markdown emphasis: a plan's "**trước ngày 25/4/2023**" or
    "(*qua Ban Tuyên giáo Thành ủy*)" is shown (and indexed) without its stars, and a question set may copy either. Spaces around a hyphen
    or slash are typing, not wording: one plan writes "Hướng dẫn số 33 -HD/BTG" where another line of it
    has "33-HD/BTG". A line break is a space: a signature block's lines ("T/M BAN THƯỜNG VỤ" / "PHÓ BÍ THƯ …")
    copied onto one line are the same words."""
    return _JOINER_SPACES.sub(r"\1", canonical(text.replace("*", "").replace("\n", " ")))


def answer_correct(q: EvalQuestion, answer: str, refused: bool) -> bool:
    if q.unanswerable:
        return refused
    return not refused and all(any(contains(answer, alt) for alt in group) for group in q.answer_contains)


def shown_text(passage: dict) -> str:
    """What a reader is shown for a retrieved or cited passage: its heading path, then its text.
    A passage is scored with its heading, as retrieval benchmarks score a document's title with
    its body: the answer to "what is section VI called" is the heading every source line shows."""
    return f"{passage.get('heading') or ''}\n{passage['passage']}"


def has_evidence(q: EvalQuestion, text: str) -> bool:
    cells = row_cells(text)
    return any(contains(text, e) or (cells is not None and contains(cells, e)) for e in q.evidence)


_LABELLED_CELL = re.compile(r"^([^:;\n]{1,40}): (.*)$", re.S)


def row_cells(text: str) -> str | None:
    """A table row's passage ("TT: 1; NỘI DUNG: …; CƠ QUAN CHỦ TRÌ: …") as its cells side by side, the way
    the document's line has them: evidence copied from the file's row may run across cells ("… Chủ tịch
    HĐND thành phố Đ/c Trưởng Ban Tuyên giáo Thành ủy Văn phòng Thành ủy") and is matched against this.
    None for a passage that is no row (its heading path, the first line, aside)."""
    *head, body = text.rsplit("\n", 1) if "\n" in text else ("", text)
    cells = [_LABELLED_CELL.match(part) for part in body.split("; ")]
    if len(cells) < 2 or not all(m and m.group(1).isupper() for m in cells):
        return None
    return " ".join(m.group(2) for m in cells)


def page_hit(q: EvalQuestion, citations: list[dict]) -> bool:
    """A cited passage's pages (page … page_end) cover the expected page (or overlap the range)."""
    lo, hi = (q.page, q.page) if isinstance(q.page, int) else (q.page[0], q.page[-1])
    for c in citations:
        if c.get("page") is not None and c["page"] <= hi and (c.get("page_end") or c["page"]) >= lo:
            return True
    return False
