"""The book: a generated book-shaped PDF (parts, articles with dates and venues, table of
contents, running headers, footnotes, photo pages, a scanned page) and the Q&A booklet,
ingested with the plans, chunked by its structure and cited by page."""
from __future__ import annotations

import re
import shutil

import pytest

from evals.bookgen import SUPERSCRIPTS, make_book, make_booklet
from hoidap.model import Chunk
from hoidap.settings import Settings
from hoidap.store import IndexStore
from hoidap.textnorm import canonical
from ingest.book import ARTICLE_LEVEL, PART_LEVEL, mark_structure
from ingest.clean import Line
from conftest import SEEDS

BOOK, BOOKLET = "tac-pham", "tai-lieu-hoi-dap"


@pytest.fixture(scope="module")
def book_index(tmp_path_factory):
    if not shutil.which("tesseract"):
        pytest.fail("tesseract-ocr-vie must be installed for this test (.ci/run installs it)")
    from hoidap.service import Service

    root = tmp_path_factory.mktemp("book")
    book = make_book(root / "books" / f"{BOOK}.pdf", pages=36)
    booklet = make_booklet(root / "books" / f"{BOOKLET}.pdf", book)
    settings = Settings(index_dir=root / "index")
    service = Service(settings)
    report = service.ingest([root / "books", SEEDS])
    assert not report.failed and not report.notes
    store = IndexStore(settings.index_dir)
    gen = store.current()
    chunks = store.chunks(gen)
    docs = {d: (gen / "docs" / f"{d}.txt").read_text(encoding="utf-8") for d in (BOOK, BOOKLET)}
    yield {"book": book, "booklet": booklet, "service": service, "chunks": chunks, "text": docs,
           "manifest": store.manifest(gen)}
    service.close()


def plain(text: str) -> str:
    return re.sub(f"[{SUPERSCRIPTS}]", "", text)


def chunks_of(ix, doc_id: str, kind: str | None = None) -> list[Chunk]:
    return [c for c in ix["chunks"] if c.doc_id == doc_id and (kind is None or c.kind == kind)]


def holding(ix, doc_id: str, text: str) -> Chunk:
    return next(c for c in chunks_of(ix, doc_id) if canonical(text) in canonical(plain(c.text)))


def test_heading_paths_carry_part_and_article(book_index):
    book, ix = book_index["book"], book_index
    for article in book.articles:
        part = book.parts[article.part - 1]
        inside = [c for c in chunks_of(ix, BOOK, "text") if article.start_page <= c.page <= article.end_page]
        assert inside, article.title
        for c in inside:
            assert c.heading.startswith(f"{part.label}: {part.title} › {article.title} ({article.note})"), c.heading
    # the article's own sections come next, and its date and venue are in the path
    speech = next(a for a in book.articles if a.sections)
    c = holding(ix, BOOK, plain(speech.facts[-1].text))
    assert speech.date in c.heading and speech.venue in c.heading
    assert any(c.heading.endswith(f" › {s}") for s in speech.sections for c in chunks_of(ix, BOOK, "text"))
    meta = ix["manifest"].documents
    assert meta[BOOK]["kind"] == "Sách" and meta[BOOK]["title"].startswith("KIÊN QUYẾT, KIÊN TRÌ")
    assert "BAN TUYÊN GIÁO TRUNG ƯƠNG" in meta[BOOKLET]["issuer"]


def test_page_ranges_match_the_printed_pages(book_index):
    book, ix = book_index["book"], book_index
    for article in book.articles:
        for fact in article.facts:
            c = holding(ix, BOOK, plain(fact.text))
            assert c.page <= fact.page <= c.page_end, (fact.text, fact.page, c.page, c.page_end)
            assert article.start_page <= c.page <= c.page_end <= article.end_page
    spanning = [c for c in chunks_of(ix, BOOK, "text") if c.page_end > c.page]
    assert spanning  # passages that run over a page break say so
    for c in chunks_of(ix, BOOK):  # every passage points at its place in the document text
        assert ix["text"][BOOK][c.span[0]:c.span[1]] == c.text


