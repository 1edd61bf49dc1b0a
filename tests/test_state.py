"""hoidap.state.StateStore on its two real backends: a SQLite file and a PostgreSQL server the
session starts itself (tests/pg_server.py). Concurrency is checked with separate OS processes."""
from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from hoidap.settings import PROJECT_ROOT
from hoidap.state import StateStore, normalize_question
from pg_server import postgres_url  # noqa: F401  (session fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    """A URL naming an empty database: a new SQLite file, or a new schema on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def store(state_url):
    s = StateStore(state_url)
    yield s
    s.close()


def _utc(iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    assert value.utcoffset() == timedelta(0), iso
    return value


def _sleep_to_next_second(margin: float = 0.02) -> None:
    time.sleep(1.0 - (time.time() % 1.0) + margin)


# -- usage log -------------------------------------------------------------------------------

def test_top_questions_groups_spellings_most_frequent_first(store):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    spellings = ["Tác phẩm gồm mấy phần?", "tác  phẩm gồm   mấy phần",
                 unicodedata.normalize("NFD", "TÁC PHẨM GỒM MẤY PHẦN ?"), "Tác phẩm gồm mấy phần."]
    for q in spellings:
        store.log_question(question=q, answer="Ba phần.", refused=False, confidence=0.9)
    ids = [store.log_question(question=q, answer="…", refused=r, confidence=0.5)
           for q, r in [("Ai là tác giả?", False), ("ai là tác giả", True), ("Thời tiết hôm nay?", True)]]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # Old and modern tone placement ("hoà" / "hòa") are one question.
    store.log_question(question="Hoà bình là gì?", answer="…", refused=False, confidence=0.7, channel="zalo")
    store.log_question(question="Hòa bình là gì", answer="…", refused=False, confidence=0.7, generation="llm")

    top = store.top_questions()
    assert [(t["question"], t["count"], t["refused"]) for t in top] == [
        ("Tác phẩm gồm mấy phần.", 4, 0),
        ("Hòa bình là gì", 2, 0),
        ("ai là tác giả", 2, 1),
        ("Thời tiết hôm nay?", 1, 1),
    ]
    for t in top:
        assert before <= _utc(t["last_asked"]) <= datetime.now(timezone.utc) + timedelta(seconds=5)
    assert len(store.top_questions(limit=2)) == 2


def test_refused_questions_counts_only_refused_asks(store):
    store.log_question(question="Ai là tác giả?", answer="Tác giả là …", refused=False, confidence=0.8)
    store.log_question(question="ai là tác giả", answer="", refused=True, confidence=0.2)
    for _ in range(3):
        store.log_question(question="Giá vàng hôm nay?", answer="", refused=True, confidence=0.1)
    store.log_question(question="Tác phẩm gồm mấy phần?", answer="Ba phần.", refused=False, confidence=0.9)

    refused = store.refused_questions()
    assert [(r["question"], r["count"], r["refused"]) for r in refused] == [
        ("Giá vàng hôm nay?", 3, 3), ("ai là tác giả", 1, 1)]
    assert all(_utc(r["last_asked"]) for r in refused)
    assert store.refused_questions(limit=1)[0]["question"] == "Giá vàng hôm nay?"


def test_normalize_question():
    assert normalize_question("  Tác  phẩm\tgồm mấy phần ?? ") == "tác phẩm gồm mấy phần"
    assert normalize_question(unicodedata.normalize("NFD", "Hoà bình.")) == normalize_question("hòa bình")


# -- feedback --------------------------------------------------------------------------------

def test_feedback_comment_and_negative_feedback(store):
    qid = store.log_question(question="Tác phẩm gồm mấy phần?", answer="Ba phần.", refused=False, confidence=0.9)
    good = store.add_feedback(question="Tác phẩm gồm mấy phần?", answer="Ba phần.", liked=True, question_id=qid)
    bad1 = store.add_feedback(question="Ai là tác giả?", answer="Không rõ.", liked=False)
    bad2 = store.add_feedback(question="Chương 2 nói gì?", answer="Sai.", liked=False, comment="Thiếu trích dẫn",
                              channel="zalo")
    assert len({good, bad1, bad2}) == 3

    assert store.set_feedback_comment(bad1, "Câu trả lời chưa đúng, cần dẫn trang 12") is True
    assert store.set_feedback_comment(10**9, "không có") is False

    negative = store.negative_feedback()
    assert [n["id"] for n in negative] == [bad2, bad1]  # newest first, liked ones left out
    assert negative[0] | {"created": None} == {
        "id": bad2, "question": "Chương 2 nói gì?", "answer": "Sai.", "comment": "Thiếu trích dẫn",
        "channel": "zalo", "created": None}
    assert negative[1]["comment"] == "Câu trả lời chưa đúng, cần dẫn trang 12"
    assert negative[1]["channel"] == "web"
    assert abs(_utc(negative[0]["created"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert [n["id"] for n in store.negative_feedback(limit=1)] == [bad2]


# -- CSV export ------------------------------------------------------------------------------

def _parse_csv(data: str) -> list[dict]:
    assert data.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(data[1:], newline="")))


def test_export_csv_questions_and_feedback(store):
    store.log_question(question="=HYPERLINK(\"http://x\",\"bấm\")", answer="+1 đáp án", refused=True,
                       confidence=-0.25, channel="web")
    store.log_question(question="Tác phẩm gồm mấy phần?", answer="Gồm ba phần:\n- Phần một, \"trích\"",
                       refused=False, confidence=0.91, generation="llm", channel="zalo")
    fid = store.add_feedback(question="@SUM(A1:A2)", answer="-2", liked=False, comment="Ủy ban, \"đúng\"")

    rows = _parse_csv(store.export_csv("questions"))
    assert list(rows[0]) == ["id", "created", "channel", "question", "answer", "refused", "confidence", "generation"]
    assert len(rows) == 2
    assert rows[0]["question"] == "'=HYPERLINK(\"http://x\",\"bấm\")"
    assert rows[0]["answer"] == "'+1 đáp án"
    assert rows[0]["refused"] == "true" and float(rows[0]["confidence"]) == -0.25
    assert rows[0]["generation"] == ""
    assert rows[1]["question"] == "Tác phẩm gồm mấy phần?"
    assert rows[1]["answer"] == "Gồm ba phần:\n- Phần một, \"trích\""
    assert rows[1]["refused"] == "false" and rows[1]["generation"] == "llm" and rows[1]["channel"] == "zalo"
    assert all(_utc(r["created"]) for r in rows)

    fb = _parse_csv(store.export_csv("feedback"))
    assert fb == [{"id": str(fid), "created": fb[0]["created"], "channel": "web", "question_id": "",
                   "liked": "false", "question": "'@SUM(A1:A2)", "answer": "'-2", "comment": "Ủy ban, \"đúng\""}]
    # Bytes as served: UTF-8 with the BOM first, Vietnamese intact.
    raw = store.export_csv("feedback").encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and "Ủy ban".encode() in raw

    with pytest.raises(ValueError):
        store.export_csv("users")


def test_export_csv_empty_has_header(store):
    assert _parse_csv(store.export_csv("feedback")) == []
    assert store.export_csv("questions").splitlines()[0] == \
        "\ufeffid,created,channel,question,answer,refused,confidence,generation"


# -- rate limits -----------------------------------------------------------------------------

def test_rate_limit_allows_limit_then_refuses_and_resets(store):
    _sleep_to_next_second()  # all hits below fall in one 1-second window
    assert [store.hit_rate_limit("ip:a", limit=3, window_s=1) for _ in range(5)] == [False, False, False, True, True]
    assert store.hit_rate_limit("ip:b", limit=3, window_s=1) is False  # keys are independent
    _sleep_to_next_second()
    assert [store.hit_rate_limit("ip:a", limit=3, window_s=1) for _ in range(4)] == [False, False, False, True]


def test_expired_rows_are_pruned(store):
    store.hit_rate_limit("k", limit=1, window_s=1)
    store.claim_message("msg", ttl_s=1)
    store.conversation_put("c", {"x": 1}, ttl_s=1)
    store.conversation_put("keep", {"x": 2}, ttl_s=3600)
    store.claim_message("kept", ttl_s=3600)
    time.sleep(1.1)
    assert store.prune_expired() == 3
    assert store.conversation_get("keep") == {"x": 2}
    assert store.hit_rate_limit("k", limit=1, window_s=1) is False
    assert store.claim_message("msg") is True and store.claim_message("kept") is False


# -- claims ----------------------------------------------------------------------------------

def test_claim_message_once_and_survives_restart(store, state_url):
    assert store.claim_message("zalo:msg-1") is True
    assert store.claim_message("zalo:msg-1") is False
    assert store.claim_message("zalo:msg-2") is True
    restarted = StateStore(state_url)  # a new process or another app server, same database
    try:
        assert restarted.claim_message("zalo:msg-1") is False
        assert restarted.claim_message("zalo:msg-2") is False
        assert restarted.claim_message("zalo:msg-3") is True
    finally:
        restarted.close()
    assert store.claim_message("zalo:msg-3") is False


def test_claim_message_expired_can_be_claimed_again(store):
    assert store.claim_message("m", ttl_s=1) is True
    assert store.claim_message("long", ttl_s=3600) is True
    assert store.claim_message("m", ttl_s=1) is False
    time.sleep(1.1)
    assert store.claim_message("m", ttl_s=3600) is True
    assert store.claim_message("m", ttl_s=3600) is False
    assert store.claim_message("long") is False


def test_claim_message_once_across_threads(store):
    keys = [f"t-{i}" for i in range(100)]
    won: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        mine = [k for k in keys if store.claim_message(k)]
        with lock:
            won.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == sorted(keys)


# Worker for the cross-process tests: a separate Python process with its own StateStore.
# It waits on stdin twice: first "go" makes all workers create the tables at once (the race
# of first use), the second starts the actual race.
WORKER = r"""
import json, sys
from hoidap.state import StateStore
url, mode, n, key, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
store = StateStore(url)
print("ready", flush=True); sys.stdin.readline()
store.conversation_get("warm-up")  # first use: creates the tables, opens a connection
print("ready", flush=True); sys.stdin.readline()
if mode == "claim":
    result = [k for k in (f"{key}-{i}" for i in range(n)) if store.claim_message(k)]
else:
    result = [store.hit_rate_limit(key, limit, 10**6) for _ in range(n)]
store.close()
print(json.dumps(result), flush=True)
"""


def _race(url: str, mode: str, n: int, key: str, limit: int = 0, processes: int = 4) -> list:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, mode, str(n), key, str(limit)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=PROJECT_ROOT) for _ in range(processes)]
    try:
        for _phase in range(2):
            for p in procs:
                line = p.stdout.readline()
                assert line.strip() == "ready", p.stderr.read()
            for p in procs:
                p.stdin.write("go\n")
                p.stdin.flush()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_claim_message_once_across_processes(store, state_url):
    results = _race(state_url, "claim", 200, "race")
    won = [k for r in results for k in r]
    assert len(won) == 200 and set(won) == {f"race-{i}" for i in range(200)}
    # This process (another "server") sees every key as taken.
    assert not any(store.claim_message(f"race-{i}") for i in range(0, 200, 7))


