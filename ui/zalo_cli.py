"""`hoidap zalo …`: connect the Zalo Bot Platform bot.

    hoidap zalo set-webhook https://host/zalo/bot   # Zalo pushes messages to `hoidap serve`
    hoidap zalo webhook-info | delete-webhook
    hoidap zalo poll                                # no public HTTPS address: fetch messages instead

Zalo delivers a bot's messages either to its webhook or to getUpdates, never both, so `poll`
refuses to start while a webhook is set. Messages are English; what users read is Vietnamese."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from hoidap.settings import settings_from

log = logging.getLogger("hoidap.zalo")

BOTH_EXCLUSIVE = ("Zalo delivers a bot's messages either to its webhook or to getUpdates (polling), never both")


def _bot_client(settings):
    from hoidap.zalo import BotClient, secret_value

    token = secret_value(settings.zalo_bot_token)
    if not token:
        print("error: HOIDAP_ZALO_BOT_TOKEN is not set (the token Zalo Bot Manager gave when the bot was created)",
              file=sys.stderr)
        return None
    return BotClient(token, settings.zalo_bot_api_base, settings.zalo_timeout_s)


def _call_bot(settings, call) -> tuple[int, dict | None]:
    """One Bot API call with a client made from the settings: (0, its result), or the exit
    code after the problem was printed."""
    from hoidap.zalo import ZaloError

    client = _bot_client(settings)
    if client is None:
        return 2, None
    try:
        return 0, call(client)
    except ZaloError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1, None
    finally:
        client.close()


def _when(ms) -> str:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def check_webhook_url(url: str) -> str | None:
    """Why `url` cannot be the bot's webhook, or None."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.hostname:
        return "the webhook URL must be an https:// address with a host name (Zalo delivers to HTTPS only)"
    if parts.username or parts.password:
        return "the webhook URL must not contain a user name or password"
    return None


def cmd_set_webhook(args: argparse.Namespace) -> int:
    from hoidap.zalo import check_webhook_secret, secret_value

    settings = settings_from(args)
    if why := check_webhook_url(args.url):
        print(f"error: {why}", file=sys.stderr)
        return 2
    secret = secret_value(settings.zalo_bot_secret)
    if not secret:
        print("error: HOIDAP_ZALO_BOT_SECRET is not set: choose a random secret of 8 to 256 characters; Zalo sends it "
              "back with every update and `hoidap serve` rejects updates without it", file=sys.stderr)
        return 2
    if why := check_webhook_secret(secret):
        print(f"error: HOIDAP_ZALO_BOT_SECRET: {why}", file=sys.stderr)
        return 2
    if not urlsplit(args.url).path.rstrip("/").endswith("/zalo/bot"):
        print("note: `hoidap serve` receives bot updates at /zalo/bot (e.g. https://your-host/zalo/bot)", file=sys.stderr)
    rc, result = _call_bot(settings, lambda client: client.set_webhook(args.url, secret))
    if rc:
        return rc
    print(f"webhook set: {result.get('url') or args.url}")
    print(f"{BOTH_EXCLUSIVE}: `hoidap zalo poll` will not run until `hoidap zalo delete-webhook`.")
    return 0


def cmd_webhook_info(args: argparse.Namespace) -> int:
    rc, info = _call_bot(settings_from(args), lambda client: client.get_webhook_info())
    if rc:
        return rc
    when = _when(info.get("updated_at"))
    if info.get("url"):
        print(f"webhook: {info['url']}" + (f" (set {when})" if when else ""))
    else:
        print("no webhook set: messages wait for `hoidap zalo poll`" + (f" (changed {when})" if when else ""))
    return 0


def cmd_delete_webhook(args: argparse.Namespace) -> int:
    rc, _ = _call_bot(settings_from(args), lambda client: client.delete_webhook())
    if rc:
        return rc
    print("webhook deleted: Zalo now keeps the bot's messages for `hoidap zalo poll`")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from hoidap.service import IndexUnavailable, Service
    from hoidap.zalo import ZaloChannels, ZaloError, bot_message

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = settings_from(args)
    client = _bot_client(settings)
    if client is None:
        return 2
    try:
        info = client.get_webhook_info()
    except ZaloError as e:
        print(f"error: {e}", file=sys.stderr)
        client.close()
        return 1
    if info.get("url"):
        print(f"error: a webhook is set ({info['url']}). {BOTH_EXCLUSIVE}: either let `hoidap serve` receive them at "
              "that address, or run `hoidap zalo delete-webhook` first and then poll.", file=sys.stderr)
        client.close()
        return 2
    service = Service(settings)
    try:
        service.refresh()
    except IndexUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        client.close()
        return 2
    channels = ZaloChannels(service, settings, bot_client=client)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    deadline = time.monotonic() + args.seconds if args.seconds else None
    received, backoff = 0, 1.0
    print("polling Zalo for the bot's messages (Ctrl+C stops)", flush=True)
    try:
        while not stop.is_set():
            wait = args.timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                wait = max(1, min(wait, int(left + 0.999)))
            try:
                updates = client.get_updates(wait)
            except ZaloError as e:
                log.warning("zalo-bot: getUpdates failed: %s", e)
                if e.code in (401, 404):
                    print(f"error: {e}", file=sys.stderr)
                    return 1
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            for update in updates:
                received += 1
                msg = bot_message(update)
                while msg is not None and not channels.enqueue(msg) and not stop.is_set():
                    time.sleep(0.2)  # every worker queue is full: wait rather than drop
            if args.max_updates and received >= args.max_updates:
                break
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        left = channels.close(drain_s=max(settings.zalo_drain_s, 60.0))
        client.close()
        service.close()
    print(f"stopped after {received} update(s)" + (f"; {left} not answered" if left else ""), flush=True)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("zalo", help="connect the Zalo bot: set or inspect its webhook, or poll for messages")
    zsub = p.add_subparsers(dest="zalo_command", required=True, metavar="{set-webhook,webhook-info,delete-webhook,poll}")

    s = zsub.add_parser("set-webhook", help="tell Zalo to deliver the bot's messages to URL (https://…/zalo/bot)")
    s.add_argument("url")
    s.set_defaults(func=cmd_set_webhook)

    s = zsub.add_parser("webhook-info", help="show where Zalo delivers the bot's messages")
    s.set_defaults(func=cmd_webhook_info)

    s = zsub.add_parser("delete-webhook", help="stop webhook delivery (needed before `poll`)")
    s.set_defaults(func=cmd_delete_webhook)

    s = zsub.add_parser("poll", help="fetch and answer the bot's messages without a public address (getUpdates)")
    s.add_argument("--index")
    s.add_argument("--timeout", type=int, default=30, help="seconds one long poll may wait (default 30)")
    s.add_argument("--max-updates", type=int, default=0, help="stop after this many updates (default: run until stopped)")
    s.add_argument("--seconds", type=float, default=0, help="stop after this many seconds (default: run until stopped)")
    s.set_defaults(func=cmd_poll)
