"""Generative mode against a small OpenAI-compatible server started on loopback."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fake_llm import stream_pieces
from rag import Assistant


class FakeLLM(BaseHTTPRequestHandler):
    """Speaks /v1/chat/completions with server-sent events, as Ollama and vLLM do."""
    mode = "ok"
    requests: list[dict] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if FakeLLM.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        if FakeLLM.mode == "slow":
            time.sleep(3)
        if FakeLLM.mode == "endless":  # a piece every 0.3 s, never done: each read is quick
            stream_pieces(self, ["và nữa "] * 200, 0.3, done=False)  # the client gives up, as it should
            return
        passages = body["messages"][-1]["content"]
        date = "15/6/2023" if "15/6/2023" in passages else "không rõ"
        pieces = [f"Báo cáo kết quả gửi trước ngày {date} [1]. ", "Một câu bịa không có căn cứ. ",
                  "Theo đoạn [9] không tồn tại [9][2]."]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for p in pieces:
            chunk = {"choices": [{"index": 0, "delta": {"content": p}}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def llm_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeLLM.mode, FakeLLM.requests = "ok", []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()




def test_markers_are_checked_and_uncited_sentences_flagged(corpus_index, assistant, llm_server):
    from pydantic import SecretStr

    bot = Assistant(corpus_index.model_copy(update={"llm_base_url": llm_server, "llm_model": "qwen-test",
                                                    "llm_api_key": SecretStr("sk-test")}), index=assistant.index)
    events = list(bot.stream("Thời hạn gửi báo cáo kết quả ở Yên Bái?"))
    deltas = [e["text"] for e in events if e["type"] == "delta"]
    assert len(deltas) == 3  # streamed as the server sent it
    result = events[-1]["answer"]
    assert result.mode == "generative"
    assert "15/6/2023 [1]" in result.answer
    assert "[9]" not in result.answer and "[2]" in result.answer  # invalid marker removed, valid kept
    assert result.flagged == ["Một câu bịa không có căn cứ."]
    assert "(chưa có căn cứ) Một câu bịa" in result.answer
    assert [c.marker for c in result.citations] == [1, 2]
    request = FakeLLM.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "qwen-test" and request["body"]["stream"] is True
    prompt = request["body"]["messages"][-1]["content"]
    assert "[1] " in prompt and "Câu hỏi: Thời hạn gửi báo cáo kết quả ở Yên Bái?" in prompt


@pytest.mark.parametrize("mode,reason", [("error", "lỗi"), ("slow", "quá thời gian"), ("endless", "quá thời gian")])
def test_falls_back_to_the_extractive_answer(corpus_index, assistant, llm_server, mode, reason):
    FakeLLM.mode = mode
    bot = Assistant(corpus_index.model_copy(update={"llm_base_url": llm_server, "llm_model": "m", "llm_timeout_s": 1.0}),
                    index=assistant.index)
    started = time.monotonic()
    result = bot.answer("Thời hạn gửi báo cáo kết quả ở Yên Bái?")
    assert time.monotonic() - started < 3.0  # the timeout bounds the whole answer, not each read
    assert result.mode == "fallback" and reason in result.notice
    assert "15/6/2023" in result.answer and "[1]" in result.answer and result.citations


def test_refusals_never_reach_the_model(corpus_index, assistant, llm_server):
    bot = Assistant(corpus_index.model_copy(update={"llm_base_url": llm_server, "llm_model": "m"}), index=assistant.index)
    assert bot.answer("Giá vàng hôm nay bao nhiêu?").refused
    assert FakeLLM.requests == []


def test_a_renumbered_plan_is_said_before_the_generated_answer(corpus_index, assistant, llm_server):
    bot = Assistant(corpus_index.model_copy(update={"llm_base_url": llm_server, "llm_model": "m"}), index=assistant.index)
    events = list(bot.stream("Kế hoạch 250 của Thành ủy Yên Bái ban hành ngày nào?"))
    note = "Lưu ý: kho tài liệu không có Kế hoạch 250; câu trả lời dưới đây theo Kế hoạch 205."
    assert events[0] == {"type": "delta", "text": note + "\n"}  # streamed first, before the model's words
    result = events[-1]["answer"]
    assert result.mode == "generative" and result.answer.startswith(note + "\nBáo cáo kết quả")


def test_api_key_is_not_in_output(corpus_index, llm_server):
    from conftest import run_cli

    env = {"HOIDAP_LLM_BASE_URL": llm_server, "HOIDAP_LLM_MODEL": "m", "HOIDAP_LLM_API_KEY": "sk-very-secret"}
    out = run_cli("ask", "Thời hạn gửi báo cáo kết quả ở Yên Bái?", "--json", "--index", str(corpus_index.index_dir), env=env)
    assert out.returncode == 0 and json.loads(out.stdout)["mode"] == "generative"
    assert "sk-very-secret" not in out.stdout + out.stderr
    assert FakeLLM.requests[-1]["auth"] == "Bearer sk-very-secret"