def test_rate_limit_atomic_across_processes(store, state_url):
    results = _race(state_url, "rate", 30, "shared", limit=47)
    flat = [over for r in results for over in r]
    assert len(flat) == 120
    assert flat.count(False) == 47  # exactly `limit` requests allowed in total
    assert store.hit_rate_limit("shared", 47, 10**6) is True


# -- conversations ---------------------------------------------------------------------------

def test_conversation_put_get_overwrite_and_expiry(store, state_url):
    assert store.conversation_get("zalo:user-1") is None
    data = {"turns": [{"q": "Tác phẩm gồm mấy phần?", "a": "Ba phần."}], "n": 1}
    store.conversation_put("zalo:user-1", data)
    assert store.conversation_get("zalo:user-1") == data
    data["turns"].append({"q": "Phần hai nói gì?", "a": "…"})
    store.conversation_put("zalo:user-1", data)
    other = StateStore(state_url)
    try:
        assert other.conversation_get("zalo:user-1") == data
    finally:
        other.close()

    store.conversation_put("short", {"x": 1}, ttl_s=1)
    assert store.conversation_get("short") == {"x": 1}
    time.sleep(1.1)
    assert store.conversation_get("short") is None
    assert store.conversation_get("zalo:user-1") == data
    store.conversation_put("short", {"x": 2}, ttl_s=60)  # an expired key can be written again
    assert store.conversation_get("short") == {"x": 2}


