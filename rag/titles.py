"""Questions asking what a section is called: "Phụ lục số 01 kèm theo Kế hoạch 205-KH/TU có tên
là gì?", "Mục III của kế hoạch có tiêu đề gì?". The name is a heading line, which the chunker
keeps in the passages' heading path rather than in their text, so quoting the passage gives the
line under the heading ("(kèm theo Kế hoạch số 205 …)"). The answer quotes the heading line
itself, from the document text, and the citation's passage runs from that line through the
passage it heads."""
from __future__ import annotations

import re

from hoidap.model import PATH_SEP
from hoidap.textnorm import fold, nfc

from .index import OpenIndex
from .query import Query
from .retrieve import coverage
from .sections import asks_document_outline, asks_outline, locate, top_sections
from .structures import PAIRS_COUNTED, question_number, structures
from .types import Candidate

_ASKS_TITLE = re.compile(r"\b(co ten|mang ten|ten (la gi|goi|day du|cua (no|muc|phan|phu luc))|tieu de|ten la"
                         r"|la (?:muc|phan) (?:gi|nao))\b")  # "mục III là mục gì"
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
    return heading_above(index, lead.chunk, segment)


def heading_above(index: OpenIndex, chunk, segment: str) -> tuple[int, int] | None:
    """The offsets in the document text of the line holding `segment` (a heading of the
    passage's path), when it stands just above the passage; None otherwise."""
    try:
        text = index.doc_text(chunk.doc_id)
    except OSError:
        return None
    start = text.rfind(segment, 0, chunk.span[0] + 1)
    if start < 0 or chunk.span[0] - (start + len(segment)) > MAX_DISTANCE:
        return None
    end = text.find("\n", start)
    if end < 0 or end > chunk.span[0]:
        end = start + len(segment)
    return start, end


_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s+\S")
ACTOR_HEADING_CHARS = 90  # a sub-heading this short that is only a name ("5. Trung tâm Truyền thông …")
# How the name of a body (an office, a committee, a unit) begins: "Ban Tuyên giáo …", "Trung tâm …",
# "Văn phòng Thành ủy", "Các Đảng bộ, chi bộ …", "UB Mặt trận Tổ quốc …", "Chi, đảng bộ …" — read with its
# diacritics ("Tổ chức hội nghị …", "Hội nghị …", "Báo cáo …", "Sơ kết …" name tasks, not bodies)
_BODY = re.compile(r"^(?:các |những )?(ban(?! hành)|văn phòng|trung tâm|phòng(?!,| chống| ngừa)|sở|ủy ban|uỷ ban|ub|ubnd|hđnd|mặt trận|hội(?! nghị)"
                   r"|đoàn|công đoàn|đảng ủy|đảng uỷ|đảng bộ|chi bộ|chi|thành ủy|thành uỷ|tỉnh ủy|tỉnh uỷ|huyện ủy|huyện uỷ"
                   r"|thị ủy|thị uỷ|quận ủy|quận uỷ|cấp ủy|cấp uỷ|cơ quan|đơn vị|báo(?! cáo)|đài|trường|viện|bộ|tổ(?! chức)"
                   r"|công an|quân sự|doanh nghiệp)\b")


def actor_leaf(cand: Candidate) -> str:
    """"Việc … giao cho đơn vị nào?": plans list each body's tasks under a numbered sub-heading
    naming the body ("5. Trung tâm Truyền thông và Văn hóa thành phố"), and the passage's text
    never names it again. That sub-heading, when it is the passage's own (whole, not cut short)
    and its text does not repeat it; "" otherwise. (`heading_above` finds its line, to quote
    before the task, when it stands just above the passage.)"""
    chunk = cand.chunk
    leaf = chunk.heading.rsplit(PATH_SEP.strip(), 1)[-1].strip() if chunk.heading else ""
    if not leaf or leaf.endswith("…") or len(leaf) > ACTOR_HEADING_CHARS or not _NUMBERED.match(leaf):
        return ""
    name = nfc(leaf.split(None, 1)[1]).lower()
    if not _BODY.match(name) or fold(name) in fold(chunk.text[:300]).lower():
        return ""
    return leaf


