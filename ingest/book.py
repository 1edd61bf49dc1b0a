"""Books in PDF: the table of contents, parts and articles.

A book's table of contents ("MỤC LỤC", at the front or the back) is found, parsed into
entries (part or article title, printed page) and its pages are kept out of the text. The
entries then name the book's structure: the lines that print a part's or an article's title on
its page (and the line under an article's title that says what it is, where and when: "Bài
phát biểu tại Hội nghị …, ngày 30/6/2022") become one heading line, which the chunker puts in
the heading path (Phần → article → the article's own sections). Running headers that repeat a
part's or an article's title on the pages that follow are dropped. Without a table of
contents, an article is recognised by that date/venue line under a title in capitals.

Works on cleaned-up lines (ingest.clean.Line) whose running headers, footers and page numbers
have already been removed by the loader."""
from __future__ import annotations

import re
from dataclasses import dataclass

from hoidap.textnorm import fold

from .clean import Line, is_caps

PART_LEVEL = -1  # above everything a document's own headings use (I. = 1, 1. = 2, …)
ARTICLE_LEVEL = 0

_PART = re.compile(r"^(phan thu (?:nhat|hai|ba|tu|nam|sau|bay|tam|chin|muoi)|phan [ivx]+|phan \d+)\b")
_TOC_TITLE = {"muc luc", "muc luc.", "noi dung"}
_LEADERS = re.compile(r"(?:\.\s?){4,}|…{2,}|_{4,}")
_ENTRY = re.compile(r"^(.*?)\s*(?:(?:\.\s?){2,}|…+|_{2,}|\s)\s*(\d{1,4})$")
_NOTE = re.compile(r"^[(\-–]?\s*(Bài viết|Bài phát biểu|Bài nói|Bài trả lời|Phát biểu|Diễn văn|Trích|Kết luận|"
                   r"Thư|Ý kiến|Trả lời phỏng vấn|Bài đăng|Điện|Lời)\b")
_DATE = re.compile(r"(ngày\s+\d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*\d{4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|"
                   r"\b\d{1,2}/\d{1,2}/\d{4}|năm\s+\d{4})\s*[)\-–.]*$", re.IGNORECASE)


@dataclass
class TocEntry:
    title: str  # as the table of contents spells it; a part's title starts with its label
    page: int  # as printed
    level: int  # PART_LEVEL or ARTICLE_LEVEL


def key(text: str) -> str:
    """Letters and digits only, accent-free: how titles in different cases and wraps compare."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _by_page(lines: list[Line]) -> dict[int, list[int]]:
    pages: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        if ln.page is not None:
            pages.setdefault(ln.page, []).append(i)
    return pages


def _nonblank(lines: list[Line], idx: list[int]) -> list[int]:
    return [i for i in idx if lines[i].text.strip()]


# --- the table of contents ----------------------------------------------------------------------
def find_toc(lines: list[Line]) -> tuple[list[TocEntry], set[int]]:
    """The entries of the table of contents and the pages it is printed on."""
    pages = _by_page(lines)
    order = sorted(pages)
    start = None
    for p in order:
        head = _nonblank(lines, pages[p])[:3]
        if any(fold(lines[i].text.strip()) in _TOC_TITLE for i in head):
            start = p
            break
    if start is None:
        return [], set()
    toc_pages: list[int] = []
    for p in order[order.index(start):]:
        body = [lines[i].text.strip() for i in _nonblank(lines, pages[p])
                if fold(lines[i].text.strip()) not in _TOC_TITLE]
        entries = sum(bool(_ENTRY.match(t)) for t in body)
        if not body or entries < max(1, 0.3 * len(body)):
            break
        toc_pages.append(p)
    text = [lines[i].text.strip() for p in toc_pages for i in _nonblank(lines, pages[p])]
    text = [t for t in text if fold(t) not in _TOC_TITLE]
    leaders = sum(bool(_LEADERS.search(t)) for t in text) >= 3
    entries: list[TocEntry] = []
    acc: list[str] = []
    for t in text:
        m = _ENTRY.match(t)
        if m and (not leaders or _LEADERS.search(t)) and m.group(1).strip(" .…_"):
            title = " ".join(acc + [m.group(1).strip(" .…_")])
            acc = []
            part = _PART.match(fold(title))
            if part:
                label = title[: len(part.group(1))]
                rest = title[len(label):].strip(" .:-–")
                entries.append(TocEntry(f"{_label(label)}: {rest}" if rest else _label(label), int(m.group(2)), PART_LEVEL))
            else:
                entries.append(TocEntry(title, int(m.group(2)), ARTICLE_LEVEL))
        else:
            acc.append(t)
    if len(entries) < 2:
        return [], set()
    return entries, set(toc_pages)


def _label(label: str) -> str:
    """'PHẦN THỨ NHẤT' → 'Phần thứ nhất'."""
    return label[:1].upper() + label[1:].lower()


# --- headings -------------------------------------------------------------------------------------
def _title_span(lines: list[Line], idx: list[int], j: int, title_key: str) -> int:
    """How many lines from idx[j] print the title (0 when they do not)."""
    acc = ""
    for n, i in enumerate(idx[j: j + 8], 1):
        acc += key(lines[i].text)
        if not acc:
            return 0
        if acc == title_key or acc.startswith(title_key):
            return n
        if not title_key.startswith(acc):
            return 0
    return 0


def _find_title(lines: list[Line], idx: list[int], title_key: str) -> tuple[int, int] | None:
    for j in range(len(idx)):
        n = _title_span(lines, idx, j, title_key)
        if n:
            return j, n
    return None


def _note(lines: list[Line], idx: list[int], j: int) -> tuple[str, int]:
    """The date/venue line(s) under an article's title, starting at idx[j], and how many lines."""
    if j >= len(idx) or not _NOTE.match(lines[idx[j]].text.strip()):
        return "", 0
    parts: list[str] = []
    for n, i in enumerate(idx[j: j + 4], 1):
        parts.append(lines[i].text.strip())
        text = " ".join(parts)
        if _DATE.search(text) or text.endswith(")"):
            return text.strip("()-– ").strip(), n
    return "", 0


