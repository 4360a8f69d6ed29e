"""`make run` on a fresh clone: seconds until the server answers, first run (with the install) and second.

    .venv/bin/python -m bench.first_run [--base REV] [--skip-install-timing]

Exports this commit (HEAD) and the floor, the last commit before devstack/ (SQLite and in-process
tasks), into fresh folders, then for each: `make run` with a developer's environment (no
DATABASE_URL, no broker), the seconds until `GET /s/` answers 200 — first with the virtualenv
created and installed from the lock file, then again after Ctrl-C — and the disk used by the
folders the run created (`var/` or `db.sqlite3`, and `.venv`). pip's download cache is whatever
this machine has: a first install on a new machine downloads the wheels on top.
With --skip-install-timing both exports share this checkout's .venv (a symlink), and "first run"
then means "first start of the servers and migrations", which is all that differs between the two.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
SERVER_DEADLINE = 1200.0


def floor_revision() -> str:
    first = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "devstack/__init__.py"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    return f"{first[-1]}^" if first else "HEAD"


def export(revision: str, target: Path, shared_venv: bool) -> Path:
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    if shared_venv:
        (target / ".venv").symlink_to(ROOT / ".venv")
    for folder in [*reversed(target.parents), target]:  # as root, PostgreSQL's own user must reach var/
        if folder.stat().st_uid == os.geteuid():
            folder.chmod(folder.stat().st_mode | 0o011)
    return target


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback only
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_and_stop(clone: Path) -> float:
    """Seconds from `make run` until GET /s/ answers 200; then Ctrl-C and wait for every process."""
    # The floor's Makefile serves 127.0.0.1:8000 whatever PORT says; keep that port free while it runs.
    port = free_port() if "PORT ?=" in (clone / "Makefile").read_text() else 8000
    env = {key: os.environ[key] for key in KEEP if key in os.environ}
    log = open(clone / f"make-run-{port}.log", "wb")  # noqa: SIM115 - closed below
    started = time.monotonic()
    make = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        while not answers(f"http://127.0.0.1:{port}/s/"):
            if make.poll() is not None or time.monotonic() - started > SERVER_DEADLINE:
                raise SystemExit(f"make run in {clone} did not come up; see {log.name}")
            time.sleep(0.1)
        return time.monotonic() - started
    finally:
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=120)
        log.close()


def disk_mib(*paths: Path) -> float:
    total = 0
    for path in paths:
        if path.is_symlink() or not path.exists():
            continue
        if path.is_file():
            total += path.stat().st_size
            continue
        total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 2**20


def measure(name: str, revision: str, where: Path, shared_venv: bool) -> dict[str, float | str]:
    clone = export(revision, where / name, shared_venv)
    first = start_and_stop(clone)
    second = start_and_stop(clone)
    return {"name": name, "revision": revision, "first_s": first, "second_s": second,
            "data_mib": disk_mib(clone / "var", clone / "db.sqlite3"), "venv_mib": disk_mib(clone / ".venv")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="", help="the floor's revision (default: the commit before devstack/)")
    parser.add_argument("--skip-install-timing", action="store_true")
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="first-run-"))
    try:
        base = args.base or floor_revision()
        rows = [measure("floor-sqlite", base, where, args.skip_install_timing),
                measure("embedded-stack", "HEAD", where, args.skip_install_timing)]
    finally:
        shutil.rmtree(where, ignore_errors=True)
    print(f"{'checkout':<16} {'revision':<12} {'first run s':>12} {'second run s':>13} {'data MiB':>9} "
          f"{'.venv MiB':>10}")
    for row in rows:
        print(f"{row['name']:<16} {str(row['revision'])[:12]:<12} {row['first_s']:>12.1f} {row['second_s']:>13.1f} "
              f"{row['data_mib']:>9.1f} {row['venv_mib']:>10.1f}")
    floor, new = rows
    print(f"ratio embedded ÷ floor: first run {new['first_s'] / floor['first_s']:.2f}, "
          f"second run {new['second_s'] / floor['second_s']:.2f}, "
          f".venv {new['venv_mib'] / max(floor['venv_mib'], 0.1):.2f}")


if __name__ == "__main__":
    main()
