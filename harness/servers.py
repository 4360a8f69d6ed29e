"""Private servers for tests and benchmarks: a throw-away PostgreSQL cluster and a redis-server,
both on 127.0.0.1 at a free port, and the machine's shared ones behind the same interface.

Restarting a private server disturbs nobody else's test run; the app cannot tell the difference.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from harness.serve import free_port

PG_BIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]) if Path("/usr/lib/postgresql").exists() else None


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - not yet
            pass
        time.sleep(interval)
    return False


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>, trust auth, run as user postgres."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rl_drill_pg_"))
        self.data = self.dir / "data"
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", "-o", options,
                  "-l", str(self.dir / "server.log"), *extra)

    def start(self) -> None:
        if not self.data.exists():
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8",
                      "--locale=C.UTF-8")
        self._ctl("start")

    def restart(self, down: float = 0.0) -> None:
        """Fast shutdown (every connection is cut), `down` seconds without a server, start again."""
        if not down:
            self._ctl("restart", "-m", "fast")
            return
        self._ctl("stop", "-m", "fast")
        time.sleep(down)
        self._ctl("start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._ctl("stop", "-m", "fast")

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SharedPostgres:
    """The machine's cluster (`pg_ctlcluster … main restart`): disturbs everybody's connections."""

    port = 5432

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{name}"

    def start(self) -> None:
        pass

    def restart(self, down: float = 0.0) -> None:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       timeout=120)

    def cleanup(self) -> None:
        pass


class PrivateRedis:
    """redis-server on a free port, nothing on disk (a restart loses every key, like the shared one)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def up(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_for(self.up, timeout=10):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    cleanup = stop


class SharedRedis(PrivateRedis):
    """The machine's redis-server on 6379 (a restart flushes every DB of everybody)."""

    def __init__(self) -> None:
        super().__init__(6379)

    def start(self) -> None:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
                        "--appendonly", "no"], check=True)
        if not wait_for(self.up, timeout=10):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        with contextlib.suppress(redis.RedisError):
            redis.Redis(port=6379).shutdown(nosave=True)
        wait_for(lambda: not self.up(), timeout=10)

    def cleanup(self) -> None:
        if not self.up():
            self.start()
