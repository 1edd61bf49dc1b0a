"""The Zalo webhooks of `hoidap serve`: `POST /zalo/bot` (Bot Platform) and `POST /zalo/oa`
(Official Account). Each checks the caller (secret header / signature), acknowledges at once
and leaves the answer to a bounded pool of workers (`hoidap.zalo.ZaloChannels`); a full queue
answers 503 so that Zalo delivers again later. A webhook whose secrets are not configured
answers 404."""
from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from hoidap.service import Service
from hoidap.settings import Settings
from hoidap.zalo import ZaloChannels, bot_message, bot_secret_ok, oa_message, verify_oa_event

log = logging.getLogger("hoidap.zalo")

MAX_EVENT_BYTES = 256 * 1024  # Zalo's events are small; anything bigger is not from Zalo


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    try:
        if length is not None and int(length) > MAX_EVENT_BYTES:
            raise HTTPException(413, "Nội dung quá lớn.")
    except ValueError:
        raise HTTPException(400, "Content-Length không hợp lệ.") from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_EVENT_BYTES:
            raise HTTPException(413, "Nội dung quá lớn.")
    return bytes(body)


def _busy() -> HTTPException:
    return HTTPException(503, "Máy chủ đang bận; Zalo sẽ gửi lại sau.", headers={"Retry-After": "10"})


def router(service: Service, settings: Settings) -> APIRouter:
    channels = ZaloChannels(service, settings)

    @asynccontextmanager
    async def lifespan(_app):
        if channels.oa_client is not None and not channels.oa_webhook_enabled:
            log.warning("zalo-oa: HOIDAP_ZALO_OA_APP_ID is set but HOIDAP_ZALO_OA_SECRET_KEY is not; /zalo/oa stays off")
        if channels.bot_client is not None and not channels.bot_webhook_enabled:
            log.warning("zalo-bot: HOIDAP_ZALO_BOT_TOKEN is set but HOIDAP_ZALO_BOT_SECRET is not; /zalo/bot stays off "
                        "(use `hoidap zalo poll` without a webhook)")
        yield
        # Answer what was already acknowledged before the process ends (Zalo will not resend it).
        await run_in_threadpool(channels.close, settings.zalo_drain_s)

    r = APIRouter(lifespan=lifespan, tags=["zalo"])

    @r.post("/zalo/bot", responses={401: {"description": "wrong or missing X-Bot-Api-Secret-Token"},
                                    404: {"description": "the bot is not configured"}})
    async def zalo_bot(request: Request) -> dict:
        """Zalo Bot Platform webhook: acknowledged at once, answered in the background."""
        if not channels.bot_webhook_enabled:
            raise HTTPException(404, "Webhook Zalo Bot chưa bật (cần HOIDAP_ZALO_BOT_TOKEN và HOIDAP_ZALO_BOT_SECRET).")
        if not bot_secret_ok(channels.bot_secret, request.headers.get("x-bot-api-secret-token")):
            log.warning("zalo-bot: rejected a webhook call with a wrong or missing X-Bot-Api-Secret-Token")
            raise HTTPException(401, "Sai hoặc thiếu mã bí mật của webhook.")
        raw = await _body(request)
        try:
            update = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "Nội dung không phải JSON.") from None
        msg = bot_message(update)
        if msg is not None and not channels.enqueue(msg):
            log.error("zalo-bot: the answer queue is full; asked Zalo to deliver again later")
            raise _busy()
        return {"ok": True}

    @r.post("/zalo/oa", responses={401: {"description": "wrong signature or stale event"},
                                   404: {"description": "the Official Account is not configured"}})
    async def zalo_oa(request: Request) -> dict:
        """Zalo Official Account webhook (signed events): acknowledged at once, answered in the background."""
        if not channels.oa_webhook_enabled:
            raise HTTPException(404, "Webhook Zalo OA chưa bật (cần HOIDAP_ZALO_OA_APP_ID và HOIDAP_ZALO_OA_SECRET_KEY).")
        raw = await _body(request)
        event, why = verify_oa_event(raw, request.headers.get("x-zevent-signature"), channels.oa_app_id,
                                     channels.oa_secret, settings.zalo_oa_max_event_age_s)
        if event is None:
            log.warning("zalo-oa: rejected a webhook call: %s", why)
            raise HTTPException(401, "Chữ ký của sự kiện không hợp lệ hoặc sự kiện đã quá cũ.")
        msg = oa_message(event)
        if msg is not None and not channels.enqueue(msg):
            log.error("zalo-oa: the answer queue is full; asked Zalo to deliver again later")
            raise _busy()
        return {"error": 0, "message": "ok"}

    async def not_here(request: Request):
        if request.url.path.rstrip("/") in ("/zalo/bot", "/zalo/oa"):
            raise HTTPException(405, "Phương thức không được hỗ trợ ở địa chỉ này.", headers={"Allow": "POST"})
        raise HTTPException(404, "Không có địa chỉ này.")

    r.add_api_route("/zalo/{rest:path}", not_here, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                    include_in_schema=False)
    r.channels = channels  # for tests and tools in the same process
    return r
