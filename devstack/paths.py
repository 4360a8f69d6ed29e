"""Where the embedded development servers live, and the URLs that reach them.

Imported by `config/settings.py` (without DATABASE_URL the app talks to these servers), so it
imports nothing but the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
# A Unix socket path may be at most 107 bytes; PostgreSQL adds "/.s.PGSQL.5432.lock".
_SOCKET_PATH_ROOM = 90


@dataclass(frozen=True)
class Layout:
    """The folders of one embedded stack: `run` for `make run` (data kept), `test` for `make test`."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pg"

    @property
    def logs(self) -> Path:
        return self.root / "log"

    @property
    def state(self) -> Path:
        """The supervisor's pid and its children's process groups (a later start cleans up after a kill)."""
        return self.root / "devstack.json"

    @property
    def sockets(self) -> Path:
        """The sockets of PostgreSQL and Redis: in var/ when the path is short enough, else in /tmp."""
        here = self.root / "run"
        if len(str(here)) <= _SOCKET_PATH_ROOM:
            return here
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"ruecklauf-{digest}"

    @property
    def redis_socket(self) -> Path:
        return self.sockets / "redis.sock"

    def database_url(self, name: str = "ruecklauf") -> str:
        return f"postgres://postgres@{quote(str(self.sockets), safe='')}/{name}"

    def redis_url(self) -> str:
        return f"unix://{self.redis_socket}?db=0"

    def broker_url(self) -> str:
        return f"redis+socket://{self.redis_socket}?virtual_host=0"

    def served_url(self) -> str:
        """The address a running `make run` serves (its state file), or "" when none runs."""
        try:
            return str(json.loads(self.state.read_text()).get("url", ""))
        except (OSError, ValueError):
            return ""

    def describe(self) -> str:
        return f"development: embedded PostgreSQL in {self.pgdata}, embedded Redis at {self.redis_socket}"


def layout(profile: str = "run") -> Layout:
    var = Path(os.getenv("RUECKLAUF_VAR", BASE_DIR / "var"))
    return Layout(var if profile == "run" else var / profile)
