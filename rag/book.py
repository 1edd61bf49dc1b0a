"""Answering about a book by article and page (hooks in rag.retrieve and rag.extract).

- A question that names a page ("trang 45 viết gì?", "ảnh ở trang 12 chụp gì?", "trang 120 nói
  gì về …") brings the passages printed on that page into the candidates (`page_rows`) and ranks
  them first, the kind asked for (text, a photo's caption, a footnote) before the others
  (`BookQuestion.bonus`); "trang 45 viết gì?" alone is answered by any passage printed there.
- A date in the question ("bài phát biểu ngày 30/6/2022 nói gì về …") favours the passages of
  the article of that date: the date is in their heading path (Phần → article (what, where,
  when) → sections, see ingest.book). "Bài nào nói về …" favours passages inside an article over
  a booklet's answer that restates them. Captions answer questions about photos only.
- Such questions get an answer that opens with the article — its title, what it is, where and
  when — and its pages: `Bài “…” (Bài phát biểu tại …, ngày …), trang 45–46:` (`asks_where`,
  `locator`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hoidap.model import PATH_SEP, Chunk
from hoidap.textnorm import fold, has_diacritics, nfc

PAGE_BONUS = 1.0  # like a named document: the page the question names comes first
PAGE_START_BONUS = 0.1  # of the passages on that page, one that starts there
PAGE_KIND_BONUS = 0.05  # and the page's own text before its footnotes and captions, unless those are asked for
DATE_BONUS = 0.3  # the question's date is the date of the article the passage is in (its heading path)
ARTICLE_BONUS = 0.3  # "bài nào …": a passage of an article before one that restates it (a booklet's answer)
CAPTION_PENALTY = 0.15  # a photo's caption answers questions about photos, not about what the text says
_PAGE = re.compile(r"\b(?:trang|tr)\s*\.?\s*(?:so\s+|thu\s+)?(\d{1,4})\b")
_WHERE = re.compile(
    r"\bbai (nao|gi|viet nao|phat bieu nao)\b|\bbai (viet|phat bieu|noi|dien van|ket luan)\b|\by kien (nao|cua ai)\b"
    r"|\btrang (nao|may|so may|bao nhieu|thu may)\b|\b(o|tai|trong) trang\b|\btrang \d|\b(nam|in|xuat hien) o (dau|trang)\b"
    r"|\bphan (nao|thu may)\b")
_PART = re.compile(r"^phan (thu|[ivx]+\b|\d)")
_PHOTO = re.compile(r"(?<!\w)(ảnh|bức ảnh|tấm ảnh|hình chụp)(?!\w)")  # not "tình hình", not the pronoun "anh"
_PHOTO_FOLDED = re.compile(r"\b(buc anh|tam anh|hinh anh|hinh chup|anh chup|chup)\b")
_NOTE_WORD = re.compile(r"\b(chu thich|cuoc chu)\b")
_ARTICLE = re.compile(r"\bbai (nao|gi|viet nao|phat bieu nao)\b|\by kien (nao|cua ai)\b")
_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b|\b(\d{1,2}) thang (\d{1,2}) nam (\d{4})\b")
# What a question about a page says besides the page: "trang 45 viết gì", "ảnh ở trang 12 chụp gì".
_PAGE_ONLY = set("""trang so thu tr o tai trong viet noi ghi gi the nao co noi dung cua tac pham sach cuon quyen
tai lieu anh hinh chup su kien nao la ve dang in nhung dieu cac phan bai""".split())


def page_asked(question: str) -> int | None:
    """The page a question names: "trang 45", "trang số 45", "tr. 45"."""
    m = _PAGE.search(fold(question))
    return int(m.group(1)) if m else None


def only_page(question: str) -> bool:
    """The question asks what a page says and nothing more ("Trang 45 viết gì?"): any passage
    printed there answers it, however little of the question it covers."""
    if page_asked(question) is None:
        return False
    return all(w.isdigit() or w in _PAGE_ONLY for w in re.findall(r"\w+", fold(question)))


def dates_asked(question: str) -> set[tuple[int, int, int]]:
    """Dates in a question, as (day, month, year): "ngày 30/6/2022", "30-6-2022", "30 tháng 6 năm 2022"."""
    out = set()
    for m in _DATE.finditer(fold(question)):
        d, mo, y = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        out.add((int(d), int(mo), int(y)))
    return out


def same_question(question: str, asked: str) -> bool:
    """The question says (nearly) everything a booklet's question says."""
    theirs = set(re.findall(r"\w+", fold(asked)))
    return bool(theirs) and len(theirs & set(re.findall(r"\w+", fold(question)))) >= 0.8 * len(theirs)


