"""What the tests' stand-ins for an OpenAI-compatible endpoint share: answering a chat
completion as a server-sent event stream, piece by piece."""
from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler


def stream_pieces(handler: BaseHTTPRequestHandler, pieces, delay_s: float, done: bool = True) -> None:
    """Send `pieces` as `chat.completion.chunk` deltas, `delay_s` apart, then `[DONE]` if `done`.
    A client that hangs up early ends the stream quietly (the tests check that clients do)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    try:
        for piece in pieces:
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            handler.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            handler.wfile.flush()
            time.sleep(delay_s)
        if done:
            handler.wfile.write(b"data: [DONE]\n\n")
    except OSError:
        pass
