"""The HTTP API of `hoidap serve`, over real HTTP against real server processes: each server
runs `python -m hoidap.cli serve` on its own copy of the session's corpus index (a server
writes its state beside the index; uploads and ingests change it), with the environment a
test needs. Shared state on PostgreSQL uses the session's throwaway PostgreSQL server."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import threading
import time
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import SEEDS, free_port, run_cli
from evals.dataset import DEFAULT_QUESTIONS, load_questions
from hoidap.schema import AnswerOut, Citation, Turn
from pg_server import postgres_url  # noqa: F401  (session fixture)
from server_proc import copy_index, running_servers

TOKEN = "api-test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY_KB = 16
MAX_UPLOAD_MB = 1  # whole megabytes: a fractional value stops `serve` (see the report)
Q_205 = "Ai ký Kế hoạch 205-KH/TU?"
OFF_TOPIC = "Giá vàng hôm nay bao nhiêu?"
ANSWER_FIELDS = {"question", "answer", "refused", "confidence", "mode", "notice", "flagged", "citations",
                 "retrieved", "suggestions", "timings_ms", "generation"}
CITATION_FIELDS = {"marker", "title", "issuer", "number", "date", "kind", "heading", "page", "passage", "span",
                   "highlights", "doc_id", "chunk_id", "source", "also_in"}


# --- servers ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sites(corpus_index, tmp_path_factory, request):
    """Five servers started together, each on its own copy of the corpus index:
    main     -- admin token, a large rate limit, small JSON body limit; nothing changes its index
    admin    -- admin token and a small upload limit; the admin tests upload and delete here
    limited  -- 3 questions a minute, no admin token (administration disabled)
    follow   -- a CLI ingest in another process changes its index while it runs
    nostate  -- its shared state store (PostgreSQL) cannot be reached"""
    root = tmp_path_factory.mktemp("api")
    specs = {
        "main": {"HOIDAP_ADMIN_TOKEN": TOKEN, "HOIDAP_RATE_LIMIT_PER_MINUTE": "100000",
                 "HOIDAP_MAX_BODY_KB": str(MAX_BODY_KB), "HOIDAP_UPLOAD_DIR": str(root / "main-uploads")},
        "admin": {"HOIDAP_ADMIN_TOKEN": TOKEN, "HOIDAP_RATE_LIMIT_PER_MINUTE": "100000",
                  "HOIDAP_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB), "HOIDAP_UPLOAD_DIR": str(root / "admin-uploads")},
        "limited": {"HOIDAP_RATE_LIMIT_PER_MINUTE": "3", "HOIDAP_UPLOAD_DIR": str(root / "limited-uploads")},
        "follow": {"HOIDAP_RATE_LIMIT_PER_MINUTE": "0", "HOIDAP_UPLOAD_DIR": str(root / "follow-uploads")},
        "nostate": {"HOIDAP_ADMIN_TOKEN": TOKEN, "HOIDAP_RATE_LIMIT_PER_MINUTE": "2",
                    "HOIDAP_STATE_URL": f"postgresql+psycopg://hoidap@127.0.0.1:{free_port()}/nothing_listens",
                    "HOIDAP_UPLOAD_DIR": str(root / "nostate-uploads")},
    }
    indexes = {name: copy_index(corpus_index.index_dir, root / name / "index") for name in specs}
    with running_servers([(indexes[name], env) for name, env in specs.items()], request) as servers:
        yield {name: (server, specs[name]) for name, server in zip(specs, servers)}


def _client(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=120)


def _site(sites, name: str):
    server, env = sites[name]
    with _client(server) as client:
        client.server = server  # the process and its index folder
        client.uploads = Path(env["HOIDAP_UPLOAD_DIR"])
        yield client


@pytest.fixture(scope="module")
def main(sites):
    yield from _site(sites, "main")


@pytest.fixture(scope="module")
def admin(sites):
    yield from _site(sites, "admin")


@pytest.fixture(scope="module")
def limited(sites):
    yield from _site(sites, "limited")


@pytest.fixture(scope="module")
def follow(sites):
    yield from _site(sites, "follow")


@pytest.fixture(scope="module")
def nostate(sites):
    yield from _site(sites, "nostate")


# --- helpers -----------------------------------------------------------------------------------------
def ask(client: httpx.Client, question: str, **body) -> AnswerOut:
    r = client.post("/api/ask", json={"question": question, **body})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return AnswerOut.model_validate(r.json())


def assert_error(r: httpx.Response, status: int) -> dict:
    """The status with the API's JSON error body (never a traceback or the page's plain 404)."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    return body["error"]


def generation_dir(server, generation: str | None = None) -> Path:
    return server.index / (generation or (server.index / "CURRENT").read_text().strip())


