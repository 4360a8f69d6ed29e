"""The development stack: `make run` and `make test` without DATABASE_URL run the production stack here.

    python -m devstack run [--host 127.0.0.1] [--port 8000]
        PostgreSQL and Redis (embedded, data in var/), migrations, the KGSt questionnaire and the demo
        data, a Celery worker and beat (logs in var/log/) and the development server, until Ctrl-C.
    python -m devstack exec [--profile test] -- COMMAND ...
        PostgreSQL and Redis for one command (its environment names them), stopped when it ends.
    python -m devstack stop
        Stop what a killed `make run` left running.

Every child runs in a session of its own and is told to stop when the supervisor dies (even by
SIGKILL); Ctrl-C stops them in order: web server, beat, worker, Redis, PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from devstack.paths import BASE_DIR, Layout, layout
from devstack.servers import Postgres, Redis, StackError, alive, die_with_parent

DATABASE = "ruecklauf"


def stack_env(where: Layout, database: str = DATABASE) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=where.database_url(database), REDIS_URL=where.redis_url(),
               CELERY_BROKER_URL=where.broker_url(), RUECKLAUF_EMBEDDED=where.describe(),
               PYTHONUNBUFFERED="1")
    return env


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def clean_up_leftovers(where: Layout) -> list[str]:
    """After a supervisor was killed: stop its children and servers. Refuses while it still runs."""
    found: list[str] = []
    try:
        state = json.loads(where.state.read_text())
    except (OSError, ValueError):
        state = {}
    pid = state.get("pid")
    if pid and pid != os.getpid() and alive(pid) and "devstack" in _cmdline(pid):
        raise StackError(f"the development stack already runs (process {pid}, {state.get('url', '')}); "
                         f"stop it with Ctrl-C in its terminal or `kill {pid}`.")
    for group in state.get("groups", []):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
            found.append(f"process group {group}")
    if Redis(where).stop_leftover():
        found.append("Redis")
    if Postgres(where).stop_leftover():
        found.append("PostgreSQL")
    where.state.unlink(missing_ok=True)
    return found


@contextlib.contextmanager
def servers(where: Layout, *, fast: bool = False) -> Iterator[tuple[Postgres, Redis]]:
    """PostgreSQL and Redis running for the block, stopped after it whatever happens."""
    left = clean_up_leftovers(where)
    if left:
        print(f"devstack: stopped what an earlier run left behind: {', '.join(left)}", file=sys.stderr)
    postgres, redis = Postgres(where, fast=fast), Redis(where)
    started = time.monotonic()
    try:
        if postgres.init():
            print(f"devstack: created the database cluster in {where.pgdata}", file=sys.stderr)
        postgres.start()
        postgres.create_database(DATABASE)
        redis.start()
        print(f"devstack: PostgreSQL and Redis ready in {time.monotonic() - started:.1f} s "
              f"(logs in {where.logs})", file=sys.stderr)
        yield postgres, redis
    finally:
        redis.stop()
        postgres.stop()


class Supervisor:
    """Starts the app's processes, stops them all when one ends or on a signal."""

    def __init__(self, where: Layout, env: dict[str, str]) -> None:
        self.where = where
        self.env = env
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False

    def spawn(self, name: str, args: list[str], log: Path | None = None) -> subprocess.Popen:
        out = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps its own copy
        try:
            proc = subprocess.Popen(args, cwd=BASE_DIR, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT if out else None, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=die_with_parent())
        finally:
            if out:
                out.close()
        self.children.append((name, proc))
        self._save_state()
        return proc

    def _save_state(self) -> None:
        state = {"pid": os.getpid(), "url": self.env.get("SITE_URL", ""),
                 "groups": [proc.pid for _name, proc in self.children]}
        self.where.state.write_text(json.dumps(state))

    def wait(self) -> int:
        """Until a signal or a child's end; returns the exit code for the supervisor."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        while not self.stopping:
            for name, proc in self.children:
                if proc.poll() is not None:
                    print(f"devstack: {name} ended (exit code {proc.returncode}); stopping the rest.",
                          file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:  # noqa: ARG002
        self.stopping = True

    def stop_all(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not leave children behind
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    print(f"devstack: {name} did not stop within 20 s; killed.", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # pool processes of a worker, the autoreloader's child
        self.children.clear()
        self.where.state.unlink(missing_ok=True)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run(host: str, port: int) -> int:
    if not _port_free(host, port):
        raise StackError(f"port {port} on {host} is in use: choose another with `make run PORT={port + 1}`.")
    where = layout("run")
    where.root.mkdir(parents=True, exist_ok=True)
    with servers(where) as _running:
        env = stack_env(where)
        # The links in the demo's mails point at this server; 0.0.0.0 is no address to click on.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - compared, not bound
        site = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        env.setdefault("SITE_URL", site)
        env.setdefault("DEBUG", "1")
        env.setdefault("ALLOWED_HOSTS", ",".join(dict.fromkeys(["127.0.0.1", "localhost", host])))
        manage = [sys.executable, "manage.py"]
        for step in (["migrate", "--noinput"],
                     ["load_survey", "surveys/definitions/kgst-social-media-2013.yaml"],
                     ["seed_demo"]):
            subprocess.run([*manage, *step], cwd=BASE_DIR, env=env, check=True)
        supervisor = Supervisor(where, env)
        try:
            supervisor.spawn("worker", [sys.executable, "-m", "celery", "-A", "config", "worker",
                                        "--loglevel=INFO", "--concurrency=2"], where.logs / "worker.log")
            supervisor.spawn("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                                      "--schedule", str(where.root / "celerybeat-schedule")],
                             where.logs / "beat.log")
            print(f"devstack: Celery worker and beat started (logs: {where.logs / 'worker.log'}, "
                  f"{where.logs / 'beat.log'}); serving {env['SITE_URL']} — Ctrl-C stops everything.",
                  file=sys.stderr)
            supervisor.spawn("web server", [*manage, "runserver", f"{host}:{port}"])
            return supervisor.wait()
        finally:
            supervisor.stop_all()


def run_command(profile: str, command: list[str]) -> int:
    if not command:
        raise StackError("exec needs a command after --, e.g. `python -m devstack exec -- pytest`.")
    where = layout(profile)
    where.root.mkdir(parents=True, exist_ok=True)
    with servers(where, fast=profile != "run"):
        proc = subprocess.Popen(command, cwd=BASE_DIR, env=stack_env(where), preexec_fn=die_with_parent())
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                continue  # the command got the Ctrl-C too; wait for it to finish, then stop the servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="the whole stack with the development server")
    run_parser.add_argument("--host", default=os.getenv("HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.getenv("PORT", "8000")))
    exec_parser = commands.add_parser("exec", help="PostgreSQL and Redis around one command")
    exec_parser.add_argument("--profile", default="run", choices=["run", "test"])
    exec_parser.add_argument("cmd", nargs=argparse.REMAINDER)
    stop_parser = commands.add_parser("stop", help="stop what a killed run left behind")
    stop_parser.add_argument("--profile", default="run", choices=["run", "test"])
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return run(args.host, args.port)
        if args.command == "exec":
            command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            return run_command(args.profile, command)
        left = clean_up_leftovers(layout(args.profile))
        print(f"devstack: stopped {', '.join(left)}" if left else "devstack: nothing was left running.")
        return 0
    except StackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"devstack: `{' '.join(map(str, exc.cmd))}` failed (exit code {exc.returncode}).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