def in_article(chunk: Chunk) -> bool:
    """The passage is printed inside an article of a book (its heading path starts with a part)."""
    return chunk.page is not None and bool(_PART.match(fold(chunk.heading)))


def covers(chunk: Chunk, page: int) -> bool:
    return chunk.page is not None and chunk.page <= page <= (chunk.page_end or chunk.page)


@dataclass
class BookQuestion:
    """What a question asks of a paged document, read once per question."""
    question: str
    page: int | None = None  # "trang 45 …"
    dates: set = field(default_factory=set)  # "bài phát biểu ngày 30/6/2022 …"
    wants: str = "text"  # caption ("ảnh ở trang 12 …") | footnote ("chú thích …") | text
    article: bool = False  # "bài nào nói về …": a passage inside an article answers it
    only_page: bool = False  # "trang 45 viết gì?" and nothing else

    @classmethod
    def of(cls, question: str) -> "BookQuestion":
        folded = fold(question)
        photo = _PHOTO.search(nfc(question).lower()) or (not has_diacritics(question) and _PHOTO_FOLDED.search(folded))
        wants = "caption" if photo else "footnote" if _NOTE_WORD.search(folded) else "text"
        return cls(question, page_asked(question), dates_asked(question), wants, bool(_ARTICLE.search(folded)),
                   only_page(question))

    def bonus(self, chunk: Chunk) -> float:
        """Added to a passage's rerank score (rag.retrieve)."""
        if chunk.page is None:
            return 0.0
        score = 0.0
        kind = chunk.kind if chunk.kind in ("caption", "footnote") else "text"
        if self.page is not None and covers(chunk, self.page):
            score += PAGE_BONUS
            if kind == self.wants:  # of the passages on that page: the kind asked for (starting there, when
                score += PAGE_KIND_BONUS  # the page is all the question asks about; else its topic decides)
                score += PAGE_START_BONUS if self.only_page and chunk.page == self.page else 0.0
        if self.dates and (kind != "caption" or self.wants == "caption"):
            if chunk.kind == "qa":  # a booklet's pair asked in its own words answers directly
                if self.dates & dates_asked(chunk.question) and same_question(self.question, chunk.question):
                    score += DATE_BONUS
            elif self.dates & dates_asked(chunk.heading):  # the article of that date (its heading path)
                score += DATE_BONUS
        if self.article and in_article(chunk):
            score += ARTICLE_BONUS
        if kind == "caption" and self.wants != "caption":
            score -= CAPTION_PENALTY
        return score


def page_rows(index, page: int, allowed=None) -> list[int]:
    """Rows of the passages printed on `page` (any paged document; `allowed`: the filter mask)."""
    by_page = index.__dict__.get("_book_pages")
    if by_page is None:  # built once per open generation
        by_page = {}
        for row, c in enumerate(index.chunks):
            if c.page is not None:
                for p in range(c.page, (c.page_end or c.page) + 1):
                    by_page.setdefault(p, []).append(row)
        index.__dict__["_book_pages"] = by_page
    rows = by_page.get(page, [])
    return [r for r in rows if allowed is None or allowed[r]]


def asks_where(question: str, chunk: Chunk | None = None) -> bool:
    """The question wants to know which article (or which page) says something, or names the
    date of the article `chunk` is in ("Kết luận ngày 9/6/2014 nói gì về …")."""
    if _WHERE.search(fold(question)) or page_asked(question) is not None:
        return True
    dates = dates_asked(question)
    return bool(dates and chunk is not None and in_article(chunk) and dates & dates_asked(chunk.heading))


def article_of(heading: str) -> str:
    """The article a passage belongs to: the heading under a book's part, else the top heading."""
    parts = [p for p in heading.split(PATH_SEP) if p and p != "Mở đầu"]
    if not parts:
        return ""
    if _PART.match(fold(parts[0])):
        return parts[1] if len(parts) > 1 and parts[1] != "Ảnh" else parts[0]
    return parts[0]


def pages(chunk: Chunk) -> str:
    end = chunk.page_end or chunk.page
    return f"trang {chunk.page}" if end == chunk.page else f"trang {chunk.page}–{end}"


def locator(chunk: Chunk, doc: dict) -> str:
    """'Bài “…” (Bài phát biểu tại …, ngày …), trang 45–46' for a passage of a paged document;
    empty for one without pages."""
    if chunk.page is None:
        return ""
    article = article_of(chunk.heading)
    if article and _PART.match(fold(chunk.heading)):
        m = re.match(r"^(.*?) \((.+)\)$", article)
        where = f"Bài “{m.group(1)}” ({m.group(2)})" if m else f"Bài “{article}”"
    else:
        title = doc.get("title", "") or article
        where = f"“{title[:120]}{'…' if len(title) > 120 else ''}”"
    return f"{where}, {pages(chunk)}"