def doc_text(server, doc_id: str, generation: str | None = None) -> str:
    return (generation_dir(server, generation) / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")


def passage_url(chunk_id: str, highlights) -> str:
    return f"/passage/{quote(chunk_id, safe='')}?h=" + ",".join(f"{a}-{b}" for a, b in highlights)


_CITED = re.compile(r'<span class="hoidap-cited">(.*?)</span>', re.S)
_AROUND = re.compile(r'<span class="hoidap-around">(.*?)</span>', re.S)
_PIECES = re.compile(r"(<mark>.*?</mark>)", re.S)


def check_passage_page(page: str, citation, document: str | None, answer: str) -> None:
    """The passage page shows the cited span of the document, exactly the highlighted parts
    marked (escaped text inside <mark>), the text around it from the same document, and every
    highlight is text the answer quotes."""
    s0, s1 = citation.span
    assert citation.highlights, f"citation [{citation.marker}] {citation.chunk_id} has no highlight"
    cited = _CITED.findall(page)
    assert len(cited) == 1, page[:500]
    text, marked = "", set()
    for piece in _PIECES.split(cited[0]):
        if piece.startswith("<mark>"):
            inner = html.unescape(piece[len("<mark>"):-len("</mark>")])
            marked |= set(range(len(text), len(text) + len(inner)))
            text += inner
        else:
            assert "<" not in piece, piece  # no other live markup inside the passage
            text += html.unescape(piece)
    assert text == citation.passage
    wanted = set()
    for a, b in citation.highlights:
        assert s0 <= a < b <= s1, (citation.highlights, citation.span)
        wanted |= set(range(a - s0, b - s0))
        quoted = citation.passage[a - s0:b - s0]
        assert " ".join(quoted.split()) in " ".join(answer.split()), (quoted, answer)
    assert marked == wanted, (sorted(wanted - marked)[:10], sorted(marked - wanted)[:10])
    if document is not None:
        assert document[s0:s1] == citation.passage
        before, after = (html.unescape(x) for x in _AROUND.findall(page))
        assert document[:s0].endswith(before) and document[s1:].startswith(after)
        ordered = sorted(citation.highlights)
        if all(b1 < a2 for (_a1, b1), (a2, _b2) in zip(ordered, ordered[1:])):  # apart: one <mark> each
            for a, b in ordered:
                assert f"<mark>{html.escape(document[a:b])}</mark>" in page


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        assert set(fields) == {"event", "data"}, block
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def fresh_rate_window(margin_s: float = 15.0) -> None:
    """Rate limits count per clock minute: start well inside one, so that a test's requests
    all fall in the same window."""
    left = 60.0 - time.time() % 60.0
    if left < margin_s:
        time.sleep(left + 0.5)


def wait_job(client: httpx.Client, job_id: str, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/admin/jobs/{job_id}", headers=AUTH)
        assert r.status_code == 200, r.text
        job = r.json()
        assert 0.0 <= job["progress"] <= 1.0
        if job["status"] in ("done", "failed"):
            assert job["finished"] is not None and job["progress"] == 1.0
            return job
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s: {job}"
        time.sleep(0.2)


def upload(client: httpx.Client, files: list[tuple[str, bytes]], meta: dict | None = None, headers=AUTH):
    return client.post("/api/admin/documents", headers=headers, data=meta or {},
                       files=[("files", (name, data, "application/octet-stream")) for name, data in files])


def seed_meta() -> dict[str, dict]:
    return {p.name[:-len(".txt.meta.json")]: json.loads(p.read_text(encoding="utf-8"))
            for p in SEEDS.glob("*.txt.meta.json")}


class Askers:
    """Threads that keep asking while something else happens; every answer is recorded."""

    def __init__(self, server, question: str = Q_205, threads: int = 2) -> None:
        self.server, self.question = server, question
        self.answers: list[tuple[int, str, str | None]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ask) for _ in range(threads)]

    def _ask(self) -> None:
        with _client(self.server) as client:
            while not self._stop.is_set():
                try:
                    r = client.post("/api/ask", json={"question": self.question})
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                    self.answers.append((r.status_code, body.get("answer", r.text[:300]), body.get("generation")))
                except httpx.HTTPError as e:
                    self.answers.append((0, repr(e), None))

    def __enter__(self) -> "Askers":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def all_answered(self, needle: str) -> set[str]:
        """Asserts every question was answered; the generations that answered them."""
        assert self.answers
        bad = [a for a in self.answers if a[0] != 200 or needle not in a[1]]
        assert not bad, bad[:3]
        return {generation for *_, generation in self.answers}


def wait_one_generation(client: httpx.Client, index: Path, timeout: float = 10.0) -> list[str]:
    """Further requests let the server let go of an old generation, which is then removed."""
    deadline = time.monotonic() + timeout
    while len(list(index.glob("gen-*"))) > 1 and time.monotonic() < deadline:
        client.get("/healthz")
        time.sleep(0.2)
    assert not list(index.glob(".deleting-*")) and not list(index.glob(".building-*"))
    return sorted(p.name for p in index.glob("gen-*"))


# --- asking ---------------------------------------------------------------------------------------------
def test_ask_answers_with_cited_passages_in_the_answer_schema(main):
    r = main.post("/api/ask", json={"question": Q_205})
    assert r.status_code == 200
    raw = r.json()
    assert ANSWER_FIELDS <= set(raw) == set(AnswerOut.model_fields)
    result = AnswerOut.model_validate(raw)
    assert result.question == Q_205
    assert not result.refused and result.mode == "extractive" and not result.notice
    assert "Đỗ Văn Nghị" in result.answer
    assert 0.0 < result.confidence <= 1.0
    current = (main.server.index / "CURRENT").read_text().strip()
    assert result.generation == main.get("/healthz").json()["generation"] == current
    assert result.timings_ms and all(v >= 0 for v in result.timings_ms.values())
    meta = seed_meta()["ke-hoach-205-thanh-uy-yen-bai"]
    assert result.citations
    for c, c_raw in zip(result.citations, raw["citations"]):
        assert CITATION_FIELDS <= set(c_raw) == set(Citation.model_fields)
        assert f"[{c.marker}]" in result.answer
        # the plan's signer is in this plan only: every citation is of it, with its metadata
        assert c.doc_id == "ke-hoach-205-thanh-uy-yen-bai" and c.chunk_id.startswith(c.doc_id + "#")
        assert (c.title, c.issuer, c.number, c.date, c.kind) == (meta["title"], meta["issuer"], meta["number"],
                                                                 meta["date"], meta["kind"])
        assert c.source.endswith("ke-hoach-205-thanh-uy-yen-bai.txt")
        assert doc_text(main.server, c.doc_id)[c.span[0]:c.span[1]] == c.passage
        assert c.highlights and all(c.span[0] <= a < b <= c.span[1] for a, b in c.highlights)
        assert isinstance(c.also_in, list)
    assert "Đỗ Văn Nghị" in " ".join(c.passage for c in result.citations)
    assert sorted({c.marker for c in result.citations}) == list(range(1, len(result.citations) + 1))
    assert result.retrieved and result.retrieved[0].chunk_id in {c.chunk_id for c in result.citations}
    scores = [p.score for p in result.retrieved]
    assert scores == sorted(scores, reverse=True)


def test_ask_refuses_an_off_topic_question_without_citations(main):
    result = ask(main, OFF_TOPIC)
    assert result.refused
    assert result.citations == []
    assert "không" in result.answer.lower()
    # the closest passages may be named, but they are not cited: an [n] there is the n-th retrieved one
    for line in result.answer.splitlines():
        for n in re.findall(r"\[(\d+)\]", line):
            assert result.retrieved[int(n) - 1].title[:40] in line
    assert result.suggestions and all(isinstance(s, str) and s.strip() for s in result.suggestions)
    answered = ask(main, Q_205)
    assert result.confidence < answered.confidence


def test_follow_up_question_uses_the_history(main):
    history = ["Kế hoạch của Sở Khoa học và Công nghệ Điện Biên học tập qua hình thức nào?"]
    alone = ask(main, "Ai ký văn bản đó?")
    followed = ask(main, "Ai ký văn bản đó?", history=history)
    assert not followed.refused and "Vũ Xuân Linh" in followed.answer
    assert {c.doc_id for c in followed.citations} == {"ke-hoach-so-khcn-dien-bien"}
    assert "Vũ Xuân Linh" not in alone.answer  # without the history the question names no document
    # blank history entries are ignored, not an error
    again = ask(main, "Ai ký văn bản đó?", history=["", "   "] + history)
    assert again.answer == followed.answer


def test_history_turns_carry_what_the_answer_cited(main):
    """A client passes each earlier turn back with its citations (hoidap.schema.Turn): "văn bản
    đó" is the document the answer shown came from, here one the user had picked as the scope."""
    meta = seed_meta()
    first_q = "Mục đích của kế hoạch là gì?"
    for doc_id in ("ke-hoach-mttq-thanh-pho", "ke-hoach-huyen-uy"):
        first = ask(main, first_q, filters={"doc_id": doc_id})
        assert first.citations and {c.doc_id for c in first.citations} == {doc_id}
        turn = Turn.from_answer(first_q, first).model_dump()
        follow = ask(main, "Ai ký văn bản đó?", history=[turn])
        signer = meta[doc_id]["signed_by"].split(",")[0]
        assert not follow.refused and signer in follow.answer, follow.answer
        assert {c.doc_id for c in follow.citations} == {doc_id}
    # a turn is validated like the rest of the request
    r = main.post("/api/ask", json={"question": "Ai ký?", "history": [{"question": "x", "doc_ids": "not a list"}]})
    assert_error(r, 422)
    r = main.post("/api/ask", json={"question": "Ai ký?", "history": [{"question": "x", "secret": 1}]})
    assert_error(r, 422)


@pytest.mark.parametrize("doc_id", ["ke-hoach-205-thanh-uy-yen-bai", "ke-hoach-huyen-uy", "ke-hoach-mttq-thanh-pho",
                                    "ke-hoach-so-khcn-dien-bien", "huong-dan-ban-tuyen-giao-thi-uy"])
def test_doc_id_filter_restricts_every_passage_to_that_document(main, doc_id):
    signer = seed_meta()[doc_id]["signed_by"].split(",")[0]
    result = ask(main, "Ai ký văn bản?", filters={"doc_id": doc_id})
    assert not result.refused and signer in result.answer
    assert result.citations and result.retrieved
    assert {c.doc_id for c in result.citations} == {doc_id}
    assert {p.doc_id for p in result.retrieved} == {doc_id}


def test_issuer_filter(main):
    unfiltered = ask(main, "Ai ký văn bản?")
    assert len({p.doc_id for p in unfiltered.retrieved}) > 1  # the filter below has something to remove
    result = ask(main, "Ai ký văn bản?", filters={"issuer": "Ban Thường vụ Huyện ủy"})
    assert not result.refused and "Ung Văn Tám" in result.answer
    assert {c.issuer for c in result.citations} == {"Ban Thường vụ Huyện ủy"}
    assert {p.doc_id for p in result.retrieved} == {"ke-hoach-huyen-uy"}


def test_kind_filter(main):
    result = ask(main, "Ai ký văn bản?", filters={"kind": "Hướng dẫn"})
    assert not result.refused and "Nguyễn Xuân Chiến" in result.answer
    assert {c.kind for c in result.citations} == {"Hướng dẫn"}
    assert {p.doc_id for p in result.retrieved} == {"huong-dan-ban-tuyen-giao-thi-uy"}
    plans = ask(main, "Ai ký văn bản?", filters={"kind": "Kế hoạch"})
    assert plans.citations and {c.kind for c in plans.citations} == {"Kế hoạch"}


def test_filters_that_match_nothing_refuse(main):
    result = ask(main, "Ai ký văn bản?", filters={"issuer": "Không có cơ quan này"})
    assert result.refused and result.citations == [] and result.retrieved == []


def test_question_answered_only_outside_the_filter_is_refused(main):
    """Plan 205-KH/TU's signer, asked within the district plan: that plan does not say, so no
    answer (and certainly not the district plan's own signer)."""
    other = ask(main, Q_205, filters={"doc_id": "ke-hoach-huyen-uy"})
    assert other.refused and other.citations == [], other.answer
    assert {p.doc_id for p in other.retrieved} <= {"ke-hoach-huyen-uy"}


def test_empty_filter_values_mean_no_filter(main):
    result = ask(main, Q_205, filters={"doc_id": None, "issuer": "", "kind": None})
    assert not result.refused and "Đỗ Văn Nghị" in result.answer


def test_question_at_the_length_limit_is_accepted(main):
    question = ("Ai ký Kế hoạch 205-KH/TU? " * 100)[:2000]
    assert len(question) == 2000
    result = ask(main, question)
    assert result.question.strip() == question.strip()


# --- bad requests: 4xx with a JSON error, never a 500 ----------------------------------------------------
JSON = {"content-type": "application/json"}
BAD_REQUESTS = [
    ("malformed JSON", b'{"question": "Ai k\xc3\xbd?"', JSON, 422),
    ("not UTF-8", b'{"question": "\xff\xfe"}', JSON, 400),
    ("missing question", b"{}", JSON, 422),
    ("empty question", b'{"question": ""}', JSON, 422),
    ("whitespace-only question", b'{"question": "   \\n\\t  "}', JSON, 400),
    ("punctuation-only question", b'{"question": "?? ..."}', JSON, 400),
    ("over-long question", json.dumps({"question": "a" * 2001}).encode(), JSON, 422),
    ("question as number", b'{"question": 42}', JSON, 422),
    ("question as list", b'{"question": ["Ai ky?"]}', JSON, 422),
    ("question as null", b'{"question": null}', JSON, 422),
    ("history not a list", b'{"question": "Ai ky?", "history": "truoc do"}', JSON, 422),
    ("history of numbers", b'{"question": "Ai ky?", "history": [1, 2]}', JSON, 422),
    ("history too long", json.dumps({"question": "Ai ky?", "history": ["x"] * 21}).encode(), JSON, 422),
    ("history item too long", json.dumps({"question": "Ai ky?", "history": ["x" * 2001]}).encode(), JSON, 422),
    ("filters not an object", b'{"question": "Ai ky?", "filters": "Yen Bai"}', JSON, 422),
    ("filters as list", b'{"question": "Ai ky?", "filters": ["doc_id"]}', JSON, 422),
    ("unknown filter key", b'{"question": "Ai ky?", "filters": {"year": "2023"}}', JSON, 422),
    ("filter value not a string", b'{"question": "Ai ky?", "filters": {"doc_id": 5}}', JSON, 422),
    ("unknown top-level key", b'{"question": "Ai ky?", "top_k": 50}', JSON, 422),
    ("body is a list", b'[{"question": "Ai ky?"}]', JSON, 422),
    ("body is a string", b'"Ai ky?"', JSON, 422),
    ("oversized body", b'{"question": "Ai ky?"' + b" " * (MAX_BODY_KB * 1024) + b"}", JSON, 413),
    ("wrong content type", b'{"question": "Ai ky?"}', {"content-type": "text/plain"}, 422),
    ("form instead of JSON", b"question=Ai+ky", {"content-type": "application/x-www-form-urlencoded"}, 422),
]


@pytest.mark.parametrize("endpoint", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize("body,headers,status", [case[1:] for case in BAD_REQUESTS],
                         ids=[case[0] for case in BAD_REQUESTS])
def test_bad_requests_get_a_json_4xx(main, endpoint, body, headers, status):
    r = main.post(endpoint, content=body, headers=headers)
    error = assert_error(r, status)
    if status == 422:
        assert error["details"] and all({"loc", "msg", "type"} <= set(d) for d in error["details"])


def test_body_without_length_is_refused(main):
    def chunks():
        yield b'{"question": '
        yield b'"Ai ky?"}'

    assert_error(main.post("/api/ask", content=chunks(), headers=JSON), 411)


def test_body_just_under_the_limit_is_accepted(main):
    body = b'{"question": "Ai k\xc3\xbd K\xe1\xba\xbf ho\xe1\xba\xa1ch 205-KH/TU?"'
    body += b" " * (MAX_BODY_KB * 1024 - len(body) - 1) + b"}"
    assert len(body) == MAX_BODY_KB * 1024
    r = main.post("/api/ask", content=body, headers=JSON)
    assert r.status_code == 200 and "Đỗ Văn Nghị" in r.json()["answer"]


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/api/ask", "POST"), ("PUT", "/api/ask", "POST"), ("GET", "/api/ask/stream", "POST"),
    ("DELETE", "/api/documents", "GET"), ("GET", "/api/feedback", "POST"), ("POST", "/healthz", "GET"),
    ("POST", "/passage/ke-hoach-huyen-uy%230", "GET"), ("GET", "/api/admin/documents/ke-hoach-huyen-uy", "DELETE"),
])
def test_wrong_method_is_405_with_allow(main, method, path, allowed):
    r = main.request(method, path, headers=AUTH)
    assert_error(r, 405)
    assert r.headers["allow"] == allowed


