"""`hoidap serve`: one process, one `Service`, every way in — the chat page at `/`, the JSON
API under `/api/`, `/healthz`, the cited passages and original files. Bad requests get a
4xx with a JSON error, never a 500."""
from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile, Response
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hoidap.admin import Admin, AdminError, token_ok
from hoidap.schema import AnswerOut, DocumentOut
from hoidap.service import BadRequest, Service, ServiceError
from hoidap.settings import Settings

from . import render

log = logging.getLogger("hoidap.server")
MAX_QUESTION = 2000


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_id: str | None = Field(None, max_length=300)
    issuer: str | None = Field(None, max_length=300)
    kind: str | None = Field(None, max_length=300)


class HistoryTurn(BaseModel):
    """An earlier turn as the client got it back: the question and what its answer cited
    (`hoidap.schema.Turn`), so "người đó", "văn bản ấy" resolve to the passages it quoted."""
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    answer: str = Field("", max_length=20000)
    refused: bool = False
    doc_ids: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=20)
    chunk_ids: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    history: list[Annotated[str, Field(max_length=MAX_QUESTION)] | HistoryTurn] = Field(
        default_factory=list, max_length=20,
        description="earlier turns, oldest first: question strings, or turns with what their answers cited")
    filters: Filters | None = None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field("", max_length=20000)
    liked: bool
    comment: str = Field("", max_length=4000)


class FeedbackOut(BaseModel):
    id: int


class Health(BaseModel):
    status: str
    generation: str | None
    documents: int
    chunks: int


