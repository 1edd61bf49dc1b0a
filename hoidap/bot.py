"""The assistant as a chat bot, whatever the messenger (the Zalo bot and the Zalo OA use it).

A message comes in as an `Incoming`; `Bot.handle` answers it exactly once (the first process to
claim its id in the shared state store answers it; retries, duplicates and the other app servers
do nothing), through an `Outbox` the channel provides. Replies fit a phone: the answer first,
then compact sources, split at paragraph, list or sentence boundaries into messages of at most
2,000 characters, sent in order; a failed send is retried with backoff, then logged.

Conversation memory (the last questions, for follow-ups, and the last answer's passages, for
`/nguon N`) and the per-user rate limit live in the state store too, so that every app server
sees them. Everything a user reads is Vietnamese; logs are English and name chats only by a
short hash of their id.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hoidap.schema import AnswerOut, Citation, Turn
from hoidap.textnorm import fold

log = logging.getLogger("hoidap.bot")

MAX_MESSAGE = 2000
HISTORY_TURNS = 6

EXAMPLES = [
    "Tác phẩm gồm mấy phần?",
    "Thời hạn gửi báo cáo kết quả của Thành ủy Yên Bái?",
    "Ai ký Hướng dẫn của Ban Tuyên giáo Thị ủy?",
    "Đối tượng tham gia học tập theo kế hoạch của Huyện ủy là ai?",
]
HELP = (
    "Xin chào! Tôi trả lời câu hỏi về tác phẩm “Kiên quyết, kiên trì đấu tranh phòng, chống tham nhũng, "
    "tiêu cực, góp phần xây dựng Đảng và Nhà nước ta ngày càng trong sạch, vững mạnh” của đồng chí Tổng Bí thư "
    "Nguyễn Phú Trọng và về các kế hoạch, hướng dẫn học tập tác phẩm. Mỗi câu trả lời trích nguyên văn tài liệu "
    "và ghi rõ nguồn; khi tài liệu không đề cập, tôi sẽ nói rõ.\n\n"
    "Bạn có thể hỏi, ví dụ:\n" + "\n".join(f"• {q}" for q in EXAMPLES) + "\n\n"
    "Sau một câu trả lời, bạn có thể hỏi tiếp (ví dụ: “Còn ở huyện thì sao?”).\n\n"
    "Các lệnh:\n"
    "/nguon 1 – xem toàn văn đoạn trích [1] của câu trả lời gần nhất\n"
    "/moi – bắt đầu cuộc trò chuyện mới\n"
    "/tailieu – danh sách tài liệu tôi biết\n"
    "/help – xem lại hướng dẫn này"
)
NOT_TEXT = ("Xin lỗi, tôi chỉ hiểu câu hỏi gõ bằng chữ (chưa đọc được hình ảnh, nhãn dán hay tệp). "
            "Bạn hãy gõ câu hỏi về tác phẩm hoặc các kế hoạch học tập tác phẩm; gõ /help để xem ví dụ.")
SLOW_DOWN = "Bạn đang gửi tin nhắn hơi nhanh. Vui lòng đợi khoảng một phút rồi hỏi tiếp nhé."
TROUBLE = "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được. Vui lòng thử lại sau ít phút."
NEW_CHAT = "Đã bắt đầu cuộc trò chuyện mới. Mời bạn đặt câu hỏi."
NO_ANSWER_YET = "Chưa có câu trả lời nào để xem nguồn. Hãy đặt câu hỏi trước, rồi gõ /nguon 1."
NGUON_USAGE = "Hãy gõ /nguon kèm số thứ tự của nguồn, ví dụ: /nguon 1."


@dataclass(frozen=True)
class Incoming:
    """One message from a user, whatever the messenger."""
    channel: str  # "zalo-bot" | "zalo-oa": also the namespace of ids in the state store
    message_id: str  # unique within the channel; retried deliveries carry the same id
    chat_id: str  # where the replies go (and whose conversation it is)
    user_id: str  # who is rate-limited
    kind: str  # "text" | "image" | "sticker" | "unsupported"
    text: str = ""
    received: float = field(default_factory=time.time, compare=False)


class Outbox(Protocol):
    """How a channel sends; `send` raises an exception with `retryable` on failure."""

    def send(self, chat_id: str, text: str) -> Any: ...

    def typing(self, chat_id: str) -> None: ...


def anon(value: str) -> str:
    """A short stable tag for a user or chat id in logs (not the id itself)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:10]