def test_running_headers_page_numbers_and_contents_stay_out_of_passages(book_index):
    book, booklet, ix = book_index["book"], book_index["booklet"], book_index
    for truth, doc_id in ((book, BOOK), (booklet, BOOKLET)):
        body = canonical(" ".join(" ".join(lines) for lines in truth.page_lines.values()))
        passages = canonical(" ".join(c.text for c in chunks_of(ix, doc_id)).replace("\n", " "))
        for header in truth.running_headers:  # as often as the text itself says it, never more
            h = canonical(header.rstrip("."))
            assert passages.count(h) == body.count(h), header
    for c in chunks_of(ix, BOOK) + chunks_of(ix, BOOKLET):
        assert not any(re.fullmatch(r"\d{1,3}", line.strip()) for line in c.text.split("\n")), c.text
        assert not re.search(r"\.{5,}", c.text) and "MỤC LỤC" not in c.text
        assert not set(range(c.page, c.page_end + 1)) <= set(book.toc_pages) or c.doc_id != BOOK
    # the table of contents named the articles: every title is in a heading, none in a passage body
    for article in book.articles:
        assert not any(canonical(article.title) in canonical(c.text) for c in chunks_of(ix, BOOK, "text"))


def test_captions_are_units_and_footnotes_keep_their_markers(book_index):
    book, ix = book_index["book"], book_index
    captions = chunks_of(ix, BOOK, "caption")
    assert len(captions) == len(book.captions)
    for truth in book.captions:
        c = next(c for c in captions if c.text == truth.text)
        article = next(a for a in book.articles if a.number == truth.article)
        assert c.page == truth.page and f"› {article.heading} › " in c.heading and c.heading.endswith(" › Ảnh")
    notes = chunks_of(ix, BOOK, "footnote")
    assert len(notes) == len(book.footnotes)
    for truth in book.footnotes:
        c = next(c for c in notes if c.text == f"{truth.marker} {truth.text}")
        assert c.page == truth.page and f"› Chú thích {truth.marker}" in c.heading
    marked = next(f for a in book.articles for f in a.facts if f.kind == "num")
    assert marked.keys["marker"] in holding(ix, BOOK, plain(marked.text)).text  # the reference stays in the text


def test_scanned_page_is_read_by_ocr(book_index):
    book, ix = book_index["book"], book_index
    assert book.scanned_pages
    doc = canonical(ix["text"][BOOK])
    for page in book.scanned_pages:
        words = " ".join(book.page_lines[page]).split()
        assert sum(canonical(w) in doc for w in words) >= 0.95 * len(words)
        assert any(c.page <= page <= c.page_end for c in chunks_of(ix, BOOK, "text"))


def test_booklet_pairs_keep_their_question_and_page(book_index):
    booklet, ix = book_index["booklet"], book_index
    pairs = chunks_of(ix, BOOKLET, "qa")
    assert [c.question for c in pairs] == [p.question for p in booklet.pairs]
    for c, truth in zip(pairs, booklet.pairs):
        assert c.page == truth.page and c.page_end == truth.end_page
        assert canonical(truth.answer[0]) in canonical(c.text)
    assert any(p.end_page > p.page for p in booklet.pairs)  # some answers run over a page


def _ask(ix, question: str):
    answer = ix["service"].ask(question, channel=None)
    assert not answer.refused and answer.citations, (question, answer.answer)
    return answer, answer.citations[0]


def test_which_article_and_which_page_questions(book_index):
    book, booklet, ix = book_index["book"], book_index["booklet"], book_index
    # "Bài nào nói về …": the article's title, its date and venue, and the page
    places = [(a, f) for a in book.articles for f in a.facts if f.kind == "place" and "Mặt trận" not in f.text][:3]
    for article, fact in places:
        answer, cited = _ask(ix, f"Bài nào nói về việc {fact.keys['practice']}?")
        assert cited.doc_id == BOOK and cited.page <= fact.page <= cited.page_end
        assert f"Bài “{article.title}” ({article.note}), trang {cited.page}" in answer.answer
    # "Bài phát biểu ngày … nói gì về …": a passage of that article
    speech = next(a for a in book.articles if a.genre == "Bài phát biểu")
    answer, cited = _ask(ix, f"Bài phát biểu ngày {speech.date} nói gì về {speech.topic}?")
    assert cited.doc_id == BOOK and speech.start_page <= cited.page <= speech.end_page
    assert speech.title in answer.answer
    # a fact asked without naming the article is still cited by its page
    num = next(f for a in book.articles for f in a.facts if f.kind == "num")
    answer, cited = _ask(ix, f"Trong lĩnh vực {num.keys['field']} ở tỉnh {num.keys['province']}, "
                             "đã kiến nghị thu hồi bao nhiêu tỷ đồng?")
    assert num.keys["money"] in answer.answer and cited.page <= num.page <= cited.page_end
    # "Trang … viết gì": a passage printed on that page
    page = next(p for p in range(book.articles[1].start_page + 1, book.articles[1].end_page + 1)
                if len(book.page_lines[p]) > 20)
    answer, cited = _ask(ix, f"Trang {page} viết gì?")
    assert cited.doc_id == BOOK and cited.page <= page <= cited.page_end and f"trang {cited.page}" in answer.answer
    # a photo by its page, a footnote by what it is about
    photo = book.captions[0]
    answer, cited = _ask(ix, f"Ảnh ở trang {photo.page} chụp sự kiện gì?")
    assert cited.page == photo.page and cited.passage in {c.text for c in book.captions if c.page == photo.page}
    note = next(n for n in book.footnotes if n.text.startswith("Số liệu về"))
    subject = note.text.split(" do ")[0][len("Số liệu về "):]
    answer, cited = _ask(ix, f"Theo chú thích, số liệu về {subject} do cơ quan nào tổng hợp?")
    assert cited.page == note.page and note.text.split(" do ")[1].split(" tổng hợp")[0] in answer.answer
    # the booklet answers its own question, cited by the booklet's page
    pair = booklet.pairs[2]
    answer, cited = _ask(ix, pair.question)
    # (the booklet's own numbering kept: users ask for "câu hỏi số 3")
    assert cited.doc_id == BOOKLET and cited.page == pair.page and cited.passage.startswith(f"Câu hỏi 3: {pair.question}")
    assert canonical(pair.answer[0][:60]) in canonical(answer.answer)


