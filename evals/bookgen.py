"""Book-shaped test PDFs with their ground truth: a synthetic edition of the book (three parts,
about a hundred articles with titles, dates and venues, a table of contents, running headers,
page numbers, footnotes, photo pages with captions, a few scanned image-only pages) and the
official-style Q&A booklet, both in Vietnamese, laid out page by page so that the truth knows
where every article, caption, footnote and distinctive sentence is printed.

    make_book(path, pages=600, seed=2023) -> BookTruth
    make_booklet(path, book, seed=2023) -> BookletTruth
    book_questions(book, booklet) -> evaluation records (evals/dataset.py format, with "page")
    python -m evals.bookgen OUT_DIR [--pages 600] [--seed 2023] [--questions FILE]

Text is built from templates and the plans' vocabulary (evals/bookvocab.py) with a seeded RNG:
the same arguments give the same PDF. The layout is done here (line breaking, page breaks,
footnote space at the page bottom) and the pages are then drawn with fpdf2; scanned pages are
drawn into an image with PIL instead, so that only OCR can read them."""
from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import bookvocab as V

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = {
    ("serif", ""): "DejaVuSerif.ttf", ("serif", "B"): "DejaVuSerif-Bold.ttf", ("serif", "I"): "DejaVuSerif-Italic.ttf",
    ("sans", ""): "DejaVuSans.ttf", ("sans", "B"): "DejaVuSans-Bold.ttf", ("sans", "I"): "DejaVuSans-Oblique.ttf",
}
# A5 page, millimetres.
PAGE_W, PAGE_H = 148.0, 210.0
LEFT, TEXT_W = 16.0, 116.0
HEADER_Y, BODY_TOP, BODY_BOTTOM, FOOTER_Y = 12.0, 20.0, 190.0, 200.0
BODY = ("serif", "", 10.0, 5.0)  # font, style, size (pt), line height (mm)
NOTE = ("serif", "", 8.0, 3.6)
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
BOOKLET_TITLE = ("Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm “Kiên quyết, kiên trì đấu tranh phòng, "
                 "chống tham nhũng, tiêu cực, góp phần xây dựng Đảng và Nhà nước ta ngày càng trong sạch, vững mạnh” "
                 "của Tổng Bí thư Nguyễn Phú Trọng")
BOOKLET_HEADER = "Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm"
BOOKLET_ISSUERS = ["BAN TUYÊN GIÁO TRUNG ƯƠNG", "BAN NỘI CHÍNH TRUNG ƯƠNG"]


# --- ground truth ---------------------------------------------------------------------------------
@dataclass
class Fact:
    """A distinctive sentence of an article and the page where it starts."""
    kind: str  # num | place | image | deadline | count | quote
    text: str  # as printed (with its footnote marker, if any)
    page: int
    answer: str  # the value a question asks for
    keys: dict = field(default_factory=dict)  # field, province, subject, task, person…


@dataclass
class Footnote:
    marker: str
    text: str
    page: int
    article: int


@dataclass
class Caption:
    text: str
    page: int
    article: int


@dataclass
class Article:
    number: int
    part: int  # 1..3
    title: str
    genre: str  # Bài viết | Bài phát biểu | Kết luận | Ý kiến
    venue: str  # where it was delivered or published
    date: str  # d/m/yyyy
    note: str  # the line printed under the title
    topic: str
    person: str = ""  # Part three: who gives the opinion, and who they are
    role: str = ""
    start_page: int = 0
    end_page: int = 0
    sections: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """How the article appears in a chunk's heading path."""
        return f"{self.title} ({self.note})"


@dataclass
class PartTruth:
    number: int
    label: str  # "Phần thứ nhất"
    title: str
    page: int  # the part's title page
    end_page: int = 0
    running_header: str = ""


@dataclass
class BookTruth:
    path: str
    seed: int
    pages: int
    title: str
    parts: list[PartTruth]
    articles: list[Article]
    footnotes: list[Footnote]
    captions: list[Caption]
    scanned_pages: list[int]
    toc_pages: list[int]
    foreword_pages: list[int]
    running_headers: list[str]
    page_lines: dict[int, list[str]]  # body lines of every page as printed (no header, footnotes or number)
    photos: int = 0

    def article_at(self, page: int) -> Article | None:
        return next((a for a in self.articles if a.start_page <= page <= a.end_page), None)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class QAPair:
    number: int
    question: str
    answer: list[str]  # paragraphs
    page: int  # where "Câu hỏi n" is printed
    end_page: int
    section: str
    key: str  # a distinctive phrase of the answer
    article: int | None = None


@dataclass
class BookletTruth:
    path: str
    pages: int
    title: str
    issuer: str
    pairs: list[QAPair]
    running_headers: list[str]
    page_lines: dict[int, list[str]]


# --- layout -----------------------------------------------------------------------------------------
@dataclass
class _Text:
    x: float
    y: float  # baseline
    text: str
    font: str
    style: str
    size: float


@dataclass
class _Image:
    x: float
    y: float
    w: float
    h: float
    data: bytes


@dataclass
class _Rule:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class _Page:
    number: int
    kind: str  # cover | blank | foreword | toc | part | article | photo | booklet
    header: str | None = None
    numbered: bool = True
    items: list = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    notes_h: float = 0.0
    scanned: bool = False
    finished: bool = False


class _Fonts:
    def __init__(self, font_dir: Path = FONT_DIR) -> None:
        from fpdf import FPDF

        fallback = font_dir / "DejaVuSans.ttf"
        if not fallback.exists():
            raise FileNotFoundError(f"{fallback} is needed (fonts-dejavu-core) for Vietnamese glyphs")
        self.files = {}
        for key, name in _FONT_FILES.items():
            path = font_dir / name
            if not path.exists():  # the serif or italic faces may be missing: fall back on DejaVu Sans
                path = font_dir / _FONT_FILES[("sans", key[1])] if (font_dir / _FONT_FILES[("sans", key[1])]).exists() else fallback
            self.files[key] = path
        self.pdf = FPDF(unit="mm")
        self.register(self.pdf)
        self._widths: dict[tuple, float] = {}

    def register(self, pdf) -> None:
        for (family, style), path in self.files.items():
            pdf.add_font(family, style=style, fname=str(path))

    def width(self, text: str, font: str, style: str, size: float) -> float:
        key = (font, style, size, text)
        w = self._widths.get(key)
        if w is None:
            self.pdf.set_font(font, style, size)
            w = self._widths[key] = self.pdf.get_string_width(text)
        return w

    def wrap(self, text: str, font: str, style: str, size: float, width: float, first_indent: float = 0.0) -> list[str]:
        space = self.width(" ", font, style, size)
        lines: list[str] = []
        cur: list[str] = []
        cur_w, avail = 0.0, width - first_indent
        for word in text.split(" "):
            ww = self.width(word, font, style, size)
            if cur and cur_w + space + ww > avail:
                lines.append(" ".join(cur))
                cur, cur_w, avail = [word], ww, width
            else:
                cur_w += (space if cur else 0.0) + ww
                cur.append(word)
        if cur:
            lines.append(" ".join(cur))
        return lines


