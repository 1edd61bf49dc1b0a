"""A throwaway PostgreSQL server for the tests: Debian's binaries, a fresh cluster in a temp
folder, listening on a free loopback port with its unix socket in that folder, stopped and
deleted at the end of the session.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the
`postgres` system user (created by the Debian package) and its commands run as that user.
Without the binaries the fixture skips, with the reason, every test that needs it.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_USER = "hoidap"
PG_DB = "hoidap_test"
SYSTEM_USER = "postgres"


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl (or PG_BIN)."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []

    def version(path: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/bin", path)
        return tuple(int(p) for p in m.group(1).split(".") if p) if m else (0,)

    candidates += sorted((str(Path(p).parent) for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
                         key=version, reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.run_as: dict = {}
        self.root = Path(tempfile.mkdtemp(prefix="hoidap-pg-"))
        if os.geteuid() == 0:
            import pwd

            try:
                pw = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                pytest.skip(f"running as root and there is no {SYSTEM_USER!r} system user to run PostgreSQL")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            # subprocess drops to that user (setgid/setgroups/setuid) like `runuser -u postgres --`.
            self.run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.root)}
        proc = subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=self.root, env=env, capture_output=True,
                              text=True, timeout=timeout, **self.run_as)
        return proc

    def start(self) -> str:
        init = self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "--encoding=UTF8",
                         "--no-locale", "--no-sync", "--no-instructions")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        last_error = ""
        for _ in range(5):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(
                    "\n# hoidap tests\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 100\n"
                )
            started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start",
                                timeout=90)
            if started.returncode == 0:
                break
            last_error = f"{started.stdout}\n{started.stderr}\n{self._log_tail()}"
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")
        created = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, PG_DB)
        if created.returncode != 0:
            self.stop()
            raise RuntimeError(f"createdb failed:\n{created.stdout}\n{created.stderr}")
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{PG_DB}"

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a fresh PostgreSQL database on a server started for this test session."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); "
                    "install the Debian package `postgresql` (scripts/system-deps.sh does)")
    server = PostgresServer(bin_dir)
    try:
        url = server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield url
    finally:
        server.stop()