@pytest.mark.parametrize("path", ["/api/nothing", "/api/ask/extra", "/api/admin/nothing", "/files/no-such-doc",
                                  "/passage/a/b"])
def test_unknown_api_path_is_a_json_404(main, path):
    assert_error(main.get(path, headers=AUTH), 404)


# --- streaming ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", [Q_205, OFF_TOPIC, "Thời hạn gửi báo cáo kết quả?"])
def test_stream_sends_deltas_then_one_done_with_the_answer(main, question):
    r = main.post("/api/ask/stream", json={"question": question})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [kind for kind, _ in events]
    assert kinds.count("done") == 1 and kinds[-1] == "done", kinds
    assert kinds[0] == "delta" and set(kinds[:-1]) == {"delta"}, kinds  # extractive: no notices
    for kind, data in events:
        assert data["type"] == kind
    deltas = "".join(data["text"] for kind, data in events if kind == "delta")
    done = AnswerOut.model_validate(events[-1][1]["answer"])
    assert done.answer == deltas.strip()
    whole = ask(main, question)
    assert (done.answer, done.refused, done.citations, done.generation) == (
        whole.answer, whole.refused, whole.citations, whole.generation)


def test_stream_of_a_bad_question_is_a_json_400_not_a_stream(main):
    r = main.post("/api/ask/stream", json={"question": "  "})
    assert_error(r, 400)
    assert "event:" not in r.text


