"""A real `hoidap serve` process on a free loopback port, for tests that use HTTP or a browser."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import PROJECT_ROOT, free_port


@contextmanager
def running_server(index: Path, env: dict | None = None, timeout: float = 90.0):
    """Start the server on `index` with extra environment, wait for /healthz, yield its URL;
    stop it afterwards (and show its output if it failed to start)."""
    port = free_port()
    full_env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    log = open(index.parent / f"server-{port}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "hoidap.cli", "serve", "--port", str(port), "--index", str(index)],
                            cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"server did not start in {timeout} s:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
