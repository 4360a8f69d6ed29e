"""A real IMAP server for tests and the benchmark: Dovecot from Debian's dovecot-imapd package.

Started with a generated configuration on a free loopback port, as an unprivileged setup:
everything (config, runtime sockets, maildir, log) lives in a fresh temporary folder, plaintext
login against a passwd-file, no TLS (loopback only). Run as root, the login and internal
processes use Debian's `dovenull`/`dovecot` users and the mail process `nobody` (Dovecot
refuses root for them); run as a normal user, everything runs as that user.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "bounces"
PASSWORD = "bounce-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return Path(DOVECOT).exists()


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ruecklauf-dovecot-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def _users(self) -> tuple[str, str, str, str, str]:
        """(internal user, internal group, login user, mail uid, mail gid)."""
        if os.geteuid() == 0:
            return "dovecot", "dovecot", "dovenull", "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return me, group, me, me, group

    def _config(self) -> Path:
        internal, internal_group, login, uid, gid = self._users()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir()
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                shutil.chown(self.root / sub, uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        config.write_text(f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
        return config

    def __enter__(self) -> Dovecot:
        config = self._config()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.root / "stderr.log", "wb"), start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.client().logout()
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {log}{(self.root / 'stderr.log').read_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def settings(self) -> dict[str, object]:
        return {"BOUNCE_IMAP_HOST": "127.0.0.1", "BOUNCE_IMAP_PORT": self.port, "BOUNCE_IMAP_TLS": "off",
                "BOUNCE_IMAP_USER": USER, "BOUNCE_IMAP_PASSWORD": PASSWORD}

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            for raw in messages:
                status, data = conn.append(folder, None, None, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def folder(self, name: str) -> list[tuple[bytes, set[str]]]:
        """(raw message, flags) of every message in a folder; [] if the folder does not exist."""
        conn = self.client()
        try:
            status, _data = conn.select(f'"{name}"', readonly=True)
            if status != "OK":
                return []
            status, data = conn.uid("SEARCH", None, "ALL")
            uids = data[0].split()
            found: list[tuple[bytes, set[str]]] = []
            if uids:
                status, data = conn.uid("FETCH", b",".join(uids).decode(), "(FLAGS BODY.PEEK[])")
                for item in data:
                    if isinstance(item, tuple):
                        flags = set(imaplib.ParseFlags(item[0]))
                        found.append((item[1], {f.decode() for f in flags}))
            return found
        finally:
            conn.logout()