class _Writer:
    """Places lines on pages, top to bottom, keeping room at the bottom for the footnotes
    of the lines already placed. `on_break` decides what the next page is."""

    def __init__(self, fonts: _Fonts) -> None:
        self.fonts = fonts
        self.pages: list[_Page] = []
        self.page: _Page | None = None
        self.y = BODY_TOP
        self.on_break = None
        self.reserved: list[_Page] | None = None  # writing into pages made earlier (TOC, foreword)

    @property
    def next_number(self) -> int:
        return len(self.pages) + 1

    def new_page(self, kind: str, header: str | None = None, numbered: bool = True) -> _Page:
        self.finish()
        page = _Page(number=self.next_number, kind=kind, header=header, numbered=numbered)
        self.pages.append(page)
        self.page, self.y = page, BODY_TOP
        return page

    def finish(self) -> None:
        if self.page is not None:
            self.page.finished = True

    def note_height(self, notes: list[tuple[str, str]], first: bool) -> float:
        font, style, size, lh = NOTE
        h = sum(len(self.fonts.wrap(f"{m} {t}", font, style, size, TEXT_W)) * lh for m, t in notes)
        return h + (3.0 if notes and first else 0.0)

    def room(self) -> float:
        return BODY_BOTTOM - self.page.notes_h - self.y

    def break_page(self) -> None:
        if self.reserved is not None:
            self.finish()
            if not self.reserved:
                raise _Full()
            self.page, self.y = self.reserved.pop(0), BODY_TOP
        elif self.on_break:
            self.on_break()
        else:
            self.new_page(self.page.kind, self.page.header)

    def line(self, text: str, font: str, style: str, size: float, lh: float, x: float = LEFT,
             align: str = "L", notes: list[tuple[str, str]] | None = None) -> int:
        notes = notes or []
        need = self.note_height(notes, first=not self.page.notes)
        if self.y + lh + need > BODY_BOTTOM - self.page.notes_h:
            self.break_page()
            need = self.note_height(notes, first=not self.page.notes)
        if align == "C":
            x = (PAGE_W - self.fonts.width(text, font, style, size)) / 2
        elif align == "R":
            x = LEFT + TEXT_W - self.fonts.width(text, font, style, size)
        self.page.items.append(_Text(x, self.y + lh * 0.78, text, font, style, size))
        self.page.lines.append(text)
        self.page.notes.extend(notes)
        self.page.notes_h += need
        self.y += lh
        return self.page.number

    def paragraph(self, text: str, notes: dict[str, str] | None = None, indent: float = 7.0,
                  style: tuple = BODY, align: str = "L", gap: float = 1.2) -> list[tuple[int, int]]:
        """Lay out one paragraph; returns (offset in text, page) for the start of each line."""
        font, fstyle, size, lh = style
        width = TEXT_W if align == "L" else TEXT_W - 8
        lines = self.fonts.wrap(text, font, fstyle, size, width, first_indent=indent if align == "L" else 0.0)
        out, pos = [], 0
        for i, ln in enumerate(lines):
            marks = [(m, t) for m, t in (notes or {}).items() if m in ln]
            page = self.line(ln, font, fstyle, size, lh, x=LEFT + (indent if i == 0 and align == "L" else 0.0),
                             align=align, notes=marks)
            out.append((pos, page))
            pos += len(ln) + 1
        self.y += gap
        return out


class _Full(Exception):
    """The reserved pages are full."""


def _page_at(offsets: list[tuple[int, int]], pos: int) -> int:
    page = offsets[0][1]
    for start, p in offsets:
        if start <= pos:
            page = p
    return page


