"""Typed clients for Zalo's two messaging APIs, and the checks of their webhooks.

- The Bot Platform (token bots created in "Zalo Bot Manager"):
  `{api_base}/bot{TOKEN}/{method}`, answers `{"ok", "result" | "error_code", "description"}`.
- The Official Account API v3: messages through `{api_base}/v3.0/oa/message/cs` with an access
  token that lives about 25 hours; refreshed at `{oauth_base}/v4/oa/access_token` with a refresh
  token that is single-use and rotates on every refresh.

The OA token pair is kept in the shared state store (`hoidap.state.StateStore`), not in a file:
several app servers behind one load balancer must all see the newest pair, and the store is
already what they share (SQLite beside the index for one server, PostgreSQL for several). Every
write of the pair is one atomic upsert, done before the new access token is used; and a refresh
token is spent by exactly one process, the one that wins `claim_message` on its hash, while the
others wait for the pair it stores.

Secrets never reach a log: the bot token is part of every Bot Platform URL, so httpx's own
request log lines are redacted, and our messages name error codes with plain explanations only.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from hoidap.bot import Incoming

log = logging.getLogger("hoidap.zalo")

MAX_TEXT = 2000  # characters in one text message, on both APIs

# --- secrets out of logs --------------------------------------------------------------------------
_BOT_PATH = re.compile(r"/bot[^/\s\"']+/")


def redact(text: str, *secrets: str | None) -> str:
    """`text` with the bot token in URLs and every given secret replaced by ***."""
    out = _BOT_PATH.sub("/bot***/", str(text))
    for s in secrets:
        if s and len(s) >= 4:
            out = out.replace(s, "***")
    return out


class _RedactTokens(logging.Filter):
    """httpx logs every request URL at INFO; Bot Platform URLs carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        if "/bot" in message:
            record.msg, record.args = _BOT_PATH.sub("/bot***/", message), None
        return True


for _name in ("httpx", "httpcore"):
    if not any(isinstance(f, _RedactTokens) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_RedactTokens())


# --- errors, explained ------------------------------------------------------------------------------
OA_ERRORS = {
    -213: "the user does not follow the Official Account (or has blocked it); the OA can only message followers",
    -230: "the user has not interacted with the OA in the last 7 days; replies are only allowed inside the interaction window",
    -232: "there is no valid interaction to reply to (the interaction window has expired or never opened)",
    -216: "the access token is invalid (it will be refreshed)",
    -220: "the access token has expired (it will be refreshed)",
    -32: "Zalo is rate-limiting this OA; the message is retried later",
    -211: "the OA is out of its message quota for now",
    -201: "Zalo rejected a parameter of the request (for example an empty or over-long text)",
    -124: "the access token is invalid for this OA",
}
BOT_ERRORS = {
    400: "Zalo rejected the request as malformed (for example an empty text or one over 2,000 characters)",
    401: "the bot token is wrong or was revoked (Zalo Bot Manager shows the current one)",
    403: "the bot may not message this chat",
    404: "unknown method or bot (check HOIDAP_ZALO_BOT_API_BASE and the token)",
    408: "the long poll ended with nothing new",
    429: "Zalo is rate-limiting the bot; the message is retried later",
}
OAUTH_HINT = ("Zalo refused to refresh the OA token: the refresh token is wrong, expired (about 3 months) or was already "
              "used (each one works once), or HOIDAP_ZALO_OA_APP_ID / HOIDAP_ZALO_OA_APP_SECRET are wrong. Authorise the "
              "app again in the Zalo developer console and set HOIDAP_ZALO_OA_REFRESH_TOKEN (and "
              "HOIDAP_ZALO_OA_ACCESS_TOKEN) to the new pair.")


class ZaloError(Exception):
    """A call to Zalo failed. `retryable`: trying again later may succeed (network, 5xx, rate limits)."""

    def __init__(self, api: str, code: Any, description: str = "", retryable: bool = False) -> None:
        self.api, self.code, self.description, self.retryable = api, code, description, retryable
        super().__init__(self.explain())

    def explain(self) -> str:
        table = OA_ERRORS if self.api == "oa" else BOT_ERRORS if self.api == "bot" else {}
        meaning = table.get(self.code) if isinstance(self.code, int) else None
        if self.api == "oauth" and not meaning:
            meaning = OAUTH_HINT if self.code not in ("network", "timeout", "http", "busy", "missing") else None
        text = f"Zalo {self.api} error {self.code}"
        if self.description:
            text += f" ({self.description})"
        if meaning:
            text += f": {meaning}"
        return text


