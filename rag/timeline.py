"""What is due in a month, a quarter or on a day: "tháng 4/2023 có những việc gì", "quý II phải làm gì theo
KH 205", "ngày 10/5/2023 là mốc của những văn bản nào".

The plans date their steps in lines, list items and table rows ("+ Thời gian: trong tháng 4/2023.",
"xong trước 30/4/2023", "Quý II/2023", "ngày 19/5"), so the answer is gathered from every passage
of the plans asked about, not from the one passage retrieval ranks first: each dated step of the
period, quoted with its citation, in date order. A date that only identifies another document
("Kế hoạch số 126-KH/TU, ngày 04/4/2023") or says when a plan was issued is no step. A plan the
question names that dates nothing in the period (or sends no report in it, when reports are asked)
is said so: the documents do not say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hoidap.model import Chunk
from hoidap.textnorm import fold

from .positions import bulleted_items

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = r"(?:\s*/\s*(\d{4})|\s+nam\s+(\d{4}))?"
_PERIOD = re.compile(r"\bthang\s+(\d{1,2})" + _YEAR + r"(?!\s*/?\d)|\bquy\s+(iv|i{1,3}|[1-4])" + _YEAR + r"\b")
# what is asked of the period: its steps ("có những việc gì", "phải làm gì", "có mấy mốc", "có hoạt động nào")
_ASKS_STEPS = re.compile(r"\b(?:nop|gui) (?:bao cao|ke hoach)(?: \w+){0,2}? (?:gi|nao)\b"
                         r"|\b(?:nhung |cac |may )?(?:viec|cong viec|nhiem vu|hoat dong|su kien|moc|noi dung can lam)"
                         r"(?: \w+){0,3}? (?:gi|nao)\b|\b(?:co|lam|phai lam|can lam|phai) gi\b|\bco nhung gi\b"
                         r"|\bco may (?:viec|moc|hoat dong|nhiem vu)\b")
_ASKS_REPORTS = re.compile(r"\b(?:nop|gui|bao cao)\b(?: \w+){0,3}? (?:gi|nao)\b")
_SENDS = re.compile(r"\b(?:bao cao|nop|gui)\b")
_CHECKS = re.compile(r"\b(?:dung khong|phai khong|co phai|dung ko|phai ko|hay khong)\b")
# a date naming another document: "Kế hoạch số 126-KH/TU, ngày 04/4/2023", "Chỉ thị 27 ngày 25/10/2021"
_DOCUMENT_DATE = re.compile(r"(?:\d+\s*-\s*[A-ZĐ]+/[A-ZĐ/]+|\bsố \d+\w*|Chỉ thị \d+|Kết luận \d+|Quy định \d+)[^.;\n]{0,25}?"
                            r"ngày \d{1,2}/\d{1,2}/\d{4}")
# dates in a plan's text: "30/4/2023", "30/4", "tháng 4/2023", "tháng 4", "Quý II/2023"
_DAY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\d/])")
_MONTH = re.compile(r"\btháng\s+(\d{1,2})(?:\s*/\s*(\d{4})|\s+năm\s+(\d{4}))?(?![\d/])", re.I)
# the place and date line of a plan's header ("Điện Biên, ngày tháng 4 năm 2023"): when it was issued, no step
_ISSUED_LINE = re.compile(r"^[^\W\d][\w ]{1,30}, ngày\b[^\n]*$", re.M)
_QUARTER = re.compile(r"\bQuý\s+(IV|I{1,3}|[1-4])(?:\s*/\s*(\d{4}))?", re.I)
MAX_STEPS = 8  # steps quoted in one answer (a month of the busiest plan has five)
STEP_CHARS = 260  # … each shortened to this many characters


@dataclass(frozen=True)
class Period:
    months: frozenset[int]
    year: int | None
    label: str  # as the answer names it: "tháng 4/2023", "Quý II/2023", "ngày 10/5/2023"
    day: int | None = None  # one day asked: "ngày 10/5/2023 là mốc của những văn bản nào"


# "ngày 10/5/2023 là mốc của những văn bản nào", "30/4 là hạn của kế hoạch nào, việc gì": which plans date a step
# on that day, and what the step is
_DAY_ASKED = re.compile(r"\b(?:ngay )?(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b(?= la (?:moc|han|thoi han|deadline|ngay))"
                        r"(?=.*\b(?:van ban|ke hoach|huong dan|kh|ben|noi) nao\b)")


@dataclass(frozen=True)
class Step:
    chunk: Chunk
    start: int
    end: int
    when: tuple[int, int]  # (month, day) for ordering; day 0 for a whole month or quarter
    at: int  # where the date is written

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end].strip()

    def shown(self, budget: int) -> tuple[str, list[tuple[int, int]]]:
        """The step as quoted in at most about `budget` characters, with the offsets of what is quoted: the
        whole step when short; else its opening line and the line of its date ("- Tuyên truyền về Hội thảo do
        tỉnh tổ chức … Thời gian thực hiện: Tháng 4/2023."), each cut around what matters."""
        if self.end - self.start <= budget:
            return self.text, [(self.start, self.end)]
        text = self.chunk.text
        first_end = _line_end(text, self.start, self.end)
        if self.at - self.start < budget * 2 // 3:  # the date is in the opening words: from the start
            lo, hi = _window(text, self.start, self.end, self.start, budget)
            return _dotted(text, lo, hi, self.start, self.end), [(lo, hi)]
        head_lo, head_hi = _window(text, self.start, first_end, self.start, HEAD_CHARS)
        line_lo = max(text.rfind("\n", self.start, self.at) + 1, head_hi)
        lo, hi = _window(text, line_lo, _line_end(text, line_lo, self.end), self.at, budget - (head_hi - head_lo))
        return (f"{text[head_lo:head_hi].strip()} … {text[lo:hi].strip()}" + (" …" if text[hi:self.end].strip() else ""),
                [(head_lo, head_hi), (lo, hi)])


def _line_end(text: str, start: int, end: int) -> int:
    stop = text.find("\n", start, end)
    return end if stop < 0 else stop


def _window(text: str, lo: int, hi: int, at: int, size: int) -> tuple[int, int]:
    """At most `size` characters of text[lo:hi] around offset `at`, cut at spaces."""
    if hi - lo <= size:
        return lo, hi
    a = max(lo, min(at - size // 3, hi - size))
    if a > lo:
        a = text.find(" ", a, hi) + 1 or a
    b = min(hi, a + size)
    if b < hi:
        b = text.rfind(" ", a, b) if text.rfind(" ", a, b) > a else b
    return a, b


def _dotted(text: str, lo: int, hi: int, start: int, end: int) -> str:
    return ("… " if lo > start else "") + text[lo:hi].strip() + (" …" if text[hi:end].strip() and hi < end else "")


HEAD_CHARS = 120  # the opening words of a long step quoted before the words around its date


def asked_period(question: str) -> Period | None:
    """The month or quarter whose steps a question asks for, or None ("hội nghị tổ chức tháng 4 đúng
    không?" checks one step; "ngày 30/4 là hạn của kế hoạch nào" asks a plan)."""
    f = fold(question).lower()
    d = _DAY_ASKED.search(f)
    if d and not _CHECKS.search(f) and 1 <= int(d.group(2)) <= 12:
        day, month, year = int(d.group(1)), int(d.group(2)), d.group(3)
        return Period(frozenset({month}), int(year) if year else None, f"ngày {day}/{month}" + (f"/{year}" if year else ""),
                      day)
    m = _PERIOD.search(f)
    if not m or _CHECKS.search(f) or not _ASKS_STEPS.search(f):
        return None
    if m.group(1):
        month = int(m.group(1))
        if not 1 <= month <= 12:
            return None
        year = m.group(2) or m.group(3)
        return Period(frozenset({month}), int(year) if year else None, f"tháng {month}" + (f"/{year}" if year else ""))
    q = _ROMAN.get(m.group(4)) or int(m.group(4))
    year = m.group(5) or m.group(6)
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}[q]
    return Period(frozenset(range(3 * q - 2, 3 * q + 1)), int(year) if year else None,
                  f"Quý {roman}" + (f"/{year}" if year else ""))


def steps_in(period: Period, chunks: list[Chunk]) -> list[Step]:
    """The dated steps of `chunks` (one document's passages, in order) that fall in the period."""
    found = []
    for c in chunks:
        if c.kind not in ("text", "row"):
            continue
        for start, end in _units(c):
            when = _falls_in(period, c.text[start:end])
            if when is not None:
                found.append(Step(c, start, end, when[:2], start + when[2]))
    return found


def _units(chunk: Chunk) -> list[tuple[int, int]]:
    """The parts of a passage that each say one step: a table row whole; a list item ("- … + Thời gian: …")
    with its detail lines; otherwise each line."""
    if chunk.kind == "row":
        return [(0, len(chunk.text))]
    items = [(i.start, i.end) for i in bulleted_items([chunk])]
    if items:
        lead = [(0, items[0][0])] if chunk.text[:items[0][0]].strip() else []
        return lead + items
    out, at = [], 0
    for line in chunk.text.split("\n"):
        if line.strip():
            out.append((at, at + len(line)))
        at += len(line) + 1
    return out


def _falls_in(period: Period, text: str) -> tuple[int, int, int] | None:
    """(month, day, offset) of the first date of `text` in the period, leaving aside dates naming documents
    and the plan's own issue date."""
    text = _ISSUED_LINE.sub(_blank, _DOCUMENT_DATE.sub(_blank, text))
    for m in _DAY.finditer(text):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= day <= 31 and month in period.months and _same_year(period, year) and period.day in (None, day):
            return month, day, m.start()
    if period.day is not None:
        return None
    for m in _MONTH.finditer(text):
        month, year = int(m.group(1)), m.group(2) or m.group(3)
        if month in period.months and _same_year(period, year):
            return month, 0, m.start()
    for m in _QUARTER.finditer(text):
        q = _ROMAN.get(m.group(1).lower()) or int(m.group(1))
        if set(range(3 * q - 2, 3 * q + 1)) <= period.months and _same_year(period, m.group(2)):
            return 3 * q - 2, 0, m.start()
    return None


def _blank(m: re.Match) -> str:
    return " " * len(m.group(0))  # (offsets stay those of the passage)


def _same_year(period: Period, year: str | None) -> bool:
    return period.year is None or year is None or int(year) == period.year


def distinct(steps: list[Step]) -> list[Step]:
    """Each step once: a plan's appendix table repeats its body's steps row by row ("TT: 1; NỘI DUNG: Tổ chức
    hội nghị …"), so a row most of whose words a body step already says is left out."""
    kept: list[Step] = []
    for s in sorted(steps, key=lambda s: s.chunk.kind == "row"):
        words = _words(_row_content(s.text) if s.chunk.kind == "row" else s.text)
        if not any(len(words & _words(k.text)) >= ROW_OVERLAP * len(words) for k in kept):
            kept.append(s)
    return kept


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text).lower()))