def _pairs(r: random.Random, items: list[str], provinces: list[str], rounds: int) -> list[tuple[str, str]]:
    """(item, province) pairs, none twice, every province used once per round."""
    out, seen = [], set()
    for _ in range(rounds):
        for prov in r.sample(provinces, len(provinces)):
            for item in r.sample(items, len(items)):
                if (item, prov) not in seen:
                    seen.add((item, prov))
                    out.append((item, prov))
                    break
    return out


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- images -----------------------------------------------------------------------------------------
def _photo(rng: random.Random) -> bytes:
    """A small stand-in photograph: a hall, a banner, a speaker and an audience."""
    from PIL import Image, ImageDraw

    w, h = 480, 320
    base = [rng.randint(60, 170) for _ in range(3)]
    img = Image.new("RGB", (w, h), tuple(base))
    d = ImageDraw.Draw(img)
    for y in range(0, h, 8):
        shade = tuple(max(0, min(255, c + (y - h // 2) // 6)) for c in base)
        d.rectangle((0, y, w, y + 8), fill=shade)
    d.rectangle((40, 20, w - 40, 70), fill=(170, 20, 30))
    d.rectangle((200, 150, 280, 230), fill=(120, 80, 40))
    d.ellipse((222, 100, 258, 140), fill=(225, 190, 160))
    for _ in range(rng.randint(8, 16)):
        x, y = rng.randint(0, w - 40), rng.randint(240, h - 30)
        d.ellipse((x, y, x + 26, y + 26), fill=tuple(rng.randint(10, 90) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    return buf.getvalue()


def _decorated(page: _Page, fonts: _Fonts) -> list:
    """The page's items in drawing (and text extraction) order: running header, body,
    footnotes, page number."""
    top, bottom = [], []
    if page.header:
        size = 7.5
        w = fonts.width(page.header, "sans", "I", size)
        top = [_Text((PAGE_W - w) / 2, HEADER_Y, page.header, "sans", "I", size),
               _Rule(LEFT, HEADER_Y + 1.8, LEFT + TEXT_W, HEADER_Y + 1.8)]
    if page.notes:
        font, style, size, lh = NOTE
        y = BODY_BOTTOM - page.notes_h + 1.0
        bottom.append(_Rule(LEFT, y, LEFT + 35, y))
        y += 1.5
        for marker, text in page.notes:
            for line in fonts.wrap(f"{marker} {text}", font, style, size, TEXT_W):
                y += lh
                bottom.append(_Text(LEFT, y - 0.8, line, font, style, size))
    if page.numbered:
        label = str(page.number)
        w = fonts.width(label, "serif", "", 9)
        bottom.append(_Text((PAGE_W - w) / 2, FOOTER_Y, label, "serif", "", 9))
    return top + page.items + bottom


def _rasterize(page: _Page, fonts: _Fonts, dpi: int = 200) -> bytes:
    """The page as a grayscale scan (PNG) that only OCR can read."""
    from PIL import Image, ImageDraw, ImageFont

    k = dpi / 25.4
    img = Image.new("L", (round(PAGE_W * k), round(PAGE_H * k)), 250)
    d = ImageDraw.Draw(img)
    cache: dict = {}
    for it in _decorated(page, fonts):
        if isinstance(it, _Text):
            key = (it.font, it.style, it.size)
            if key not in cache:
                cache[key] = ImageFont.truetype(str(fonts.files[(it.font, it.style)]), round(it.size * dpi / 72))
            d.text((it.x * k, it.y * k), it.text, fill=15, font=cache[key], anchor="ls")
        elif isinstance(it, _Rule):
            d.line((it.x1 * k, it.y1 * k, it.x2 * k, it.y2 * k), fill=40, width=2)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _render(pages: list[_Page], fonts: _Fonts, path: Path, title: str, author: str) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(PAGE_W, PAGE_H))
    fonts.register(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_author(author)
    for p in pages:
        pdf.add_page()
        if p.scanned:
            pdf.image(io.BytesIO(_rasterize(p, fonts)), 0, 0, PAGE_W, PAGE_H)
            continue
        for it in _decorated(p, fonts):
            if isinstance(it, _Text):
                pdf.set_font(it.font, it.style, it.size)
                pdf.text(it.x, it.y, it.text)
            elif isinstance(it, _Image):
                pdf.image(io.BytesIO(it.data), it.x, it.y, it.w, it.h)
            elif isinstance(it, _Rule):
                pdf.set_line_width(0.2)
                pdf.line(it.x1, it.y1, it.x2, it.y2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


# --- the book -----------------------------------------------------------------------------------------
class _Book:
    def __init__(self, pages: int, seed: int, fonts: _Fonts) -> None:
        self.target = pages
        self.seed = seed
        self.rng = random.Random(seed)
        self.fonts = fonts
        self.w = _Writer(fonts)
        self.used_numbers: set[int] = set()
        self.used_dates: set[str] = set()
        self.used_names: set[str] = set()
        self.footnotes: list[Footnote] = []
        self.captions: list[Caption] = []
        self.parts: list[PartTruth] = []
        self.part_headers = [h for _, _, h in V.PARTS]

    # -- unique values
    def number(self, lo: int, hi: int) -> int:
        while True:
            n = self.rng.randint(lo, hi)
            if n not in self.used_numbers:
                self.used_numbers.add(n)
                return n

    def date(self, y0: int, y1: int) -> str:
        while True:
            d = f"{self.rng.randint(1, 28)}/{self.rng.randint(1, 12)}/{self.rng.randint(y0, y1)}"
            if d not in self.used_dates:
                self.used_dates.add(d)
                return d

    def person(self) -> str:
        r = self.rng
        while True:
            name = f"{r.choice(V.SURNAMES)} {r.choice(V.MIDDLE)} {r.choice(V.GIVEN)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    # -- plan
    def plan(self) -> list[Article]:
        r = self.rng
        n_articles = max(12, round(self.target / 6))
        big = self.target >= 200
        shares = (0.30, 0.25, 0.45) if big else (1 / 3, 1 / 3, 1 / 3)
        counts = [max(3, round(n_articles * s)) for s in shares]
        topics = list(V.TOPICS)
        r.shuffle(topics)
        titles: set[str] = set()
        articles: list[Article] = []
        t = 0

        def next_topic() -> V.Topic:
            nonlocal t
            topic = topics[t % len(topics)]
            t += 1
            return topic

        def headline(topic: V.Topic) -> str:
            for _ in range(50):
                title = r.choice(V.TITLE_TEMPLATES).format(np=topic.np)
                if title not in titles:
                    titles.add(title)
                    return title
            raise RuntimeError("no unused title")

        # Part one: an overview, the national conferences, then conclusions of Steering Committee meetings.
        topic = next_topic()
        date = self.date(2022, 2022)
        articles.append(Article(0, 1, "Một số vấn đề lý luận và thực tiễn về công cuộc đấu tranh phòng, chống tham nhũng, "
                                "tiêu cực ở Việt Nam", "Bài viết", "Tạp chí Cộng sản",
                                date, f"Bài viết đăng trên Tạp chí Cộng sản, ngày {date}", topic.key))
        titles.add(articles[0].title)
        meetings = sorted(r.sample(range(3, 40), max(0, counts[0] - 1 - len(V.CONFERENCES))))
        for venue, date in V.CONFERENCES[: counts[0] - 1]:
            self.used_dates.add(date)
            topic = next_topic()
            articles.append(Article(0, 1, headline(topic), "Bài phát biểu", venue, date,
                                    f"Bài phát biểu tại {venue}, ngày {date}", topic.key))
        for n in meetings:
            topic = next_topic()
            year = 2013 + (n - 3) * 9 // 37
            date = self.date(year, year)
            venue = f"Phiên họp thứ {n} của Ban Chỉ đạo Trung ương về phòng, chống tham nhũng, tiêu cực"
            title = f"Kết luận tại Phiên họp thứ {n} của Ban Chỉ đạo Trung ương về phòng, chống tham nhũng, tiêu cực"
            titles.add(title)
            articles.append(Article(0, 1, title, "Kết luận", venue, date,
                                    f"Trích kết luận của Trưởng Ban Chỉ đạo tại Phiên họp thứ {n}, ngày {date}", topic.key))
        # Part two: speeches and articles on building the Party.
        for i in range(counts[1]):
            topic = next_topic()
            year = r.randint(2012, 2023)
            if i % 3 == 2:
                paper = r.choice(V.PAPERS[:3] + ["Tạp chí Cộng sản"])
                date = self.date(year, year)
                articles.append(Article(0, 2, headline(topic), "Bài viết", paper, date,
                                        f"Bài viết đăng trên {paper}, ngày {date}", topic.key))
            else:
                venue = r.choice(V.VENUES_PART2).format(n=r.randint(2, 15), p=r.choice(V.PROVINCES), y=year)
                date = self.date(year, year)
                articles.append(Article(0, 2, headline(topic), "Bài phát biểu", venue, date,
                                        f"Bài phát biểu tại {venue}, ngày {date}", topic.key))
        # Part three: opinions of the people and of foreign observers.
        groups = list(V.GROUPS)
        r.shuffle(groups)
        for i in range(counts[2]):
            group = groups[i % len(groups)]
            for _ in range(50):
                title = r.choice(V.OPINION_HEADLINES).format(g=group, G=_cap(group))
                if title not in titles:
                    break
            titles.add(title)
            paper = r.choice(V.PAPERS)
            date = self.date(2021, 2023)
            person = self.person()
            role = r.choice(V.ROLES)
            articles.append(Article(0, 3, title, "Ý kiến", paper, date,
                                    f"Ý kiến của {person}, {role}, đăng trên {paper}, ngày {date}", next_topic().key,
                                    person=person, role=role))
        for i, a in enumerate(articles, 1):
            a.number = i
        return articles

    def budgets(self, articles: list[Article], toc_pages: int, fw_pages: int, photo_pages: int, blanks: bool) -> list[int]:
        fixed = 1 + (1 if blanks else 0) + fw_pages + toc_pages + 3 + (3 if blanks else 0) + photo_pages
        body = max(len(articles), self.target - fixed)
        weights = (0.32, 0.52, 0.16) if self.target >= 200 else (0.36, 0.38, 0.26)
        out = [1] * len(articles)
        for part in (1, 2, 3):
            idx = [i for i, a in enumerate(articles) if a.part == part]
            share = round(body * weights[part - 1]) if part < 3 else body - sum(
                round(body * weights[p - 1]) for p in (1, 2))
            raw = [self.rng.uniform(1.0, 3.0) if articles[i].part < 3 else self.rng.uniform(0.8, 1.3) for i in idx]
            if part == 1 and articles[idx[0]].genre == "Bài viết":
                raw[0] *= 2.5  # the overview is the longest piece
            total = sum(raw)
            alloc = [max(1, math.floor(share * x / total)) for x in raw]
            k = 0
            while sum(alloc) < share:
                alloc[k % len(alloc)] += 1
                k += 1
            while sum(alloc) > share and max(alloc) > 1:
                alloc[alloc.index(max(alloc))] -= 1
            for i, n in zip(idx, alloc):
                out[i] = n
        return out

    # -- facts
    def facts_for(self, art: Article, budget: int, used: dict) -> list[tuple[Fact, str | None]]:
        """Distinctive sentences for an article, with the footnote text of those that carry one."""
        r = self.rng
        topic = next(t for t in V.TOPICS if t.key == art.topic)
        out: list[tuple[Fact, str | None]] = []
        if art.part == 3:
            person, role = art.person, art.role
            opinion = r.choice(V.OPINIONS)
            prov = r.choice(V.PROVINCES)
            out.append((Fact("quote", f"{_cap(role)} {person} ở tỉnh {prov} cho rằng {opinion}.", 0, opinion,
                             {"person": person, "role": role, "province": prov}), None))
            kinds = ["place"] if budget >= 2 else []
        else:
            n = max(2, min(5, budget))
            kinds = ["num", "place", "image", "deadline", "count"][:n]
            r.shuffle(kinds)
        for kind in kinds:
            if kind == "num":
                fld, prov = used["field_places"].pop(0)
                n1, n2, money = self.number(40, 900), self.number(100, 4000), self.number(120, 9800)
                marker = SUPERSCRIPTS[sum(1 for _, n in out if n)]
                src, when = r.choice(V.FOOTNOTE_SOURCES), self.date(2012, 2023)
                note = f"Số liệu về lĩnh vực {fld} ở tỉnh {prov} do {src} tổng hợp, tính đến ngày {when}."
                text = (f"Riêng trong lĩnh vực {fld} ở tỉnh {prov}, các cơ quan chức năng đã phát hiện {_fmt(n1)} vụ "
                        f"việc có dấu hiệu vi phạm, xử lý kỷ luật {_fmt(n2)} cán bộ, đảng viên và kiến nghị thu hồi "
                        f"{_fmt(money)} tỷ đồng{marker}.")
                out.append((Fact("num", text, 0, f"{_fmt(money)} tỷ đồng",
                                 {"field": fld, "province": prov, "cases": _fmt(n1), "people": _fmt(n2),
                                  "money": _fmt(money), "marker": marker, "source": src, "as_of": when}), note))
            elif kind == "place":
                practice, prov = used["practice_places"].pop(0)
                text = f"{_cap(practice.format(p=prov))}; đây là cách làm hay cần được nghiên cứu, nhân rộng."
                out.append((Fact("place", text, 0, prov, {"province": prov, "practice": practice.format(p=prov)}), None))
            elif kind == "image":
                if topic.subject in used["subjects"] or not used["metaphors"]:
                    continue
                used["subjects"].add(topic.subject)
                image, meaning = used["metaphors"].pop(0)
                text = f"Tôi đã nhiều lần ví {topic.subject} như “{image}”, {meaning}."
                out.append((Fact("image", text, 0, image, {"subject": topic.subject, "meaning": meaning}), None))
            elif kind == "deadline":
                if not used["tasks"]:
                    continue
                task, org = used["tasks"].pop(0), r.choice(V.ORGS)
                when = self.date(2024, 2026)
                text = f"Tôi đề nghị {org} hoàn thành việc {task} trước ngày {when}."
                out.append((Fact("deadline", text, 0, when, {"task": task, "org": org}), None))
            elif kind == "count":
                org = r.choice(V.ORGS[:4])
                y1 = r.randint(2012, 2016)
                n = self.number(12, 480)
                marker = SUPERSCRIPTS[sum(1 for _, nt in out if nt)]
                note = (f"Xem Báo cáo tổng kết của {org} về {topic.np}, ngày {self.date(y1 + 4, y1 + 7)}.")
                text = (f"Từ năm {y1} đến năm {y1 + 5}, {org} đã ban hành {_fmt(n)} văn bản hướng dẫn về "
                        f"{topic.key}{marker}.")
                out.append((Fact("count", text, 0, _fmt(n), {"org": org, "topic": topic.key, "from": y1,
                                                             "to": y1 + 5, "marker": marker}), note))
        return out

    # -- sentences
    def sentences(self, topic: V.Topic, opinion: bool) -> list[str]:
        r = self.rng
        n = r.randint(3, 5)
        pool = V.OPINION_GENERIC if opinion else V.GENERIC
        picked = r.sample(pool, n)
        out = [s.format(np=topic.np, key=topic.key, slogan=r.choice(V.SLOGANS)) for s in picked]
        if not opinion and r.random() < 0.7:
            out.insert(r.randint(1, len(out)), r.choice(topic.sentences))
        return out

    # -- pages
    def header(self, number: int, part: int) -> str:
        return V.BOOK_HEADER if number % 2 == 0 else self.part_headers[part - 1]

    def cover(self) -> None:
        w = self.w
        w.new_page("cover", numbered=False)
        w.y = 30
        w.line(V.AUTHOR.upper(), "sans", "B", 13, 8, align="C")
        w.y = 60
        for ln in self.fonts.wrap(V.BOOK_TITLE.upper(), "sans", "B", 14, TEXT_W - 10):
            w.line(ln, "sans", "B", 14, 8, align="C")
        w.y = 170
        w.line(V.PUBLISHER.upper(), "sans", "B", 9, 5.5, align="C")
        w.line("Hà Nội, năm 2023", "sans", "", 9, 5.5, align="C")

    def photo_page(self, art: Article, count: int) -> None:
        w, r = self.w, self.rng
        page = w.new_page("photo", header=self.header(w.next_number, art.part))
        slots = [(24.0, 104.0, 66.0)] if count == 1 else [(24.0, 92.0, 58.0), (104.0, 92.0, 58.0)]
        actions = r.sample(V.CAPTION_ACTIONS, len(slots))
        for (y, iw, ih), action in zip(slots, actions):
            page.items.append(_Image((PAGE_W - iw) / 2, y, iw, ih, _photo(r)))
            w.y = y + ih + 2
            if art.part == 3:
                person, role = art.person, art.role
                text = f"Ảnh: {person}, {role}, trao đổi với phóng viên {art.venue} về công cuộc phòng, chống tham nhũng"
            elif art.genre == "Bài viết":
                text = f"Ảnh: Tổng Bí thư Nguyễn Phú Trọng {action} tại cuộc làm việc về {art.topic}, năm {art.date[-4:]}"
            else:
                text = f"Ảnh: Tổng Bí thư Nguyễn Phú Trọng {action} tại {art.venue}, ngày {art.date}"
            w.paragraph(text, indent=0.0, style=("sans", "I", 8.5, 4.2), align="C")
            self.captions.append(Caption(text, page.number, art.number))

    def part_page(self, number: int, blanks: bool) -> None:
        label, title, header = V.PARTS[number - 1]
        w = self.w
        page = w.new_page("part", numbered=False)
        w.y = 75
        w.line(label.upper(), "sans", "B", 15, 9, align="C")
        w.y += 4
        for ln in self.fonts.wrap(title.upper(), "sans", "B", 12.5, TEXT_W - 14):
            w.line(ln, "sans", "B", 12.5, 7, align="C")
        self.parts.append(PartTruth(number, label, title, page.number, running_header=header))
        if blanks:
            w.new_page("blank", numbered=False)

    def article(self, art: Article, budget: int, photos: int, used: dict) -> None:
        w, r = self.w, self.rng
        topic = next(t for t in V.TOPICS if t.key == art.topic)
        others = [t for t in V.TOPICS if t.key != art.topic]
        first = w.new_page("article")
        art.start_page = first.number
        w.y = BODY_TOP + 6
        for ln in self.fonts.wrap(art.title.upper(), "sans", "B", 11.5, TEXT_W - 8):
            w.line(ln, "sans", "B", 11.5, 6.2, align="C")
        w.y += 2.5
        for ln in self.fonts.wrap(art.note, "serif", "I", 9.5, TEXT_W - 8):
            w.line(ln, "serif", "I", 9.5, 5.0, align="C")
        w.y += 6
        state = {"photos": photos, "photo_pages": 0}

        def on_break() -> None:
            if state["photos"]:
                self.photo_page(art, state["photos"])
                state["photos"], state["photo_pages"] = 0, 1
            w.new_page("article", header=self.header(w.next_number, art.part))

        w.on_break = on_break
        facts = self.facts_for(art, budget, used)
        est = max(2, int(budget * 3.3))
        fact_at: dict[int, list] = {}
        for i, f in enumerate(facts):
            fact_at.setdefault(min(est - 1, 1 + i * max(1, (est - 1) // max(1, len(facts)))), []).append(f)
        n_sections = 0 if art.part == 3 or budget < 3 else (2 if budget < 5 else 3)
        sec_topics = [topic] + r.sample(others, 2)
        if n_sections:
            if art.genre in ("Bài phát biểu", "Kết luận") and n_sections == 3:
                names = [f"{'I' * (j + 1)}. {s.upper()}" for j, s in enumerate(V.SECTIONS_SPEECH[:3])]
            elif n_sections == 3:
                names = [f"{'I' * (j + 1)}. {t.section.upper()}" for j, t in enumerate(sec_topics)]
            else:
                names = [f"{j + 1}. {t.section}" for j, t in enumerate(sec_topics[:2])]
            section_at = {round(est * j / n_sections): name for j, name in enumerate(names)}
        else:
            section_at = {}
        k, cur_topic = 0, topic
        pending = []
        while True:
            used_pages = w.page.number - art.start_page + 1 - state["photo_pages"]
            full = used_pages > budget or (used_pages == budget and w.y > BODY_TOP + 0.5 * (BODY_BOTTOM - BODY_TOP))
            pending += fact_at.pop(k, [])
            if full and not pending and not fact_at and not section_at:
                break
            if full:  # out of room: whatever is still planned goes in now
                pending += [f for key in sorted(fact_at) for f in fact_at.pop(key)]
            if k in section_at or (full and section_at):
                name = section_at.pop(k) if k in section_at else section_at.pop(min(section_at))
                if w.room() < 4 * BODY[3]:
                    w.break_page()
                w.y += 2
                w.line(name, "serif", "B", 10, 5.6)
                w.y += 1
                art.sections.append(name)
                idx = len(art.sections) - 1
                cur_topic = sec_topics[idx] if art.genre not in ("Bài phát biểu", "Kết luận") else topic
            sents = self.sentences(cur_topic, opinion=art.part == 3)
            placed = []
            for fact, note in pending[:2]:
                sents.insert(r.randint(1, len(sents)), fact.text)
                placed.append((fact, note))
            pending = pending[2:]
            text = " ".join(sents)
            notes = {f.keys["marker"]: n for f, n in placed if n}
            offsets = w.paragraph(text, notes=notes)
            for fact, note in placed:
                fact.page = _page_at(offsets, text.index(fact.text))
                art.facts.append(fact)
                if note:
                    self.footnotes.append(Footnote(fact.keys["marker"], note, _page_at(offsets, text.index(fact.keys["marker"])),
                                                   art.number))
            k += 1
        if state["photos"]:  # a one-page article: its photos follow it
            self.photo_page(art, state["photos"])
        w.on_break = None
        art.end_page = w.page.number

    def toc_lines(self, entries: list[tuple[int, str, int]]) -> list[tuple[str, tuple, float, bool, int]]:
        """(text, style, x, last line of an entry?, page) for every line of the table of contents."""
        out = []
        for level, title, page in entries:
            if level < 0:
                label, _, rest = title.partition("\n")
                out.append((label, ("sans", "B", 9.5, 5.0), LEFT, False, page))
                lines = self.fonts.wrap(rest, "sans", "B", 9.0, TEXT_W - 16)
                style = ("sans", "B", 9.0, 4.8)
                x = LEFT
            else:
                lines = self.fonts.wrap(title, "serif", "", 9.0, TEXT_W - 20)
                style = ("serif", "", 9.0, 4.6)
                x = LEFT + 4
            for i, ln in enumerate(lines):
                out.append((ln, style, x, i == len(lines) - 1, page))
        return out

    def toc_page_count(self, entries) -> int:
        lines = self.toc_lines(entries)
        height = sum(s[3] + (1.4 if last else 0) for _, s, _, last, _ in lines)
        return math.ceil((height + 14) / (BODY_BOTTOM - BODY_TOP - 4))

    def fill_toc(self, pages: list[_Page], entries) -> None:
        w = self.w
        saved = (w.page, w.y)
        w.reserved = list(pages)
        w.page, w.y = w.reserved.pop(0), BODY_TOP + 4
        w.line("MỤC LỤC", "sans", "B", 13, 8, align="C")
        w.y += 3
        for text, (font, style, size, lh), x, last, page in self.toc_lines(entries):
            if not last:
                w.line(text, font, style, size, lh, x=x)
                continue
            num = str(page)
            right = LEFT + TEXT_W
            tw = self.fonts.width(text, font, style, size)
            dot = self.fonts.width(".", font, style, size)
            nw = self.fonts.width(num, font, style, size)
            dots = "." * max(3, int((right - nw - 2 - (x + tw + 2)) / dot))
            w.line(f"{text} {dots} {num}", font, style, size, lh, x=x)
            w.y += 1.4
        w.finish()
        w.reserved = None
        w.page, w.y = saved

    def fill_foreword(self, pages: list[_Page], articles: list[Article], photos: int) -> None:
        w, r = self.w, self.rng
        saved = (w.page, w.y)
        w.reserved = list(pages)
        w.page, w.y = w.reserved.pop(0), BODY_TOP + 10
        w.line("LỜI NHÀ XUẤT BẢN", "sans", "B", 12, 7, align="C")
        w.y += 4
        parts = "; ".join(f"{p.label} “{p.title}” (từ trang {p.page} đến trang {p.end_page})" for p in self.parts)
        paras = [
            "Tổng Bí thư Nguyễn Phú Trọng là người khởi xướng, trực tiếp lãnh đạo, chỉ đạo công cuộc đấu tranh phòng, "
            "chống tham nhũng, tiêu cực của Đảng và Nhà nước ta trong những năm qua.",
            f"Cuốn sách tập hợp {len(articles)} bài viết, bài phát biểu, ý kiến chỉ đạo của đồng chí Tổng Bí thư và ý kiến "
            f"của các tầng lớp Nhân dân, được kết cấu thành ba phần, kèm theo {photos} bức ảnh tư liệu. Ba phần của cuốn "
            f"sách gồm: {parts}.",
            "Nhà xuất bản Chính trị quốc gia Sự thật trân trọng giới thiệu cuốn sách với bạn đọc.",
        ]
        try:
            for i, text in enumerate(paras):
                w.paragraph(text)
            while True:
                extra = " ".join(self.sentences(r.choice(V.TOPICS), opinion=False))
                lines = len(self.fonts.wrap(extra, *BODY[:3], TEXT_W, 7.0))
                if w.room() < lines * BODY[3] + 2 and not w.reserved:
                    break
                w.paragraph(extra)
        except _Full:
            pass
        w.finish()
        w.reserved = None
        w.page, w.y = saved

    def build(self) -> tuple[list[Article], list[_Page], dict]:
        r, w = self.rng, self.w
        articles = self.plan()
        blanks = self.target >= 200
        fw_pages = 1 if self.target < 100 else 2
        photos = max(3, round(111 * self.target / 600))
        photo_pages = math.ceil(photos / 2)
        entries0 = [(0, "Lời Nhà xuất bản", 999)] + [(-1, f"{l}\n{t}", 999) for l, t, _ in V.PARTS] + \
                   [(0, a.title, 999) for a in articles]
        toc_pages = self.toc_page_count(entries0)
        budgets = self.budgets(articles, toc_pages, fw_pages, photo_pages, blanks)
        # Photos go with speeches first (two to a page, the last page may hold one).
        with_photos = sorted(range(len(articles)), key=lambda i: (articles[i].genre != "Bài phát biểu",
                                                                  articles[i].part == 3, r.random()))[:photo_pages]
        photo_count = {i: 2 for i in with_photos}
        if photos % 2 and with_photos:
            photo_count[with_photos[-1]] = 1
        # Every distinctive fact is printed once: (field, province) and (practice, province)
        # pairs are drawn without replacement, each province used once before any is used again.
        used = {"field_places": _pairs(r, V.FIELDS, V.PROVINCES, 4),
                "practice_places": _pairs(r, V.PRACTICES, V.PROVINCES, 4),
                "metaphors": r.sample(V.METAPHORS, len(V.METAPHORS)), "tasks": r.sample(V.TASKS, len(V.TASKS)),
                "subjects": set()}

        self.cover()
        if blanks:
            w.new_page("blank", numbered=False)
        fw = [w.new_page("foreword", header=None if i == 0 else V.BOOK_HEADER) for i in range(fw_pages)]
        toc = [w.new_page("toc", numbered=True) for _ in range(toc_pages)]
        for part in (1, 2, 3):
            self.part_page(part, blanks)
            for i, a in enumerate(articles):
                if a.part == part:
                    self.article(a, budgets[i], photo_count.get(i, 0), used)
            self.parts[-1].end_page = w.page.number
        w.finish()
        entries = [(0, "Lời Nhà xuất bản", fw[0].number)]
        for p in self.parts:
            entries.append((-1, f"{p.label}\n{p.title}", p.page))
            entries += [(0, a.title, a.start_page) for a in articles if a.part == p.number]
        self.fill_foreword(fw, articles, photos)
        self.fill_toc(toc, entries)
        # Scanned pages: article pages inside an article, without footnotes or distinctive sentences.
        fact_pages = {f.page for a in articles for f in a.facts}
        candidates = [p for p in w.pages if p.kind == "article" and p.header and not p.notes
                      and p.number not in fact_pages and len(p.lines) > 20]
        n_scans = max(1, round(self.target / 120))
        step = max(1, len(candidates) // n_scans)
        for p in candidates[step // 2::step][:n_scans]:
            p.scanned = True
        return articles, w.pages, {"photos": photos, "toc": [p.number for p in toc], "foreword": [p.number for p in fw]}


def make_book(path: Path | str, pages: int = 600, seed: int = 2023, font_dir: Path = FONT_DIR) -> BookTruth:
    """Write a book-shaped PDF of about `pages` pages to `path` and return where everything is."""
    path = Path(path)
    fonts = _Fonts(font_dir)
    book = _Book(pages, seed, fonts)
    articles, laid, extra = book.build()
    _render(laid, fonts, path, V.BOOK_TITLE, V.AUTHOR)
    return BookTruth(
        path=str(path), seed=seed, pages=len(laid), title=V.BOOK_TITLE, parts=book.parts, articles=articles,
        footnotes=book.footnotes, captions=book.captions, scanned_pages=[p.number for p in laid if p.scanned],
        toc_pages=extra["toc"], foreword_pages=extra["foreword"],
        running_headers=[V.BOOK_HEADER] + [p.running_header for p in book.parts],
        page_lines={p.number: list(p.lines) for p in laid}, photos=extra["photos"])


# --- the Q&A booklet -----------------------------------------------------------------------------------
def make_booklet(path: Path | str, book: BookTruth, seed: int = 2023, pairs: int | None = None,
                 font_dir: Path = FONT_DIR) -> BookletTruth:
    """The official-style "Tài liệu Hỏi - Đáp" on the generated book: "Câu hỏi n: … Trả lời: …"
    pairs in sections, answers over several paragraphs and sometimes over a page break."""
    path = Path(path)
    r = random.Random(seed + 1)
    fonts = _Fonts(font_dir)
    w = _Writer(fonts)
    n_pairs = pairs or (8 if book.pages < 100 else 40)

    w.new_page("cover", numbered=False)
    w.y = 20
    for issuer in BOOKLET_ISSUERS:
        w.line(issuer, "sans", "B", 10, 5.5, align="C")
    w.y = 70
    w.line("TÀI LIỆU HỎI - ĐÁP", "sans", "B", 15, 9, align="C")
    w.y += 3
    for ln in fonts.wrap(BOOKLET_TITLE[len("Tài liệu Hỏi - Đáp "):].upper(), "sans", "B", 11, TEXT_W - 12):
        w.line(ln, "sans", "B", 11, 6.5, align="C")
    w.y = 180
    w.line("Hà Nội, tháng 5 năm 2023", "sans", "I", 9.5, 5.5, align="C")
    w.on_break = lambda: w.new_page("booklet", header=BOOKLET_HEADER)

    w.new_page("booklet", header=BOOKLET_HEADER)
    w.line("LỜI GIỚI THIỆU", "sans", "B", 11, 7, align="C")
    w.y += 2
    w.paragraph("Thực hiện chỉ đạo của Ban Bí thư, Ban Tuyên giáo Trung ương phối hợp với Ban Nội chính Trung ương biên "
                "soạn Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm, phục vụ đợt sinh hoạt chính trị, tư tưởng "
                "sâu rộng trong toàn Đảng, toàn dân và toàn quân.")
    w.paragraph(f"Tài liệu gồm {n_pairs} câu hỏi và trả lời, được sắp xếp theo bố cục của tác phẩm; số trang dẫn trong "
                "tài liệu là số trang của tác phẩm.")

    parts = book.parts
    qa_plan: list[tuple[str, str, list[str], str, int | None]] = []  # section, question, answer, key, article
    names = [f"{p.label} “{p.title}” (từ trang {p.page} đến trang {p.end_page})" for p in parts]
    counts = [sum(a.part == p.number for a in book.articles) for p in parts]
    qa_plan.append(("I. NHỮNG VẤN ĐỀ CHUNG VỀ TÁC PHẨM", "Tác phẩm được kết cấu thành mấy phần? Mỗi phần gồm bao nhiêu bài?",
                    [f"Tác phẩm gồm {len(book.articles)} bài viết, bài phát biểu và ý kiến, được kết cấu thành ba phần: "
                     + "; ".join(names) + ".",
                     f"Phần thứ nhất gồm {counts[0]} bài, Phần thứ hai gồm {counts[1]} bài và Phần thứ ba tuyển chọn "
                     f"{counts[2]} ý kiến của các tầng lớp Nhân dân, chính khách và học giả nước ngoài."],
                    "được kết cấu thành ba phần", None))
    qa_plan.append(("I. NHỮNG VẤN ĐỀ CHUNG VỀ TÁC PHẨM", "Tác phẩm có bao nhiêu bức ảnh tư liệu?",
                    [f"Tác phẩm có {book.photos} bức ảnh tư liệu ghi lại hoạt động của đồng chí Tổng Bí thư và các hội "
                     "nghị, phiên họp về công tác phòng, chống tham nhũng, tiêu cực."],
                    f"{book.photos} bức ảnh tư liệu", None))
    candidates = [a for a in book.articles if a.facts]
    r.shuffle(candidates)
    picked = sorted(candidates[: max(0, n_pairs - 3)], key=lambda a: a.start_page)
    for a in picked:
        section = f"{['II', 'III', 'IV'][a.part - 1]}. NỘI DUNG {parts[a.part - 1].label.upper()}"
        topic = next(t for t in V.TOPICS if t.key == a.topic)
        plain = [re.sub(f"[{SUPERSCRIPTS}]", "", f.text) for f in a.facts[:2]]
        if a.part == 3:
            q = f"Ý kiến “{a.title}” đăng trên {a.venue} ngày {a.date} bày tỏ điều gì?"
            answer = [f"Ý kiến ({a.note}; trang {a.start_page} đến trang {a.end_page} của tác phẩm) bày tỏ sự tin "
                      "tưởng, ủng hộ cuộc đấu tranh phòng, chống tham nhũng, tiêu cực.",
                      "Tác giả nêu: " + plain[0]]
            answer += [" ".join(r.sample(V.OPINION_GENERIC, 2)) for _ in range(r.randint(0, 1))]
        else:
            q = f"Bài “{a.title}” ngày {a.date} nêu những nội dung cốt lõi nào?"
            answer = [f"Bài ({a.note}; trang {a.start_page} đến trang {a.end_page} của tác phẩm) tập trung vào "
                      f"{topic.np}.", " ".join(r.sample(topic.sentences, min(2, len(topic.sentences))))]
            answer += ["Bài viết nêu rõ: " + t for t in plain]
            answer += [" ".join(r.sample(V.GENERIC, 3)).format(np=topic.np, key=topic.key, slogan=r.choice(V.SLOGANS))
                       for _ in range(r.randint(0, 2))]
        qa_plan.append((section, q, answer, plain[0][:60].rsplit(" ", 1)[0], a.number))
    qa_plan.append(("V. GIÁ TRỊ CỦA TÁC PHẨM", "Việc học tập tác phẩm cần quán triệt tinh thần gì?",
                    ["Học tập tác phẩm phải gắn với thực hiện nghiêm các quy định về phòng, chống tham nhũng, tiêu cực ở "
                     "từng cơ quan, đơn vị, với tinh thần “trên dưới đồng lòng, dọc ngang thông suốt”.",
                     "Mỗi cán bộ, đảng viên phải tự liên hệ, kiểm điểm bản thân, rèn luyện suốt đời, thường xuyên tự soi, tự sửa."],
                    "thường xuyên tự soi, tự sửa", None))
    truth_pairs: list[QAPair] = []
    section = None
    for n, (sec, q, answer, key, art) in enumerate(qa_plan, 1):
        if sec != section:
            if w.room() < 6 * BODY[3]:
                w.break_page()
            w.y += 3
            w.line(sec, "sans", "B", 10, 6)
            w.y += 1
            section = sec
        if w.room() < 4 * BODY[3]:
            w.break_page()
        offsets = w.paragraph(f"Câu hỏi {n}: {q}", indent=0.0, style=("serif", "B", 10.0, 5.0))
        q_page = offsets[0][1]
        w.paragraph(f"Trả lời: {answer[0]}")
        for para in answer[1:]:
            w.paragraph(para)
        truth_pairs.append(QAPair(n, q, answer, q_page, w.page.number, sec, key, art))
    w.finish()
    _render(w.pages, fonts, path, BOOKLET_TITLE, "Ban Tuyên giáo Trung ương")
    return BookletTruth(path=str(path), pages=len(w.pages), title=BOOKLET_TITLE,
                        issuer=" - ".join(BOOKLET_ISSUERS).title(), pairs=truth_pairs,
                        running_headers=[BOOKLET_HEADER], page_lines={p.number: list(p.lines) for p in w.pages})



# --- evaluation questions ------------------------------------------------------------------------------
def _plain(text: str) -> str:
    return re.sub(f"[{SUPERSCRIPTS}]", "", text)


def _fragment(text: str, words: int = 9) -> str:
    return " ".join(_plain(text).split()[:words]).rstrip(",;:.")


def book_questions(book: BookTruth, booklet: BookletTruth | None = None, seed: int = 7,
                   per_kind: int | None = None) -> list[dict]:
    """Evaluation records (evals/dataset.py format) written from the ground truth: which article
    says something, what it says, dates and venues, pages, captions, footnotes, scanned pages and
    the booklet's pairs. `page` is the page (or [first, last] pages) a cited passage must cover."""
    r = random.Random(seed)
    n = per_kind or (12 if book.pages >= 200 else 3)
    out: list[dict] = []

    def add(kind: str, question: str, answer: list[list[str]], evidence: list[str], page, tags: list[str]) -> None:
        out.append({"id": f"{kind}-{sum(q['id'].startswith(kind + '-') for q in out) + 1:02d}", "question": question,
                    "answer_contains": answer, "evidence": evidence, "unanswerable": False,
                    "tags": ["book"] + tags, "page": page})

    facts = [(a, f) for a in book.articles for f in a.facts]
    by_kind: dict[str, list] = {}
    for a, f in facts:
        by_kind.setdefault(f.kind, []).append((a, f))
    for kind in by_kind:
        r.shuffle(by_kind[kind])
    for a, f in by_kind.get("place", [])[:n]:
        add("which-article", f"Bài nào nói về việc {f.keys['practice']}?", [[a.title]],
            [_fragment(f.keys["practice"])], f.page, ["which-article"])
    for a, f in by_kind.get("num", [])[:n]:
        k = f.keys
        add("number", f"Trong lĩnh vực {k['field']} ở tỉnh {k['province']}, đã kiến nghị thu hồi bao nhiêu tỷ đồng?",
            [[k["money"]]], [f"lĩnh vực {k['field']} ở tỉnh {k['province']}, các cơ quan"], f.page, ["number"])
    for a, f in by_kind.get("image", [])[: max(2, n * 2 // 3)]:
        add("image", f"Tổng Bí thư ví {f.keys['subject']} như cái gì?", [[f.answer]],
            [f"như “{f.answer}”"], f.page, ["quote"])
    for a, f in by_kind.get("deadline", [])[: max(2, n // 2)]:
        add("deadline", f"Việc {f.keys['task']} phải hoàn thành trước ngày nào?", [[f.answer]],
            [f"hoàn thành việc {f.keys['task']}"], f.page, ["date"])
    for a, f in by_kind.get("count", [])[: max(2, n // 2)]:
        k = f.keys
        add("count", f"Từ năm {k['from']} đến năm {k['to']}, {k['org']} đã ban hành bao nhiêu văn bản hướng dẫn về "
                     f"{k['topic']}?", [[f.answer]], [f"{k['org']} đã ban hành {f.answer} văn bản"], f.page, ["number"])
    for a, f in by_kind.get("quote", [])[: max(2, n * 2 // 3)]:
        k = f.keys
        add("opinion", f"{_cap(k['role'])} {k['person']} cho rằng điều gì?", [[_fragment(f.answer, 5)]],
            [f"{k['person']} ở tỉnh {k['province']}"], f.page, ["part-3"])
    speeches = [a for a in book.articles if a.part < 3 and a.facts]
    r.shuffle(speeches)
    for a in speeches[:n]:
        topic = next(t for t in V.TOPICS if t.key == a.topic)
        genre = {"Bài viết": "Bài viết", "Kết luận": "Kết luận"}.get(a.genre, "Bài phát biểu")
        add("article-date", f"{genre} ngày {a.date} nói gì về {topic.key}?", [[a.title]],
            [topic.key], [a.start_page, a.end_page], ["article", "date"])
    pages = [(a, f) for a, f in facts if f.kind == "num"]
    r.shuffle(pages)
    for a, f in pages[: max(2, n // 2)]:
        add("page-topic", f"Trang {f.page} nói gì về lĩnh vực {f.keys['field']}?", [[f.keys["money"], f.keys["source"]]],
            [f"lĩnh vực {f.keys['field']} ở tỉnh {f.keys['province']}"], f.page, ["page"])
    text_pages = [p for p, lines in book.page_lines.items()
                  if (a := book.article_at(p)) and p != a.start_page and len(lines) > 20 and p not in book.scanned_pages]
    for p in r.sample(text_pages, min(len(text_pages), max(2, n // 2))):
        lines = [_plain(ln) for ln in book.page_lines[p] if len(ln) > 30]  # any passage printed on the page
        lines += [fn.text for fn in book.footnotes if fn.page == p] + [c.text for c in book.captions if c.page == p]
        add("page", f"Trang {p} viết gì?", [], lines, p, ["page"])
    for p in book.scanned_pages[: max(1, n // 4)]:
        lines = [ln for ln in book.page_lines[p][1:-1] if len(ln) > 30]
        add("scanned", f"Trang {p} của tác phẩm viết gì?", [], [_plain(ln) for ln in lines], p, ["page", "ocr"])
    caps = list(book.captions)
    r.shuffle(caps)
    for c in caps[: max(2, n // 2)]:
        a = next(x for x in book.articles if x.number == c.article)
        where = a.topic if a.genre == "Bài viết" else a.venue  # what the caption names
        add("caption", f"Ảnh ở trang {c.page} chụp sự kiện gì?", [[where]],
            [_fragment(x.text, 12) for x in book.captions if x.page == c.page], c.page, ["caption"])
    notes = [fn for fn in book.footnotes if fn.text.startswith("Số liệu")]
    r.shuffle(notes)
    for fn in notes[: max(2, n // 3)]:
        subject = fn.text.split(" do ")[0][len("Số liệu về "):]
        source = fn.text.split(" do ")[1].split(" tổng hợp")[0]
        add("footnote", f"Theo chú thích, số liệu về {subject} do cơ quan nào tổng hợp?", [[source]],
            [fn.text.split(",")[0]], fn.page, ["footnote"])
    if booklet:
        for qp in booklet.pairs[: max(3, n)]:
            add("booklet", f"Theo tài liệu hỏi - đáp, {qp.question[:1].lower() + qp.question[1:]}",
                [[qp.key]], [qp.key], qp.page, ["booklet"])
    for i, q in enumerate(["Tác phẩm có bài nào viết về giá vàng không?", "Bài phát biểu về bóng đá nằm ở trang nào?",
                           "Trang 5000 viết gì?"], 1):
        out.append({"id": f"book-none-{i:02d}", "question": q, "answer_contains": [], "evidence": [],
                    "unanswerable": True, "tags": ["book", "unanswerable"]})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m evals.bookgen", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder for tac-pham.pdf, tai-lieu-hoi-dap.pdf and truth.json")
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--questions", type=Path, help="also write evaluation questions (JSONL) from the ground truth")
    args = ap.parse_args(argv)
    import time

    t0 = time.perf_counter()
    book = make_book(args.out / "tac-pham.pdf", pages=args.pages, seed=args.seed)
    t1 = time.perf_counter()
    booklet = make_booklet(args.out / "tai-lieu-hoi-dap.pdf", book, seed=args.seed)
    t2 = time.perf_counter()
    (args.out / "truth.json").write_text(json.dumps({"book": book.to_dict(), "booklet": asdict(booklet)},
                                                    ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{book.path}: {book.pages} pages, {len(book.articles)} articles, {len(book.captions)} captions, "
          f"{len(book.footnotes)} footnotes, scanned pages {book.scanned_pages} ({t1 - t0:.1f} s)")
    print(f"{booklet.path}: {booklet.pages} pages, {len(booklet.pairs)} questions ({t2 - t1:.1f} s)")
    if args.questions:
        qs = book_questions(book, booklet)
        args.questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in qs), encoding="utf-8")
        print(f"{args.questions}: {len(qs)} questions")


if __name__ == "__main__":
    main()