def _error_text(value: Any, limit: int = 200) -> str:
    return redact(str(value or ""))[:limit]


def _transport_error(api: str, e: Exception) -> ZaloError:
    kind = "timeout" if isinstance(e, httpx.TimeoutException) else "network"
    return ZaloError(api, kind, f"{type(e).__name__}: no answer from Zalo", retryable=True)


# --- the Bot Platform -------------------------------------------------------------------------------
class BotClient:
    """`{api_base}/bot{token}/{method}` with JSON bodies."""

    def __init__(self, token: str, api_base: str, timeout_s: float = 15.0, http: httpx.Client | None = None) -> None:
        if not token:
            raise ValueError("the Zalo bot token is not set (HOIDAP_ZALO_BOT_TOKEN)")
        self._token = token
        self.api_base = api_base.rstrip("/")
        self.timeout_s = timeout_s
        self._http = http or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, payload: dict | None = None, timeout_s: float | None = None) -> Any:
        url = f"{self.api_base}/bot{self._token}/{method}"
        try:
            r = self._http.post(url, json=payload or {}, timeout=timeout_s or self.timeout_s)
        except httpx.HTTPError as e:
            raise _transport_error("bot", e) from None
        try:
            data = r.json()
        except ValueError:
            raise ZaloError("bot", r.status_code, "the answer is not JSON",
                            retryable=r.status_code >= 500 or r.status_code == 429) from None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        body = data if isinstance(data, dict) else {}
        code = body.get("error_code") or r.status_code
        try:
            code = int(code)
        except (TypeError, ValueError):
            pass
        retryable = code == 429 or (isinstance(code, int) and code >= 500)
        raise ZaloError("bot", code, _error_text(body.get("description")), retryable=retryable)

    def get_me(self) -> dict:
        return self.call("getMe") or {}

    def get_updates(self, timeout_s: int = 30) -> list[dict]:
        """Long-poll for new updates; Zalo returns one per call, or error 408 when the wait ended
        with nothing new (then: [])."""
        try:
            result = self.call("getUpdates", {"timeout": str(int(timeout_s))}, timeout_s=timeout_s + 15)
        except ZaloError as e:
            if e.code == 408:
                return []
            raise
        if not result:
            return []
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else [result]

    def set_webhook(self, url: str, secret_token: str) -> dict:
        return self.call("setWebhook", {"url": url, "secret_token": secret_token}) or {}

    def delete_webhook(self) -> dict:
        return self.call("deleteWebhook") or {}

    def get_webhook_info(self) -> dict:
        return self.call("getWebhookInfo") or {}

    def send_message(self, chat_id: str, text: str) -> dict:
        return self.call("sendMessage", {"chat_id": chat_id, "text": text}) or {}

    def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    # the bot's outbox (hoidap.bot.Outbox)
    def send(self, chat_id: str, text: str) -> dict:
        return self.send_message(chat_id, text)

    def typing(self, chat_id: str) -> None:
        self.send_chat_action(chat_id, "typing")


def check_webhook_secret(secret: str) -> str | None:
    """Why `secret` cannot be a Bot Platform webhook secret, or None when it can."""
    if not 8 <= len(secret or "") <= 256:
        return "the webhook secret must be 8 to 256 characters long"
    return None


