"""The Zalo webhook load run of `hoidap bench`: simulated users send questions through the bot
webhook of a real `hoidap serve` process, whose replies go to the fake Zalo (evals/zalo_fake.py)
in this process, so the time from a user's message to its answer's last message is measured on
one clock.

Each user asks, waits for the answer, asks the next question (no think time); every
`redeliver_every`-th message is delivered twice, as Zalo does when an acknowledgement is late.
Checked: every message answered exactly once (answers counted per chat: a message without a
part number, or the last part "(n/n)"), no acknowledgement other than 200, every message ≤ 2,000
characters. Measured: webhook acknowledgement and answer delivery latencies."""
from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from hoidap.settings import Settings

BOT_TOKEN = "1000000000000000001:bench-bot-token"
BOT_SECRET = "bench-webhook-secret-0000"
_LAST_PART = re.compile(r"\n\((\d+)/(\d+)\)$")


def _is_answer_end(text: str) -> bool:
    m = _LAST_PART.search(text)
    return m is None or m.group(1) == m.group(2)


def _zalo_server(index_dir: Path, api_base: str, log_path: Path):
    """`hoidap serve` (see evals.bench._Server) with the bot webhook pointed at the fake, no
    rate limits, extractive."""
    from evals.bench import _Server

    return _Server(index_dir, log_path, env={
        "HOIDAP_ZALO_RATE_LIMIT_PER_MINUTE": "0", "HOIDAP_LLM_BASE_URL": "", "HOIDAP_ZALO_BOT_TOKEN": BOT_TOKEN,
        "HOIDAP_ZALO_BOT_SECRET": BOT_SECRET, "HOIDAP_ZALO_BOT_API_BASE": api_base,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})


def _update(chat_id: str, text: str) -> dict:
    return {"event_name": "message.text.received",
            "message": {"message_id": uuid.uuid4().hex[:20], "date": int(time.time() * 1000), "text": text,
                        "from": {"id": chat_id, "display_name": "Người dùng thử", "is_bot": False},
                        "chat": {"id": chat_id, "chat_type": "PRIVATE"}}}