# -- construction ----------------------------------------------------------------------------

def test_ping_and_from_settings(store, state_url, tmp_path):
    assert store.ping() is True
    via_url = StateStore.from_settings(SimpleNamespace(state_url=state_url, index_dir=tmp_path / "unused"))
    try:
        assert via_url.ping() and via_url.claim_message("k") and not store.claim_message("k")
    finally:
        via_url.close()
    assert not (tmp_path / "unused").exists()


def test_from_settings_defaults_to_sqlite_in_index_dir(tmp_path):
    index_dir = tmp_path / "nested" / "index"
    s = StateStore.from_settings(SimpleNamespace(index_dir=index_dir))  # no state_url attribute at all
    try:
        assert s.backend == "sqlite"
        s.log_question(question="Xin chào", answer="Chào bạn", refused=False, confidence=1.0)
        assert (index_dir / "state.sqlite").is_file()
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        s.close()
    s = StateStore.from_settings(SimpleNamespace(state_url=None, index_dir=index_dir))
    try:
        assert s.top_questions()[0]["question"] == "Xin chào"
    finally:
        s.close()


def test_postgres_url_forms_map_to_psycopg(caplog):
    with caplog.at_level(logging.INFO, logger="hoidap.state"):
        for url in ["postgresql://u:s3cret@db.example:5432/hoidap", "postgres://u:s3cret@db.example/hoidap",
                    "postgresql+psycopg://u:s3cret@db.example/hoidap"]:
            s = StateStore(url)  # no connection is made before first use
            assert s.engine.url.drivername == "postgresql+psycopg" and s.backend == "postgresql"
            s.close()
    assert "s3cret" not in caplog.text and "db.example" in caplog.text
    with pytest.raises(ValueError):
        StateStore("mysql://u@h/db")


def test_plain_postgresql_url_connects(postgres_url):
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    s = StateStore(plain)
    try:
        assert s.ping()
    finally:
        s.close()