def bot_secret_ok(expected: str | None, given: str | None) -> bool:
    """The `X-Bot-Api-Secret-Token` header against the configured secret, in constant time."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogateescape"))


# --- Official Account: the webhook signature ----------------------------------------------------------
def oa_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """`mac=` + sha256_hex(app_id + raw body + timestamp + OA secret key): a plain SHA-256 over
    the concatenation, not an HMAC."""
    digest = hashlib.sha256(app_id.encode("utf-8") + raw_body + str(timestamp).encode("utf-8")
                            + oa_secret_key.encode("utf-8")).hexdigest()
    return f"mac={digest}"


def verify_oa_event(raw_body: bytes, signature: str | None, app_id: str, oa_secret_key: str,
                    max_age_s: float, now: float | None = None) -> tuple[dict | None, str]:
    """(the event, "") when the body is signed by our OA and recent; (None, why) otherwise.
    `app_id` and `timestamp` (milliseconds) are read from the body, as Zalo signs them."""
    if not signature:
        return None, "no X-ZEvent-Signature header"
    try:
        event = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None, "the body is not JSON"
    if not isinstance(event, dict):
        return None, "the body is not a JSON object"
    body_app, timestamp = str(event.get("app_id", "")), str(event.get("timestamp", ""))
    if not hmac.compare_digest(body_app.encode(), str(app_id).encode()):
        return None, "the event is for another app id"
    expected = oa_signature(body_app, raw_body, timestamp, oa_secret_key)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "surrogateescape")):
        return None, "the signature does not match"
    try:
        sent = int(timestamp) / 1000.0
    except ValueError:
        return None, "the timestamp is not a number"
    age = (now if now is not None else time.time()) - sent
    if abs(age) > max_age_s:
        return None, f"the timestamp is {age:.0f} s off (more than {max_age_s:.0f} s): stale or replayed"
    return event, ""


# --- Official Account: tokens and messages -------------------------------------------------------------
def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None  # epoch seconds; None: unknown (as given by the deployer)
    seed: str  # digest of the deployer's initial refresh token this pair descends from

    def to_dict(self) -> dict:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_at": self.expires_at, "seed": self.seed, "updated": time.time()}


class OATokens:
    """The OA's access/refresh token pair, shared by every app server through the state store.

    The first pair comes from the settings (HOIDAP_ZALO_OA_ACCESS_TOKEN / _REFRESH_TOKEN); once
    refreshed, the stored pair wins, until the deployer sets a different refresh token (a new
    authorisation), which then replaces the stored one."""

    REFRESH_MARGIN_S = 3600.0  # refresh this long before the access token expires
    KEEP_S = 120 * 24 * 3600  # refresh tokens live about 3 months
    CLAIM_S = 90  # how long one process owns the spending of one refresh token
    WAIT_S = 30.0  # how long others wait for its new pair

    def __init__(self, state, app_id: str, app_secret: str | None, oauth_base: str,
                 access_token: str | None, refresh_token: str | None, http: httpx.Client,
                 timeout_s: float = 15.0) -> None:
        self.state, self.app_id, self._app_secret = state, app_id, app_secret or ""
        self.oauth_base = oauth_base.rstrip("/")
        self._initial = (access_token or "", refresh_token or "")
        self._seed = _digest(refresh_token or access_token or "")
        self._http, self.timeout_s = http, timeout_s
        self._lock = threading.Lock()
        self.key = f"zalo-oa-tokens:{app_id}"
        self.fail_key = f"zalo-oa-refresh-refused:{app_id}"

    def _secrets(self) -> tuple[str, ...]:
        return (self._app_secret, *self._initial)

    def current(self) -> TokenPair:
        data = self.state.conversation_get(self.key)
        if data and data.get("seed") == self._seed and data.get("access_token"):
            return TokenPair(data["access_token"], data.get("refresh_token", ""), data.get("expires_at"), self._seed)
        return TokenPair(self._initial[0], self._initial[1], None, self._seed)

    def _fresh(self, pair: TokenPair) -> bool:
        return bool(pair.access_token) and (pair.expires_at is None
                                            or pair.expires_at - time.time() > self.REFRESH_MARGIN_S)

    def access_token(self) -> str:
        """A usable access token, refreshed first when it expires within the margin."""
        pair = self.current()
        if self._fresh(pair):
            return pair.access_token
        return self.refresh(stale=pair.access_token or None)

    def refresh(self, stale: str | None) -> str:
        """A new access token, unless another thread or server already replaced `stale`."""
        with self._lock:
            pair = self.current()
            if pair.access_token != (stale or "") and self._fresh(pair):
                return pair.access_token  # refreshed elsewhere meanwhile
            if not pair.refresh_token:
                raise ZaloError("oauth", "missing", "no refresh token: set HOIDAP_ZALO_OA_REFRESH_TOKEN")
            if not self._app_secret:
                raise ZaloError("oauth", "missing", "no app secret: set HOIDAP_ZALO_OA_APP_SECRET")
            spent = pair.refresh_token
            refused = self._refused(spent)
            if refused is not None:  # Zalo already refused this refresh token: asking again cannot help
                raise refused
            if not self.state.claim_message(f"zalo-oa-refresh:{_digest(spent)}", ttl_s=self.CLAIM_S):
                return self._wait_for_rotation(spent)
            try:
                fresh = self._exchange(spent)
            except ZaloError as e:
                if not e.retryable:  # tell the other servers, so that they stop waiting and asking
                    self.state.conversation_put(self.fail_key, {"digest": _digest(spent), "code": e.code,
                                                                "description": e.description}, ttl_s=self.KEEP_S)
                raise
            # Persist the new pair (one atomic upsert) before anything uses it: the old refresh
            # token no longer works, so losing this pair would lock the bot out.
            self.state.conversation_put(self.key, fresh.to_dict(), ttl_s=self.KEEP_S)
            log.info("zalo-oa: access token refreshed; it expires in %.0f h",
                     ((fresh.expires_at or time.time()) - time.time()) / 3600)
            return fresh.access_token

    def _refused(self, refresh_token: str) -> ZaloError | None:
        failed = self.state.conversation_get(self.fail_key)
        if failed and failed.get("digest") == _digest(refresh_token):
            return ZaloError("oauth", failed.get("code"), str(failed.get("description") or ""))
        return None

    def _wait_for_rotation(self, spent: str) -> str:
        deadline = time.monotonic() + self.WAIT_S
        while time.monotonic() < deadline:
            pair = self.current()
            if pair.refresh_token != spent and pair.access_token:
                return pair.access_token
            if (refused := self._refused(spent)) is not None:
                raise refused
            time.sleep(0.1)
        raise ZaloError("oauth", "busy", "another process is refreshing the OA token and has not stored the new one",
                        retryable=True)

    def _exchange(self, refresh_token: str) -> TokenPair:
        try:
            r = self._http.post(f"{self.oauth_base}/v4/oa/access_token",
                                headers={"secret_key": self._app_secret},
                                data={"refresh_token": refresh_token, "app_id": self.app_id,
                                      "grant_type": "refresh_token"},
                                timeout=self.timeout_s)
        except httpx.HTTPError as e:
            raise _transport_error("oauth", e) from None
        try:
            data = r.json()
        except ValueError:
            raise ZaloError("oauth", "http", f"HTTP {r.status_code}, not JSON", retryable=r.status_code >= 500) from None
        if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
            body = data if isinstance(data, dict) else {}
            code = body.get("error", r.status_code)
            why = body.get("error_name") or body.get("error_description") or body.get("message") or ""
            raise ZaloError("oauth", code, redact(_error_text(why), *self._secrets(), refresh_token))
        try:
            expires_in = float(data.get("expires_in") or 90000)
        except (TypeError, ValueError):
            expires_in = 90000.0
        return TokenPair(str(data["access_token"]), str(data["refresh_token"]), time.time() + expires_in, self._seed)


class OAClient:
    """Customer-service text messages from the Official Account."""

    def __init__(self, tokens: OATokens, api_base: str, http: httpx.Client, timeout_s: float = 15.0) -> None:
        self.tokens, self.api_base, self._http, self.timeout_s = tokens, api_base.rstrip("/"), http, timeout_s

    def _post(self, token: str, user_id: str, text: str) -> dict:
        try:
            r = self._http.post(f"{self.api_base}/v3.0/oa/message/cs", headers={"access_token": token},
                                json={"recipient": {"user_id": user_id}, "message": {"text": text}},
                                timeout=self.timeout_s)
        except httpx.HTTPError as e:
            raise _transport_error("oa", e) from None
        try:
            data = r.json()
        except ValueError:
            raise ZaloError("oa", r.status_code, "the answer is not JSON", retryable=r.status_code >= 500) from None
        return data if isinstance(data, dict) else {"error": r.status_code, "message": "unexpected answer"}

    def send_text(self, user_id: str, text: str) -> dict:
        token = self.tokens.access_token()
        data = self._post(token, user_id, text)
        if data.get("error") in (-216, -220, -124):
            log.info("zalo-oa: %s", ZaloError("oa", data.get("error"), _error_text(data.get("message"))).explain())
            token = self.tokens.refresh(stale=token)
            data = self._post(token, user_id, text)
        code = data.get("error", 0)
        if code not in (0, None):
            try:
                code = int(code)
            except (TypeError, ValueError):
                pass
            raise ZaloError("oa", code, _error_text(data.get("message")), retryable=code in (-32,))
        return data.get("data") or {}

    # the bot's outbox (hoidap.bot.Outbox)
    def send(self, chat_id: str, text: str) -> dict:
        return self.send_text(chat_id, text)

    def typing(self, chat_id: str) -> None:
        pass  # the OA API has no typing indicator for customer-service messages


# --- incoming events ----------------------------------------------------------------------------------
BOT_EVENTS = {"message.text.received": "text", "message.image.received": "image",
              "message.sticker.received": "sticker", "message.unsupported.received": "unsupported"}
OA_KINDS = {"user_send_text": "text", "user_send_image": "image", "user_send_sticker": "sticker",
            "user_send_gif": "sticker"}


def bot_message(update: Any) -> Incoming | None:
    """The message of a Bot Platform update (flat, or inside an {"ok", "result"} envelope), or
    None for what needs no answer: other events, messages from bots, malformed updates."""
    if isinstance(update, dict) and "event_name" not in update and isinstance(update.get("result"), dict):
        update = update["result"]
    if not isinstance(update, dict) or not isinstance(update.get("message"), dict):
        return None
    message = update["message"]
    event = update.get("event_name")
    if not event:  # some getUpdates answers carry no event name: read the content
        event = ("message.text.received" if "text" in message else "message.image.received" if "photo" in message
                 else "message.sticker.received" if "sticker" in message else "message.unsupported.received")
    kind = BOT_EVENTS.get(str(event))
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    if kind is None or sender.get("is_bot"):
        return None
    chat_id = str(chat.get("id") or sender.get("id") or "")
    message_id = str(message.get("message_id") or "")
    if not chat_id or not message_id:
        return None
    text = message.get("text") if kind == "text" and isinstance(message.get("text"), str) else ""
    return Incoming(channel="zalo-bot", message_id=f"{event}:{message_id}", chat_id=chat_id,
                    user_id=str(sender.get("id") or chat_id), kind=kind, text=text)


def oa_message(event: dict) -> Incoming | None:
    """The user's message of an OA webhook event (`user_send_*`), or None for other events."""
    name = str(event.get("event_name") or "")
    if not name.startswith("user_send_"):
        return None
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    user_id, msg_id = str(sender.get("id") or ""), str(message.get("msg_id") or "")
    if not user_id or not msg_id:
        return None
    kind = OA_KINDS.get(name, "unsupported")
    text = message.get("text") if kind == "text" and isinstance(message.get("text"), str) else ""
    return Incoming(channel="zalo-oa", message_id=msg_id, chat_id=user_id, user_id=user_id, kind=kind, text=text)


