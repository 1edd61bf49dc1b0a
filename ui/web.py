"""The chat page (Gradio, mounted on the FastAPI app at `/`), in Vietnamese throughout.

Answers stream in; [n] markers open the cited passage in the side panel (below the chat on a
phone) with the quoted part highlighted; filters limit the search; follow-ups use the
conversation; 👍/👎 with an optional comment; an admin tab behind HOIDAP_ADMIN_TOKEN."""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import gradio as gr
from fastapi import FastAPI

from hoidap.admin import ALLOWED_TYPES, Admin, AdminError, token_ok
from hoidap.schema import AnswerOut, DoneEvent, NoticeEvent, Turn
from hoidap.service import BadRequest, Service, ServiceError

from . import render

TITLE = "Hỏi đáp về tác phẩm “Kiên quyết, kiên trì đấu tranh phòng, chống tham nhũng, tiêu cực”"
EXAMPLES = [
    "Tác phẩm gồm mấy phần?",
    "Thời hạn gửi báo cáo kết quả của Thành ủy Yên Bái?",
    "Ai ký Hướng dẫn của Ban Tuyên giáo Thị ủy?",
    "Đối tượng tham gia học tập theo kế hoạch của Huyện ủy là ai?",
]
ALL = ""
PANEL_EMPTY = ('<div id="hoidap-panel-body"><p class="hoidap-hint">Bấm vào [1], [2]… trong câu trả lời '
               "để xem đoạn trích dẫn trong văn bản gốc.</p></div>")

# Citation links open the passage in the panel instead of a new tab (the link still works
# without scripts). The panel's HTML comes from our own /passage route, escaped there.
CLICK_JS = """
() => {
  document.addEventListener('click', async (event) => {
    const link = event.target.closest('a.hoidap-cite');
    if (!link) return;
    event.preventDefault();
    const body = document.querySelector('#hoidap-panel-body');
    if (!body) { window.open(link.href, '_blank'); return; }
    const response = await fetch(link.getAttribute('href') + '&fragment=1');
    body.innerHTML = response.ok ? await response.text() : '<p>Không mở được đoạn trích (kho có thể vừa được cập nhật).</p>';
    document.querySelectorAll('a.hoidap-cite.active').forEach(a => a.classList.remove('active'));
    link.classList.add('active');
    if (window.innerWidth < 800) body.scrollIntoView({behavior: 'smooth', block: 'start'});
  });
}
"""
# Copies the last answer as plain text with its sources (not the page's markup). The
# clipboard API needs a secure context; plain-HTTP deployments fall back to execCommand.
COPY_JS = """
(text) => {
  if (!text) return 'Chưa có câu trả lời để sao chép.';
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text);
  } else {
    const area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand('copy'); area.remove();
  }
  return 'Đã sao chép câu trả lời kèm nguồn.';
}
"""
CSS = render.PANEL_CSS + """
a.hoidap-cite { font-weight: 600; text-decoration: none; }
a.hoidap-cite.active { background: #ffe066; border-radius: 3px; }
.hoidap-hint { color: #666; }
#passage-col { min-width: 300px; }
"""


def _filters(doc: str, issuer: str, kind: str) -> dict | None:
    chosen = {"doc_id": doc, "issuer": issuer, "kind": kind}
    return {k: v for k, v in chosen.items() if v} or None


def _choices(service: Service) -> tuple[list, list, list]:
    try:
        docs = service.documents()
    except ServiceError:
        docs = []
    doc_choices = [("Tất cả tài liệu", ALL)] + [(d.title[:90] or d.doc_id, d.doc_id) for d in docs]
    issuers = [("Tất cả cơ quan", ALL)] + [(x, x) for x in sorted({d.issuer for d in docs if d.issuer})]
    kinds = [("Tất cả loại văn bản", ALL)] + [(x, x) for x in sorted({d.kind for d in docs if d.kind})]
    return doc_choices, issuers, kinds


def _over_limit(service: Service, client: str, limit: int) -> bool:
    try:
        return service.state.hit_rate_limit(f"ask:{client}", limit, 60)
    except Exception as e:  # a state store that is down must not cost people their answers
        logging.getLogger("hoidap.web").warning("rate limit not checked: %s", e.__class__.__name__)
        return False


def _panel_for(service: Service, answer: AnswerOut) -> str:
    if not answer.citations:
        return PANEL_EMPTY
    c = answer.citations[0]
    view = service.passage(c.chunk_id, c.highlights)
    if view is None:
        return PANEL_EMPTY
    pdf = f"/files/{view.doc.doc_id}#page={view.page or 1}" if view.doc.is_pdf and view.doc.has_file else None
    return f'<div id="hoidap-panel-body">{render.passage_html(view, pdf)}</div>'


