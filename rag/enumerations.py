"""A point of a list numbered inside the text, asked by its number: "ý (5) của phần thứ nhất nói gì", "bài học
kinh nghiệm thứ bảy nguyên văn thế nào", "còn ý 4?" or "giá trị (1) gồm những cặp nào" after one; and every
point of the list the last answer quoted, "kể hết ra giúp em".

The plans summarise the book in such lists: "… trong đó cần nhấn mạnh: (1) …; (2) …" inside one line, several
to a part of the book ("Phần thứ nhất" holds four), or one point to a passage under a heading that names the
list ("2. Giá trị của tác phẩm": "(1) Tác phẩm là …", "(2) …"). Which list is meant:
- a part of the book the question names ("phần thứ nhất"), or in a follow-up the part of the list just quoted:
  its lists with that point, narrowed to those the question's noun names ("bài học"). Where several remain, each
  list's point is quoted under its lead-in, the one ranked best first: the question does not say which, and
  every one of them is "ý (5) của phần thứ nhất";
- in a follow-up, the list the last answer quoted;
- else the list of the passage retrieval ranks first, when the question's noun names it ("bài học kinh nghiệm"
  and "08 bài học kinh nghiệm"). A noun alone never reaches further down: "nhiệm vụ thứ hai" of a plan's body is
  not the book's "05 nhiệm vụ, giải pháp".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hoidap.model import Chunk
from hoidap.schema import Citation
from hoidap.textnorm import fold

from .grounding import ORDINAL_WORDS, list_items
from .positions import subsections
from .types import Candidate

# a point asked by its mark: "ý (5)", "giá trị (1)"
_MARKED = re.compile(r"\((\d{1,2})\)")
# the number of a point asked, after the noun naming its list (accent-free): "bai hoc thu 7", "gia tri (1)", "y so 3"
_NUMBER_ASKED = re.compile(r"(?<!\w)(?:(?:thu|so) )?(?:\(\d{1,2}\)|\d{1,2}|nhat|hai|ba|tu|bon|nam|sau|bay|tam|chin"
                           r"|muoi)(?!\w)")
# nouns any list's point goes by: the list is then named by a part of the book, or is the last answer's
GENERIC_NOUNS = {"y", "muc", "diem", "noi dung", "van de", "cau", "dong", "gach", "phan y", "viec", "nhiem vu", "noi",
                 "noi nhan", "dau dong", "co quan", "don vi"}
# a part of the book or plan named by its ordinal ("phần thứ nhất", after normalize.ordinal_spelled)
_NAMED_PART = re.compile(r"\bphan thu (nhat|hai|ba|tu|bon|nam|sau)\b")
_SPELLED = {fold(word): word for word in ORDINAL_WORDS}  # "nhat" → "nhất", to name the part as the plans do
MAX_LISTS = 4  # lists with the asked number quoted at once (a part of the book holds four)
LEAD_IN_CHARS = 250  # a lead-in longer than this is shortened ("- Tham nhũng, tiêu cực là gì? … cần nhấn mạnh:")


@dataclass(frozen=True)
class Point:
    chunk: Chunk
    number: int
    start: int  # the point's characters in chunk.text, its "(n)" included
    end: int


@dataclass
class NumberedList:
    heading: str  # the heading path of the passage the list starts in
    lead_in: tuple[Chunk, int, int] | None  # the words before "(1)" on its line; None where its heading names it
    points: list[Point] = field(default_factory=list)

    @property
    def named_as(self) -> str:
        """What names the list (accent-free): its lead-in and its own heading."""
        leaf = self.heading.split(" › ")[-1] if self.heading else ""
        lead = self.lead_in[0].text[self.lead_in[1]:self.lead_in[2]] if self.lead_in else ""
        return fold(f"{lead} {leaf}").lower()

    def point(self, number: int) -> Point | None:
        return next((p for p in self.points if p.number == number), None)


def numbered_lists(index, doc_id: str) -> list[NumberedList]:
    """The lists "(1) …; (2) …" of a document, in order, each of two points or more (cached per open index)."""
    cache = index.__dict__.setdefault("_numbered_lists", {})
    if doc_id not in cache:
        cache[doc_id] = _read_lists([index.chunks[r] for r in index.doc_rows(doc_id)
                                     if index.chunks[r].doc_id == doc_id and index.chunks[r].kind == "text"])
    return cache[doc_id]


def _read_lists(chunks: list[Chunk]) -> list[NumberedList]:
    lists: list[NumberedList] = []
    open_list: NumberedList | None = None
    for chunk in chunks:
        for number, start, end in list_items(chunk.text):
            if number == 1:
                line_start = chunk.text.rfind("\n", 0, start) + 1
                lead = chunk.text[line_start:start]
                a = line_start + len(lead) - len(lead.lstrip("-+• \t"))
                b = a + len(chunk.text[a:start].rstrip())
                open_list = NumberedList(chunk.heading, (chunk, a, b) if b > a else None)
                lists.append(open_list)
            elif open_list is None or number != open_list.points[-1].number + 1 or (
                    chunk is not open_list.points[-1].chunk and chunk.heading != open_list.heading):
                open_list = None  # ("(2013 - 2022)" is no point; a run broken off ends its list)
                continue
            open_list.points.append(Point(chunk, number, start, end))
    return [lst for lst in lists if len(lst.points) >= 2]


def asked_point(question: str, ordinal: int | None, position: int | None) -> int | None:
    """The number of the point asked for: "(5)", or the place the query read ("bài học thứ 7", "ý 4", "ý cuối")."""
    m = _MARKED.search(question)
    if m:
        return int(m.group(1))
    for n in (ordinal, position):
        if n is not None and n > 0:  # (not the last, nor a count: those are read off a plan's lists, rag.positions)
            return n
    return None


def list_noun(question: str) -> str:
    """The noun the question names its list by, accent-free: the two words before the number asked ("bai hoc",
    "gia tri", "kinh nghiem" of "bài học kinh nghiệm thứ năm"), or one where the word before is no noun ("y")."""
    f = fold(question).lower()
    for m in _NUMBER_ASKED.finditer(f):
        before = re.findall(r"\w+", f[:m.start()])[-2:]
        if before and before[-1] not in ("thu", "so", "phan", "muc") and before[-1] not in _NOT_NOUN:
            return " ".join(before[-2:] if len(before) == 2 and before[0] not in _NOT_NOUN else before[-1:])
    return ""


_NOT_NOUN = {"cua", "trong", "ve", "la", "va", "cac", "nhung", "o", "tai", "theo", "thi", "con", "the", "vay"}


def _noun_named(noun: str, lst: NumberedList) -> bool:
    if not noun:
        return False
    return f" {noun} " in f" {lst.named_as} "


def _generic(noun: str) -> bool:
    return not noun or noun in GENERIC_NOUNS or noun.split()[-1] in GENERIC_NOUNS


def names_list(question: str, lst: NumberedList, specific: bool = False) -> bool:
    """The question's noun for its list names this one ("bài học" the list of "08 bài học kinh nghiệm"), or, unless
    `specific`, is a noun any list's point goes by ("ý 4")."""
    noun = list_noun(question)
    return _noun_named(noun, lst) if specific or not _generic(noun) else True


