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
from hoidap.textnorm import fold

# "mục VI", "phần III", "mục 2.1", "phụ lục (số) 01". A bare Arabic "mục 2" is left out: plans
# number the sub-sections of every section from 1, so it names no one section.
_ASKED = re.compile(r"\b(muc|phan|phu luc(?: so)?)\s+([ivxl]{1,5}|\d{1,2}(?:\.\d{1,2})*\.?)(?!\w)")
_ROMAN = re.compile(r"^[ivxl]{1,5}$")
_OUTLINE = re.compile(r"\b(gom|co) (nhung|cac|may) (noi dung|muc|phan|y|tieu muc|diem|van de)\b"
                      r"|\b(nhung|cac) (muc|tieu muc|noi dung|phan) (nho|con)\b")


@dataclass(frozen=True)
class SectionRef:
    label: str  # "VI", "2.1", "01" (as the document would write it, Roman numerals in capitals)
    annex: bool  # "Phụ lục số 01": an appendix, whose heading is "Phụ lục số 01: …"

    def heads(self, segment: str) -> bool:
        """The heading-path segment is this section's heading line."""
        s = fold(segment).strip(" *").lower()
        if self.annex:
            m = re.match(r"phu luc(?: so)?\s*0*(\d+)\b", s)
            return bool(m) and m.group(1) == self.label.lstrip("0")
        m = re.match(r"([ivxl]{1,5}|\d{1,2}(?:\.\d{1,2})*)[.)]\s", s + " ")
        return bool(m) and m.group(1) == self.label.lower().rstrip(".")


def asked_section(question: str) -> SectionRef | None:
    """The numbered section a question names; None when it names none (or only "mục 2")."""
    for m in _ASKED.finditer(fold(question).lower()):
        kind, label = m.group(1), m.group(2).rstrip(".")
        if kind.startswith("phu luc"):
            return SectionRef(label=label, annex=True)
        if _ROMAN.match(label):
            return SectionRef(label=label.upper(), annex=False)
        if "." in label:
            return SectionRef(label=label, annex=False)
    return None


def asks_outline(question: str) -> bool:
    """"Mục III … gồm những nội dung nhỏ nào?": the section's own sub-headings answer it."""
    return bool(_OUTLINE.search(fold(question).lower()))


def in_section(heading: str, ref: SectionRef) -> bool:
    return any(ref.heads(s) for s in heading.split(PATH_SEP))


@dataclass(frozen=True)
class SectionText:
    start: int  # the heading line's offsets in the document text
    line_end: int
    end: int  # where the next section of the same level (or the text) begins
    children: tuple[tuple[int, int], ...]  # the sub-sections' heading lines


_LINE = re.compile(r"^[ \t>*_#]*(.+?)[ \t]*$", re.M)


def locate(text: str, ref: SectionRef) -> SectionText | None:
    """The section's heading line in the document text, where it ends, and its sub-headings."""
    lines = [(m.start(1), m.end(1), m.group(1)) for m in _LINE.finditer(text)]
    for k, (a, b, line) in enumerate(lines):
        if not ref.heads(line):
            continue
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
    return None


def _level(line: str) -> int | None:
    """0 for "Phụ lục …", 1 for "VI. …", 2 for "1. …", 3 for "1.2. …"; None for other lines."""
    s = fold(line).lower()
    if re.match(r"phu luc\b", s):
        return 0
    if re.match(r"[ivxl]{1,5}\.\s", s):
        return 1
    m = re.match(r"(\d{1,2}(?:\.\d{1,2})*)\.?\s", s)
    if m and not re.match(r"\d{1,2}/", s):
        return 2 + m.group(1).count(".")
    return None