def _turn_fields(turn: dict) -> dict:
    """A stored turn as `history` takes it (the plain answer with its sources is for feedback)."""
    return {k: turn[k] for k in ("question", "refused", "doc_ids", "chunk_ids") if k in turn}


def build(service: Service, admin: Admin) -> gr.Blocks:
    settings = service.settings

    def respond(message: str, chat: list, turns: list, doc: str, issuer: str, kind: str, request: gr.Request):
        question = (message or "").strip()
        if not question:
            yield chat, turns, gr.skip(), "", gr.skip()
            return
        limit = settings.rate_limit_per_minute
        client = request.client.host if request and request.client else "unknown"
        chat = chat + [{"role": "user", "content": render.md_text(question)},
                       {"role": "assistant", "content": "_Đang tìm trong tài liệu…_"}]
        if limit > 0 and _over_limit(service, client, limit):
            chat[-1]["content"] = "Bạn hỏi quá nhanh; vui lòng đợi một phút rồi hỏi tiếp."
            yield chat, turns, gr.skip(), "", gr.skip()
            return
        yield chat, turns, gr.skip(), "", gr.skip()
        streamed, notice = "", ""
        try:
            # each earlier turn with what its answer cited: follow-ups ("người đó") resolve against it
            events = service.stream(question, [_turn_fields(t) for t in turns], _filters(doc, issuer, kind), channel="web")
            for event in events:
                if isinstance(event, DoneEvent):
                    answer = event.answer
                    chat[-1]["content"] = render.answer_markdown(answer, len(turns) + 1)
                    turns = turns + [{**Turn.from_answer(question, answer).model_dump(), "answer": render.answer_plain(answer)}]
                    yield chat, turns, _panel_for(service, answer), "", render.answer_plain(answer)
                elif isinstance(event, NoticeEvent):
                    notice = event.text
                else:
                    streamed += event.text
                    shown = (f"_{render.md_text(notice)}_\n\n" if notice else "") + render.md_text(streamed)
                    chat[-1]["content"] = shown
                    yield chat, turns, gr.skip(), "", gr.skip()
        except BadRequest as e:
            chat[-1]["content"] = render.md_text(str(e))
            yield chat, turns, gr.skip(), "", gr.skip()
        except ServiceError:
            chat[-1]["content"] = "Kho tài liệu chưa sẵn sàng; vui lòng thử lại sau."
            yield chat, turns, gr.skip(), "", gr.skip()

    def new_conversation():
        return [], [], PANEL_EMPTY, "", None, gr.update(visible=False), "", ""

    def on_like(data: gr.LikeData, turns: list):
        # Assistant messages are every second message: index 1, 3, 5… ↔ turns 0, 1, 2…
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = (int(index) - 1) // 2
        if not 0 <= turn < len(turns):
            return None, gr.update(visible=False), ""
        t = turns[turn]
        try:
            fid = service.feedback(t["question"], t["answer"], bool(data.liked), channel="web")
        except Exception as e:
            logging.getLogger("hoidap.web").warning("feedback not stored: %s", e.__class__.__name__)
            return None, gr.update(visible=False), "Chưa ghi được đánh giá; vui lòng thử lại sau."
        thanks = "Cảm ơn bạn đã đánh giá." + ("" if data.liked else " Bạn có thể góp ý thêm bên dưới.")
        return fid, gr.update(visible=True), thanks

    def send_comment(fid, comment: str):
        if not fid or not (comment or "").strip():
            return gr.skip(), "Vui lòng nhập góp ý trước khi gửi."
        service.feedback_comment(int(fid), comment.strip())
        return "", "Đã ghi nhận góp ý. Cảm ơn bạn!"

    def refresh_choices():
        docs, issuers, kinds = _choices(service)
        return (gr.update(choices=docs, value=ALL), gr.update(choices=issuers, value=ALL),
                gr.update(choices=kinds, value=ALL))

    with gr.Blocks(title="Hỏi đáp tác phẩm phòng, chống tham nhũng, tiêu cực", analytics_enabled=False) as demo:
        turns = gr.State([])
        feedback_id = gr.State(None)
        last_plain = gr.Textbox(visible=False)  # the last answer as plain text, for the copy button
        gr.Markdown(f"### {TITLE}\nMọi câu trả lời đều trích nguyên văn từ tài liệu và ghi rõ nguồn. "
                    "Khi tài liệu không đề cập, trợ lý sẽ nói rõ.")
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=340):
                        with gr.Accordion("Giới hạn phạm vi tìm kiếm", open=False):
                            doc_filter = gr.Dropdown(label="Tài liệu", choices=[("Tất cả tài liệu", ALL)], value=ALL,
                                                     elem_id="filter-doc")
                            issuer_filter = gr.Dropdown(label="Cơ quan ban hành", choices=[("Tất cả cơ quan", ALL)],
                                                        value=ALL, elem_id="filter-issuer")
                            kind_filter = gr.Dropdown(label="Loại văn bản", choices=[("Tất cả loại văn bản", ALL)],
                                                      value=ALL, elem_id="filter-kind")
                        chatbot = gr.Chatbot(label="Hội thoại", elem_id="chat", height=480, buttons=[],
                                             feedback_options=("Like", "Dislike"), sanitize_html=True,
                                             placeholder="Hãy đặt câu hỏi về tác phẩm hoặc các kế hoạch học tập tác phẩm.")
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="Nhập câu hỏi rồi bấm Gửi…",
                                                  scale=5, min_width=200, elem_id="question", max_length=2000)
                            send = gr.Button("Gửi", variant="primary", scale=1, min_width=70, elem_id="send")
                        with gr.Row():
                            copy = gr.Button("Sao chép câu trả lời kèm nguồn", size="sm", elem_id="copy-answer")
                            new_chat = gr.Button("Cuộc trò chuyện mới", size="sm", elem_id="new-chat")
                        copy_note = gr.Markdown(elem_id="copy-note")
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Câu hỏi gợi ý")
                        feedback_note = gr.Markdown(elem_id="feedback-note")
                        with gr.Group(visible=False) as comment_box:
                            comment = gr.Textbox(label="Góp ý thêm (không bắt buộc)", lines=2, elem_id="feedback-comment",
                                                 max_length=4000)
                            send_fb = gr.Button("Gửi góp ý", size="sm", elem_id="feedback-send")
                    with gr.Column(scale=2, min_width=300, elem_id="passage-col"):
                        gr.Markdown("#### Đoạn trích dẫn")
                        panel = gr.HTML(PANEL_EMPTY, elem_id="passage-panel")
            with gr.Tab("Quản trị", id="admin-tab"):
                _admin_tab(service, admin, [doc_filter, issuer_filter, kind_filter], refresh_choices)

        outputs = [chatbot, turns, panel, question, last_plain]
        send.click(respond, [question, chatbot, turns, doc_filter, issuer_filter, kind_filter], outputs)
        question.submit(respond, [question, chatbot, turns, doc_filter, issuer_filter, kind_filter], outputs)
        copy.click(None, [last_plain], [copy_note], js=COPY_JS)
        new_chat.click(new_conversation, None,
                       [chatbot, turns, panel, question, feedback_id, comment_box, feedback_note, last_plain])
        chatbot.like(on_like, [turns], [feedback_id, comment_box, feedback_note])
        send_fb.click(send_comment, [feedback_id, comment], [comment, feedback_note])
        demo.load(refresh_choices, None, [doc_filter, issuer_filter, kind_filter])
    demo.queue(default_concurrency_limit=16)
    return demo


