"""Real `hoidap serve` processes for the HTTP API tests: each on a free loopback port, with a
controlled environment, its output kept in a log file that is shown when a test fails."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import PROJECT_ROOT, free_port

# Settings that change how a server behaves: the tests choose them, the caller's shell does not.
SERVER_VARS = ("HOIDAP_INDEX_DIR", "HOIDAP_ADMIN_TOKEN", "HOIDAP_RATE_LIMIT_PER_MINUTE", "HOIDAP_MAX_BODY_KB",
               "HOIDAP_MAX_UPLOAD_MB", "HOIDAP_STATE_URL", "HOIDAP_UPLOAD_DIR", "HOIDAP_LLM_BASE_URL",
               "HOIDAP_LLM_MODEL", "HOIDAP_LLM_API_KEY")


def clean_env(extra: dict | None = None) -> dict:
    """The current environment without the server settings above, answers extractive (an empty
    LLM URL also outranks a .env file), then `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
    env.update({"HOIDAP_LLM_BASE_URL": "", "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"})
    env.update(extra or {})
    return env


def copy_index(src: Path, dest: Path) -> Path:
    """A private copy of an index (a server writes its state and clean-ups beside the index;
    uploads and ingests change it), so the shared session index is never touched."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("state.sqlite*", ".lock"))
    return dest


class Server:
    def __init__(self, index: Path, env: dict, log_path: Path) -> None:
        self.index = index
        self.env = env
        self.log_path = log_path
        self._log = open(log_path, "w+", encoding="utf-8")
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hoidap.cli", "serve", "--port", str(self.port), "--index", str(self.index)],
            cwd=PROJECT_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def current_generation(self) -> str:
        return (self.index / "CURRENT").read_text().strip()

    def log(self, tail: int = 6000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def wait_ready(self, timeout: float, retries: int = 2) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                if retries > 0 and "address already in use" in self.log():  # the free port was taken meanwhile
                    retries -= 1
                    self._start()
                    continue
                raise RuntimeError(f"hoidap serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = httpx.get(f"{self.url}/healthz", timeout=5)
                # this server, not another that took the port: it serves this index
                if r.status_code == 200 and r.json()["generation"] == self.current_generation():
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"hoidap serve did not answer /healthz within {timeout:.0f} s:\n{self.log()}")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def running_servers(specs: list[tuple[Path, dict]], request=None, timeout: float = 180.0):
    """Start one server per (index folder, extra environment), all at once, wait until every
    one answers /healthz and yield them; stop them afterwards. With the pytest `request`, the
    servers' output is shown when a test failed while they ran."""
    failed_before = request.session.testsfailed if request is not None else 0
    servers: list[Server] = []
    try:
        for index, env in specs:
            servers.append(Server(index, clean_env(env), index.parent / f"server-{index.name}-{len(servers)}.log"))
        for s in servers:
            s.wait_ready(timeout)
        yield servers
    finally:
        for s in servers:
            s.stop()
        if request is not None and request.session.testsfailed > failed_before:
            reporter = request.config.pluginmanager.getplugin("terminalreporter")
            for s in servers:
                text = f"\n----- hoidap serve on {s.index} (port {s.port}) -----\n{s.log()}"
                if reporter is not None:
                    reporter.write_line(text)
                else:
                    print(text, file=sys.stderr)


@contextmanager
def running_server(index: Path, env: dict | None = None, request=None, timeout: float = 180.0):
    with running_servers([(index, env or {})], request, timeout) as (server,):
        yield server