# --- documents, health, API description, feedback ------------------------------------------------------------
def test_documents_lists_the_corpus_with_metadata_and_chunk_counts(main):
    r = main.get("/api/documents")
    assert r.status_code == 200
    docs = r.json()
    meta = seed_meta()
    assert sorted(d["doc_id"] for d in docs) == sorted(meta) and len(docs) == 6
    gen = generation_dir(main.server)
    per_doc: dict[str, int] = {}
    for line in (gen / "chunks.jsonl").read_text(encoding="utf-8").splitlines():
        doc_id = json.loads(line)["doc_id"]
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
    for d in docs:
        m = meta[d["doc_id"]]
        assert (d["title"], d["issuer"], d["kind"], d["number"], d["date"], d["signed_by"]) == (
            m["title"], m["issuer"], m["kind"], m["number"], m["date"], m["signed_by"])
        assert d["chunks"] == per_doc[d["doc_id"]] > 0
        assert d["source"].endswith(d["doc_id"] + ".txt") and d["has_file"] and not d["is_pdf"]
    assert [(d["kind"], d["title"]) for d in docs] == sorted((d["kind"], d["title"]) for d in docs)


def test_original_file_is_served(main):
    r = main.get("/files/ke-hoach-huyen-uy")
    assert r.status_code == 200
    assert r.content == (SEEDS / "ke-hoach-huyen-uy.txt").read_bytes()


def test_healthz_reports_generation_documents_and_chunks(main):
    r = main.get("/healthz")
    assert r.status_code == 200
    health = r.json()
    gen = generation_dir(main.server)
    assert health == {"status": "ok", "generation": gen.name, "documents": 6,
                      "chunks": len((gen / "chunks.jsonl").read_text(encoding="utf-8").splitlines())}
    assert health["chunks"] == sum(d["chunks"] for d in main.get("/api/documents").json())


def test_openapi_describes_the_api(main):
    page = main.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in page.text and "/openapi.json" in page.text
    spec = main.get("/openapi.json").json()
    ask_op = spec["paths"]["/api/ask"]["post"]
    ok = ask_op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/AnswerOut"}
    assert {"400", "422", "429"} <= set(ask_op["responses"])
    schemas = spec["components"]["schemas"]
    assert ANSWER_FIELDS <= set(schemas["AnswerOut"]["properties"]) == set(AnswerOut.model_fields)
    assert CITATION_FIELDS <= set(schemas["Citation"]["properties"]) == set(Citation.model_fields)
    request_ref = ask_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schemas[request_ref]["properties"]) == {"question", "history", "filters"}
    assert schemas[request_ref]["additionalProperties"] is False
    assert "text/event-stream" in spec["paths"]["/api/ask/stream"]["post"]["responses"]["200"]["content"]
    for path in ("/api/documents", "/api/feedback", "/healthz", "/passage/{chunk_id}", "/api/admin/documents",
                 "/api/admin/jobs/{job_id}", "/api/admin/usage"):
        assert path in spec["paths"]
    assert not any("{rest" in p for p in spec["paths"])


def test_feedback_is_stored(main):
    first = main.post("/api/feedback", json={"question": Q_205, "answer": "Đỗ Văn Nghị [1]", "liked": True})
    assert first.status_code == 201 and set(first.json()) == {"id"} and isinstance(first.json()["id"], int)
    second = main.post("/api/feedback", json={"question": Q_205, "answer": "x", "liked": False, "comment": "Sai."})
    assert second.status_code == 201 and second.json()["id"] > first.json()["id"]
    rows = {row["id"]: row for row in _csv(main.get("/api/admin/export/feedback.csv", headers=AUTH))}
    liked, disliked = rows[str(first.json()["id"])], rows[str(second.json()["id"])]
    assert (liked["liked"], liked["answer"], liked["channel"]) == ("true", "Đỗ Văn Nghị [1]", "api")
    assert (disliked["liked"], disliked["comment"], disliked["channel"]) == ("false", "Sai.", "api")


@pytest.mark.parametrize("body", [
    {"question": Q_205},
    {"question": "", "liked": True},
    {"question": Q_205, "liked": "maybe"},
    {"question": Q_205, "liked": True, "rating": 5},
    {"question": Q_205, "liked": True, "comment": "x" * 4001},
    {"liked": False},
    ["not", "an", "object"],
])
def test_bad_feedback_is_422(main, body):
    assert_error(main.post("/api/feedback", json=body), 422)


# --- passages: the quoted parts marked in the document text -----------------------------------------------
@pytest.mark.parametrize("question", [Q_205, "Thời hạn gửi báo cáo kết quả?", "Tác phẩm gồm mấy phần?",
                                      "Đối tượng tham gia học tập theo kế hoạch của Huyện ủy là ai?"])