def lists_asked(index, docs: list[str], own: str, number: int,
                previous: NumberedList | None = None) -> tuple[list[NumberedList], str]:
    """The lists with the point asked under the part of the book this turn names ("phần thứ nhất"), narrowed to
    those its noun names ("bài học"), from the first document in `docs` that has them; in a follow-up naming no
    part ("còn ý 4?"), the part holding `previous`, the list the last answer quoted. With the lists, the part's
    name ("Phần thứ nhất")."""
    parts = set(_NAMED_PART.findall(fold(own).lower()))
    if not parts and previous is not None:
        parts = set(_NAMED_PART.findall(fold(previous.heading).lower()))
    if not parts:
        return [], ""
    noun = list_noun(own)
    for doc_id in docs:
        found = [lst for lst in numbered_lists(index, doc_id) if lst.point(number) is not None
                 and any(f"phan thu {p}" in fold(lst.heading).lower() for p in parts)]
        if not _generic(noun):
            found = [lst for lst in found if _noun_named(noun, lst)]
        if found:
            return found[:MAX_LISTS], f"Phần thứ {_SPELLED[sorted(parts)[0]]}"
    return [], ""


def list_quoted(index, chunk_ids: list[str]) -> NumberedList | None:
    """The numbered list the last answer quoted: the first of its cited passages holding one."""
    for cid in chunk_ids:
        if cid not in index.position:
            continue
        chunk = index.chunks[index.position[cid]]
        for lst in numbered_lists(index, chunk.doc_id):
            if any(p.chunk.chunk_id == cid for p in lst.points):
                return lst
    return None