def _error(status: int, message: str, details=None) -> JSONResponse:
    body = {"error": {"status": status, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    service = service or Service(settings)
    admin = Admin(service)
    # FastAPIOffline serves the /docs page's scripts itself instead of from a CDN.
    app = FastAPIOffline(redoc_url=None, title="hoidap", version="0.2.0",
                         description="Hỏi đáp có trích dẫn về tác phẩm và các kế hoạch học tập tác phẩm.")
    app.state.service = service
    app.state.admin = admin

    # --- errors: always JSON, never a traceback ----------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        return _error(422, "Yêu cầu không hợp lệ.", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        response = _error(exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(BadRequest)
    async def bad_question(_request: Request, exc: BadRequest):
        return _error(400, str(exc))

    @app.exception_handler(ServiceError)
    async def unavailable(_request: Request, exc: ServiceError):
        log.warning("service unavailable: %s", exc)
        return _error(503, "Kho tài liệu chưa sẵn sàng; vui lòng thử lại sau.")

    @app.exception_handler(SQLAlchemyError)
    async def state_unavailable(_request: Request, exc: SQLAlchemyError):
        log.warning("state store unavailable: %s", exc.__class__.__name__)
        return _error(503, "Chưa lưu được dữ liệu (kho trạng thái không phản hồi); vui lòng thử lại sau.")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception):
        return _error(500, "Lỗi máy chủ; vui lòng thử lại sau.")

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        """Refuse oversized bodies before reading them (uploads have their own, larger limit)."""
        if request.method in ("POST", "PUT", "PATCH") and request.url.path.startswith("/api/"):
            limit = (settings.max_upload_mb * 1024 * 1024 * 1.05 + 65536 if request.url.path.startswith("/api/admin/")
                     else settings.max_body_kb * 1024)
            length = request.headers.get("content-length")
            if length is None and request.headers.get("transfer-encoding", "").lower() == "chunked":
                return _error(411, "Cần khai báo Content-Length.")
            try:
                if length is not None and int(length) > limit:
                    return _error(413, f"Nội dung yêu cầu quá lớn (tối đa {int(limit // 1024)} KB).")
            except ValueError:
                return _error(400, "Content-Length không hợp lệ.")
        return await call_next(request)

    def rate_limited(request: Request) -> None:
        limit = settings.rate_limit_per_minute
        if limit <= 0:
            return
        client = request.client.host if request.client else "unknown"
        try:
            over = service.state.hit_rate_limit(f"ask:{client}", limit, 60)
        except Exception as e:  # a state store that is down must not cost people their answers
            log.warning("rate limit not checked: %s", e.__class__.__name__)
            return
        if over:
            raise HTTPException(429, "Bạn hỏi quá nhanh; vui lòng đợi một phút rồi hỏi tiếp.", headers={"Retry-After": "60"})

    def filters_of(body: AskRequest) -> dict | None:
        return body.filters.model_dump(exclude_none=True) if body.filters else None

    def history_of(body: AskRequest) -> list:
        return [h if isinstance(h, str) else h.model_dump() for h in body.history]

    # --- the API -------------------------------------------------------------------------------
    @app.post("/api/ask", response_model=AnswerOut, dependencies=[Depends(rate_limited)],
              responses={400: {"description": "an unusable question"}, 429: {"description": "too many questions"}})
    def ask(body: AskRequest) -> AnswerOut:
        """Answer one question (with the conversation's earlier questions) with cited passages."""
        return service.ask(body.question, history_of(body), filters_of(body), channel="api")

    @app.post("/api/ask/stream", dependencies=[Depends(rate_limited)],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "events `delta`, `notice`, then `done` with the answer schema"}})
    def ask_stream(body: AskRequest):
        """The answer as server-sent events; the final `done` event carries the whole answer."""
        events = service.stream(body.question, history_of(body), filters_of(body), channel="api")
        try:
            first = next(events)  # validate the question before the 200 is sent
        except BadRequest as e:
            return _error(400, str(e))

        def sse():
            try:
                for ev in itertools.chain([first], events):
                    yield f"event: {ev.type}\ndata: {ev.model_dump_json()}\n\n"
            except ServiceError as e:
                yield f"event: error\ndata: {json.dumps({'message': str(e)}, ensure_ascii=False)}\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @app.get("/api/documents", response_model=list[DocumentOut])
    def documents() -> list[DocumentOut]:
        return service.documents()

    @app.post("/api/feedback", response_model=FeedbackOut, status_code=201)
    def feedback(body: FeedbackRequest) -> FeedbackOut:
        return FeedbackOut(id=service.feedback(body.question, body.answer, body.liked, body.comment, channel="api"))

    @app.get("/healthz", response_model=Health)
    def healthz(response: Response) -> Health:
        health = Health(**{k: v for k, v in service.health().items() if k in Health.model_fields})
        if health.status != "ok":
            response.status_code = 503  # load balancers: this server cannot answer yet
        return health

    # --- passages and original files -------------------------------------------------------------
    @app.get("/passage/{chunk_id}", response_class=HTMLResponse)
    def passage(chunk_id: str, h: str | None = None, fragment: bool = False) -> HTMLResponse:
        view = service.passage(chunk_id, render.parse_highlights(h))
        if view is None:
            raise HTTPException(404, "Không có đoạn trích này trong kho (có thể kho vừa được cập nhật).")
        pdf = f"/files/{view.doc.doc_id}#page={view.page or 1}" if view.doc.is_pdf and view.doc.has_file else None
        page = render.passage_html(view, pdf) if fragment else render.passage_page(view, pdf)
        return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
                            if not fragment else None)

    @app.get("/files/{doc_id}")
    def original_file(doc_id: str) -> FileResponse:
        path = service.document_file(doc_id)
        if path is None:
            raise HTTPException(404, "Không có tệp gốc của tài liệu này.")
        media = "application/pdf" if path.suffix.lower() == ".pdf" else None
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type="inline")

    # --- administration ----------------------------------------------------------------------------
    def require_admin(authorization: Annotated[str | None, Header()] = None) -> None:
        if settings.admin_token is None:
            raise HTTPException(404, "Chức năng quản trị đang tắt (chưa đặt HOIDAP_ADMIN_TOKEN).")
        given = authorization[7:] if authorization and authorization.lower().startswith("bearer ") else None
        if not token_ok(service, given):
            raise HTTPException(401, "Sai hoặc thiếu mã quản trị.", headers={"WWW-Authenticate": "Bearer"})

    admin_dep = [Depends(require_admin)]

    @app.post("/api/admin/documents", status_code=202, dependencies=admin_dep)
    async def upload(files: Annotated[list[UploadFile], File()], title: Annotated[str, Form(max_length=500)] = "",
                     issuer: Annotated[str, Form(max_length=300)] = "", number: Annotated[str, Form(max_length=100)] = "",
                     date: Annotated[str, Form(max_length=50)] = "", kind: Annotated[str, Form(max_length=100)] = ""):
        """Upload files with their metadata; they are ingested in the background (see the job)."""
        limit = int(settings.max_upload_mb * 1024 * 1024)
        received = []
        for f in files:
            data = await f.read(limit + 1)
            received.append((f.filename or "", data))
        try:
            job = admin.upload(received, {"title": title, "issuer": issuer, "number": number, "date": date, "kind": kind})
        except AdminError as e:
            return _error(400, str(e))
        return job.to_dict()

    @app.get("/api/admin/jobs/{job_id}", dependencies=admin_dep)
    def job(job_id: str):
        found = admin.job(job_id)
        if found is None:
            raise HTTPException(404, "Không có tác vụ này.")
        return found.to_dict()

    @app.get("/api/admin/documents", response_model=list[DocumentOut], dependencies=admin_dep)
    def admin_documents() -> list[DocumentOut]:
        return service.documents()

    @app.delete("/api/admin/documents/{doc_id}", dependencies=admin_dep)
    def delete(doc_id: str):
        try:
            return {"removed": admin.delete(doc_id)}
        except AdminError as e:
            raise HTTPException(404, str(e)) from None

    @app.get("/api/admin/usage", dependencies=admin_dep)
    def usage(limit: int = 50):
        limit = max(1, min(limit, 500))
        return {"top_questions": service.state.top_questions(limit), "refused": service.state.refused_questions(limit),
                "negative_feedback": service.state.negative_feedback(limit)}

    @app.get("/api/admin/export/{kind}.csv", dependencies=admin_dep)
    def export(kind: str):
        if kind not in ("questions", "feedback"):
            raise HTTPException(404, "Chỉ xuất được: questions, feedback.")
        return PlainTextResponse(service.state.export_csv(kind), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="hoidap-{kind}.csv"'})

    # --- anything else under our paths: a JSON 404/405, not the chat page's plain 404 ---------------
    # (the page is mounted at "/" and would otherwise take every request no route above matched
    # fully, such as GET /api/ask)
    async def not_here(request: Request):
        allowed = set()
        for route in app.router.routes:
            if isinstance(route, APIRoute) and route.endpoint is not not_here:
                match, _ = route.matches(request.scope)
                if match == Match.PARTIAL:  # the path exists, with other methods
                    allowed |= route.methods or set()
        if allowed:
            raise HTTPException(405, "Phương thức không được hỗ trợ ở địa chỉ này.",
                                headers={"Allow": ", ".join(sorted(allowed))})
        raise HTTPException(404, "Không có địa chỉ này.")

    for path in ("/api/{rest:path}", "/healthz", "/passage/{rest:path}", "/files/{rest:path}"):
        app.add_api_route(path, not_here, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                          include_in_schema=False)

    # --- the Zalo webhooks (/zalo/bot, /zalo/oa; 404 until their secrets are set) --------------------
    from .zalo import router as zalo_router

    app.include_router(zalo_router(service, settings))

    # --- the chat page ------------------------------------------------------------------------------
    from .web import mount

    return mount(app, service, admin)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> int:
    import uvicorn

    from hoidap.service import IndexUnavailable

    _offline()
    service = Service(settings)
    try:
        service.refresh()  # open the index now: the first visitor should not wait for it
    except IndexUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    app = create_app(settings, service)
    shown = "localhost" if host in ("0.0.0.0", "127.0.0.1", "::") else host
    print(f"hoidap: the chat is at http://{shown}:{port}/ (API docs: http://{shown}:{port}/docs); Ctrl+C stops it",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    service.close()
    return 0


def _offline() -> None:
    """Nothing the page or the server does may reach outside the machine."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
