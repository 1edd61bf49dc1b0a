from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hoidap.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "data"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> Settings:
    """The bundled corpus ingested once into a fresh index for the whole session."""
    from ingest.pipeline import ingest

    settings = Settings(index_dir=tmp_path_factory.mktemp("index"))
    report = ingest([SEEDS], settings)
    assert not report.failed and len(report.added) >= 6
    return settings


@pytest.fixture(scope="session")
def assistant(corpus_index):
    from rag import Assistant

    return Assistant(corpus_index)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "hoidap.cli", *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or PROJECT_ROOT, timeout=timeout)


def copy_seeds(dest: Path, names: list[str] | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.iterdir():
        if names is None or any(f.name.startswith(n) for n in names):
            shutil.copy(f, dest / f.name)
    return dest