def test_contents_name_the_articles_even_with_a_page_offset():
    """Printed page numbers that differ from the PDF's (unnumbered front matter) are found."""
    lines = [Line("MỤC LỤC", 2), Line("Phần thứ nhất", 2), Line("Những vấn đề chung ........ 3", 2),
             Line("Bài thứ nhất về công tác cán bộ ........ 4", 2), Line("Bài thứ hai về kiểm soát quyền lực ...... 6", 2),
             Line("PHẦN THỨ NHẤT", 5), Line("NHỮNG VẤN ĐỀ CHUNG", 5),
             Line("BÀI THỨ NHẤT VỀ CÔNG TÁC", 6), Line("CÁN BỘ", 6),
             Line("Bài phát biểu tại Hội nghị cán bộ toàn quốc, ngày 3/2/2020", 6),
             Line("Nội dung của bài thứ nhất.", 6), Line("Bài thứ nhất về công tác cán bộ", 7),
             Line("Nội dung trang sau.", 7),
             Line("BÀI THỨ HAI VỀ KIỂM SOÁT QUYỀN LỰC", 8), Line("Nội dung của bài thứ hai.", 8)]
    out = mark_structure(lines)
    heads = [(ln.level, ln.text, ln.page) for ln in out if ln.kind == "heading"]
    assert heads == [(PART_LEVEL, "Phần thứ nhất: Những vấn đề chung", 5),
                     (ARTICLE_LEVEL, "Bài thứ nhất về công tác cán bộ (Bài phát biểu tại Hội nghị cán bộ toàn quốc, "
                                     "ngày 3/2/2020)", 6),
                     (ARTICLE_LEVEL, "Bài thứ hai về kiểm soát quyền lực", 8)]
    texts = [ln.text for ln in out]
    assert "MỤC LỤC" not in texts and "Bài thứ nhất về công tác cán bộ" not in texts  # a running title on p. 7


def test_articles_without_contents_are_found_by_their_date_line():
    lines = [Line("PHẦN THỨ HAI", 3), Line("XÂY DỰNG ĐẢNG", 3),
             Line("TĂNG CƯỜNG KIỂM TRA, GIÁM SÁT", 4), Line("Bài phát biểu tại Hội nghị Trung ương, ngày 9/5/2016", 4),
             Line("Nội dung bài phát biểu.", 4)]
    heads = [(ln.level, ln.text) for ln in mark_structure(lines) if ln.kind == "heading"]
    assert heads == [(PART_LEVEL, "Phần thứ hai: XÂY DỰNG ĐẢNG"),
                     (ARTICLE_LEVEL, "TĂNG CƯỜNG KIỂM TRA, GIÁM SÁT (Bài phát biểu tại Hội nghị Trung ương, ngày 9/5/2016)")]


def test_chunks_written_before_page_ranges_still_load():
    old = {"chunk_id": "d#0", "doc_id": "d", "text": "x", "heading": "h", "kind": "text", "page": 3, "span": [0, 1],
           "content_hash": "", "question": "", "dup_group": ""}
    assert Chunk.from_dict(old).page_end is None
    assert Chunk.from_dict({**old, "page_end": 4, "later_field": 1}).page_end == 4
