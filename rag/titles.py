"""Questions asking what a section is called: "Phụ lục số 01 kèm theo Kế hoạch 205-KH/TU có tên
là gì?", "Mục III của kế hoạch có tiêu đề gì?". The name is a heading line, which the chunker
keeps in the passages' heading path rather than in their text, so quoting the passage gives the
line under the heading ("(kèm theo Kế hoạch số 205 …)"). The answer quotes the heading line
itself, from the document text, and the citation's passage runs from that line through the
passage it heads."""
from __future__ import annotations

import re

from hoidap.model import PATH_SEP
from hoidap.textnorm import fold

from .index import OpenIndex
from .query import Query
from .retrieve import coverage
from .types import Candidate

_ASKS_TITLE = re.compile(r"\b(co ten|mang ten|ten (la gi|goi|day du|cua (no|muc|phan|phu luc))|tieu de|ten la)\b")
MAX_DISTANCE = 400  # characters between the heading line and the passage it heads (a lead-in line or two)


def asks_title(question: str) -> bool:
    return bool(_ASKS_TITLE.search(fold(question).lower()))


def heading_line(index: OpenIndex, query: Query, lead: Candidate, unit_coverage: float) -> tuple[int, int] | None:
    """The offsets in the document text of the heading (of the lead passage's path) that the
    question names — it covers the question better than any unit of the passage does
    (`unit_coverage`) — when it stands just above the passage; None otherwise."""
    segments = [s.strip().rstrip("…").strip() for s in lead.chunk.heading.split(PATH_SEP) if s.strip()]
    scored = [(coverage(index, query, s), s) for s in segments]
    if not scored:
        return None
    best, segment = max(scored, key=lambda t: t[0])
    if best <= unit_coverage or len(segment) < 8:  # "Phần thứ hai … tên là gì": a line of the passage names it
        return None
    try:
        text = index.doc_text(lead.chunk.doc_id)
    except OSError:
        return None
    start = text.rfind(segment, 0, lead.chunk.span[0] + 1)
    if start < 0 or lead.chunk.span[0] - (start + len(segment)) > MAX_DISTANCE:
        return None
    end = text.find("\n", start)
    if end < 0 or end > lead.chunk.span[0]:
        end = start + len(segment)
    return start, end


def title_answer(index: OpenIndex, lead: Candidate, line: tuple[int, int], citation):
    """The heading line as the answer's text, and its citation: the passage from that line on."""
    text = index.doc_text(lead.chunk.doc_id)
    start, end = line
    cited = citation(1, lead).model_copy(update={"passage": text[start:lead.chunk.span[1]],
                                                  "span": (start, lead.chunk.span[1]), "highlights": [(start, end)]})
    return f"{text[start:end].strip()} [1]", cited
