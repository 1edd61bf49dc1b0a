"""The chat page in a real browser: Debian's Chromium driven by Playwright (no browser
download), against a real `hoidap serve` process. Screenshots are saved under
test-artifacts/ (desktop and 390 px phone width) for a person to look at."""
from __future__ import annotations

import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from conftest import PROJECT_ROOT
from fake_llm import stream_pieces
from server_proc import running_server

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
TOKEN = "browser-admin-token"
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (scripts/system-deps.sh installs it)")


class SlowLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that writes its answer in pieces, slowly enough for the
    page to show the answer growing."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        stream_pieces(self, ["Báo cáo kết quả ", "gửi về Thành ủy ", "trước ngày 15/6/2023 [1]."], 0.8)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"),
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(corpus_index, tmp_path_factory):
    """A server on a copy of the corpus index (the admin test adds a document to it)."""
    index = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(corpus_index.index_dir, index)
    with running_server(index, {"HOIDAP_ADMIN_TOKEN": TOKEN, "HOIDAP_RATE_LIMIT_PER_MINUTE": "0",
                                "HOIDAP_UPLOAD_DIR": str(index.parent / "uploads")}) as server:
        yield server.url


class Page:
    """One browser tab on the chat page, recording every request that leaves loopback."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           permissions=["clipboard-read", "clipboard-write"])
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.page.on("request", lambda r: None if r.url.startswith(LOOPBACK) else self.outside.append(r.url))
        self.page.goto(url, wait_until="load")  # Gradio keeps a connection open: no "networkidle"
        self.page.wait_for_selector("#question textarea", timeout=60_000)

    def ask(self, question: str, wait_for: str = "#chat a.hoidap-cite", n_answers: int | None = None) -> None:
        before = self.page.locator("#chat .message.bot, #chat [data-testid='bot']").count()
        self.page.fill("#question textarea", question)
        self.page.click("#send")
        expected = n_answers or before + 1
        self.page.wait_for_function(
            "n => document.querySelectorAll(\"#chat .message.bot, #chat [data-testid='bot']\").length >= n", arg=expected,
            timeout=60_000)
        self.page.wait_for_selector(wait_for, timeout=60_000)
        self.page.wait_for_timeout(300)

    def last_answer(self) -> str:
        return self.page.locator("#chat [data-testid='bot']").last.inner_text()

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


def test_ask_open_citation_follow_up_feedback_new_conversation(browser, site):
    tab = Page(browser, site)
    tab.ask("Thời hạn gửi báo cáo kết quả của Thành ủy Yên Bái?")
    answer = tab.last_answer()
    assert "[1]" in answer and "Nguồn" in answer and "Kế hoạch 205-KH/TU" in answer
    # The side panel opens on the first citation by itself; clicking [1] loads it again.
    tab.page.locator("#chat a.hoidap-cite").first.click()
    tab.page.wait_for_selector("#hoidap-panel-body mark")
    marked = " ".join(tab.page.locator("#hoidap-panel-body mark").all_inner_texts())
    quoted = answer.split("[1]")[0].strip()
    assert re.sub(r"\s+", " ", marked).strip() == re.sub(r"\s+", " ", quoted)
    panel = tab.page.locator("#hoidap-panel-body").inner_text()
    assert "Ban Thường vụ Thành ủy Yên Bái" in panel and "205-KH/TU" in panel and "10/4/2023" in panel
    tab.shot("desktop-answer-with-citation")

    # "Copy" gives the answer as plain text with its sources, not the page's markup.
    tab.page.click("#copy-answer")
    tab.page.wait_for_selector("#copy-note:has-text('Đã sao chép')")
    copied = tab.page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith(quoted) and "\nNguồn:\n[1] Kế hoạch 205-KH/TU" in copied and "<a" not in copied

    # A follow-up uses the conversation: "and at the Department?" moves to the Điện Biên plan.
    tab.ask("thế còn ở Sở Khoa học và Công nghệ?", wait_for="#chat a.hoidap-cite.cite-2-1")
    follow = tab.last_answer()
    assert "Sở Khoa học và Công nghệ" in follow and "205-KH/TU" not in follow.split("Nguồn")[-1]

    # 👎 with a comment lands in the feedback store (read back through the admin API).
    tab.page.locator("#chat button[aria-label='Dislike']").last.click()
    tab.page.wait_for_selector("#feedback-comment textarea")
    tab.page.fill("#feedback-comment textarea", "Cần trích thêm thời hạn báo cáo của Sở.")
    tab.page.click("#feedback-send")
    tab.page.wait_for_selector("text=Đã ghi nhận góp ý")
    usage = httpx.get(f"{site}/api/admin/usage", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert any(f["comment"] == "Cần trích thêm thời hạn báo cáo của Sở." and "Sở Khoa học" in f["question"]
               for f in usage["negative_feedback"])

    tab.page.click("#new-chat")
    tab.page.wait_for_function("() => document.querySelectorAll(\"#chat [data-testid='bot']\").length === 0")
    # A refusal looks different, and its closest passages are not citation links.
    tab.ask("Giá vàng hôm nay bao nhiêu?", wait_for="#chat .hoidap-refusal")
    assert tab.page.locator("#chat [data-testid='bot']").last.locator("a.hoidap-cite").count() == 0
    assert "Không tìm thấy căn cứ" in tab.last_answer()
    tab.shot("desktop-refusal")

    assert tab.outside == [], f"requests left the machine: {tab.outside}"
    tab.close()


def test_example_questions_and_phone_width(browser, site):
    tab = Page(browser, site, width=390, height=844)
    tab.page.get_by_text("Tác phẩm gồm mấy phần?").first.click()
    from playwright.sync_api import expect

    expect(tab.page.locator("#question textarea")).to_have_value("Tác phẩm gồm mấy phần?")
    tab.page.click("#send")
    tab.page.wait_for_selector("#chat a.hoidap-cite", timeout=60_000)
    assert "3 phần" in tab.last_answer()
    tab.page.locator("#chat a.hoidap-cite").first.click()
    tab.page.wait_for_selector("#hoidap-panel-body mark")
    # Nothing wider than the phone; the passage sits below the chat, not beside it.
    width = tab.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide at a 390px viewport"
    chat_box = tab.page.locator("#chat").bounding_box()
    panel_box = tab.page.locator("#passage-panel").bounding_box()
    assert panel_box["y"] > chat_box["y"] + chat_box["height"] - 1
    tab.shot("phone-answer-and-passage")
    assert tab.outside == []
    tab.close()


def test_api_docs_page_works_offline(browser, site):
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(LOOPBACK) else outside.append(r.url))
    page.goto(f"{site}/docs", wait_until="load")
    page.wait_for_function("() => document.body.innerText.includes('/api/ask/stream')", timeout=30_000)
    assert outside == [], f"the API docs page loaded {outside}"
    context.close()


def test_search_scope_limits_the_answer_to_one_document(browser, site):
    tab = Page(browser, site)
    tab.page.get_by_text("Giới hạn phạm vi tìm kiếm").click()
    tab.page.click("#filter-doc input")
    tab.page.get_by_role("option", name=re.compile("Ban Thường vụ Huyện ủy")).click()
    tab.ask("Thời gian tổ chức đợt sinh hoạt?")
    sources = tab.last_answer().split("Nguồn:")[-1]
    assert "Huyện ủy" in sources
    assert not any(name in sources for name in ("205-KH/TU", "Sở Khoa học", "MTTQ", "Thị ủy", "Hỏi - Đáp"))
    tab.shot("desktop-search-scope")
    tab.close()


def test_pdf_citation_opens_the_original_page(browser, site, tmp_path):
    """An uploaded PDF: the panel links to the served original at the cited page."""
    from fpdf import FPDF

    from conftest import FONT

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for n in range(1, 6):  # a full first page, so that page 2 starts passages of its own
        pdf.multi_cell(0, 6, f"Đoạn mở đầu thứ {n} của tài liệu thử nghiệm nói về việc tổ chức học tập tác phẩm "
                             "trong các chi bộ, gắn với kiểm điểm tự phê bình và phê bình cuối năm của đảng viên.")
        pdf.ln(2)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Hội nghị chuyên đề về lục lạc kim tước được tổ chức vào ngày 21/11/2023 tại Hội trường Bạch Dương.")
    path = tmp_path / "tai-lieu-pdf.pdf"
    pdf.output(str(path))
    job = _upload(site, path, {"title": "Tài liệu PDF thử nghiệm", "issuer": "Ban Tuyên giáo Bạch Dương"})
    assert job["status"] == "done", job
    tab = Page(browser, site)
    tab.ask("Hội nghị chuyên đề về lục lạc kim tước tổ chức khi nào?")
    assert "21/11/2023" in tab.last_answer()
    tab.page.locator("#chat a.hoidap-cite").first.click()
    link = tab.page.wait_for_selector("#hoidap-panel-body a[href*='/files/']")
    href = link.get_attribute("href")
    assert href.endswith("#page=2")
    response = httpx.get(site + href.split("#")[0])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == path.read_bytes()
    tab.close()


def test_admin_upload_then_answer_and_text_stays_text(browser, site, tmp_path):
    """As admin: upload a generated DOCX through the page, see the progress finish, then ask
    a question only it answers. Its `<script>`, HTML and markdown show literally, never run."""
    import docx

    d = docx.Document()
    d.add_heading("Thông báo về hội thi tuyên truyền viên giỏi", level=1)
    d.add_paragraph("Hội thi tuyên truyền viên giỏi cụm Hoa Sen được tổ chức ngày 12/12/2023 tại Nhà văn hóa Sen Hồng.")
    d.add_paragraph("Ghi chú kỹ thuật của hội thi Hoa Sen: <script>window.hoidapPwned = 1</script> <b>thẻ đậm</b> "
                    "`mã nguồn` và _chữ nghiêng_.")
    path = tmp_path / "hoi-thi-hoa-sen.docx"
    d.save(path)

    tab = Page(browser, site)
    tab.page.get_by_role("tab", name="Quản trị").click()
    tab.page.fill("#admin-token input", TOKEN)
    tab.page.set_input_files("#admin-files input[type=file]", str(path))
    tab.page.fill("#meta-title textarea, #meta-title input", "Thông báo hội thi Hoa Sen")
    tab.page.fill("#meta-issuer textarea, #meta-issuer input", "Ban Tuyên giáo cụm Hoa Sen")
    tab.page.click("#admin-upload")
    tab.page.wait_for_selector("#admin-status:has-text('Đã nạp')", timeout=120_000)
    tab.shot("desktop-admin-upload")

    tab.page.get_by_role("tab", name="Hỏi đáp").click()
    tab.ask("Hội thi tuyên truyền viên giỏi cụm Hoa Sen tổ chức ở đâu?")
    answer = tab.last_answer()
    assert "Nhà văn hóa Sen Hồng" in answer and "Thông báo hội thi Hoa Sen" in answer
    tab.ask("Ghi chú kỹ thuật của hội thi Hoa Sen là gì?", wait_for="#chat a.hoidap-cite.cite-2-1")
    shown = tab.last_answer()
    assert "<script>window.hoidapPwned = 1</script> <b>thẻ đậm</b> `mã nguồn` và _chữ nghiêng_" in shown
    assert tab.page.evaluate("() => window.hoidapPwned") is None
    bot = tab.page.locator("#chat [data-testid='bot']").last
    formatted = "script, b:has-text('thẻ đậm'), code:has-text('mã nguồn'), em:has-text('chữ nghiêng')"
    assert bot.locator(formatted).count() == 0  # shown as typed, not formatted
    tab.page.locator("#chat a.hoidap-cite.cite-2-1").first.click()
    tab.page.wait_for_selector("#hoidap-panel-body mark")
    assert "<script>window.hoidapPwned" in tab.page.locator("#hoidap-panel-body").inner_text()
    assert tab.page.locator("#hoidap-panel-body script, #hoidap-panel-body b").count() == 0
    assert tab.page.evaluate("() => window.hoidapPwned") is None
    assert tab.outside == []
    tab.close()


def test_generated_answer_streams_into_the_page(browser, corpus_index, tmp_path):
    """With an LLM endpoint the answer grows piece by piece on the page, then the final
    checked answer (with its citation links) replaces it."""
    llm = ThreadingHTTPServer(("127.0.0.1", 0), SlowLLM)
    threading.Thread(target=llm.serve_forever, daemon=True).start()
    index = tmp_path / "index"
    shutil.copytree(corpus_index.index_dir, index)
    env = {"HOIDAP_LLM_BASE_URL": f"http://127.0.0.1:{llm.server_address[1]}/v1", "HOIDAP_LLM_MODEL": "test",
           "HOIDAP_RATE_LIMIT_PER_MINUTE": "0"}
    try:
        with running_server(index, env) as server:
            tab = Page(browser, server.url)
            tab.page.fill("#question textarea", "Thời hạn báo cáo kết quả của Thành ủy Yên Bái?")
            tab.page.click("#send")
            tab.page.wait_for_function(
                "() => { const b = document.querySelectorAll(\"#chat [data-testid='bot']\");"
                " return b.length && b[b.length-1].innerText.includes('gửi về Thành ủy')"
                " && !b[b.length-1].innerText.includes('15/6/2023'); }", timeout=30_000)
            tab.page.wait_for_selector("#chat a.hoidap-cite", timeout=30_000)
            assert "trước ngày 15/6/2023" in tab.last_answer()
            tab.close()
    finally:
        llm.shutdown()


def _upload(site: str, path: Path, meta: dict) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with open(path, "rb") as f:
        job = httpx.post(f"{site}/api/admin/documents", headers=headers, data=meta,
                         files={"files": (path.name, f.read())}, timeout=60).json()
    for _ in range(600):
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
        job = httpx.get(f"{site}/api/admin/jobs/{job['id']}", headers=headers).json()
    return job

