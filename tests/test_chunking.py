"""The seeds' structure survives cleaning and chunking."""
from ingest.loaders import load
from ingest.structure import chunk_blocks
from conftest import SEEDS


def chunks_of(name):
    loaded = load(SEEDS / name)
    text, chunks = chunk_blocks("d", loaded.blocks)
    for c in chunks:  # every chunk points at its exact place in the cleaned text
        assert text[c.span[0]:c.span[1]] == c.text
        assert c.content_hash
    return text, chunks


def test_heading_paths_follow_the_plan():
    _, chunks = chunks_of("ke-hoach-205-thanh-uy-yen-bai.txt")
    lessons = next(c for c in chunks if "08 bài học kinh nghiệm" in c.text)
    assert lessons.heading.startswith("II. NỘI DUNG SINH HOẠT › 1. Những nội dung cốt lõi của tác phẩm › 1.1. Phần thứ nhất")
    assert "(8) Các giải pháp" in lessons.text  # the list of 8 lessons stays whole
    deadline = next(c for c in chunks if "30/4/2023" in c.text and c.kind == "text")
    assert deadline.heading.endswith("1.2. Cấp cơ sở")


def test_appendix_rows_carry_their_headers():
    _, chunks = chunks_of("ke-hoach-205-thanh-uy-yen-bai.txt")
    rows = [c for c in chunks if c.kind == "row"]
    assert len(rows) == 14
    first = rows[0]
    assert "NỘI DUNG: Tổ chức hội nghị Ban Chấp hành Đảng bộ thành phố (Mở rộng)" in first.text
    assert "THỜI GIAN HOÀN THÀNH: 13/4" in first.text and "LÃNH ĐẠO PHỤ TRÁCH: Đ/c Đỗ Đức Minh" in first.text
    assert first.heading.startswith("Phụ lục số 01") and "I. TỔ CHỨC HỘI NGHỊ" in first.heading
    last = rows[-1]  # continuation rows (empty first cell) folded into their row
    assert "Nguyễn Ngọc Trúc" in last.text and "Phan Thế Ngọc" in last.text
    assert not any(c.text.startswith("TT: TT") for c in rows)  # repeated header rows dropped


def test_wrapped_lines_and_split_footnotes_are_mended():
    text, chunks = chunks_of("huong-dan-ban-tuyen-giao-thi-uy.txt")
    assert "Thực hiện Hướng dẫn số 66-HD/BTGTU, ngày 14/4/2023 của Ban Tuyên giáo Tỉnh ủy" in text
    assert "Về phát hiện, xử lý¹; xây dựng, hoàn thiện thể chế²;" in text  # markers reattached
    notes = [c for c in chunks if c.kind == "footnote"]
    assert [n.text[:12] for n in notes] == ["¹ Kỷ luật 2.", "² Đảng đã ba"]
    # a footnote's heading names the words it annotates (the footnote itself rarely repeats them)
    assert notes[0].heading.endswith("Chú thích ¹: Về phát hiện, xử lý")
    assert notes[1].heading.endswith("Chú thích ²: xây dựng, hoàn thiện thể chế")
    from ingest.structure import footnote_anchor

    # superscript markers are neither letters nor part of a longer marker ("¹²" is footnote 12)
    assert footnote_anchor("… thể chế²; hai là, tăng cường kiểm tra, giám sát¹²;", "²") == "… thể chế"
    assert footnote_anchor("tài sản¹¹; và thu hồi¹;", "¹") == "và thu hồi"
    assert "xử lý hình sự 37 cán bộ diện Trung ương quản lý)." in notes[0].text
    # the paragraph interrupted by the footnotes goes on after them
    assert "(4) Tập trung xử lý những khâu yếu, việc khó" in text
    assert "Tài liệu Hỏi - đáp những nội dung cốt lõi của tác phẩm đến các đảng bộ" in text


def test_signature_block():
    _, chunks = chunks_of("ke-hoach-huyen-uy.txt")
    sig = next(c for c in chunks if c.kind == "signature")
    assert "PHÓ BÍ THƯ" in sig.text and "Ung Văn Tám" in sig.text


def test_booklet_shaped_qa_pairs():
    _, chunks = chunks_of("hoi-dap-noi-dung-ke-hoach.txt")
    qa = [c for c in chunks if c.kind == "qa"]
    assert len(qa) == 12
    assert qa[0].question.startswith("Tác phẩm được kết cấu thành mấy phần")
    assert "111 bức ảnh" in qa[0].text