def _offset(lines: list[Line], pages: dict[int, list[int]], entries: list[TocEntry]) -> int:
    """Printed page numbers may differ from the PDF's by a constant (unnumbered front matter)."""
    sample = entries[:12]
    best, best_hits = 0, -1
    for off in [0] + [d for k in range(1, 41) for d in (k, -k)]:
        hits = sum(1 for e in sample if e.page + off in pages
                   and _find_title(lines, _nonblank(lines, pages[e.page + off]), key(e.title)))
        if hits > best_hits:
            best, best_hits = off, hits
        if hits == len(sample):
            break
    return best


def _heading(text: str, page: int, level: int) -> Line:
    return Line(text, page, kind="heading", level=level)


def mark_structure(lines: list[Line]) -> list[Line]:
    """Lines of a PDF with its table of contents taken out, its parts' and articles' title
    lines turned into heading lines, and title-repeating running headers dropped."""
    entries, toc_pages = find_toc(lines)
    lines = [ln for ln in lines if ln.page not in toc_pages]
    if not entries:
        return _without_toc(lines)
    pages = _by_page(lines)
    off = _offset(lines, pages, entries)
    replace: dict[int, Line] = {}
    drop: set[int] = set()
    found_at: dict[int, int] = {}  # entry → the page its title is printed on
    for n_entry, e in enumerate(entries):
        tkey = key(e.title if e.level != PART_LEVEL else e.title.replace(":", " "))
        for page in (e.page + off, e.page + off + 1):  # a photo or blank page may come first
            idx = _nonblank(lines, pages.get(page, []))
            found = _find_title(lines, idx, tkey)
            if found:
                j, n = found
                note, m = _note(lines, idx, j + n) if e.level != PART_LEVEL else ("", 0)
                text = f"{e.title} ({note})" if note else e.title
                replace[idx[j]] = _heading(text, page, e.level)
                drop.update(idx[j + 1: j + n + m])
                found_at[n_entry] = page
                break
    # Running headers that repeat a part's or an article's title (the book's own title is
    # caught by the loader: it is on every other page).
    titles = [(key(t), {found_at[n]} if n in found_at else {e.page + off, e.page + off + 1})
              for n, e in enumerate(entries) for t in {e.title, e.title.split(":", 1)[-1]}]
    for page, idx in pages.items():
        nb = [i for i in _nonblank(lines, idx) if i not in replace and i not in drop]
        for i in {nb[0], nb[-1]} if nb else ():
            k = key(lines[i].text).rstrip(".")
            like = [p for t, p in titles if t and len(k) >= 10 and (t.startswith(k) or k.startswith(t))]
            if like and not any(page in p for p in like):  # not the title on its own page
                drop.add(i)
    out = []
    for i, ln in enumerate(lines):
        if i in drop:
            continue
        out.append(replace.get(i, ln))
    return out


def _without_toc(lines: list[Line]) -> list[Line]:
    """Parts ("PHẦN THỨ NHẤT" and the title under it) and articles (a title in capitals with
    the date/venue line under it) at the top of a page, for books without a table of contents."""
    pages = _by_page(lines)
    replace: dict[int, Line] = {}
    drop: set[int] = set()
    for page, idx in pages.items():
        nb = _nonblank(lines, idx)
        if not nb:
            continue
        first = lines[nb[0]].text.strip()
        if _PART.match(fold(first)) and len(nb) <= 8:
            rest = [lines[i].text.strip() for i in nb[1:] if is_caps(lines[i].text)]
            title = f"{_label(first)}: {' '.join(rest)}" if rest else _label(first)
            replace[nb[0]] = _heading(title, page, PART_LEVEL)
            drop.update(nb[1: 1 + len(rest)])
            continue
        caps = 0
        while caps < min(5, len(nb)) and is_caps(lines[nb[caps]].text):
            caps += 1
        if caps:
            note, m = _note(lines, nb, caps)
            if note:
                title = " ".join(lines[i].text.strip() for i in nb[:caps])
                replace[nb[0]] = _heading(f"{title} ({note})", page, ARTICLE_LEVEL)
                drop.update(nb[1: caps + m])
    if len(replace) < 2:  # one title-like block does not make a book
        return lines
    return [replace.get(i, ln) for i, ln in enumerate(lines) if i not in drop]
