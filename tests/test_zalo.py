"""The Zalo bot and Official Account, over real HTTP: a fake of both Zalo APIs (evals/zalo_fake.py)
on loopback, real `hoidap serve` processes receiving real webhook POSTs (on SQLite, and two of
them sharing one PostgreSQL), and `hoidap zalo …` as subprocesses. Nothing of ours is patched.

Replies are awaited through the fake. "Exactly one reply" is checked with a sentinel: messages
of one chat are answered in order by one worker, so once the reply to a later `/help` arrived,
every earlier delivery has been dealt with."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import PROJECT_ROOT
from evals.zalo_fake import FakeZalo
from hoidap.bot import HELP, MAX_MESSAGE, NOT_TEXT, SLOW_DOWN, short_source, split_message
from hoidap.schema import Citation
from pg_server import postgres_url  # noqa: F401  (session fixture)
from server_proc import Server, clean_env, copy_index, running_servers

BOT_TOKEN = "1459232241454765289:zalo-bot-token-for-tests"
BOT_SECRET = "webhook-secret-for-tests-0123"
APP_ID = "3210987654321"
OA_SECRET = "oa-secret-key-for-tests-xyz"
APP_SECRET = "app-secret-key-for-tests-abc"
ACCESS0, REFRESH0 = "oa-access-token-initial-000", "oa-refresh-token-initial-000"
SECRETS = (BOT_TOKEN, BOT_SECRET, OA_SECRET, APP_SECRET, ACCESS0, REFRESH0)
Q_YEN_BAI = "Thời hạn báo cáo kết quả ở Yên Bái là khi nào?"


def _fake(**kw) -> FakeZalo:
    return FakeZalo(bot_token=BOT_TOKEN, oa_app_id=APP_ID, oa_app_secret=APP_SECRET, oa_access_token=ACCESS0,
                    oa_refresh_token=REFRESH0, **kw)


def zalo_env(fake: FakeZalo, **extra) -> dict:
    env = {
        "HOIDAP_ZALO_BOT_TOKEN": BOT_TOKEN, "HOIDAP_ZALO_BOT_SECRET": BOT_SECRET,
        "HOIDAP_ZALO_BOT_API_BASE": fake.url,
        "HOIDAP_ZALO_OA_APP_ID": APP_ID, "HOIDAP_ZALO_OA_SECRET_KEY": OA_SECRET, "HOIDAP_ZALO_OA_APP_SECRET": APP_SECRET,
        "HOIDAP_ZALO_OA_ACCESS_TOKEN": ACCESS0, "HOIDAP_ZALO_OA_REFRESH_TOKEN": REFRESH0,
        "HOIDAP_ZALO_OA_API_BASE": fake.url, "HOIDAP_ZALO_OA_OAUTH_BASE": fake.url,
        "HOIDAP_ZALO_RATE_LIMIT_PER_MINUTE": "12", "HOIDAP_ZALO_RETRY_BASE_S": "0.05", "HOIDAP_ZALO_SEND_ATTEMPTS": "3",
        "HOIDAP_RATE_LIMIT_PER_MINUTE": "0",
    }
    env.update(extra)
    return env


# --- what Zalo sends ---------------------------------------------------------------------------------------
def chat() -> str:
    return uuid.uuid4().hex[:20]


def bot_update(chat_id: str, text: str | None = None, event: str = "message.text.received", msg_id: str | None = None,
               is_bot: bool = False, **content) -> dict:
    message = {"message_id": msg_id or uuid.uuid4().hex[:20], "date": int(time.time() * 1000),
               "from": {"id": chat_id, "display_name": "Cán bộ", "is_bot": is_bot},
               "chat": {"id": chat_id, "chat_type": "PRIVATE"}}
    if text is not None:
        message["text"] = text
    message.update(content)
    return {"event_name": event, "message": message}


def post_bot(url: str, update: dict, secret: str | None = BOT_SECRET) -> httpx.Response:
    headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(f"{url}/zalo/bot", json=update, headers=headers, timeout=30)


def oa_body(user: str, text: str, msg_id: str | None = None, ts_ms: int | None = None, app_id: str = APP_ID,
            event: str = "user_send_text") -> bytes:
    body = {"app_id": app_id, "user_id_by_app": "u" + user, "event_name": event, "sender": {"id": user},
            "recipient": {"id": "579745863508352884"}, "message": {"msg_id": msg_id or uuid.uuid4().hex, "text": text},
            "timestamp": str(ts_ms if ts_ms is not None else int(time.time() * 1000))}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def mac(raw: bytes, secret: str = OA_SECRET) -> str:
    """Zalo's signature, written out here from the documentation (not with our function)."""
    body = json.loads(raw)
    return "mac=" + hashlib.sha256(body["app_id"].encode() + raw + body["timestamp"].encode() + secret.encode()).hexdigest()


