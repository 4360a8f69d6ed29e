"""A real IMAP server for tests and the benchmark: Dovecot from Debian's dovecot-imapd package.

Started with a generated configuration on a free loopback port, as an unprivileged setup:
everything (config, runtime sockets, maildir, log) lives in a fresh temporary folder, plaintext
login against a passwd-file, no TLS (loopback only). Run as root, the login and internal
processes use Debian's `dovenull`/`dovecot` users and the mail process `nobody` (Dovecot
refuses root for them); run as a normal user, everything runs as that user.

`Dovecot(tls=True)` adds TLS the way a real mail host has it: STARTTLS on the plain port and
implicit TLS (IMAPS) on a second free port, with a server certificate for 127.0.0.1 signed by a
CA made for this one server (`ca_file`, a PEM file a client can be told to trust). Nothing
trusts that CA otherwise, so a client with the system's store must refuse the server.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from harness.serve import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "bounces"
PASSWORD = "bounce-test-secret"


def available() -> bool:
    return Path(DOVECOT).exists()


def make_certificates(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) as PEM files in `folder`.

    A CA and a leaf signed by it, not one self-signed leaf: that is what a private mail host has,
    and the client is then told to trust the CA (BOUNCE_IMAP_CA_FILE), not the server's own
    certificate. The leaf names `host` as an IP address SAN (what Python checks for an IP).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ruecklauf test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(host))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


class Dovecot:
    def __init__(self, tls: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ruecklauf-dovecot-"))
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else 0  # implicit TLS (IMAPS); 0 = no such listener
        self.ca_file: Path | None = None
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
        os.chmod(self.root, 0o755)  # noqa: S103 - Dovecot's unprivileged processes must enter the folder
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                shutil.chown(self.root / sub, uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if self.tls:
            self.ca_file, cert, key = make_certificates(self.root)
            # The "<" makes Dovecot read the files at start (as the starting user), not in the login process.
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\nssl_min_protocol = TLSv1.2"
        else:
            ssl = "ssl = no"
        config = self.root / "dovecot.conf"
        config.write_text(f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
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
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = {"yes" if self.tls else "no"}
  }}
}}
service anvil {{
  chroot =
}}
""")
        return config

    def __enter__(self) -> Dovecot:
        config = self._config()
        with open(self.root / "stderr.log", "wb") as stderr:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                         stderr=stderr, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.client().logout()
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        log = self.log() + (self.root / "stderr.log").read_text(errors="replace")  # before __exit__ removes it
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def settings(self, tls: str = "off") -> dict[str, object]:
        """The BOUNCE_IMAP_* settings for this server; `tls` as BOUNCE_IMAP_TLS, trusting its CA."""
        if tls != "off" and not self.tls:
            raise ValueError("this Dovecot was started without TLS")
        found = {"BOUNCE_IMAP_HOST": "127.0.0.1", "BOUNCE_IMAP_PORT": self.tls_port if tls == "implicit" else self.port,
                 "BOUNCE_IMAP_TLS": tls, "BOUNCE_IMAP_USER": USER, "BOUNCE_IMAP_PASSWORD": PASSWORD}
        if tls != "off":
            found["BOUNCE_IMAP_CA_FILE"] = str(self.ca_file)
        return found

    def log(self) -> str:
        """Dovecot's log so far (logins, disconnects with their reason, failed TLS handshakes)."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logins(self) -> list[str]:
        """The log line of every login so far; one made over TLS says ", TLS," (else ", secured,")."""
        return [line for line in self.log().splitlines() if "imap-login: Info: Login: " in line]

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
