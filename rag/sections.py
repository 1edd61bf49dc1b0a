"""A document's sections named by their number: "Mục VI trong hướng dẫn …", "mục III của kế
hoạch …", "Phụ lục số 01 …". Plans number their top sections with Roman numerals ("VI. TÀI
LIỆU SINH HOẠT") and their sub-sections with Arabic ones ("1.", "2.1."); the chunker keeps
those heading lines in the passages' heading paths, where retrieval looks for the number
(numbering is not a topic word, so coverage never sees it).

What this module knows: the label a question names, whether a heading path holds it, and
where the section stands in the document text (its heading line and the lines that head its
sub-sections, for "mục III gồm những nội dung nào")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from hoidap.model import PATH_SEP
from hoidap.textnorm import fold, has_diacritics, nfc

# "mục VI", "phần III", "mục 2.1", "phụ lục (số) 01". A bare Arabic "mục 2" is left out: plans
# number the sub-sections of every section from 1, so it names no one section. Roman numerals
# count only in capitals, and with diacritics typed the section words must carry theirs: "mức vi
# phạm", "một phần vì", "phần lí luận" name no section.
_NUMERAL = r"([IVXL]{1,5}|\d{1,2}(?:\.\d{1,2})*)"
_ASKED_ACCENTED = re.compile(r"(?<!\w)(?i:(mục|phần|phụ lục(?: số)?))\s+" + _NUMERAL + r"\.?(?!\w)")
_ASKED_FOLDED = re.compile(r"(?<!\w)(?i:(muc|phan|phu luc(?: so)?))\s+" + _NUMERAL + r"\.?(?!\w)")
_OUTLINE = re.compile(r"\b(gom|co) (nhung|cac|may) (noi dung|muc|phan|y|tieu muc|diem|van de|mang|nhom|hang muc|phan viec)\b"
                      r"|\b(nhung|cac) (muc|tieu muc|noi dung|phan) (nho|con)\b"
                      r"|\b(?:bao )?gom (?:nhung )?gi\b")  # "Mục III … gồm gì?"
# a heading line's own number: "VI.", "2.1.", "1)" — the same in heads() and _level()
_HEAD_NUMBER = re.compile(r"([ivxl]{1,5}|\d{1,2}(?:\.\d{1,2})*)[.)]\s")


@dataclass(frozen=True)
class SectionRef:
    label: str  # "VI", "2.1", "01" (as the document would write it, Roman numerals in capitals)
    annex: bool  # "Phụ lục số 01": an appendix, whose heading is "Phụ lục số 01: …"

    def heads(self, segment: str) -> bool:
        """The heading-path segment is this section's heading line."""
        s = fold(segment).strip(" *").lower()
        if self.annex:  # "Phụ lục I" is "Phụ lục số 01"
            m = re.match(r"phu luc(?: so)?\s*(\d+|[ivxl]{1,5})\b", s)
            return bool(m) and _number(m.group(1)) == _number(self.label)
        m = _HEAD_NUMBER.match(s + " ")
        return bool(m) and m.group(1) == self.label.lower().rstrip(".")


_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}