def _admin_tab(service: Service, admin: Admin, filters: list, refresh_choices) -> None:
    if service.settings.admin_token is None:
        gr.Markdown("Chức năng quản trị đang tắt. Đặt biến môi trường `HOIDAP_ADMIN_TOKEN` rồi khởi động lại để bật.")
        return
    token = gr.Textbox(label="Mã quản trị", type="password", elem_id="admin-token")
    status = gr.Markdown(elem_id="admin-status")
    with gr.Accordion("Tải tài liệu lên", open=True):
        files = gr.File(label="Tệp (PDF, DOCX, TXT, HTML, Hỏi - Đáp .jsonl/.csv)", file_count="multiple",
                        file_types=sorted(ALLOWED_TYPES), elem_id="admin-files")
        with gr.Row():
            title = gr.Textbox(label="Tiêu đề", elem_id="meta-title")
            kind = gr.Textbox(label="Loại văn bản", placeholder="Kế hoạch, Hướng dẫn…", elem_id="meta-kind")
        with gr.Row():
            issuer = gr.Textbox(label="Cơ quan ban hành", elem_id="meta-issuer")
            number = gr.Textbox(label="Số hiệu", elem_id="meta-number")
            date = gr.Textbox(label="Ngày ban hành", placeholder="10/4/2023", elem_id="meta-date")
        upload_btn = gr.Button("Tải lên và nạp vào kho", variant="primary", elem_id="admin-upload")
    with gr.Accordion("Tài liệu trong kho", open=False):
        docs_table = gr.Dataframe(headers=["Mã", "Tiêu đề", "Loại", "Cơ quan", "Số", "Ngày", "Số đoạn"],
                                  interactive=False, elem_id="admin-docs", wrap=True)
        with gr.Row():
            list_btn = gr.Button("Tải lại danh sách", size="sm", elem_id="admin-list")
            delete_id = gr.Textbox(label="Mã tài liệu cần xoá", elem_id="admin-delete-id")
            delete_btn = gr.Button("Xoá khỏi kho", variant="stop", size="sm", elem_id="admin-delete")
    with gr.Accordion("Câu hỏi và góp ý", open=False):
        usage_btn = gr.Button("Xem thống kê", size="sm", elem_id="admin-usage")
        top = gr.Dataframe(headers=["Câu hỏi", "Số lần", "Bị từ chối", "Lần cuối"], label="Hỏi nhiều nhất", interactive=False)
        refused = gr.Dataframe(headers=["Câu hỏi", "Số lần", "Bị từ chối", "Lần cuối"], label="Bị từ chối", interactive=False)
        negative = gr.Dataframe(headers=["Câu hỏi", "Câu trả lời", "Góp ý", "Thời điểm"], label="Đánh giá 👎",
                                interactive=False, wrap=True)
        with gr.Row():
            export_q = gr.Button("Xuất câu hỏi (CSV)", size="sm")
            export_f = gr.Button("Xuất góp ý (CSV)", size="sm")
        export_file = gr.File(label="Tệp CSV", interactive=False)

    denied = "Sai hoặc thiếu mã quản trị."

    def doc_rows():
        return [[d.doc_id, d.title[:120], d.kind, d.issuer, d.number, d.date, d.chunks] for d in service.documents()]

    def upload(tok, paths, t, k, i, n, d):
        if not token_ok(service, tok):
            yield denied, gr.skip()
            return
        if not paths:
            yield "Chưa chọn tệp nào.", gr.skip()
            return
        try:
            received = [(Path(p).name, Path(p).read_bytes()) for p in paths]
            job = admin.upload(received, {"title": t, "kind": k, "issuer": i, "number": n, "date": d})
        except (AdminError, OSError) as e:
            yield f"Không tải lên được: {e}", gr.skip()
            return
        while job.status in ("queued", "running"):
            yield f"Đang xử lý ({job.progress:.0%}): {job.message}", gr.skip()
            time.sleep(0.5)
        outcome = "Hoàn tất" if job.status == "done" else "Thất bại"
        yield f"**{outcome}.** {job.message}", doc_rows()

    def delete(tok, doc_id):
        if not token_ok(service, tok):
            return denied, gr.skip()
        try:
            removed = admin.delete((doc_id or "").strip())
        except AdminError as e:
            return str(e), gr.skip()
        return f"Đã xoá: {', '.join(removed)}", doc_rows()

    def list_docs(tok):
        if not token_ok(service, tok):
            return denied, gr.skip()
        return "", doc_rows()

    def usage(tok):
        if not token_ok(service, tok):
            return denied, gr.skip(), gr.skip(), gr.skip()
        st = service.state
        rows = lambda items: [[x["question"], x["count"], x["refused"], x["last_asked"]] for x in items]  # noqa: E731
        neg = [[x["question"], x["answer"][:400], x["comment"], x["created"]] for x in st.negative_feedback(100)]
        return "", rows(st.top_questions(50)), rows(st.refused_questions(50)), neg

    def export(kind_name):
        def run(tok):
            if not token_ok(service, tok):
                return denied, None
            out = Path(tempfile.mkdtemp(prefix="hoidap-export-")) / f"hoidap-{kind_name}.csv"
            out.write_text(service.state.export_csv(kind_name), encoding="utf-8")
            return "", str(out)
        return run

    upload_btn.click(upload, [token, files, title, kind, issuer, number, date], [status, docs_table]).then(
        refresh_choices, None, filters)
    delete_btn.click(delete, [token, delete_id], [status, docs_table]).then(refresh_choices, None, filters)
    list_btn.click(list_docs, [token], [status, docs_table])
    usage_btn.click(usage, [token], [status, top, refused, negative])
    export_q.click(export("questions"), [token], [status, export_file])
    export_f.click(export("feedback"), [token], [status, export_file])


def mount(app: FastAPI, service: Service, admin: Admin) -> FastAPI:
    demo = build(service, admin)
    return gr.mount_gradio_app(app, demo, path="/", footer_links=[], css=CSS, js=CLICK_JS,
                               max_file_size=int(service.settings.max_upload_mb * 1024 * 1024), ssr_mode=False,
                               theme=gr.themes.Default(font=["system-ui", "sans-serif"],
                                                       font_mono=["ui-monospace", "monospace"]))