# --- everything a server (or `hoidap zalo poll`) needs -------------------------------------------------
def secret_value(value) -> str | None:
    """A SecretStr (or str) setting's value; None when unset or empty."""
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw.strip() or None


class ZaloChannels:
    """The bot logic, the clients of both APIs and the worker pool, built from the settings.
    Webhooks and polling hand messages to `enqueue`; workers answer them through `Bot.handle`."""

    def __init__(self, service, settings, bot_client: BotClient | None = None) -> None:
        from hoidap.bot import Bot, Dispatcher

        self.settings = settings
        self.bot = Bot(service, settings)
        self.http = httpx.Client(timeout=settings.zalo_timeout_s, limits=httpx.Limits(max_connections=32))
        token = secret_value(settings.zalo_bot_token)
        self.bot_secret = secret_value(settings.zalo_bot_secret)
        self.bot_client = bot_client or (BotClient(token, settings.zalo_bot_api_base, settings.zalo_timeout_s, self.http)
                                         if token else None)
        self.oa_app_id = (settings.zalo_oa_app_id or "").strip() or None
        self.oa_secret = secret_value(settings.zalo_oa_secret_key)
        self.oa_client: OAClient | None = None
        if self.oa_app_id:
            tokens = OATokens(service.state, self.oa_app_id, secret_value(settings.zalo_oa_app_secret),
                              settings.zalo_oa_oauth_base, secret_value(settings.zalo_oa_access_token),
                              secret_value(settings.zalo_oa_refresh_token), self.http, settings.zalo_timeout_s)
            self.oa_client = OAClient(tokens, settings.zalo_oa_api_base, self.http, settings.zalo_timeout_s)
        self.pool = Dispatcher(self._work, settings.zalo_workers, settings.zalo_queue_size)

    @property
    def bot_webhook_enabled(self) -> bool:
        return self.bot_client is not None and self.bot_secret is not None

    @property
    def oa_webhook_enabled(self) -> bool:
        return self.oa_client is not None and self.oa_secret is not None

    def enqueue(self, msg: Incoming) -> bool:
        """Hand `msg` to its chat's worker; False when the queue is full (or shutting down)."""
        outbox = self.bot_client if msg.channel == "zalo-bot" else self.oa_client
        if outbox is None:
            return False
        return self.pool.submit(f"{msg.channel}:{msg.chat_id}", (msg, outbox))

    def _work(self, job) -> None:
        msg, outbox = job
        self.bot.handle(msg, outbox)

    def close(self, drain_s: float = 10.0) -> int:
        left = self.pool.drain(drain_s)
        self.http.close()
        return left