def actor_line(index: OpenIndex, cand: Candidate, quoted: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The same for a body's part that opens with its numbered line inside the passage ("4. Ban
    Tuyên giáo Huyện ủy hướng dẫn tuyên truyền, phổ biến …"), when the answer quotes a later line
    of it ("Thường xuyên theo dõi …; tham mưu … tổ chức sơ kết"): the document offsets of that
    line's opening clause (up to its first comma or colon), which names the body."""
    chunk = cand.chunk
    first = chunk.text.split("\n", 1)[0]
    first_quoted = min((s for s, _ in quoted), default=0)
    if not _NUMBERED.match(first) or " " not in first or first_quoted <= len(first.split(None, 1)[0]) + 1:
        return None  # (a quote from the line's own words on, "Ban Thường trực … xây dựng …", names the body itself)
    if any(_NUMBERED.match(line) for line in chunk.text[len(first):first_quoted].split("\n")):
        return None  # the quoted line belongs to a later numbered part, whose body this is not
    name = nfc(first.split(None, 1)[1]).lower()
    if not _BODY.match(name):
        return None
    clause = re.match(r"[^,:;]*", first).group(0).rstrip(" .")
    if len(clause) > ACTOR_HEADING_CHARS:
        clause = clause[:ACTOR_HEADING_CHARS].rsplit(" ", 1)[0]
    start, end = chunk.span[0], chunk.span[0] + len(clause)
    try:  # the offsets must hold in the document's text (an index without it quotes no heading)
        return (start, end) if index.doc_text(chunk.doc_id)[start:end] == clause else None
    except OSError:
        return None


def title_answer(index: OpenIndex, lead: Candidate, line: tuple[int, int], citation):
    """The heading line as the answer's text, and its citation: the passage from that line on."""
    text = index.doc_text(lead.chunk.doc_id)
    start, end = line
    cited = citation(1, lead).model_copy(update={"passage": text[start:lead.chunk.span[1]],
                                                  "span": (start, lead.chunk.span[1]), "highlights": [(start, end)]})
    return f"{text[start:end].strip()} [1]", cited


OUTLINE_LINE_CHARS = 160  # a sub-heading line that runs on into its text ("2. Tài liệu sinh hoạt: Tác phẩm …") is cut here
OUTLINE_PASSAGE_CHARS = 20000  # an outline lists the sub-headings this close to the section's heading line
SECTION_TEXT_CHARS = 1500  # a section without sub-sections asked what it holds: this much of its text is quoted


def section_answer(index: OpenIndex, query: Query, lead: Candidate, citation) -> tuple[str, object] | None:
    """"Mục VI trong hướng dẫn … có tiêu đề là gì?" (and "… gồm những nội dung nào?"): the
    heading line of the numbered section in the lead passage's document, with the lines heading
    its sub-sections when the outline is asked for. The citation's passage runs from the heading
    line through the section's first passage (the whole section, for an outline). None when the
    document has no such section. A section without sub-sections asked for its outline answers with
    its text."""
    try:
        text = index.doc_text(lead.chunk.doc_id)
    except OSError:
        return None
    sec = locate(text, query.section, before=lead.chunk.span[0]) or locate(text, query.section)
    if sec is None:
        return None
    rows = index.doc_rows(lead.chunk.doc_id)
    first = next((c for c in (index.chunks[r] for r in rows) if c.doc_id == lead.chunk.doc_id
                  and sec.start <= c.span[0] < sec.end), None)
    if first is None:
        return None
    lines = [(sec.start, sec.line_end)]
    outline = asks_outline(query.normalized or query.question)
    if outline and not sec.children:  # "Mục IV … gồm những gì?" of a section with no sub-headings: its text answers
        end = min(sec.end, sec.line_end + SECTION_TEXT_CHARS)
        if end < sec.end:  # cut at a line's end
            end = max(text.rfind("\n", sec.line_end, end), sec.line_end)
        body = " ".join(line.strip() for line in text[sec.line_end:end].splitlines() if line.strip())
        answer = f"{_cut_line(text[sec.start:sec.line_end].strip())}\n{body}{' …' if end < sec.end else ''}"
        highlights = [(sec.start, end)]
    else:
        if outline:
            lines += [(a, b) for a, b in sec.children if b - sec.start <= OUTLINE_PASSAGE_CHARS]
            end = max(first.span[1], lines[-1][1])  # through the last sub-heading listed
        else:
            end = first.span[1]
        end = max(end, sec.line_end)
        shown = [(a, _cut_line(text[a:b])) for a, b in lines if b <= end]
        answer = "\n".join(line for _, line in shown)
        highlights = [(a, a + len(line.rstrip("…"))) for a, line in shown]
    cand = Candidate(chunk=first, doc=lead.doc, score=lead.score, coverage=lead.coverage)
    cited = citation(1, cand).model_copy(update={"passage": text[sec.start:end], "span": (sec.start, end),
                                                 "highlights": highlights})
    return f"{answer} [1]", cited


MIN_TOP_SECTIONS = 2  # fewer top-level headings is no outline (a letter, the Q&A booklet)


def document_outline_answer(index: OpenIndex, query: Query, citation) -> tuple[str, list, list[Candidate]] | None:
    """"Kế hoạch 205 gồm mấy phần?", "Bố cục của kế hoạch Huyện ủy …": the named document's
    top-level heading lines, then its appendices', each cited with its section's first passage.
    (text, citations, those passages in order), or None when the question asks no such thing, names
    no one document, or the document has no numbered top-level sections."""
    if query.section is not None or len(query.docs) != 1:
        return None
    asked = asks_document_outline(query.question)  # as typed, with its commas; else spelled out ("KH 205 gom may phan")
    if not (asked if asked is not None else asks_document_outline(query.normalized or "")):
        return None
    doc_id = next(iter(query.docs))
    try:
        text = index.doc_text(doc_id)
    except OSError:
        return None
    body, annexes = top_sections(text)
    if len(body) < MIN_TOP_SECTIONS:
        return None
    chunks = [index.chunks[r] for r in index.doc_rows(doc_id)]
    lines, cited, passages = [], [], []
    for start, end in body + annexes:
        first = next((c for c in chunks if c.doc_id == doc_id and c.span[1] > end), None)
        if first is None or any(p.chunk.chunk_id == first.chunk_id for p in passages):
            continue
        cand = Candidate(chunk=first, doc=index.doc(doc_id), score=0.0)
        n = len(cited) + 1
        shown = _cut_line(text[start:end].strip())
        prefix = "Kèm theo: " if (start, end) in annexes else ""
        lines.append(f"{prefix}{shown} [{n}]")
        cited.append(citation(n, cand).model_copy(update={
            "passage": text[start:first.span[1]], "span": (start, first.span[1]),
            "highlights": [(start, start + len(shown.rstrip("…")))]}))
        passages.append(cand)
    title = index.doc(doc_id).get("title", doc_id).split(":")[0]
    return f"{title} gồm {len(body)} phần:\n" + "\n".join(lines), cited, passages


def missing_section(index: OpenIndex, query: Query) -> str:
    """"Mục IX của Kế hoạch 205 …" when none of the documents the question names has it: what to
    tell the user ("" when one has it, or the question names no document)."""
    if query.section is None or not query.docs:
        return ""
    for doc_id in query.docs:
        try:
            if locate(index.doc_text(doc_id), query.section) is not None:
                return ""
        except OSError:
            return ""
    what = "phụ lục số" if query.section.annex else "mục"
    names = "; ".join(index.doc(d).get("title", d).split(":")[0] for d in query.docs)
    return f"{names} không có {what} {query.section.label}."


def _cut_line(line: str) -> str:
    return line if len(line) <= OUTLINE_LINE_CHARS else line[:OUTLINE_LINE_CHARS].rsplit(" ", 1)[0] + "…"


def with_heading_line(index: OpenIndex, cited, line: tuple[int, int]):
    """The heading line's text, and the citation with its passage starting at that line."""
    text = index.doc_text(cited.doc_id)
    start, end = line
    return text[start:end].strip(), cited.model_copy(update={
        "passage": text[start:cited.span[1]], "span": (start, cited.span[1]), "highlights": [(start, end)] + list(cited.highlights)})


# a table named ("bảng", "phụ lục", "biểu") and its columns asked for ("cột mốc" is a milestone)
_ASKS_COLUMNS = re.compile(r"\b(?:bảng|phụ lục|biểu)\b.*(?:\b(?:những|các|mấy|bao nhiêu) cột\b(?! mốc)|\bcột (?:nào|gì)\b)")
_ASKS_COLUMNS_PLAIN = re.compile(r"\b(?:bang|phu luc|bieu)\b.*(?:\b(?:nhung|cac|may|bao nhieu) cot\b(?! moc)|\bcot (?:nao|gi)\b)")


def asks_columns(question: str) -> bool:
    """"Bảng phân công … gồm những cột nào?" (with diacritics "cốt" is not "cột"; typed without
    any, "nhung cot nao" is read as columns)."""
    if _ASKS_COLUMNS.search(nfc(question).lower()):
        return True
    return fold(question) == question.lower() and bool(_ASKS_COLUMNS_PLAIN.search(question.lower()))


_ROW_KEYS = re.compile(r"(?:^|;\s*)([^:;\n]{1,60}):\s")  # "TT: 1; NỘI DUNG: …": a row's cell names


def columns_answer(index: OpenIndex, query: Query, candidates: list[Candidate], citation):
    """The columns of the table the question is about: the rows of the named section's table
    (or of the best-ranked row's document and section) each read "TT: 1; NỘI DUNG: …; CƠ QUAN
    CHỦ TRÌ: …", a row leaving out its empty cells; the column names in their order, cited from
    the row that has them all (or the most). None when the question's table has no rows."""
    from .sections import in_section

    if not query.docs:  # whose table: "Bảng lương của cán bộ xã" names none of the corpus's documents
        return None
    rows = [c.chunk for c in candidates if c.chunk.kind == "row" and c.chunk.doc_id in query.docs]
    if query.section is not None and hasattr(index, "doc_rows"):
        rows = [index.chunks[r] for d in query.docs for r in index.doc_rows(d)
                if index.chunks[r].kind == "row" and in_section(index.chunks[r].heading, query.section)]
    elif rows and hasattr(index, "doc_rows"):  # the best-ranked row's table: its document's rows under its heading
        top = rows[0]  # (a table's rows share the heading path above their own part of it)
        table = top.heading.rsplit(PATH_SEP.strip(), 1)[0].strip() if PATH_SEP.strip() in top.heading else top.heading
        rows = [index.chunks[r] for r in index.doc_rows(top.doc_id)
                if index.chunks[r].kind == "row" and index.chunks[r].heading.startswith(table)] or [top]
    if not rows:
        return None
    rows = sorted(rows, key=lambda ch: ch.span[0])
    keys = [list(dict.fromkeys(k.strip() for k in _ROW_KEYS.findall(r.text))) for r in rows]
    rows_naming: dict[str, int] = {}  # column name → rows that have a cell under it (first seen first)
    for row_keys in keys:
        for k in row_keys:
            rows_naming[k] = rows_naming.get(k, 0) + 1
    # a cell's own "Cấp cơ sở: …" is no column: a column names cells in many rows
    names = [k for k, n in rows_naming.items() if len(rows) < 3 or n >= max(2, 0.3 * len(rows))]
    if len(names) < 2:
        return None
    widest = rows[max(range(len(rows)), key=lambda i: (len(keys[i]), -i))]
    return " | ".join(names) + " [1]", citation(1, Candidate(chunk=widest, doc=index.doc(widest.doc_id), score=0.0))


def pairs_count_answer(index: OpenIndex, query: Query, citation):
    """"Tài liệu Hỏi - Đáp … có tất cả bao nhiêu câu hỏi?": the booklet asked about itself counts its
    pairs; the answer quotes the last one's question, which carries the booklet's own number.
    (text, citation, the last pair as a candidate), or None when the question is not that, or the
    booklet has no pairs."""
    if not query.about_derived or not PAIRS_COUNTED.search(fold(query.normalized or query.question).lower()):
        return None
    pairs = structures(index).booklet_pairs(index, query.about_derived)
    if not pairs:
        return None
    last = Candidate(chunk=pairs[-1], doc=index.doc(pairs[-1].doc_id), score=0.0)
    asked = last.chunk.text.split("\n", 1)[0]
    return f"Tài liệu có {len(pairs)} câu hỏi; câu cuối cùng:\n{asked} [1]", citation(1, last, [(0, len(asked))]), last


def missing_pair(index: OpenIndex, query: Query) -> str:
    """"Câu hỏi 15 của tài liệu Hỏi - Đáp hỏi gì?" of a booklet with 12: what the refusal says; "" when
    the booklet has the pair numbered so (or the question asks no number of a booklet)."""
    number = question_number(query)
    if not number:
        return ""
    pairs = structures(index).booklet_pairs(index, query.about_derived)
    if not pairs or any(c.text.startswith(f"Câu hỏi {number}:") for c in pairs):
        return ""
    return f"Tài liệu Hỏi - Đáp chỉ có {len(pairs)} câu hỏi; không có câu hỏi số {number}."