# --- phone-sized text ------------------------------------------------------------------------------
_KINDS = {"kế hoạch": "KH", "hướng dẫn": "HD", "nghị quyết": "NQ", "kết luận": "KL", "chỉ thị": "CT",
          "quy định": "QĐ", "công văn": "CV", "thông báo": "TB", "báo cáo": "BC", "quyết định": "QĐ"}
_ISSUER_PREFIX = re.compile(r"^(Ban Thường vụ|Ban Thường trực|Ban Chấp hành|Thường trực)\s+", re.IGNORECASE)
_ISSUER_SHORT = [("Ủy ban Mặt trận Tổ quốc Việt Nam", "Ủy ban MTTQ Việt Nam"), ("Mặt trận Tổ quốc Việt Nam", "MTTQ Việt Nam"),
                 ("Khoa học và Công nghệ", "KH&CN")]
_ROMAN = re.compile(r"^([IVXLC]+)\.(?:\s|$)")
_ARABIC = re.compile(r"^(\d+(?:\.\d+)*)\.?(?:\s|$)")
_LETTER = re.compile(r"^([a-zđ])\)(?:\s|$)")
_ORDINAL = re.compile(r"^(Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười) là\b")
_APPENDIX = re.compile(r"^(Phụ lục(?: số)?\s*[\w.]*)", re.IGNORECASE)


def section_ref(heading: str) -> str:
    """"II. NỘI DUNG › 1. Những nội dung › 1.1. Phần thứ nhất" → "mục II.1.1"; unnumbered
    headings by name ("mục Mở đầu")."""
    segments = [s.strip() for s in (heading or "").split("›") if s.strip()]
    numbers: list[str] = []
    extra: list[str] = []
    prefix = plain = ""
    for seg in segments:
        if m := _APPENDIX.match(seg):
            prefix = m.group(1).strip()
        elif m := _ROMAN.match(seg):
            numbers.append(m.group(1))
        elif m := _ARABIC.match(seg):
            n = m.group(1)
            if numbers and n.startswith(numbers[-1] + "."):
                numbers[-1] = n
            else:
                numbers.append(n)
        elif m := _LETTER.match(seg):
            numbers.append(m.group(1))
        elif m := _ORDINAL.match(seg):
            extra.append(m.group(0))
        elif seg.startswith("Chú thích"):
            extra.append(seg.lower())
        elif not numbers and not prefix:
            plain = seg
    parts = []
    if prefix:
        parts.append(prefix)
    if numbers:
        parts.append("mục " + ".".join(numbers) + (f" ({', '.join(extra)})" if extra else ""))
    elif not prefix and plain:
        if fold(plain).startswith("chu ky"):
            parts.append("phần chữ ký")
        else:
            parts.append("mục " + (plain if len(plain) <= 40 else plain[:39].rstrip() + "…"))
    return ", ".join(parts)


def short_source(c: Citation) -> str:
    """"KH 205-KH/TU, Thành ủy Yên Bái, mục II.1.1": kind and number, issuer, section, page."""
    number = c.number.strip() if c.number and re.search(r"\d", c.number) else ""
    kind = (c.kind or "").strip()
    if number:  # "KH 205-KH/TU"; without a number the kind stays whole ("Kế hoạch, Huyện ủy")
        kind = _KINDS.get(kind.lower(), kind)
    head = " ".join(p for p in (kind, number) if p)
    if not head:
        head = c.title if len(c.title) <= 60 else c.title[:59].rstrip() + "…"
    issuer = _ISSUER_PREFIX.sub("", (c.issuer or "").strip())
    for long, short in _ISSUER_SHORT:
        issuer = issuer.replace(long, short)
    parts = [head, issuer, section_ref(c.heading), f"tr. {c.page}" if c.page else ""]
    return ", ".join(p for p in parts if p)


