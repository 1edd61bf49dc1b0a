"""The item at a position of a bulleted list: "ý thứ hai của mục đích", "nơi nhận cuối cùng",
"gạch đầu dòng thứ 3 phần yêu cầu".

A plan's bulleted list ("- …" at the start of a line) runs over one passage ("Nơi nhận") or, an item
or two per passage, over the passages of one section ("1. Mục đích": three passages of one "- …"
each). The items are counted across the section's passages in order, so the n-th item is found
whichever passage retrieval ranked first. A part of a plan named in the question whose items are
sub-sections ("I. MỤC ĐÍCH, YÊU CẦU › 1. …, 2. …, 3. …"; "IV. TỔ CHỨC THỰC HIỆN › 1. Ban Chỉ đạo …,
2. Văn phòng …") counts those. Lists numbered "(1) …; (2) …" inside a line are read by
`grounding.list_items`; table rows by their "TT" cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hoidap.model import Chunk
from hoidap.textnorm import fold

LAST = -1  # grounding.ordinal's "cuối cùng": the last item, however many there are
COUNT = 0  # grounding.list_position's "có mấy ý": how many items, each listed

# a line opening a list item: "- ", "+ ", "• " (a plan's sub-items under "- " use "+ ")
_MARK = re.compile(r"^[ \t]*([-+•])[ \t]+(?=\S)", re.M)


@dataclass(frozen=True)
class ListItem:
    chunk: Chunk
    start: int  # the item's characters in chunk.text (its marker included)
    end: int

    @property
    def text(self) -> str:
        a, b = self.quoted
        return self.chunk.text[a:b]

    @property
    def quoted(self) -> tuple[int, int]:
        """The item's offsets without the spaces and the list's trailing "," or ";" around it."""
        raw = self.chunk.text[self.start:self.end]
        kept = raw.strip().rstrip(",;").strip()
        a = self.start + raw.find(kept)
        return a, a + len(kept)


def section_passages(index, chunk: Chunk) -> list[Chunk]:
    """The passages of `chunk`'s section, in document order: the run of its document's passages that
    share its heading and kind."""
    rows = list(index.doc_rows(chunk.doc_id))
    chunks = [index.chunks[r] for r in rows]
    at = next((i for i, c in enumerate(chunks) if c.chunk_id == chunk.chunk_id), None)
    if at is None:
        return [chunk]

    def same(c: Chunk) -> bool:
        return c.doc_id == chunk.doc_id and c.heading == chunk.heading and c.kind == chunk.kind

    lo = at
    while lo > 0 and same(chunks[lo - 1]):
        lo -= 1
    hi = at + 1
    while hi < len(chunks) and same(chunks[hi]):
        hi += 1
    return chunks[lo:hi]


def bulleted_items(passages: list[Chunk]) -> list[ListItem]:
    """The items of the list the passages make, in order. The list's marker is the first line marker of
    the section ("- " where "+ " marks sub-items); an item runs to the next line so marked or its passage's
    end (continuation lines of text copied from a PDF stay with their item)."""
    first = next((m.group(1) for c in passages for m in _MARK.finditer(c.text)), None)
    if first is None:
        return []
    items = []
    for c in passages:
        marks = [m for m in _MARK.finditer(c.text) if m.group(1) == first]
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else _item_end(c.text, m.start())
            items.append(ListItem(c, m.start(), end))
    return items


def _item_end(text: str, start: int) -> int:
    """The last item of a passage ends at a line that starts a paragraph of its own after the list
    ("Ngoài tổ chức đợt học tập, …" after a section's last "- …"): a line opening with a capital after
    a line ending in a full stop, not a sub-item "+ …"."""
    for m in re.finditer(r"[.:]\n(?=[A-ZĐÀ-Ỹ(])", text[start:]):
        return start + m.start() + 1
    return len(text)


def item_at(items: list[ListItem], position: int) -> ListItem | None:
    """The item at a position counted from 1, or the last (`LAST`); None beyond the list."""
    if not items:
        return None
    if position == LAST:
        return items[-1]
    return items[position - 1] if 1 <= position <= len(items) else None


def asked_list(index, chunk: Chunk, question: str, sections_only: bool = False) -> list[ListItem]:
    """The list a question asking an item by position is about, from the passage that answers it best:
    the sub-sections of the part of the plan the question names above that passage ("nhiệm vụ thứ hai trong
    phần tổ chức thực hiện"); else the passage's section's bulleted items; else, where its section is one of
    several sub-sections, those sub-sections. `sections_only` ("mục 6 phần …"): the named part's sub-sections
    or nothing."""
    path = [p.strip() for p in chunk.heading.split(" › ")] if chunk.heading else []
    asked = f" {fold(question).lower()} "
    named = [i for i, part in enumerate(path) if _named(part, asked)]
    if named and named[-1] < len(path) - 1:
        return subsections(index, chunk, path[:named[-1] + 1])
    if sections_only:
        return []
    if chunk.kind == "row":  # a table's rows under one heading ("Phụ lục số 01 › I. TỔ CHỨC HỘI NGHỊ …")
        return [ListItem(c, 0, len(c.text)) for c in section_passages(index, chunk)]
    items = bulleted_items(section_passages(index, chunk))
    if len(items) >= 2 or len(path) < 2:
        return items
    return subsections(index, chunk, path[:-1])


def _named(part: str, asked: str, as_part: bool = False) -> bool:
    """The question names this heading ("phần yêu cầu" names "2. Yêu cầu"), its numbering left aside; `as_part`:
    after "phần" or "mục", as a part of the plan ("mục 6 phần tổ chức thực hiện"), not as the list's noun ("yêu cầu
    thứ nhất")."""
    number = re.match(r"^([IVX]+)\.\s", part)
    if number and re.search(r"\b(?:phan|muc) " + number.group(1).lower() + r"\b", asked):
        return True  # "phần I trong bảng phụ lục": the part numbered I
    name = re.sub(r"^(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*)\.\s*", "", part).rstrip("…").strip()
    if not name or len(name) > 60:
        return False
    # "I. MỤC ĐÍCH, YÊU CẦU" is named by "mục đích" or "yêu cầu" too (the list's noun itself, "yêu cầu thứ nhất",
    # is told apart by `as_part`)
    names = [name] + ([p.strip() for p in re.split(r",| và ", name) if p.strip()] if "," in name or " và " in name else [])
    for piece in names:
        said = f" {fold(piece).lower()} "
        if said in asked and (not as_part or re.search(r"\b(?:phan|muc)(?: [ivx]+)?" + re.escape(said), asked)):
            return True
    return False


def subsections(index, chunk: Chunk, parent: list[str]) -> list[ListItem]:
    """The first passage of each sub-section right below `parent`, in document order."""
    depth = len(parent)
    firsts: dict[str, Chunk] = {}
    for r in index.doc_rows(chunk.doc_id):
        c = index.chunks[r]
        path = [p.strip() for p in c.heading.split(" › ")] if c.heading else []
        if c.doc_id == chunk.doc_id and c.kind == "text" and len(path) > depth and path[:depth] == parent:
            firsts.setdefault(path[depth], c)
    return [ListItem(c, 0, len(c.text)) for c in firsts.values()] if len(firsts) >= 2 else []


def named_part(chunk: Chunk, question: str, as_part: bool = False) -> bool:
    """The question names a part of the plan above or at this passage ("phần tổ chức thực hiện")."""
    return named_depth(chunk, question, as_part) >= 0


def named_depth(chunk: Chunk, question: str, as_part: bool = False) -> int:
    """How deep in this passage's heading path the deepest part the question names is (-1: none): "ý cuối của
    phần yêu cầu" names "I. MỤC ĐÍCH, YÊU CẦU" at 0 and "2. Yêu cầu" at 1."""
    asked = f" {fold(question).lower()} "
    path = chunk.heading.split(" › ") if chunk.heading else []
    return max((i for i, p in enumerate(path) if _named(p.strip(), asked, as_part)), default=-1)