def _row_content(text: str) -> str:
    """A row's content cell ("NỘI DUNG: …"), what a body step would say of it; the row when it has none."""
    m = re.search(r"NỘI DUNG: (.*?)(?:; [A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ ]{1,40}: |$)", text, re.S)
    return m.group(1) if m else text


ROW_OVERLAP = 0.6  # a table row sharing this much of its words with a body step is that step again


def period_answer(index, query, citation, derived: set[str]) -> tuple[str, list, list] | str | None:
    """"Tháng 4/2023 có những việc gì (theo KH 205)?": the steps of that period, of the plans the question
    names or the conversation is about, else of every plan; (text, citations, passages); what to say when a
    plan the question names dates nothing in it (a refusal); None when the question asks no period's steps,
    or of no named plan and none dates a step in it (the passages retrieval found answer)."""
    from .types import Candidate

    period = asked_period(query.normalized or query.question) or asked_period(query.question)
    if period is None and query.followup and _PERIOD.search(fold(query.question).lower()):
        period = asked_period(query.search_text)  # "tháng 6 thì sao?" after "tháng 5 có những việc gì"
    if period is None:
        return None
    docs = (list(query.docs) or (list(query.context_docs) if period.day is None else [])
            or sorted(index.manifest.documents))  # (a day is looked for in every plan: "… của những văn bản nào")
    docs = [d for d in docs if d not in derived and d in index.manifest.documents]
    reports = _ASKS_REPORTS.search(fold(query.normalized or query.question).lower())
    per_doc = []
    for doc_id in docs:
        chunks = [index.chunks[r] for r in index.doc_rows(doc_id) if index.chunks[r].doc_id == doc_id]
        steps = distinct(steps_in(period, chunks))
        if reports:  # "tháng 5 phải nộp báo cáo gì": the steps that send something up, not the month's meetings
            steps = [s for s in steps if _SENDS.search(fold(s.text).lower())]
        if steps:
            per_doc.append((doc_id, sorted(steps, key=lambda s: (s.when, s.chunk.span[0], s.start))))
    if not per_doc:
        if query.docs and period.day is None:  # the plan asked about dates nothing in that month: said so
            what = "việc gửi báo cáo, kế hoạch nào" if reports else "việc nào"
            return f"Tài liệu không nêu {what} có thời hạn trong {period.label}."
        return None
    lines, cited, passages = [], [], []
    for doc_id, steps in per_doc:
        doc = index.doc(doc_id)
        title = doc.get('title', doc_id).split(':')[0].strip()
        lines.append(f"Ngày {period.label[5:]}, {title} ghi:" if period.day else f"Trong {period.label}, {title} có:")
        for s in steps:
            if len(cited) >= MAX_STEPS:
                break
            n = len(cited) + 1
            shown, spans = s.shown(STEP_CHARS)
            lines.append(f"{shown} [{n}]")
            cand = Candidate(chunk=s.chunk, doc=doc, score=0.0)
            cited.append(citation(n, cand, spans))
            passages.append(cand)
    return "\n".join(lines), cited, passages