def test_passage_page_marks_exactly_the_highlighted_document_text(main, question):
    result = ask(main, question)
    assert result.citations
    for c in result.citations:
        r = main.get(passage_url(c.chunk_id, c.highlights))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in r.headers["content-security-policy"]
        page = r.text
        assert page.startswith("<!doctype html>") and f'data-chunk="{html.escape(c.chunk_id)}"' in page
        check_passage_page(page, c, doc_text(main.server, c.doc_id), result.answer)
        fragment = main.get(passage_url(c.chunk_id, c.highlights) + "&fragment=1").text
        assert "<html" not in fragment
        check_passage_page(fragment, c, doc_text(main.server, c.doc_id), result.answer)


def test_passage_without_highlights_marks_nothing(main):
    c = ask(main, Q_205).citations[0]
    page = main.get(f"/passage/{quote(c.chunk_id, safe='')}").text
    assert "<mark>" not in page and html.escape(c.passage) in page
    odd = main.get(f"/passage/{quote(c.chunk_id, safe='')}?h=abc,9-3,-1-5,{c.span[1] + 10}-{c.span[1] + 20}")
    assert odd.status_code == 200 and "<mark>" not in odd.text


@pytest.mark.parametrize("chunk_id", ["no-such-chunk", "ke-hoach-205-thanh-uy-yen-bai#99999",
                                      "ke-hoach-205-thanh-uy-yen-bai"])
def test_unknown_passage_is_404(main, chunk_id):
    assert_error(main.get(f"/passage/{quote(chunk_id, safe='')}?h=1-5"), 404)


def test_every_citation_of_the_question_set_has_its_highlights_marked(main):
    """All questions of evals/questions.jsonl (with their history) through the API: answers
    carry citations, refusals none; every citation has a highlight, and the passage page marks
    exactly the highlighted text, which the answer quotes."""
    questions = load_questions(DEFAULT_QUESTIONS)
    assert len(questions) > 100
    cited = 0
    for q in questions:
        result = ask(main, q.question, history=q.history)
        assert bool(result.citations) != result.refused, (q.id, result.answer)
        for c in result.citations:
            r = main.get(passage_url(c.chunk_id, c.highlights))
            assert r.status_code == 200, (q.id, c.chunk_id)
            check_passage_page(r.text, c, None, result.answer)
            cited += 1
    assert cited >= 100


# --- usage statistics and exports -------------------------------------------------------------------------
def test_usage_shows_frequent_and_refused_questions_and_negative_feedback(main):
    before = main.get("/api/admin/usage", params={"limit": 500}, headers=AUTH).json()
    key = "tác phẩm gồm mấy phần"

    def norm(q: str) -> str:
        return " ".join(unicodedata.normalize("NFC", q).lower().split()).rstrip("?. ").strip()

    prior = sum(e["count"] for e in before["top_questions"] if norm(e["question"]) == key)
    spellings = ["Tác phẩm gồm mấy phần?", "  tác phẩm   gồm MẤY phần ?? ",
                 unicodedata.normalize("NFD", "Tác phẩm gồm mấy phần")]
    times = max([e["count"] for e in before["top_questions"]] + [0]) + 2
    for n in range(times):
        assert not ask(main, spellings[n % len(spellings)]).refused
    # (a number as the unique mark: a hex one such as "c2a845" is sometimes read as VNI typing, and shown decoded)
    refused_q = f"Thời tiết ở Sa Pa ngày mai thế nào (mã {uuid.uuid4().int % 10**8})?"
    refused_times = max([e["count"] for e in before["refused"]] + [0]) + 1
    for _ in range(refused_times):
        assert ask(main, refused_q).refused
    comment = "Thiếu số trang — cần ghi rõ “trang 12” ở đâu"
    bad = main.post("/api/feedback", json={"question": refused_q, "answer": "…", "liked": False, "comment": comment})
    good = main.post("/api/feedback", json={"question": Q_205, "answer": "…", "liked": True, "comment": "Tốt lắm"})
    assert bad.status_code == good.status_code == 201

    usage = main.get("/api/admin/usage", headers=AUTH).json()
    assert set(usage) == {"top_questions", "refused", "negative_feedback"}
    top = usage["top_questions"][0]
    assert norm(top["question"]) == key and top["count"] == prior + times and top["refused"] == 0
    latest = spellings[(times - 1) % len(spellings)]
    # the latest spelling, as the service keeps a question (NFC, runs of spaces squashed)
    assert unicodedata.normalize("NFC", top["question"]) == " ".join(unicodedata.normalize("NFC", latest).split())
    counts = [e["count"] for e in usage["top_questions"]]
    assert counts == sorted(counts, reverse=True)
    assert usage["refused"][0]["question"] == refused_q
    assert usage["refused"][0]["count"] == usage["refused"][0]["refused"] == refused_times
    assert not any(norm(e["question"]) == key for e in usage["refused"])
    negative = usage["negative_feedback"][0]
    assert (negative["id"], negative["question"], negative["comment"], negative["channel"]) == (
        bad.json()["id"], refused_q, comment, "api")
    assert good.json()["id"] not in {e["id"] for e in usage["negative_feedback"]}
    assert len(main.get("/api/admin/usage", params={"limit": 1}, headers=AUTH).json()["top_questions"]) == 1


def _csv(r: httpx.Response) -> list[dict]:
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_exports_are_csv_with_vietnamese_intact(main):
    question = f"Ai ký Hướng dẫn của Ban Tuyên giáo Thị ủy? (mã {uuid.uuid4().int % 10**8})"  # (no hex: read as VNI)
    result = ask(main, question)
    comment = "=Câu trả lời đúng nhưng thiếu chữ ký “Nguyễn Xuân Chiến”"
    fid = main.post("/api/feedback", json={"question": question, "answer": result.answer, "liked": False,
                                           "comment": comment}).json()["id"]
    rows = _csv(main.get("/api/admin/export/questions.csv", headers=AUTH))
    assert list(rows[0]) == ["id", "created", "channel", "question", "answer", "refused", "confidence", "generation"]
    mine = [row for row in rows if row["question"] == question]
    assert len(mine) == 1
    assert (mine[0]["answer"], mine[0]["refused"], mine[0]["channel"], mine[0]["generation"]) == (
        result.answer, str(result.refused).lower(), "api", result.generation)
    feedback = _csv(main.get("/api/admin/export/feedback.csv", headers=AUTH))
    row = next(row for row in feedback if row["id"] == str(fid))
    assert (row["question"], row["liked"], row["answer"]) == (question, "false", result.answer)
    assert row["comment"] == "'" + comment  # a spreadsheet formula is neutralised
    assert_error(main.get("/api/admin/export/passwords.csv", headers=AUTH), 404)


# --- administration -------------------------------------------------------------------------------------------
ADMIN_ROUTES = [("GET", "/api/admin/documents"), ("GET", "/api/admin/usage"), ("GET", "/api/admin/jobs/abc"),
                ("GET", "/api/admin/export/questions.csv"), ("DELETE", "/api/admin/documents/ke-hoach-huyen-uy"),
                ("POST", "/api/admin/documents")]


def _admin_call(client, method, path, headers):
    if method == "POST":
        return upload(client, [("note.txt", "Ghi chú thử.".encode())], headers=headers)
    return client.request(method, path, headers=headers)


