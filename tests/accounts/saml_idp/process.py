"""Start and stop the test identity provider (idp.py) in its own process on a free loopback port, with a
key and self-signed certificate made for the run (never stored in the repository)."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from harness.serve import free_port

ROOT = Path(__file__).resolve().parents[3]
USERS = [
    {"username": "anna", "password": "Anna-Passwort-1", "email": "anna@kgst.example", "groups": ["kgst-admins"]},
    {"username": "bert", "password": "Bert-Passwort-1", "email": "bert@kgst.example",
     "groups": ["kgst-analysten", "sonstige"]},
    # the assertion for otto expired two hours before it was issued
    {"username": "otto", "password": "Otto-Passwort-1", "email": "otto@kgst.example", "groups": ["kgst-admins"],
     "lifetime_minutes": -120},
]


def self_signed(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A new RSA key and its self-signed certificate in `folder`; returns (key file, cert file, cert base64)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file.write_bytes(pem)
    return key_file, cert_file, "".join(pem.decode().strip().splitlines()[1:-1])


def start_idp(folder: Path, sps: list[dict[str, str]], port: int | None = None):
    """The identity provider process with USERS for the service providers `sps` (entity_id, acs),
    signing with folder/idp.key (made when missing); returns (process, base URL, its certificate, log)."""
    if (folder / "idp.crt").exists():
        key_file, cert_file = folder / "idp.key", folder / "idp.crt"
        cert = "".join((folder / "idp.crt").read_text().strip().splitlines()[1:-1])
    else:
        key_file, cert_file, cert = self_signed(folder, "idp")
    spec = {"key": str(key_file), "cert": str(cert_file), "sps": sps, "users": USERS}
    (folder / "spec.json").write_text(json.dumps(spec))
    port = port or free_port()
    log = open(folder / "idp.log", "wb")  # noqa: SIM115 (open while the server runs)
    process = subprocess.Popen([sys.executable, "-m", "tests.accounts.saml_idp.idp", str(folder / "spec.json"),
                                str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/metadata", timeout=2).close()  # noqa: S310
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (folder / "idp.log").read_text()
            time.sleep(0.2)
    return process, base, cert, log


def stop_idp(process, log) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)
    log.close()