def answer_text(answer: AnswerOut) -> str:
    """The answer as one plain text for a messenger: the answer first, then compact sources."""
    blocks = []
    if answer.notice:
        blocks.append(f"({answer.notice})")
    blocks.append(answer.answer.strip())
    if answer.flagged:
        blocks.append("(Có câu chưa có căn cứ trích dẫn, cần đối chiếu với tài liệu gốc.)")
    if answer.citations and not answer.refused:
        lines = ["Nguồn:"] + [f"[{c.marker}] {short_source(c)}" for c in answer.citations]
        lines.append(f"Gõ /nguon {answer.citations[0].marker} để đọc toàn văn đoạn trích.")
        blocks.append("\n".join(lines))
    return "\n\n".join(b for b in blocks if b)


# A sentence ends at . ! ? … ; (closing quotes and [n] markers stay with it) before a space.
_SENTENCE_END = re.compile(r"[.!?…;](?:[\"”’)\]]*)(?:[ \t]*\[\d{1,2}\])*(?=\s)")


def _pieces(text: str, level: int) -> list[str]:
    """`text` cut at one kind of boundary, separators kept with the piece before them:
    0 paragraphs, 1 lines (list items), 2 sentences, 3 words."""
    if level == 0:
        return re.split(r"(?<=\n\n)", text)
    if level == 1:
        return re.split(r"(?<=\n)", text)
    if level == 2:
        out, pos = [], 0
        for m in _SENTENCE_END.finditer(text):
            end = m.end()
            while end < len(text) and text[end] in " \t":
                end += 1
            out.append(text[pos:end])
            pos = end
        out.append(text[pos:])
        return [p for p in out if p]
    return re.split(r"(?<=\s)", text)


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text.strip()) <= limit:
        return [text]
    if level > 3:
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    pieces = _pieces(text, level)
    if len(pieces) < 2:
        return _split(text, limit, level + 1)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if len((current + piece).strip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current)
        current = piece
        if len(piece.strip()) > limit:
            sub = _split(piece, limit, level + 1)
            chunks.extend(sub[:-1])
            current = sub[-1]
    if current.strip():
        chunks.append(current)
    return chunks


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Messages of at most `limit` characters, cut at the strongest boundary available
    (paragraph, then line, then sentence, then word); several parts are numbered "(1/3)"."""
    text = (text or "").strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    parts = [p.strip() for p in _split(text, limit - 10, 0) if p.strip()]
    if len(parts) == 1:
        return parts
    return [f"{p}\n({i}/{len(parts)})" for i, p in enumerate(parts, 1)]


# --- the bot ---------------------------------------------------------------------------------------------
_COMMAND = re.compile(r"^/\s*([^\s\d]+)\s*(.*)$", re.DOTALL)


class Bot:
    """Answers messages through `Service`; `settings` gives the Zalo limits (see hoidap.settings)."""

    def __init__(self, service, settings=None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.service = service
        s = settings or service.settings
        self.idle_s = max(60, int(getattr(s, "zalo_conversation_idle_s", 3600)))
        self.rate_limit = int(getattr(s, "zalo_rate_limit_per_minute", 10))
        self.attempts = max(1, int(getattr(s, "zalo_send_attempts", 4)))
        self.retry_base_s = max(0.0, float(getattr(s, "zalo_retry_base_s", 0.5)))
        self.claim_ttl_s = 7 * 24 * 3600
        self.max_chars = MAX_MESSAGE
        self._sleep = sleep

    @property
    def state(self):
        return self.service.state

    # -- the whole turn -----------------------------------------------------------------------------
    def handle(self, msg: Incoming, outbox: Outbox) -> bool:
        """Answer `msg` unless it was answered (or is being answered) already: True when this
        call answered it. Never raises: a failure is logged and the user gets an apology."""
        try:
            if not self.state.claim_message(f"{msg.channel}:msg:{msg.message_id}", ttl_s=self.claim_ttl_s):
                log.info("%s: message %s already handled; ignored", msg.channel, anon(msg.message_id))
                return False
        except Exception:  # noqa: BLE001 - without the store we cannot promise "once": do not answer
            log.exception("%s: could not record message %s in the state store; not answered",
                          msg.channel, anon(msg.message_id))
            return False
        try:
            texts = self.respond(msg, typing=lambda: self._typing(msg, outbox))
        except Exception:  # noqa: BLE001 - the user still hears from us
            log.exception("%s: answering message %s (chat %s) failed", msg.channel, anon(msg.message_id), anon(msg.chat_id))
            texts = [TROUBLE]
        self.deliver(msg, texts, outbox)
        return True

    def respond(self, msg: Incoming, typing: Callable[[], None] | None = None) -> list[str]:
        """The messages that answer `msg` (no sending, no claim)."""
        if self._limited(msg):
            return [SLOW_DOWN] if self._first_notice(msg) else []
        if msg.kind != "text":
            return [NOT_TEXT]
        text = (msg.text or "").strip()
        if not text:
            return []
        if m := _COMMAND.match(text):
            return self._command(msg, fold(m.group(1)).lower(), m.group(2).strip())
        if typing is not None:
            typing()
        return self._answer(msg, text)

    # -- rate limit -----------------------------------------------------------------------------------
    def _limited(self, msg: Incoming) -> bool:
        if self.rate_limit <= 0:
            return False
        return self.state.hit_rate_limit(f"{msg.channel}:user:{msg.user_id}", self.rate_limit, 60)

    def _first_notice(self, msg: Incoming) -> bool:
        """The polite notice goes out once per user and minute, not once per extra message."""
        window = int(time.time() // 60)
        return self.state.claim_message(f"{msg.channel}:slow:{msg.user_id}:{window}", ttl_s=120)

    # -- conversation memory ------------------------------------------------------------------------------
    def _key(self, msg: Incoming) -> str:
        return f"{msg.channel}:chat:{msg.chat_id}"

    def _memory(self, msg: Incoming) -> dict:
        return self.state.conversation_get(self._key(msg)) or {}

    def _remember(self, msg: Incoming, data: dict) -> None:
        self.state.conversation_put(self._key(msg), data, ttl_s=self.idle_s)

    # -- commands ---------------------------------------------------------------------------------------------
    def _command(self, msg: Incoming, name: str, arg: str) -> list[str]:
        if name in ("start", "help", "huongdan", "trogiup"):
            return split_message(HELP, self.max_chars)
        if name in ("moi", "new", "reset"):
            self.state.conversation_put(self._key(msg), {}, ttl_s=0)
            return [NEW_CHAT]
        if name in ("tailieu", "docs"):
            return split_message(self._documents(), self.max_chars)
        if name in ("nguon", "source"):
            return split_message(self._source(msg, arg), self.max_chars)
        return [f"Tôi chưa hiểu lệnh “/{name[:30]}”. Gõ /help để xem các lệnh và ví dụ câu hỏi."]

    def _documents(self) -> str:
        docs = self.service.documents()
        lines = [f"Tôi trả lời dựa trên {len(docs)} tài liệu:"]
        for i, d in enumerate(docs, 1):
            # "Kế hoạch 205-KH/TU của Ban Thường vụ Thành ủy Yên Bái: Triển khai …": the part before
            # the colon names the document; the rest repeats the book's long title.
            name = d.title.split(":", 1)[0].strip() if len(d.title.split(":", 1)[0]) >= 15 else d.title
            name = name if len(name) <= 160 else name[:159].rstrip() + "…"
            number = d.number if re.search(r"\d", d.number or "") and d.number not in name else ""
            issuer = d.issuer if d.issuer and d.issuer not in name else ""
            date = f"ngày {d.date}" if d.date[:1].isdigit() else d.date
            facts = ", ".join(x for x in (issuer, number, date) if x)
            lines.append(f"{i}. {name}" + (f" ({facts})" if facts else ""))
        return "\n".join(lines)

    def _source(self, msg: Incoming, arg: str) -> str:
        m = re.match(r"^\[?(\d{1,2})\]?$", arg)
        if not m:
            return NGUON_USAGE
        sources = self._memory(msg).get("sources") or []
        if not sources:
            return NO_ANSWER_YET
        n = int(m.group(1))
        found = next((s for s in sources if s.get("marker") == n), None)
        if found is None:
            markers = sorted(s.get("marker") for s in sources)
            shown = f"[{markers[0]}]" if len(markers) == 1 else f"[{markers[0]}] đến [{markers[-1]}]"
            return f"Câu trả lời gần nhất chỉ có nguồn {shown}. Ví dụ: /nguon {markers[0]}."
        lines = [f"[{n}] {found.get('ref', '')}".rstrip(), found.get("title", "")]
        if found.get("closest"):
            lines.append("(Đoạn gần nhất với câu hỏi, không phải căn cứ của câu trả lời.)")
        lines.append("")
        lines.append(f"“{found.get('passage', '').strip()}”")
        if found.get("also_in"):
            lines.append("")
            lines.append("Đoạn này cũng có trong: " + "; ".join(found["also_in"]))
        return "\n".join(x for x in lines if x is not None)

    # -- questions ------------------------------------------------------------------------------------------------
    def _answer(self, msg: Incoming, question: str) -> list[str]:
        from hoidap.service import BadRequest, ServiceError

        memory = self._memory(msg)
        # earlier turns with what their answers cited (plain strings from before are still read)
        history = [h for h in memory.get("history") or [] if isinstance(h, (str, dict))]
        try:
            answer = self.service.ask(question, history=history or None, channel=msg.channel)
        except BadRequest as e:
            return [str(e)]
        except ServiceError as e:
            log.warning("%s: the service could not answer: %s", msg.channel, e)
            return [TROUBLE]
        turn = Turn.from_answer(question, answer).model_dump(exclude={"answer"})
        memory["history"] = (history + [turn])[-HISTORY_TURNS:]
        memory["sources"] = _sources(answer)
        try:
            self._remember(msg, memory)
        except Exception:  # noqa: BLE001 - the answer matters more than the memory
            log.warning("%s: could not store the conversation of chat %s", msg.channel, anon(msg.chat_id), exc_info=True)
        return split_message(answer_text(answer), self.max_chars)

    # -- sending ----------------------------------------------------------------------------------------------------
    def _typing(self, msg: Incoming, outbox: Outbox) -> None:
        try:
            outbox.typing(msg.chat_id)
        except Exception as e:  # noqa: BLE001 - a missing "typing…" costs nothing
            log.info("%s: typing indicator failed: %s", msg.channel, e)

    def deliver(self, msg: Incoming, texts: list[str], outbox: Outbox) -> bool:
        """Send the parts in order; each is retried with backoff. A part that cannot be sent is
        logged with the number of parts left unsent (they are dropped: out of order they would
        make no sense). True when everything was sent."""
        for i, text in enumerate(texts, 1):
            if not self._send(msg, outbox, text, i, len(texts)):
                if i < len(texts):
                    log.error("%s: %d later part(s) of the reply to message %s were not sent", msg.channel,
                              len(texts) - i, anon(msg.message_id))
                return False
        return True

    def _send(self, msg: Incoming, outbox: Outbox, text: str, part: int, parts: int) -> bool:
        delay = self.retry_base_s
        for attempt in range(1, self.attempts + 1):
            try:
                outbox.send(msg.chat_id, text)
                return True
            except Exception as e:  # noqa: BLE001 - every failure is either retried or logged
                retryable = bool(getattr(e, "retryable", False))
                if not retryable or attempt == self.attempts:
                    log.error("%s: could not deliver part %d/%d of the reply to message %s (chat %s) after %d "
                              "attempt(s): %s", msg.channel, part, parts, anon(msg.message_id), anon(msg.chat_id),
                              attempt, str(e)[:400])
                    return False
                log.warning("%s: sending failed (attempt %d of %d), retrying in %.1f s: %s", msg.channel, attempt,
                            self.attempts, delay, str(e)[:400])
                self._sleep(delay)
                delay = min(delay * 2, 30.0)
        return False


def _sources(answer: AnswerOut) -> list[dict]:
    """What `/nguon N` shows later: the cited passages, or for a refusal the closest ones
    (the "Gần nhất [n]" lines of the answer)."""
    if answer.citations and not answer.refused:
        return [{"marker": c.marker, "ref": short_source(c), "title": c.title, "passage": c.passage,
                 "also_in": [a.title or a.source for a in c.also_in][:5]} for c in answer.citations]
    closest = {int(n) for n in re.findall(r"Gần nhất \[(\d{1,2})\]", answer.answer)}
    out = []
    for n, r in enumerate(answer.retrieved, 1):
        if n in closest:
            name = r.title.split(":", 1)[0].strip()
            name = name if 15 <= len(name) <= 90 else r.title[:79].rstrip() + "…"
            ref = ", ".join(x for x in (name, section_ref(r.heading), f"tr. {r.page}" if r.page else "") if x)
            out.append({"marker": n, "ref": ref, "title": r.title, "passage": r.passage, "closest": True, "also_in": []})
    return out


# --- the worker pool -----------------------------------------------------------------------------------------------
_STOP = object()


class Dispatcher:
    """A fixed pool of worker threads, each with its own bounded queue. The messages of one chat
    go to the same worker, so a chat's messages are answered one after another, in order. A
    full queue refuses the job (a webhook then answers 503 and Zalo delivers again later)."""

    def __init__(self, handle: Callable[[Any], None], workers: int = 4, queue_size: int = 1000, name: str = "zalo") -> None:
        self._handle = handle
        self.workers = max(1, int(workers))
        per_worker = max(1, int(queue_size) // self.workers)
        self._queues: list[queue.Queue] = [queue.Queue(maxsize=per_worker) for _ in range(self.workers)]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.name = name

    def _start(self) -> None:
        if self._threads:
            return
        with self._lock:
            if self._threads:
                return
            for i, q in enumerate(self._queues):
                t = threading.Thread(target=self._run, args=(q,), name=f"{self.name}-worker-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    def submit(self, key: str, job: Any) -> bool:
        """Queue `job` on the worker of `key`; False when closed or that queue is full."""
        if self._closed:
            return False
        self._start()
        q = self._queues[zlib.crc32(key.encode("utf-8")) % self.workers]
        try:
            q.put_nowait(job)
            return True
        except queue.Full:
            return False

    def pending(self) -> int:
        return sum(q.qsize() for q in self._queues)

    def _run(self, q: queue.Queue) -> None:
        while True:
            job = q.get()
            try:
                if job is _STOP:
                    return
                self._handle(job)
            except Exception:  # noqa: BLE001 - one bad job must not stop the worker
                log.exception("%s: a queued job failed", self.name)
            finally:
                q.task_done()

    def drain(self, timeout_s: float = 10.0) -> int:
        """Stop taking jobs, finish the queued ones within `timeout_s`; the number left over
        (logged) is returned."""
        self._closed = True
        if not self._threads:
            return 0
        deadline = time.monotonic() + max(0.0, timeout_s)
        for q in self._queues:
            try:
                q.put(_STOP, timeout=max(0.01, deadline - time.monotonic()))
            except queue.Full:
                pass
        for t in self._threads:
            t.join(timeout=max(0.01, deadline - time.monotonic()))
        left = sum(1 for q in self._queues for j in list(q.queue) if j is not _STOP)
        left += sum(1 for t in self._threads if t.is_alive())  # a job still being answered
        if left:
            log.error("%s: %d message(s) were not answered before shutdown", self.name, left)
        return left