@pytest.mark.parametrize("method,path", ADMIN_ROUTES)
def test_admin_is_disabled_without_a_token_configured(limited, method, path):
    for headers in ({}, AUTH):
        assert_error(_admin_call(limited, method, path, headers), 404)
    assert limited.get("/api/documents").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": "Bearer"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Bearer {TOKEN}x"}],
                         ids=["missing", "wrong", "basic", "empty", "no-scheme", "longer"])
@pytest.mark.parametrize("method,path", ADMIN_ROUTES)
def test_admin_needs_the_right_token(admin, method, path, headers):
    r = _admin_call(admin, method, path, headers)
    assert_error(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


def test_admin_token_accepts_any_case_of_the_scheme(admin):
    r = admin.get("/api/admin/documents", headers={"Authorization": f"bearer {TOKEN}"})
    assert r.status_code == 200 and len(r.json()) >= 6
    assert_error(admin.get("/api/admin/jobs/no-such-job", headers=AUTH), 404)


def make_docx(title: str, paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


FESTIVAL_Q = "Lễ hội Hoa Ban Xoè Tủa Chùa được tổ chức vào ngày nào?"
FESTIVAL_META = {"title": "Quy chế Lễ hội Hoa Ban Xoè huyện Tủa Chùa", "issuer": "Ủy ban nhân dân huyện Tủa Chùa",
                 "number": "17/QC-UBND", "date": "02/01/2031", "kind": "Quy chế"}


def test_uploaded_docx_is_answered_without_restart(admin):
    assert ask(admin, FESTIVAL_Q).refused  # nothing in the corpus answers it
    before = admin.get("/healthz").json()
    pid = admin.server.proc.pid
    data = make_docx("Quy chế Lễ hội Hoa Ban Xoè", [
        "Lễ hội Hoa Ban Xoè Tủa Chùa lần thứ nhất được tổ chức vào ngày 14/3/2031 tại sân vận động trung tâm huyện.",
        "Trưởng ban tổ chức Lễ hội Hoa Ban Xoè là ông Lò Văn Khiêm.",
        "Ghi chú: <b>không</b> in đậm & giữ nguyên ký hiệu.",
    ])
    assert len(data) < MAX_UPLOAD_MB * 1024 * 1024
    r = upload(admin, [("Quy chế lễ hội Hoa Ban.docx", data)], FESTIVAL_META)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running", "done") and job["files"] == ["quy-che-le-hoi-hoa-ban.docx"]
    job = wait_job(admin, job["id"])
    assert job["status"] == "done", job
    assert [Path(a).name for a in job["added"]] == ["quy-che-le-hoi-hoa-ban.docx"] and not job["failed"]
    saved = admin.uploads / "quy-che-le-hoi-hoa-ban.docx"
    assert saved.read_bytes() == data
    assert json.loads((admin.uploads / "quy-che-le-hoi-hoa-ban.docx.meta.json").read_text(encoding="utf-8")) == FESTIVAL_META

    health = admin.get("/healthz").json()
    assert health["generation"] != before["generation"] and health["documents"] == before["documents"] + 1
    assert health["chunks"] == job["chunks"]
    result = ask(admin, FESTIVAL_Q)
    assert not result.refused and "14/3/2031" in result.answer
    assert result.citations
    for c in result.citations:
        assert (c.title, c.issuer, c.number, c.date, c.kind) == tuple(FESTIVAL_META[k] for k in
                                                                      ("title", "issuer", "number", "date", "kind"))
    doc_id = result.citations[0].doc_id
    listed = {d["doc_id"]: d for d in admin.get("/api/admin/documents", headers=AUTH).json()}
    assert listed[doc_id]["chunks"] >= 1 and listed[doc_id]["title"] == FESTIVAL_META["title"]
    assert listed[doc_id]["source"].endswith("quy-che-le-hoi-hoa-ban.docx") and listed[doc_id]["has_file"]
    assert {d["doc_id"] for d in admin.get("/api/documents").json()} == set(listed)
    by_kind = ask(admin, FESTIVAL_Q, filters={"kind": "Quy chế"})
    assert "14/3/2031" in by_kind.answer and {p.doc_id for p in by_kind.retrieved} == {doc_id}
    # the document's own markup characters are shown as text
    page = admin.get(passage_url(result.citations[0].chunk_id, result.citations[0].highlights)).text
    assert "<b>không</b>" not in page and "&lt;b&gt;không&lt;/b&gt; in đậm &amp; giữ" in page
    check_passage_page(page, result.citations[0], doc_text(admin.server, doc_id), result.answer)
    assert admin.get(f"/files/{doc_id}").content == data
    assert admin.server.proc.poll() is None and admin.server.proc.pid == pid


@pytest.mark.parametrize("name,saved_as", [
    ("../../evil-{tag}.txt", "evil-{tag}.txt"),
    ("/tmp/abs-{tag}.txt", "abs-{tag}.txt"),
    ("..\\..\\win-{tag}.txt", "win-{tag}.txt"),
    (".hidden-{tag}.txt", "hidden-{tag}.txt"),
])
def test_upload_file_names_stay_inside_the_upload_folder(admin, name, saved_as):
    tag = uuid.uuid4().hex[:8]
    name, saved_as = name.format(tag=tag), saved_as.format(tag=tag)
    content = f"Tệp kiểm tra đường dẫn {tag}: đội văn nghệ xã Nà Tấu luyện tập vào tối thứ năm.".encode()
    r = upload(admin, [(name, content)])
    assert r.status_code == 202, r.text
    job = wait_job(admin, r.json()["id"])
    assert job["files"] == [saved_as] and job["status"] == "done", job
    assert (admin.uploads / saved_as).read_bytes() == content
    assert all(p.parent == admin.uploads for p in admin.uploads.rglob("*"))  # no sub-folders
    escaped = (admin.uploads / name.replace("\\", "/")).resolve()
    assert not escaped.exists() and not Path(f"/tmp/abs-{tag}.txt").exists()
    assert not (admin.uploads.parent.parent / f"evil-{tag}.txt").exists()


@pytest.mark.parametrize("name,size,status", [
    ("setup.exe", 1000, 400),
    ("no-extension", 1000, 400),
    ("empty.txt", 0, 400),
    ("big.txt", int(MAX_UPLOAD_MB * 1024 * 1024) + 20_000, 400),  # over the upload limit
    ("huge.txt", int(MAX_UPLOAD_MB * 1024 * 1024) * 4, 413),  # refused before it is read
])
def test_unacceptable_uploads_are_refused_and_not_saved(admin, name, size, status):
    before = sorted(p.name for p in admin.uploads.iterdir()) if admin.uploads.exists() else []
    generation = admin.get("/healthz").json()["generation"]
    assert_error(upload(admin, [(name, b"a " * (size // 2))]), status)
    after = sorted(p.name for p in admin.uploads.iterdir()) if admin.uploads.exists() else []
    assert after == before
    assert admin.get("/healthz").json()["generation"] == generation


def test_upload_with_one_unacceptable_file_saves_none(admin):
    tag = uuid.uuid4().hex[:6]
    r = upload(admin, [(f"tot-{tag}.txt", "Nội dung hợp lệ.".encode()), (f"virus-{tag}.exe", b"MZ\x90\x00")])
    error = assert_error(r, 400)
    assert ".exe" in error["message"]
    assert not (admin.uploads / f"tot-{tag}.txt").exists()


def test_upload_of_two_files_saved_under_one_name_is_refused(admin):
    tag = uuid.uuid4().hex[:6]
    r = upload(admin, [(f"Kế hoạch {tag}.txt", "Bản một.".encode()), (f"Ke hoach {tag}.txt", "Bản hai.".encode())])
    error = assert_error(r, 400)
    assert "trùng tên" in error["message"] and f"Kế hoạch {tag}.txt" in error["message"]
    assert not list(admin.uploads.glob(f"*{tag}*"))


def test_upload_without_files_is_refused(admin):
    r = admin.post("/api/admin/documents", headers=AUTH, data={"title": "x"})
    assert_error(r, 422)


def test_corrupt_pdf_fails_its_job_and_is_removed(admin):
    before = admin.get("/healthz").json()
    r = upload(admin, [("bao-cao-hong.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")], {"title": "Hỏng"})
    assert r.status_code == 202
    job = wait_job(admin, r.json()["id"])
    assert job["status"] == "failed", job
    assert [name for name, _reason in job["failed"]] == ["bao-cao-hong.pdf"] and job["failed"][0][1].strip()
    assert "bao-cao-hong.pdf" in job["message"] and job["failed"][0][1] in job["message"]
    assert not (admin.uploads / "bao-cao-hong.pdf").exists()
    assert not (admin.uploads / "bao-cao-hong.pdf.meta.json").exists()
    assert admin.get("/healthz").json() == before
    assert "Đỗ Văn Nghị" in ask(admin, Q_205).answer


def test_questions_are_answered_while_an_upload_is_ingested(admin):
    old = admin.get("/healthz").json()["generation"]
    tag = uuid.uuid4().hex[:6]
    with Askers(admin.server) as askers:
        time.sleep(0.5)
        r = upload(admin, [(f"doi-bong-{tag}.txt", f"Đội bóng chuyền {tag} tập luyện vào chiều thứ ba.".encode())])
        job = wait_job(admin, r.json()["id"])
        time.sleep(1.0)
    assert job["status"] == "done", job
    new = admin.get("/healthz").json()["generation"]
    assert new != old
    assert askers.all_answered("Đỗ Văn Nghị") <= {old, new}
    assert wait_one_generation(admin, admin.server.index) == [new]


def test_upload_with_one_bad_file_keeps_the_good_one(admin):
    tag = uuid.uuid4().hex[:6]
    r = upload(admin, [(f"tot-{tag}.txt", f"Câu lạc bộ cờ tướng {tag} họp vào sáng chủ nhật hằng tuần.".encode()),
                       (f"hong-{tag}.pdf", b"%PDF-1.7 not really")])
    job = wait_job(admin, r.json()["id"])
    assert job["status"] == "done", job
    assert [Path(a).name for a in job["added"]] == [f"tot-{tag}.txt"]
    assert [name for name, _ in job["failed"]] == [f"hong-{tag}.pdf"] and f"hong-{tag}.pdf" in job["message"]
    assert (admin.uploads / f"tot-{tag}.txt").exists() and not (admin.uploads / f"hong-{tag}.pdf").exists()


def test_deleting_a_document_removes_it_from_answers_and_lists(admin):
    fact_q = "Giải chạy Vì Biển Đảo ở xã Hồng Ngài khởi động lúc mấy giờ?"
    assert ask(admin, fact_q).refused
    content = ("Giải chạy Vì Biển Đảo ở xã Hồng Ngài khởi động lúc 5 giờ 45 phút sáng ngày 9/9/2030 "
               "tại nhà văn hóa trung tâm xã.").encode()
    job = wait_job(admin, upload(admin, [("giai-chay-hong-ngai.txt", content)],
                                 {"title": "Thông báo giải chạy Hồng Ngài", "issuer": "UBND xã Hồng Ngài"}).json()["id"])
    assert job["status"] == "done", job
    result = ask(admin, fact_q)
    assert not result.refused and "5 giờ 45" in result.answer
    doc_id = result.citations[0].doc_id
    assert result.citations[0].title == "Thông báo giải chạy Hồng Ngài"
    chunk_id = result.citations[0].chunk_id
    before = admin.get("/healthz").json()

    r = admin.delete(f"/api/admin/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert [Path(s).name for s in r.json()["removed"]] == ["giai-chay-hong-ngai.txt"]
    after = ask(admin, fact_q)
    assert doc_id not in {c.doc_id for c in after.citations} | {p.doc_id for p in after.retrieved}
    assert after.refused
    assert doc_id not in {d["doc_id"] for d in admin.get("/api/documents").json()}
    assert doc_id not in {d["doc_id"] for d in admin.get("/api/admin/documents", headers=AUTH).json()}
    health = admin.get("/healthz").json()
    assert health["documents"] == before["documents"] - 1 and health["generation"] != before["generation"]
    assert not (admin.uploads / "giai-chay-hong-ngai.txt").exists()
    assert not (admin.uploads / "giai-chay-hong-ngai.txt.meta.json").exists()
    assert_error(admin.get(passage_url(chunk_id, [])), 404)
    assert_error(admin.get(f"/files/{doc_id}"), 404)
    assert_error(admin.delete(f"/api/admin/documents/{doc_id}", headers=AUTH), 404)
    assert_error(admin.delete("/api/admin/documents/no-such-document", headers=AUTH), 404)
    assert "Đỗ Văn Nghị" in ask(admin, Q_205).answer


# --- rate limit -------------------------------------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after(limited):
    fresh_rate_window()
    for _ in range(3):
        assert limited.post("/api/ask", json={"question": Q_205}).status_code == 200
    r = limited.post("/api/ask", json={"question": Q_205})
    assert_error(r, 429)
    assert int(r.headers["retry-after"]) > 0
    assert_error(limited.post("/api/ask/stream", json={"question": Q_205}), 429)
    # the rest of the API is not limited
    assert limited.get("/healthz").status_code == 200
    assert limited.get("/api/documents").status_code == 200
    assert limited.post("/api/feedback", json={"question": Q_205, "liked": True}).status_code == 201


def test_questions_are_answered_while_the_state_store_is_down(nostate):
    """Rate limits and the usage log are not worth a person's answer: without the state store
    questions are still answered (unlimited, unlogged); what needs the store says so with a 503."""
    for _ in range(4):  # more than the rate limit of 2, which cannot be counted
        result = ask(nostate, Q_205)
        assert not result.refused and "Đỗ Văn Nghị" in result.answer
    events = sse_events(nostate.post("/api/ask/stream", json={"question": Q_205}).text)
    assert events[-1][0] == "done" and "Đỗ Văn Nghị" in events[-1][1]["answer"]["answer"]
    assert_error(nostate.post("/api/feedback", json={"question": Q_205, "liked": True}), 503)
    assert_error(nostate.get("/api/admin/usage", headers=AUTH), 503)
    assert_error(nostate.get("/api/admin/export/feedback.csv", headers=AUTH), 503)
    assert nostate.get("/healthz").json()["status"] == "ok"


# --- following the index -------------------------------------------------------------------------------------------
def test_server_follows_a_cli_ingest_and_cleans_up_the_old_generation(follow, tmp_path):
    server = follow.server
    fact_q = "Hội thi Sáo trúc Mường Lay lần thứ nhất tổ chức ngày nào?"
    old = follow.get("/healthz").json()
    assert ask(follow, fact_q).refused
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "hoi-thi-sao-truc.txt").write_text(
        "THÔNG BÁO\nHội thi Sáo trúc Mường Lay lần thứ nhất tổ chức ngày 23/8/2029 tại bản Na Pheo, "
        "thị xã Mường Lay, tỉnh Điện Biên.\n", encoding="utf-8")
    done = run_cli("ingest", str(extra), "--index", str(server.index), "--quiet")
    assert done.returncode == 0, done.stderr
    gens = sorted(p.name for p in server.index.glob("gen-*"))
    assert len(gens) == 2 and old["generation"] in gens  # the server still holds the old one

    health = follow.get("/healthz").json()
    assert health["generation"] != old["generation"]
    assert health["generation"] == (server.index / "CURRENT").read_text().strip()
    assert health["documents"] == old["documents"] + 1
    result = ask(follow, fact_q)
    assert not result.refused and "23/8/2029" in result.answer
    assert {c.doc_id for c in result.citations} == {"hoi-thi-sao-truc"}
    assert wait_one_generation(follow, server.index) == [health["generation"]]
    assert "Đỗ Văn Nghị" in ask(follow, Q_205).answer  # the corpus is still there


def test_questions_are_answered_while_a_cli_ingest_switches_generations(follow, tmp_path):
    server = follow.server
    old = follow.get("/healthz").json()["generation"]
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "cau-lac-bo-tho.txt").write_text("Câu lạc bộ thơ Đường xã Lay Nưa sinh hoạt vào chiều thứ bảy.\n",
                                               encoding="utf-8")
    with Askers(server) as askers:
        time.sleep(0.5)
        done = run_cli("ingest", str(extra), "--index", str(server.index), "--quiet")
        time.sleep(1.0)  # a few more questions on the new generation
    assert done.returncode == 0, done.stderr
    new = (server.index / "CURRENT").read_text().strip()
    assert new != old
    assert askers.all_answered("Đỗ Văn Nghị") <= {old, new}
    assert wait_one_generation(follow, server.index) == [new]


# --- shared state on PostgreSQL ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_sites(postgres_url, corpus_index, tmp_path_factory, request):  # noqa: F811
    """Two servers on one copy of the index sharing one PostgreSQL schema, 3 questions a minute."""
    from sqlalchemy import create_engine, text

    schema = f"api_{uuid.uuid4().hex[:10]}"
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    root = tmp_path_factory.mktemp("api-pg")
    index = copy_index(corpus_index.index_dir, root / "index")
    env = {"HOIDAP_STATE_URL": url, "HOIDAP_RATE_LIMIT_PER_MINUTE": "3", "HOIDAP_UPLOAD_DIR": str(root / "uploads")}
    try:
        with running_servers([(index, env), (index, env)], request) as (a, b):
            with _client(a) as ca, _client(b) as cb:
                yield url, ca, cb
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _reset_rate_limits(url: str) -> None:
    from sqlalchemy import text

    from hoidap.state import StateStore

    with StateStore(url) as store:
        store.prune_expired()  # creates the tables when no server has yet
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM hoidap_rate_limits"))


def test_postgresql_state_keeps_questions_and_feedback(pg_sites):
    from hoidap.state import StateStore

    url, a, b = pg_sites
    _reset_rate_limits(url)
    fresh_rate_window()
    # a plain question (a random tag in it would be part of what is asked): counted before and after
    question = "Ai ký Kế hoạch số 205-KH/TU của Thành ủy Yên Bái?"

    def logged() -> tuple[int, list[dict]]:
        with StateStore(url) as store:
            count = {e["question"]: e["count"] for e in store.top_questions(1000)}.get(question, 0)
            rows = [r for r in csv.DictReader(io.StringIO(store.export_csv("questions")[1:])) if r["question"] == question]
        return count, rows

    count_before, rows_before = logged()
    first, second = ask(a, question), ask(b, question)
    assert first.answer == second.answer and "Đỗ Văn Nghị" in first.answer
    comment = f"Thiếu chức vụ người ký ({uuid.uuid4().hex[:6]})"
    fid = b.post("/api/feedback", json={"question": question, "answer": first.answer, "liked": False,
                                        "comment": comment}).json()["id"]
    count_after, rows_after = logged()
    assert count_after == count_before + 2
    assert [(r["channel"], r["answer"]) for r in rows_after[len(rows_before):]] == [("api", first.answer)] * 2
    with StateStore(url) as store:
        assert store.backend == "postgresql"
        top = {e["question"]: e for e in store.top_questions(1000)}
        assert top[question]["refused"] == 0
        negative = {e["id"]: e for e in store.negative_feedback(50)}
        assert (negative[fid]["question"], negative[fid]["comment"], negative[fid]["channel"]) == (question, comment, "api")


def test_postgresql_state_takes_text_with_nul_characters(pg_sites):
    """PostgreSQL text cannot hold NUL: the question is still logged and the feedback kept."""
    from hoidap.state import StateStore

    url, a, _b = pg_sites
    _reset_rate_limits(url)
    tag = uuid.uuid4().hex[:6]
    result = ask(a, f"Ai ký\u0000 Kế hoạch 205-KH/TU? ({tag})")
    assert "Đỗ Văn Nghị" in result.answer
    r = a.post("/api/feedback", json={"question": f"câu\u0000 hỏi {tag}", "answer": "x\u0000", "liked": False,
                                      "comment": "sai\u0000 rồi"})
    assert r.status_code == 201, r.text
    with StateStore(url) as store:
        assert any(e["question"] == result.question.replace("\x00", "") for e in store.top_questions(500))
        negative = {e["id"]: e for e in store.negative_feedback(50)}[r.json()["id"]]
        assert (negative["question"], negative["answer"], negative["comment"]) == (f"câu hỏi {tag}", "x", "sai rồi")


def test_rate_limit_is_shared_by_servers_on_one_postgresql(pg_sites):
    url, a, b = pg_sites
    _reset_rate_limits(url)
    fresh_rate_window()
    assert a.post("/api/ask", json={"question": Q_205}).status_code == 200
    assert a.post("/api/ask", json={"question": Q_205}).status_code == 200
    assert b.post("/api/ask", json={"question": Q_205}).status_code == 200
    r = b.post("/api/ask", json={"question": Q_205})
    assert_error(r, 429)
    assert int(r.headers["retry-after"]) > 0
    assert_error(a.post("/api/ask", json={"question": Q_205}), 429)