def _number(label: str) -> int:
    """"01" → 1, "IV" → 4."""
    if label.isdigit():
        return int(label)
    values = [_ROMAN_VALUES[c] for c in label.lower()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def asked_section(question: str) -> SectionRef | None:
    """The numbered section a question names, as typed; None when it names none (or only "mục 2")."""
    accented = has_diacritics(question)
    pattern = _ASKED_ACCENTED if accented else _ASKED_FOLDED
    for m in pattern.finditer(nfc(question)):  # (typed without diacritics, it is matched as typed: capitals kept)
        kind, label = fold(m.group(1)).lower(), m.group(2).rstrip(".")
        if kind.startswith("phu luc"):
            return SectionRef(label=label, annex=True)
        if label.isdigit():
            continue  # "mục 2": every section numbers its parts from 1
        return SectionRef(label=label, annex=False)  # a capital Roman numeral or a dotted "2.1"
    return None


def asks_outline(question: str) -> bool:
    """"Mục III … gồm những nội dung nhỏ nào?": the section's own sub-headings answer it."""
    return bool(_OUTLINE.search(fold(question).lower()))


# "Kế hoạch 205 gồm mấy phần?", "Bố cục của hướng dẫn …": the document's own top-level parts. The
# thing outlined is the subject of the asking clause ("tác phẩm gồm mấy phần" asks the book's
# parts, which the plans' text gives); "phần việc", "phần nội dung" are tasks and content.
_DOC_PARTS = re.compile(r"\b(?:gom|co|chia(?: thanh| lam)?|bao gom)\s+(?:may|nhung|cac|bao nhieu)\s+(?:phan|muc)"
                        r"(?: lon| chinh)?\b(?! (?:viec|noi dung|cong viec))")
_DOC_LAYOUT = re.compile(r"\b(?:bo cuc|cau truc|dan y)\b")
_OUTLINED = re.compile(r"\b(ke hoach|huong dan|van ban|tac pham|cuon sach|sach|tai lieu|muc|phan|phu luc)\b")
_DOCUMENT_WORDS = {"ke hoach", "huong dan", "van ban"}


def asks_document_outline(question: str) -> bool | None:
    """The question asks what top-level parts a document (not the book, not a section) has; None
    when it asks of no parts at all (the caller may then try its normalised wording)."""
    q = fold(question).lower()
    m = _DOC_PARTS.search(q)
    if m:  # the clause's subject: "Theo kế hoạch 205, tác phẩm gồm mấy phần" asks the book's parts
        clauses = re.split(r"[,:;]|\bthi\b", q[:m.start()])  # ("theo kế hoạch … thì cuốn sách chia mấy phần")
        subject = _OUTLINED.findall(clauses[-1])
        if not subject and len(clauses) > 1:  # "… nói tác phẩm dày bao nhiêu trang, bao nhiêu ảnh, chia mấy phần":
            earlier = [w for c in clauses[:-1] for w in _OUTLINED.findall(c)]  # asks listed after one subject
            subject = earlier[-1:]
        return subject[0] in _DOCUMENT_WORDS if subject else None
    m = _DOC_LAYOUT.search(q)
    if not m:
        return None
    after = _OUTLINED.findall(q[m.end():])
    return bool(after) and after[0] in _DOCUMENT_WORDS


def top_sections(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The offsets of a document's top-level heading lines ("I. MỤC ĐÍCH, YÊU CẦU" …) and of its
    appendices' heading lines ("Phụ lục số 01: …"), in order. An appendix's own Roman sections
    belong to the appendix, not to the document."""
    body: list[tuple[int, int]] = []
    annexes: list[tuple[int, int]] = []
    for m in _LINE.finditer(text):
        level = _level(m.group(1))
        if level == 0:
            annexes.append((m.start(1), m.end(1)))
        elif level == 1 and not annexes:
            body.append((m.start(1), m.end(1)))
    return body, annexes


def in_section(heading: str, ref: SectionRef) -> bool:
    return any(ref.heads(s) for s in heading.split(PATH_SEP))


@dataclass(frozen=True)
class SectionText:
    start: int  # the heading line's offsets in the document text
    line_end: int
    end: int  # where the next section of the same level (or the text) begins
    children: tuple[tuple[int, int], ...]  # the sub-sections' heading lines


_LINE = re.compile(r"^[ \t>*_#]*(.+?)[ \t]*$", re.M)


def locate(text: str, ref: SectionRef, before: int | None = None) -> SectionText | None:
    """The section's heading line in the document text, where it ends, and its sub-headings.
    `before`: the last such heading starting before this offset (a "1.1." recurs under each
    Roman section; the one above the passage that answered is meant); else the first."""
    lines = [(m.start(1), m.end(1), m.group(1)) for m in _LINE.finditer(text)]
    found = [k for k, (a, _, line) in enumerate(lines) if ref.heads(line) and _level(line) is not None
             and (before is None or a <= before)]
    if not found:
        return None
    k = found[-1] if before is not None else found[0]
    a, b, line = lines[k]
    level = _level(line)
    end, children = len(text), []
    for a2, b2, line2 in lines[k + 1:]:
        lv = _level(line2)
        if lv is not None and lv <= level:
            end = a2
            break
        if lv == level + 1:
            children.append((a2, b2))
    return SectionText(start=a, line_end=b, end=end, children=tuple(children))


def _level(line: str) -> int | None:
    """0 for "Phụ lục …", 1 for "VI. …", 2 for "1. …", 3 for "1.2. …"; None for other lines."""
    s = fold(line).strip(" *").lower()
    if re.match(r"phu luc\b", s):
        return 0
    m = _HEAD_NUMBER.match(s + " ")
    if not m:
        return None
    return 1 if not m.group(1)[0].isdigit() else 2 + m.group(1).count(".")