def run_zalo_load(settings: Settings, users: int = 50, questions_per_user: int = 10, index_dir: Path | None = None,
                  redeliver_every: int = 5, answer_timeout_s: float = 120.0) -> dict:
    import httpx

    from evals.bench import _cli, _proc_status, percentiles
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
    from evals.zalo_fake import FakeZalo
    from hoidap.bot import MAX_MESSAGE

    questions = [q.question for q in load_questions(DEFAULT_QUESTIONS) if not q.history]
    work = Path(tempfile.mkdtemp(prefix="hoidap-zalo-load-"))
    out: dict = {"users": users, "questions_per_user": questions_per_user, "redeliver_every": redeliver_every}
    if index_dir is None and (Path(settings.index_dir) / "CURRENT").is_file():
        index_dir = Path(settings.index_dir)  # the index `hoidap serve` would use (copied below)
    try:
        if index_dir is None:
            index_dir = work / "corpus"
            out["ingest_s"] = round(_cli("ingest", str(settings.data_dir), "--index", str(index_dir), "--quiet"), 2)
        else:  # a private copy: the server writes its state beside the index
            shutil.copytree(index_dir, work / "corpus", ignore=shutil.ignore_patterns("state.sqlite*", ".lock"))
            index_dir = work / "corpus"
        with FakeZalo(bot_token=BOT_TOKEN) as fake, _zalo_server(index_dir, fake.url, work / "server.log") as server:
            hook = server.url + "/zalo/bot"
            headers = {"X-Bot-Api-Secret-Token": BOT_SECRET}
            acks: list[float] = []
            deliveries: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            start = threading.Barrier(users + 1, timeout=120)

            def answers(chat_id: str) -> int:
                return sum(1 for m in fake.by_chat.get(chat_id, []) if _is_answer_end(m.text))

            def post(client, update) -> float | None:
                t0 = time.perf_counter()
                try:
                    r = client.post(hook, json=update, headers=headers)
                except httpx.HTTPError as e:
                    with lock:
                        errors.append(f"ack {type(e).__name__}")
                    return None
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    acks.append(ms)
                    if r.status_code != 200:
                        errors.append(f"ack HTTP {r.status_code}")
                return ms

            def user(i: int) -> None:
                chat_id = f"bench-user-{i:03d}-{uuid.uuid4().hex[:6]}"
                with httpx.Client(timeout=30, trust_env=False) as client:
                    start.wait()
                    for k in range(questions_per_user):
                        update = _update(chat_id, questions[(i * questions_per_user + k) % len(questions)])
                        sent_at = time.monotonic()
                        post(client, update)
                        if redeliver_every and (i * questions_per_user + k) % redeliver_every == 0:
                            post(client, update)  # Zalo retries: must not be answered twice
                        done = fake.wait_for(lambda: answers(chat_id) >= k + 1, answer_timeout_s)
                        if not done:
                            with lock:
                                errors.append("no answer in time")
                            return
                        ends = [m for m in fake.by_chat[chat_id] if _is_answer_end(m.text)]
                        with lock:
                            deliveries.append((ends[k].at - sent_at) * 1000)

            # Warm up the server (first questions open caches) with one user of its own.
            with httpx.Client(timeout=30, trust_env=False) as client:
                warm = f"bench-warmup-{uuid.uuid4().hex[:6]}"
                for n, q in enumerate(questions[:5], 1):
                    client.post(hook, json=_update(warm, q), headers=headers)
                    fake.wait_for(lambda: answers(warm) >= n, answer_timeout_s)
            threads = [threading.Thread(target=user, args=(i,), name=f"zalo-user-{i}", daemon=True) for i in range(users)]
            for t in threads:
                t.start()
            t0 = time.perf_counter()
            start.wait()
            for t in threads:
                t.join(timeout=answer_timeout_s * questions_per_user + 60)
            wall = time.perf_counter() - t0
            time.sleep(3.0)  # anything answered twice would have arrived by now
            chats = [c for c in fake.by_chat if c.startswith("bench-user-")]
            per_chat = [answers(c) for c in chats]
            too_long = sum(1 for m in fake.sent if len(m.text) > MAX_MESSAGE)
            status = _proc_status(server.proc.pid)
            sent = users * questions_per_user
            out.update({
                "messages": sent,
                "webhook_posts": len(acks),
                "answers": sum(per_chat),
                "answered_exactly_once": len(chats) == users and all(n == questions_per_user for n in per_chat),
                "answered_twice": sum(max(0, n - questions_per_user) for n in per_chat),
                "unanswered": sum(max(0, questions_per_user - n) for n in per_chat) + (users - len(chats)) * questions_per_user,
                "reply_messages": sum(len(fake.by_chat[c]) for c in chats),
                "messages_over_2000_chars": too_long,
                "errors": len(errors), "error_kinds": {e: errors.count(e) for e in set(errors)},
                "wall_s": round(wall, 1), "answers_per_s": round(sum(per_chat) / wall, 2) if wall else None,
                "ack": percentiles(acks, more=True), "delivery": percentiles(deliveries, more=True),
                "server_peak_rss_mb": status.get("VmHWM"),
            })
            if errors or not out["answered_exactly_once"]:
                out["server_log_tail"] = (work / "server.log").read_text(errors="replace")[-3000:]
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def zalo_rows(z: dict) -> list[tuple[str, str, str]]:
    once = "every message answered exactly once" if z["answered_exactly_once"] else (
        f"{z['unanswered']} unanswered, {z['answered_twice']} answered twice")
    return [
        (f"Zalo webhook: {z['users']} users × {z['questions_per_user']} questions (every {z['redeliver_every']}th "
         "delivered twice)", f"{once}; {z['errors']} errors; {z['answers_per_s']} answers/s", "exactly once, 0 errors"),
        ("Zalo webhook acknowledgement p50 / p95 / max", f"{z['ack']['p50_ms']} / {z['ack']['p95_ms']} / {z['ack']['max_ms']} ms",
         "p95 ≤ 200 ms"),
        ("Zalo answer delivery (message → last reply) p50 / p95 / max",
         f"{z['delivery']['p50_ms']} / {z['delivery']['p95_ms']} / {z['delivery']['max_ms']} ms", ""),
    ]