def post_oa(url: str, raw: bytes, signature: str | None = None) -> httpx.Response:
    sig = signature if signature is not None else mac(raw)
    return httpx.post(f"{url}/zalo/oa", content=raw, timeout=30,
                      headers={"Content-Type": "application/json", "X-ZEvent-Signature": sig})


def texts(fake: FakeZalo, chat_id: str) -> list[str]:
    return [m.text for m in fake.messages(chat_id)]


def settle(fake: FakeZalo, url: str, chat_id: str) -> list[str]:
    """Every reply for `chat_id` once all earlier deliveries were dealt with (see the module
    docstring), without the sentinel's own reply."""
    before = len(fake.messages(chat_id))
    assert post_bot(url, bot_update(chat_id, "/help")).status_code == 200

    def done() -> bool:
        mine = [m.text for m in fake.by_chat.get(chat_id, [])]
        return len(mine) > before and mine[-1] == HELP

    assert fake.wait_for(done, 90), texts(fake, chat_id)
    return texts(fake, chat_id)[:-1]


def wait_log(server: Server, needle: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log(tail=200_000)
        if needle in log:
            return log
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not in the server log:\n{server.log()}")


def parts_in_order(messages: list[str]) -> list[str]:
    """Several parts carry (k/n) in order; returns the bodies."""
    n = len(messages)
    bodies = []
    for k, m in enumerate(messages, 1):
        assert len(m) <= MAX_MESSAGE, len(m)
        assert m.endswith(f"({k}/{n})"), m[-40:]
        bodies.append(m.rsplit("\n", 1)[0])
    return bodies


# --- pure formatting -------------------------------------------------------------------------------------------
def test_split_message_cuts_at_boundaries_and_numbers_parts():
    sentences = " ".join(f"Câu thứ {i} nói về việc học tập tác phẩm [1]." for i in range(200))
    listing = "\n".join(f"- Nhiệm vụ {i}: tuyên truyền sâu rộng" for i in range(150))
    parts = split_message(f"{sentences}\n\n{listing}")
    assert len(parts) >= 4
    bodies = parts_in_order(parts)
    for b in bodies:  # each ends at a sentence or a line, never inside a word or before its [n]
        assert re.search(r"(\[1\]\.|rộng)$", b), b[-30:]
    assert " ".join(bodies).replace("\n", " ").split() == f"{sentences}\n\n{listing}".replace("\n", " ").split()
    assert split_message("ngắn") == ["ngắn"] and split_message("  ") == []
    assert all(len(p) <= 50 for p in split_message("x" * 500, 50))  # one endless word: cut anyway


def test_short_source_is_compact():
    c = Citation(marker=1, title="Kế hoạch 205-KH/TU của Ban Thường vụ Thành ủy Yên Bái: Triển khai…", kind="Kế hoạch",
                 issuer="Ban Thường vụ Thành ủy Yên Bái", number="205-KH/TU",
                 heading="II. NỘI DUNG › 1. Những nội dung cốt lõi › 1.1. Phần thứ nhất", passage="…", span=(0, 1),
                 doc_id="d", chunk_id="d#1")
    assert short_source(c) == "KH 205-KH/TU, Thành ủy Yên Bái, mục II.1.1"
    c2 = c.model_copy(update={"number": "/KH-SKHCN", "issuer": "Sở Khoa học và Công nghệ tỉnh Điện Biên",
                              "heading": "Mở đầu", "page": 3})
    assert short_source(c2) == "Kế hoạch, Sở KH&CN tỉnh Điện Biên, mục Mở đầu, tr. 3"


def test_webhooks_are_off_until_configured(corpus_index, tmp_path):
    from fastapi.testclient import TestClient

    from hoidap.settings import Settings
    from ui.server import create_app

    index = copy_index(corpus_index.index_dir, tmp_path / "index")
    settings = Settings(index_dir=index, zalo_bot_token=None, zalo_bot_secret=None, zalo_oa_app_id=None,
                        zalo_oa_secret_key=None)
    with TestClient(create_app(settings)) as client:
        for path in ("/zalo/bot", "/zalo/oa"):
            r = client.post(path, json={}, headers={"X-Bot-Api-Secret-Token": "x" * 10})
            assert r.status_code == 404 and "chưa bật" in r.json()["error"]["message"]


def test_the_worker_pool_is_bounded_and_keeps_a_chats_order():
    import zlib

    from hoidap.bot import Dispatcher

    started, release, done = threading.Event(), threading.Event(), []

    def work(job):
        started.set()
        release.wait(10)
        done.append(job)

    pool = Dispatcher(work, workers=2, queue_size=4)  # two workers, two waiting jobs each
    a, b = "chat-a", next(k for k in ("chat-b", "chat-c", "chat-d", "chat-e")
                          if zlib.crc32(k.encode()) % 2 != zlib.crc32(b"chat-a") % 2)
    assert pool.submit(a, ("a", 0)) and started.wait(5)  # being answered
    assert [pool.submit(a, ("a", i)) for i in range(1, 5)] == [True, True, False, False]  # its queue is full
    assert pool.submit(b, ("b", 0))  # another chat on the other worker
    release.set()
    assert pool.drain(10) == 0
    assert [j for j in done if j[0] == "a"] == [("a", 0), ("a", 1), ("a", 2)]  # in order
    assert ("b", 0) in done and not pool.submit(a, ("a", 9))  # closed after draining


# --- one server on SQLite ----------------------------------------------------------------------------------------
class Site:
    def __init__(self, index: Path, env: dict, fake: FakeZalo) -> None:
        self.index, self.env, self.fake = index, env, fake
        self.logs: list[Path] = []
        self.server: Server | None = None

    def start(self) -> None:
        log = self.index.parent / f"server-{len(self.logs)}.log"
        self.logs.append(log)
        self.server = Server(self.index, clean_env(self.env), log)
        self.server.wait_ready(180)

    def restart(self) -> None:
        self.server.stop()
        self.start()

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def fake():
    with _fake() as f:
        yield f


@pytest.fixture(scope="module")
def site(corpus_index, tmp_path_factory, fake, request):
    root = tmp_path_factory.mktemp("zalo")
    s = Site(copy_index(corpus_index.index_dir, root / "index"), zalo_env(fake), fake)
    failed = request.session.testsfailed
    s.start()
    try:
        yield s
    finally:
        s.server.stop()
        if request.session.testsfailed > failed:
            for log in s.logs:
                print(f"\n----- {log} -----\n{log.read_text(errors='replace')[-6000:]}", file=sys.stderr)


def test_bot_webhook_rejects_a_wrong_or_missing_secret(site, fake):
    c = chat()
    for secret in ("wrong-secret-123", None, BOT_SECRET[:-1], ""):
        r = post_bot(site.url, bot_update(c, "Tác phẩm gồm mấy phần?"), secret)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["status"] == 401
    r = httpx.get(f"{site.url}/zalo/bot")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = httpx.post(f"{site.url}/zalo/bot", content=b"{not json", headers={"X-Bot-Api-Secret-Token": BOT_SECRET})
    assert r.status_code == 400
    time.sleep(0.5)
    assert texts(fake, c) == []


def test_oa_webhook_rejects_bad_signatures_and_stale_events(site, fake):
    user = chat()
    raw = oa_body(user, "Tác phẩm gồm mấy phần?")
    hmac_like = "mac=" + hashlib.sha256(raw).hexdigest()
    for sig in (hmac_like, "", mac(raw, "another-secret"), mac(raw).upper(), "mac=" + "0" * 64):
        assert post_oa(site.url, raw, sig).status_code == 401, sig
    stale = oa_body(user, "Tác phẩm gồm mấy phần?", ts_ms=int((time.time() - 3600) * 1000))
    assert post_oa(site.url, stale).status_code == 401  # correctly signed, an hour old
    other_app = oa_body(user, "Tác phẩm gồm mấy phần?", app_id="999")
    assert post_oa(site.url, other_app).status_code == 401
    tampered = raw.replace("mấy phần".encode(), "bao nhiêu phần".encode())
    assert post_oa(site.url, tampered, mac(raw)).status_code == 401
    wait_log(site.server, "the signature does not match")
    time.sleep(0.5)
    assert texts(fake, user) == []


def test_a_question_gets_one_reply_with_the_answer_and_sources(site, fake):
    c = chat()
    t0 = time.monotonic()
    r = post_bot(site.url, bot_update(c, Q_YEN_BAI))
    ack = time.monotonic() - t0
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert ack < 2.0  # acknowledged at once; the answer comes later
    replies = fake.wait_messages(c, 1)
    assert len(replies) == 1
    text = replies[0].text
    assert "15/6/2023" in text and "[1]" in text
    answer, sources = text.split("\n\nNguồn:\n")
    assert re.search(r"^\[1\] KH 205-KH/TU, Thành ủy Yên Bái, mục [IVX]+(\.\d+)*", sources), sources
    assert "/nguon 1" in sources
    typing = [x for x in fake.calls_of("sendChatAction") if x.body.get("chat_id") == c]
    assert typing and typing[0].body["action"] == "typing" and typing[0].seq < replies[0].seq
    assert settle(fake, site.url, c) == [text]


def test_the_same_event_twice_gets_one_reply(site, fake):
    c = chat()
    update = bot_update(c, "Ai ký Kế hoạch 205-KH/TU?")
    assert post_bot(site.url, update).status_code == 200
    assert post_bot(site.url, update).status_code == 200  # Zalo retries
    enveloped = {"ok": True, "result": update}  # the same update in the envelope some senders use
    with_threads = [threading.Thread(target=post_bot, args=(site.url, enveloped)) for _ in range(4)]
    for t in with_threads:
        t.start()
    for t in with_threads:
        t.join()
    replies = settle(fake, site.url, c)
    assert len(replies) == 1 and "Đỗ Văn Nghị" in replies[0]


def test_images_stickers_and_other_messages_get_a_note(site, fake):
    c = chat()
    post_bot(site.url, bot_update(c, event="message.image.received", photo="https://f.zalo/x.jpg", caption="xem ảnh"))
    post_bot(site.url, bot_update(c, event="message.sticker.received", sticker="0e078a2fb66a5f34067b"))
    post_bot(site.url, bot_update(c, event="message.unsupported.received"))
    post_bot(site.url, bot_update(c, "Tác phẩm gồm mấy phần?", is_bot=True))  # from a bot: ignored
    post_bot(site.url, {"event_name": "message.reaction.received", "message": {}})  # unknown event: ignored
    replies = settle(fake, site.url, c)
    assert replies == [NOT_TEXT] * 3
    assert "chỉ hiểu câu hỏi gõ bằng chữ" in NOT_TEXT


def test_start_help_and_documents(site, fake):
    c = chat()
    post_bot(site.url, bot_update(c, "/start"))
    post_bot(site.url, bot_update(c, "/tailieu"))
    post_bot(site.url, bot_update(c, "/khonglenh"))
    replies = settle(fake, site.url, c)
    assert replies[0] == HELP and "/nguon" in HELP and "Tác phẩm gồm mấy phần?" in HELP
    assert replies[1].startswith("Tôi trả lời dựa trên 6 tài liệu") and "Kế hoạch 205-KH/TU" in replies[1]
    assert "/help" in replies[2]


def test_nguon_shows_the_full_passage_and_moi_forgets(site, fake):
    c = chat()
    post_bot(site.url, bot_update(c, "/nguon 1"))  # nothing asked yet
    post_bot(site.url, bot_update(c, Q_YEN_BAI))
    post_bot(site.url, bot_update(c, "/nguon 1"))
    post_bot(site.url, bot_update(c, "/nguồn 7"))
    post_bot(site.url, bot_update(c, "/nguon"))
    post_bot(site.url, bot_update(c, "/moi"))
    post_bot(site.url, bot_update(c, "/nguon 1"))
    none_yet, answer, passage, out_of_range, usage, fresh, forgotten = settle(fake, site.url, c)
    assert "Chưa có câu trả lời" in none_yet
    assert passage.startswith("[1] KH 205-KH/TU, Thành ủy Yên Bái")
    quoted = passage.split("“", 1)[1]
    assert "15/6/2023" in quoted and len(quoted) > len(answer.split("\n\n")[0])  # the whole passage, not the quote
    assert "chỉ có nguồn [1]" in out_of_range
    assert "/nguon 1" in usage
    assert "cuộc trò chuyện mới" in fresh
    assert "Chưa có câu trả lời" in forgotten


def test_a_follow_up_uses_the_conversation(site, fake):
    c = chat()
    post_bot(site.url, bot_update(c, Q_YEN_BAI))
    post_bot(site.url, bot_update(c, "Còn ở huyện thì sao?"))
    first, follow_up = settle(fake, site.url, c)
    assert "15/6/2023" in first
    assert "01/11" in follow_up and "Huyện ủy" in follow_up, follow_up
    alone = chat()  # the same words without the conversation are not about the plans' deadlines
    post_bot(site.url, bot_update(alone, "Còn ở huyện thì sao?"))
    assert "01/11" not in settle(fake, site.url, alone)[0]


def test_a_user_sending_too_fast_is_asked_to_wait(site, fake):
    if time.time() % 60 > 50:  # the limit counts per clock minute: not at its very end
        time.sleep(61 - time.time() % 60)
    c = chat()
    for _ in range(15):
        assert post_bot(site.url, bot_update(c, "/tailieu")).status_code == 200
    fake.wait_messages(c, 13)
    time.sleep(1.0)
    replies = texts(fake, c)
    assert len(replies) == 13 and replies[-1] == SLOW_DOWN  # 12 answers, one polite notice, then silence
    assert all(r.startswith("Tôi trả lời dựa trên") for r in replies[:12])


def test_failed_sends_are_retried_then_logged(site, fake):
    c = chat()
    fake.fail_next("sendMessage", times=2, status=502)
    post_bot(site.url, bot_update(c, "/tailieu"))
    assert len(fake.wait_messages(c, 1)) == 1  # third attempt
    attempts = [x for x in fake.calls_of("sendMessage") if x.body.get("chat_id") == c]
    assert [x.status for x in attempts] == [502, 502, 200]
    wait_log(site.server, "sending failed (attempt 2 of 3)")

    lost = chat()
    fake.fail_next("sendMessage", times=3, status=500)
    post_bot(site.url, bot_update(lost, "/tailieu"))
    log = wait_log(site.server, "could not deliver part 1/1 of the reply")
    assert "after 3 attempt(s)" in log and lost not in log  # chats are named by a hash only
    fake.fail_next("sendMessage", times=1, status=400,
                   body={"ok": False, "error_code": 400, "description": "text must be 1 to 2000 characters"})
    permanent = chat()
    post_bot(site.url, bot_update(permanent, "/tailieu"))
    wait_log(site.server, "after 1 attempt(s): Zalo bot error 400")  # not retried: it would fail again
    assert texts(fake, lost) == [] and texts(fake, permanent) == []


def test_oa_messages_are_answered_and_errors_explained(site, fake):
    user = chat()
    r = post_oa(site.url, oa_body(user, "Ai ký Kế hoạch 205-KH/TU?"))
    assert r.status_code == 200
    replies = fake.wait_messages(user, 1, api="oa")
    assert len(replies) == 1 and "Đỗ Văn Nghị" in replies[0].text and replies[0].token == fake.oa_access
    raw = oa_body(user, "Ai ký Kế hoạch 205-KH/TU?")
    post_oa(site.url, raw)
    post_oa(site.url, raw)  # a retried event
    post_oa(site.url, oa_body(user, "", event="user_send_sticker"))
    fake.wait_messages(user, 3, api="oa")
    time.sleep(1.0)
    assert [m.text for m in fake.messages(user)][1:] == [replies[0].text, NOT_TEXT]

    stranger = chat()
    fake.not_following.add(stranger)
    post_oa(site.url, oa_body(stranger, "Tác phẩm gồm mấy phần?"))
    wait_log(site.server, "the user does not follow the Official Account")


def test_oa_token_is_refreshed_and_the_rotated_refresh_token_used_next(site, fake):
    uses = len(fake.refresh_uses)
    for round_ in (1, 2):
        expired = fake.expire_access_token()
        user = chat()
        post_oa(site.url, oa_body(user, "Tác phẩm gồm mấy phần?"))
        replies = fake.wait_messages(user, 1, api="oa")
        assert len(replies) == 1 and replies[0].token == fake.oa_access != expired
    # First the deployer's refresh token, then the one Zalo returned with the first refresh.
    assert fake.refresh_uses[uses:] == [REFRESH0, "ref-1"]

    # A token that expires within the hour is refreshed before use, without waiting for an error.
    fake.expires_in = "1800"
    fake.expire_access_token()
    first = chat()
    post_oa(site.url, oa_body(first, "Tác phẩm gồm mấy phần?"))
    assert fake.wait_for(lambda: fake.refresh_uses[uses:] == [REFRESH0, "ref-1", "ref-2"])
    fake.wait_messages(first, 1, api="oa")  # its rejected send and the resend are both done before counting
    fake.expires_in = "90000"
    rejected = len([c for c in fake.calls_of("oa.send") if c.answer.get("error") == -216])
    user = chat()
    post_oa(site.url, oa_body(user, "Tác phẩm gồm mấy phần?"))
    assert fake.wait_messages(user, 1, api="oa")[0].token == "acc-4"
    assert fake.refresh_uses[uses:] == [REFRESH0, "ref-1", "ref-2", "ref-3"]
    assert len([c for c in fake.calls_of("oa.send") if c.answer.get("error") == -216]) == rejected  # no error first


def test_restart_between_two_deliveries_gets_one_reply(site, fake):
    c = chat()
    update = bot_update(c, "Tác phẩm gồm mấy phần?")
    post_bot(site.url, update)
    assert len(fake.wait_messages(c, 1)) == 1
    site.restart()
    assert post_bot(site.url, update).status_code == 200  # Zalo delivers it again after the restart
    assert len(settle(fake, site.url, c)) == 1
    # The OA token pair survived the restart too: the newest one is used, no refresh needed.
    uses, user = len(fake.refresh_uses), chat()
    post_oa(site.url, oa_body(user, "Tác phẩm gồm mấy phần?"))
    replies = fake.wait_messages(user, 1, api="oa")
    assert len(replies) == 1 and replies[0].token == fake.oa_access and len(fake.refresh_uses) == uses


def test_a_refused_refresh_token_is_explained_and_not_asked_again(site, fake):
    fake.expire_access_token()
    fake.oa_refresh = "ref-spent-by-another-deployment"  # ours is no longer valid
    uses = len(fake.refresh_uses)
    users = [chat(), chat()]
    for u in users:
        post_oa(site.url, oa_body(u, "Tác phẩm gồm mấy phần?"))
    log = wait_log(site.server, "Authorise the app again")
    assert "-14014" in log
    deadline = time.monotonic() + 20
    while log.count("could not deliver part 1/1") < 2 and time.monotonic() < deadline:  # this log began at the restart
        time.sleep(0.2)
        log = site.server.log(tail=200_000)
    assert log.count("could not deliver part 1/1") == 2
    assert len(fake.refresh_uses) == uses + 1  # Zalo was asked once; the second message did not ask again
    assert all(texts(fake, u) == [] for u in users)


def test_secrets_and_tokens_never_reach_the_logs(site, fake):
    rotated = [f"acc-{n}" for n in range(1, 6)] + [f"ref-{n}" for n in range(1, 6)]
    for log in site.logs:
        text = log.read_text(errors="replace")
        for secret in (*SECRETS, *rotated):
            assert secret not in text, (secret, log)


# --- two servers sharing one PostgreSQL, answers long enough for several messages -----------------------------------
@pytest.fixture(scope="module")
def pair(postgres_url, corpus_index, tmp_path_factory, request):  # noqa: F811
    from sqlalchemy import create_engine, text

    schema = f"zalo_{uuid.uuid4().hex[:10]}"
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    root = tmp_path_factory.mktemp("zalo-pg")
    index = copy_index(corpus_index.index_dir, root / "index")
    try:
        with _fake() as f:
            env = zalo_env(f, HOIDAP_STATE_URL=f"{postgres_url}?options=-csearch_path%3D{schema}",
                           HOIDAP_LLM_BASE_URL=f"{f.url}/v1", HOIDAP_LLM_MODEL="fake-long")
            with running_servers([(index, env), (index, env)], request) as (a, b):
                yield f, a, b
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _long_reply(f: FakeZalo, chat_id: str, api: str | None = None) -> list[str]:
    assert f.wait_for(lambda: any(m.chat_id == chat_id and re.search(r"\((\d+)/\1\)$", m.text) for m in f.sent), 90)
    time.sleep(2.0)  # a second server that wrongly answered too would have started by now
    return [m.text for m in f.messages(chat_id, api)]


def test_a_long_answer_arrives_as_several_ordered_messages(pair):
    f, a, _b = pair
    c = chat()
    post_bot(a.url, bot_update(c, "Tác phẩm có những giá trị gì?"))
    messages = _long_reply(f, c)
    assert len(messages) >= 3
    bodies = parts_in_order(messages)
    numbers = [int(n) for n in re.findall(r"Ý (\d\d):", "\n".join(bodies))]
    assert numbers == list(range(1, f.long_sentences + 1))  # every sentence once, in order
    assert "Nguồn:\n[1] " in bodies[-1]


def test_the_same_event_to_two_servers_gets_one_reply(pair):
    f, a, b = pair
    c = chat()
    update = bot_update(c, "Tác phẩm có những giá trị gì?")
    threads = [threading.Thread(target=post_bot, args=(s.url, update)) for s in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    messages = _long_reply(f, c)
    parts_in_order(messages)  # one reply: exactly 1/n … n/n, no part twice


def test_two_servers_share_the_rotating_oa_tokens(pair):
    f, a, b = pair
    f.expire_access_token()
    u1 = chat()
    post_oa(a.url, oa_body(u1, "Tác phẩm có những giá trị gì?"))
    assert _long_reply(f, u1, "oa")
    assert f.refresh_uses == [REFRESH0]
    # The next refresh happens on the other server: it must spend the token the first one stored.
    f.expire_access_token()
    u2 = chat()
    post_oa(b.url, oa_body(u2, "Tác phẩm có những giá trị gì?"))
    assert _long_reply(f, u2, "oa")
    assert f.refresh_uses == [REFRESH0, "ref-1"]
    # Both at once: one of them refreshes, the other waits for the pair it stores.
    f.expire_access_token()
    users = [chat(), chat()]
    threads = [threading.Thread(target=post_oa, args=(s.url, oa_body(u, "Tác phẩm có những giá trị gì?")))
               for s, u in zip((a, b), users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for u in users:
        assert _long_reply(f, u, "oa")
        assert {m.token for m in f.messages(u)} == {"acc-3"}
    assert f.refresh_uses == [REFRESH0, "ref-1", "ref-2"]


# --- the command line: webhook set-up and polling ---------------------------------------------------------------------
def zalo_cli(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hoidap.cli", "zalo", *args], capture_output=True, text=True,
                          env=clean_env(env), cwd=PROJECT_ROOT, timeout=timeout)


@pytest.fixture
def fake_bot():
    with _fake() as f:
        yield f


def test_set_webhook_checks_before_calling_zalo(fake_bot):
    env = zalo_env(fake_bot)
    r = zalo_cli("set-webhook", "http://example.vn/zalo/bot", env=env)
    assert r.returncode == 2 and "https" in r.stderr
    r = zalo_cli("set-webhook", "https://example.vn/zalo/bot", env={**env, "HOIDAP_ZALO_BOT_SECRET": "short"})
    assert r.returncode == 2 and "8 to 256" in r.stderr
    r = zalo_cli("set-webhook", "https://example.vn/zalo/bot", env={**env, "HOIDAP_ZALO_BOT_SECRET": "x" * 257})
    assert r.returncode == 2
    assert fake_bot.calls_of("setWebhook") == []  # nothing reached Zalo

    r = zalo_cli("set-webhook", "https://hoidap.example.vn/zalo/bot", env=env)
    assert r.returncode == 0, r.stderr
    assert fake_bot.webhook["url"] == "https://hoidap.example.vn/zalo/bot"
    assert fake_bot.webhook["secret_token"] == BOT_SECRET
    assert BOT_SECRET not in r.stdout + r.stderr and BOT_TOKEN not in r.stdout + r.stderr
    r = zalo_cli("webhook-info", env=env)
    assert r.returncode == 0 and "https://hoidap.example.vn/zalo/bot" in r.stdout

    r = zalo_cli("poll", "--seconds", "5", env=env)  # Zalo delivers to one or the other
    assert r.returncode == 2 and "delete-webhook" in r.stderr
    assert fake_bot.calls_of("getUpdates") == []

    r = zalo_cli("delete-webhook", env=env)
    assert r.returncode == 0 and fake_bot.webhook is None
    r = zalo_cli("webhook-info", env=env)
    assert "no webhook" in r.stdout
    r = zalo_cli("webhook-info", env={**env, "HOIDAP_ZALO_BOT_TOKEN": "999:wrong"})
    assert r.returncode == 1 and "401" in r.stderr and "999:wrong" not in r.stderr


def test_poll_answers_messages_without_a_webhook(fake_bot, corpus_index, tmp_path):
    index = copy_index(corpus_index.index_dir, tmp_path / "index")
    c = chat()
    cmd = [sys.executable, "-m", "hoidap.cli", "zalo", "poll", "--index", str(index), "--timeout", "1",
           "--max-updates", "3", "--seconds", "90"]
    proc = subprocess.Popen(cmd, env=clean_env(zalo_env(fake_bot)), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert fake_bot.wait_for(lambda: fake_bot.empty_polls >= 1, 90)  # polling, nothing new yet (408)
        fake_bot.queue_update(bot_update(c, Q_YEN_BAI))
        fake_bot.queue_update({"ok": True, "result": bot_update(c, event="message.sticker.received", sticker="abc")})
        fake_bot.queue_update(bot_update(c, "Còn ở huyện thì sao?"))
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped after 3 update(s)" in out
    replies = texts(fake_bot, c)
    assert len(replies) == 3, replies
    assert "15/6/2023" in replies[0] and replies[1] == NOT_TEXT and "01/11" in replies[2]
    assert BOT_TOKEN not in out