def _lead_in_parts(lst: NumberedList) -> list[tuple[int, int]]:
    """The lead-in's spans to quote: the whole of it, or where long its opening and its closing words ("- Tham
    nhũng, tiêu cực là gì? … trong đó cần nhấn mạnh:"), cut between words."""
    chunk, a, b = lst.lead_in
    if b - a <= LEAD_IN_CHARS:
        return [(a, b)]
    head_end = chunk.text.rfind(" ", a, a + LEAD_IN_CHARS * 2 // 3)
    tail_start = chunk.text.find(" ", b - LEAD_IN_CHARS // 3) + 1
    return [(a, head_end), (tail_start, b)]


def points_answer(lists: list[NumberedList], number: int | None, doc_of, cite,
                  where: str = "") -> tuple[str, list[Citation], list[Candidate]]:
    """Each list's point `number` (every point where None) under the list's lead-in or heading, cited by passage;
    `doc_of`: a document's record by id; `where`: the part the lists were found under, as the question named it
    ("Phần thứ nhất")."""
    order: list[Chunk] = []
    spans: dict[str, list[tuple[int, int]]] = {}

    def mark(chunk: Chunk, a: int, b: int) -> int:
        if chunk.chunk_id not in spans:
            order.append(chunk)
            spans[chunk.chunk_id] = []
        spans[chunk.chunk_id].append((a, b))
        return order.index(chunk) + 1

    def quoted(lst: NumberedList, bullet: str) -> str:
        if lst.lead_in is not None:
            chunk = lst.lead_in[0]
            pieces = _lead_in_parts(lst)
            n = [mark(chunk, a, b) for a, b in pieces][0]
            head = " … ".join(chunk.text[a:b].strip() for a, b in pieces) + f" [{n}]"
        else:
            head = lst.heading.split(" › ")[-1].strip() + ":"
        body = []
        for p in (lst.points if number is None else [lst.point(number)]):
            text = p.chunk.text[p.start:p.end].strip().rstrip(";").strip()
            a = p.start + p.chunk.text[p.start:p.end].find(text)
            body.append(f"{text} [{mark(p.chunk, a, a + len(text))}]")
        return bullet + head + "\n" + "\n".join(body)

    lines = [f"{where or 'Phần được hỏi'} có {len(lists)} danh sách đánh số cùng có ý ({number}):"] if len(lists) > 1 else []
    lines += [quoted(lst, "- " if len(lists) > 1 else "") for lst in lists]
    passages = [Candidate(chunk=c, doc=doc_of(c.doc_id), score=1.0, coverage=1.0) for c in order]
    cited = [cite(n + 1, cand, spans[cand.chunk.chunk_id]) for n, cand in enumerate(passages)]
    return "\n".join(lines), cited, passages


# what a part of the book "làm rõ": its points, "Một là, …", "Hai là, …", which the plans write as its sub-headings
# (accent-free): "phần 1 làm rõ những vấn đề gì", "gồm mấy ý lớn", "những nội dung chính nào"
_OUTLINE_ASKED = re.compile(r"\b(?:lam ro|gom|co|neu|de cap)(?: \w+){0,2} (?:nhung|cac|may|bao nhieu) (?:van de|y lon|y chinh"
                            r"|noi dung chinh|noi dung lon|noi dung|y)\b(?! kien)|\blam ro (?:nhung )?(?:gi|dieu gi)\b"
                            r"|\b(?:\d|ba|hai|bon) y lon\b")


def asks_part_outline(question: str) -> bool:
    return bool(_OUTLINE_ASKED.search(fold(question).lower())) and bool(_NAMED_PART.search(fold(question).lower()))


def part_outline(index, docs: list[str], question: str) -> tuple[list[Chunk], list[str], str] | None:
    """The sub-headings right below the part of the book the question names ("1.1. Phần thứ nhất …" › "Một là, …",
    "Hai là, …", "Ba là, …"), each with the first passage under it (`positions.subsections`), from the first document
    in `docs` that has two or more, and the part's name ("Phần thứ nhất"); None where the part has none (its points
    are a bulleted list, read as any passage's)."""
    parts = set(_NAMED_PART.findall(fold(question).lower()))
    for doc_id in docs:
        for r in index.doc_rows(doc_id):
            chunk = index.chunks[r]
            path = [p.strip() for p in chunk.heading.split(" › ")] if chunk.heading else []
            at = next((i for i, p in enumerate(path) if any(f"phan thu {x}" in fold(p).lower() for x in parts)), None)
            if chunk.doc_id == doc_id and at is not None:
                below = subsections(index, chunk, path[:at + 1])
                if not below:
                    break  # (the part's passages all stand right under it: no sub-headings)
                return ([item.chunk for item in below], [item.chunk.heading.split(" › ")[at + 1].strip().rstrip("…").strip()
                                                         for item in below], f"Phần thứ {_SPELLED[sorted(parts)[0]]}")
    return None
