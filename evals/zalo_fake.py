"""A small stand-in for Zalo on 127.0.0.1, for the tests and the webhook load run: real HTTP,
answering as Zalo does, recording what it receives.

- Bot Platform: `/bot{token}/{method}` (sendMessage 1–2,000 characters, sendChatAction,
  getUpdates with one update per call and error 408 after the wait, setWebhook / getWebhookInfo /
  deleteWebhook; getUpdates fails while a webhook is set).
- OA API v3: `/v3.0/oa/message/cs` with the `access_token` header (−216 for an expired or
  unknown token, −213 for users who do not follow the OA).
- OAuth: `/v4/oa/access_token` (header `secret_key`, form refresh_token/app_id/grant_type); each
  refresh token works once and the answer carries a new pair.
- `/v1/chat/completions`: an OpenAI-compatible endpoint whose answers are long (numbered
  sentences citing [1]), to make the assistant produce answers of several messages.

Failures can be injected per method (`fail_next`). Everything is in memory and thread-safe.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Sent:
    """A text message delivered to a user (through the bot or the OA)."""
    seq: int
    api: str  # "bot" | "oa"
    chat_id: str
    text: str
    at: float  # time.monotonic() when received
    token: str = ""  # the OA access token used


@dataclass
class Call:
    seq: int
    api: str  # "bot" | "oa" | "oauth" | "llm"
    method: str
    body: dict
    at: float
    status: int = 200
    answer: dict = field(default_factory=dict)


class FakeZalo:
    def __init__(self, bot_token: str = "12345:fake-bot-token", oa_app_id: str = "4321", oa_app_secret: str = "fake-app-secret",
                 oa_access_token: str = "acc-0", oa_refresh_token: str = "ref-0", long_sentences: int = 40) -> None:
        self.bot_token, self.oa_app_id, self.oa_app_secret = bot_token, oa_app_id, oa_app_secret
        self.long_sentences = long_sentences
        self.cond = threading.Condition()
        self.sent: list[Sent] = []
        self.by_chat: dict[str, list[Sent]] = {}
        self.calls: list[Call] = []
        self.updates: deque[dict] = deque()
        self.webhook: dict | None = None
        self.failures: dict[str, deque] = {}
        self.oa_access = oa_access_token
        self.oa_refresh = oa_refresh_token
        self.oa_expired: set[str] = set()
        self.refresh_uses: list[str] = []
        self.expires_in = "90000"  # seconds, as a string, as Zalo sends it
        self.not_following: set[str] = set()
        self.empty_polls = 0
        self._seq = 0
        self._rotations = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------------------------
    def start(self) -> "FakeZalo":
        fake = self

        class Handler(_Handler):
            zalo = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-zalo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeZalo":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls ----------------------------------------------------------------------------------------
    def fail_next(self, method: str, times: int = 1, status: int = 500, body: dict | None = None) -> None:
        """The next `times` calls of `method` ("sendMessage", "oa.send", …) fail with this answer."""
        with self.cond:
            q = self.failures.setdefault(method, deque())
            for _ in range(times):
                q.append((status, body if body is not None else {"ok": False, "error_code": status,
                                                                  "description": "Internal Server Error"}))

    def expire_access_token(self) -> str:
        """The OA access token in use stops working (as after ~25 hours)."""
        with self.cond:
            self.oa_expired.add(self.oa_access)
            return self.oa_access

    def queue_update(self, update: dict) -> None:
        with self.cond:
            self.updates.append(update)
            self.cond.notify_all()

    def messages(self, chat_id: str | None = None, api: str | None = None) -> list[Sent]:
        with self.cond:
            pool = self.sent if chat_id is None else self.by_chat.get(chat_id, [])
            return [s for s in pool if api is None or s.api == api]

    def calls_of(self, method: str) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate, timeout: float = 60.0) -> bool:
        """Wait until `predicate()` (called under the lock) is true."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def wait_messages(self, chat_id: str, n: int = 1, timeout: float = 60.0, api: str | None = None) -> list[Sent]:
        self.wait_for(lambda: len([s for s in self.by_chat.get(chat_id, []) if api is None or s.api == api]) >= n,
                      timeout)
        return self.messages(chat_id, api)

    # -- internals -----------------------------------------------------------------------------------------------
    def _record(self, api: str, method: str, body: dict, status: int, answer: dict) -> None:
        self._seq += 1
        self.calls.append(Call(self._seq, api, method, body, time.monotonic(), status, answer))

    def _deliver(self, api: str, chat_id: str, text: str, token: str = "") -> None:
        self._seq += 1
        sent = Sent(self._seq, api, chat_id, text, time.monotonic(), token)
        self.sent.append(sent)
        self.by_chat.setdefault(chat_id, []).append(sent)

    def _injected(self, method: str):
        q = self.failures.get(method)
        return q.popleft() if q else None

    def bot(self, token: str, method: str, body: dict) -> tuple[int, dict]:
        with self.cond:
            status, answer = self._bot(token, method, body)
            self._record("bot", method, body, status, answer)
            self.cond.notify_all()
            return status, answer

    def _bot(self, token: str, method: str, body: dict) -> tuple[int, dict]:
        if token != self.bot_token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if (failure := self._injected(method)) is not None:
            return failure
        now_ms = int(time.time() * 1000)
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": "1459232241454765289", "account_name": "bot.fake", "account_type": "BASIC"}}
        if method == "sendMessage":
            text, chat_id = body.get("text"), body.get("chat_id")
            if not isinstance(chat_id, str) or not chat_id:
                return 400, {"ok": False, "error_code": 400, "description": "chat_id is required"}
            if not isinstance(text, str) or not 1 <= len(text) <= 2000:
                return 400, {"ok": False, "error_code": 400, "description": "text must be 1 to 2000 characters"}
            self._deliver("bot", chat_id, text)
            return 200, {"ok": True, "result": {"message_id": f"m{self._seq}", "date": now_ms}}
        if method == "sendChatAction":
            return 200, {"ok": True}
        if method == "setWebhook":
            url, secret = body.get("url"), body.get("secret_token")
            if not isinstance(url, str) or not url.startswith("https://"):
                return 400, {"ok": False, "error_code": 400, "description": "url must be https"}
            if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
                return 400, {"ok": False, "error_code": 400, "description": "secret_token must be 8-256 characters"}
            self.webhook = {"url": url, "secret_token": secret, "updated_at": now_ms}
            return 200, {"ok": True, "result": {"url": url, "updated_at": now_ms}}
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": {"url": (self.webhook or {}).get("url", ""),
                                                "updated_at": (self.webhook or {}).get("updated_at", now_ms)}}
        if method == "deleteWebhook":
            self.webhook = None
            return 200, {"ok": True, "result": {"url": "", "updated_at": now_ms}}
        if method == "getUpdates":
            if self.webhook:
                return 409, {"ok": False, "error_code": 409, "description": "Conflict: a webhook is active"}
            try:
                wait = min(float(body.get("timeout", 30)), 30.0)
            except (TypeError, ValueError):
                wait = 30.0
            deadline = time.monotonic() + wait
            while not self.updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.empty_polls += 1
                    return 408, {"ok": False, "error_code": 408, "description": "Request timeout"}
                self.cond.wait(left)
            return 200, {"ok": True, "result": self.updates.popleft()}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def oa_send(self, token: str, body: dict) -> dict:
        with self.cond:
            answer = self._oa_send(token, body)
            self._record("oa", "oa.send", body, 200, answer)
            self.cond.notify_all()
            return answer

    def _oa_send(self, token: str, body: dict) -> dict:
        if (failure := self._injected("oa.send")) is not None:
            return failure[1]
        if token in self.oa_expired or token != self.oa_access:
            return {"error": -216, "message": "Access token is invalid"}
        user = (body.get("recipient") or {}).get("user_id")
        text = (body.get("message") or {}).get("text")
        if not isinstance(user, str) or not user:
            return {"error": -201, "message": "recipient is invalid"}
        if user in self.not_following:
            return {"error": -213, "message": "User has not followed OA"}
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return {"error": -201, "message": "text is invalid"}
        self._deliver("oa", user, text, token)
        return {"error": 0, "message": "Success", "data": {"message_id": f"oa{self._seq}", "user_id": user}}

    def oauth(self, secret_key: str, form: dict) -> tuple[int, dict]:
        with self.cond:
            status, answer = self._oauth(secret_key, form)
            self._record("oauth", "refresh", form, status, {k: v for k, v in answer.items() if "token" not in k})
            self.cond.notify_all()
            return status, answer

    def _oauth(self, secret_key: str, form: dict) -> tuple[int, dict]:
        if secret_key != self.oa_app_secret:
            return 200, {"error": -14002, "error_name": "Invalid app secret", "error_description": "secret_key is invalid"}
        if form.get("app_id") != self.oa_app_id or form.get("grant_type") != "refresh_token":
            return 200, {"error": -14003, "error_name": "Invalid parameter", "error_description": "app_id or grant_type"}
        token = form.get("refresh_token", "")
        self.refresh_uses.append(token)
        if token != self.oa_refresh:
            return 200, {"error": -14014, "error_name": "Invalid refresh token",
                         "error_description": "the refresh token is invalid or was already used"}
        self._rotations += 1
        self.oa_access, self.oa_refresh = f"acc-{self._rotations}", f"ref-{self._rotations}"
        return 200, {"access_token": self.oa_access, "refresh_token": self.oa_refresh, "expires_in": self.expires_in}

    def llm(self, body: dict) -> dict:
        with self.cond:
            self._record("llm", "chat", {"model": body.get("model")}, 200, {})
        sentences = [f"Ý {i:02d}: theo đoạn trích, nội dung số {i} nêu rõ việc tổ chức học tập, tuyên truyền tác phẩm "
                     f"và báo cáo kết quả đúng thời hạn [1]." for i in range(1, self.long_sentences + 1)]
        return {"id": "fake", "object": "chat.completion", "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": " ".join(sentences)}}]}


class _Handler(BaseHTTPRequestHandler):
    zalo: FakeZalo
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if path == "/v4/oa/access_token":
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
            self._reply(*self.zalo.oauth(self.headers.get("secret_key", ""), form))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: not JSON"})
            return
        if path == "/v3.0/oa/message/cs":
            self._reply(200, self.zalo.oa_send(self.headers.get("access_token", ""), body))
        elif path.endswith("/chat/completions"):
            self._reply(200, self.zalo.llm(body))
        elif path.startswith("/bot") and path.count("/") == 2:
            _, token_part, method = path.split("/")
            self._reply(*self.zalo.bot(token_part[3:], method, body if isinstance(body, dict) else {}))
        else:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    do_GET = do_POST
