"""Each format, from files generated in the test."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.encodings import encode_tcvn3
from ingest.loaders import LoadError, load
from ingest.structure import chunk_blocks
from conftest import FONT

PAGES = [
    ["I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "- Làm cho cán bộ, đảng viên nhận thức sâu sắc về những nội dung cốt lõi của tác phẩm."],
    ["2. Yêu cầu", "- Việc tổ chức đợt sinh hoạt phải được triển khai nghiêm túc, thường xuyên."],
    ["II. TỔ CHỨC THỰC HIỆN", "Báo cáo kết quả thực hiện về Ban Thường vụ trước ngày 15/6/2023."],
    ["Nơi nhận:", "- Ban Tuyên giáo Tỉnh ủy,", "- Lưu Văn phòng."],
]


def make_pdf(path: Path, pages: int = 3, header: str = "KẾ HOẠCH SỐ 99-KH/TU") -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.set_auto_page_break(False)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
        for p in PAGES[(n - 1) % len(PAGES)]:
            pdf.multi_cell(0, 6, p, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-20)
        pdf.cell(0, 8, str(n), align="C")
    pdf.output(str(path))
    return path


def test_pdf_with_vietnamese_text_keeps_pages_and_drops_running_lines(tmp_path):
    loaded = load(make_pdf(tmp_path / "plan.pdf", pages=4))
    text, chunks = chunk_blocks("plan", loaded.blocks)
    assert "- Làm cho cán bộ, đảng viên nhận thức sâu sắc về những nội dung cốt lõi của tác phẩm." in text
    assert "KẾ HOẠCH SỐ 99-KH/TU" not in text  # header repeated on every page
    assert not any(line.strip() in {"1", "2", "3", "4"} for line in text.split("\n"))  # page numbers
    report = next(c for c in chunks if "15/6/2023" in c.text)
    assert report.page == 3 and report.heading == "II. TỔ CHỨC THỰC HIỆN"


def test_scanned_pdf_is_ocred_in_vietnamese(tmp_path):
    if not shutil.which("tesseract"):
        pytest.fail("tesseract-ocr-vie must be installed for this test (.ci/run installs it)")
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1700, 500), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 44)
    draw.text((60, 80), "Tổ chức hội nghị cán bộ chủ chốt", fill="black", font=font)
    draw.text((60, 200), "xong trước ngày 30 tháng 4 năm 2023.", fill="black", font=font)
    path = tmp_path / "scan.pdf"
    img.save(path, "PDF", resolution=150)
    loaded = load(path)
    text = " ".join(b.text for b in loaded.blocks)
    assert "hội nghị cán bộ chủ chốt" in text
    assert "30 tháng 4 năm 2023" in text


def test_docx_with_headings_and_table(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("KẾ HOẠCH triển khai học tập tác phẩm", level=1)
    d.add_heading("Phân công nhiệm vụ", level=2)
    d.add_paragraph("Các chi bộ thực hiện nghiêm túc kế hoạch này.")
    table = d.add_table(rows=3, cols=3)
    for i, row in enumerate([("NỘI DUNG", "THỜI GIAN", "CHỦ TRÌ"), ("Hội nghị quán triệt", "Trước 30/4", "Ban Tuyên giáo"),
                             ("Sinh hoạt chuyên đề", "Tháng 5", "Bí thư chi bộ")]):
        for j, cell in enumerate(row):
            table.rows[i].cells[j].text = cell
    path = tmp_path / "plan.docx"
    d.save(path)
    _, chunks = chunk_blocks("p", load(path).blocks)
    rows = [c for c in chunks if c.kind == "row"]
    assert [r.text for r in rows] == ["NỘI DUNG: Hội nghị quán triệt; THỜI GIAN: Trước 30/4; CHỦ TRÌ: Ban Tuyên giáo",
                                      "NỘI DUNG: Sinh hoạt chuyên đề; THỜI GIAN: Tháng 5; CHỦ TRÌ: Bí thư chi bộ"]
    body = next(c for c in chunks if "nghiêm túc" in c.text)
    assert body.heading.endswith("Phân công nhiệm vụ")


def test_qa_docx_and_jsonl_and_csv(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("TÀI LIỆU HỎI - ĐÁP")
    d.add_paragraph("Câu 1: Tác phẩm gồm mấy phần?")
    d.add_paragraph("Trả lời: Tác phẩm được kết cấu thành 3 phần.")
    d.add_paragraph("Câu 2: Phần thứ ba tuyển chọn bao nhiêu ý kiến?")
    d.add_paragraph("Đáp: 96 ý kiến.")
    d.save(tmp_path / "hoidap.docx")
    qa = [b for b in load(tmp_path / "hoidap.docx").blocks if b.kind == "qa"]
    assert [b.fields["question"] for b in qa] == ["Tác phẩm gồm mấy phần?", "Phần thứ ba tuyển chọn bao nhiêu ý kiến?"]
    assert qa[1].fields["answer"] == "96 ý kiến."
    (tmp_path / "qa.jsonl").write_text(json.dumps({"question": "Ai ký?", "answer": "Đỗ Văn Nghị"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load(tmp_path / "qa.jsonl").blocks[0].fields == {"question": "Ai ký?", "answer": "Đỗ Văn Nghị"}
    (tmp_path / "qa.csv").write_text("cau_hoi,tra_loi\nBao nhiêu trang?,600 trang\n", encoding="utf-8")
    assert load(tmp_path / "qa.csv").blocks[0].fields["answer"] == "600 trang"
    (tmp_path / "bad.jsonl").write_text('{"question": "x"\n', encoding="utf-8")
    with pytest.raises(LoadError, match="line 1"):
        load(tmp_path / "bad.jsonl")


def test_tcvn3_text_file_is_converted(tmp_path):
    text = "kế hoạch của đảng ủy về việc học tập các nội dung trong tác phẩm và những bài học được rút ra"
    (tmp_path / "old.txt").write_bytes(encode_tcvn3(text))
    loaded = load(tmp_path / "old.txt")
    assert loaded.encoding == "tcvn3"
    assert loaded.blocks[0].text == text


def test_html_and_markdown(tmp_path):
    (tmp_path / "a.html").write_text("<html><body><h2>Mục đích</h2><p>Nâng cao nhận thức.</p><ul><li>Một</li></ul></body></html>", encoding="utf-8")
    blocks = load(tmp_path / "a.html").blocks
    assert blocks[0].kind == "heading" and blocks[1].text == "Nâng cao nhận thức." and blocks[2].text == "- Một"
    (tmp_path / "b.md").write_text("# Tiêu đề\n\nĐoạn **đậm** văn\nbản.\n", encoding="utf-8")
    blocks = load(tmp_path / "b.md").blocks
    assert blocks[0].kind == "heading" and blocks[1].text == "Đoạn đậm văn bản."


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty file"),
    ("broken.pdf", b"%PDF-1.4\n garbage without objects", "PDF"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "DOCX"),
    ("image.png", b"\x89PNG....", "unsupported"),
])
def test_bad_files_are_rejected_with_a_reason(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load(tmp_path / name)


def test_encrypted_pdf_is_rejected(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", pages=1)
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt("mat-khau")
    with open(tmp_path / "locked.pdf", "wb") as f:
        writer.write(f)
    with pytest.raises(LoadError, match="encrypted"):
        load(tmp_path / "locked.pdf")


def test_pages_without_text_are_named_when_ocr_is_unavailable(tmp_path):
    from PIL import Image

    path = tmp_path / "scan.pdf"
    Image.new("RGB", (400, 300), "white").save(path, "PDF", resolution=72)
    with pytest.raises(LoadError, match=r"no text found .*pages without a text layer skipped .*: 1"):
        load(path, ocr_lang="no-such-language")
