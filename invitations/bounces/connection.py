"""A logged-in connection to the bounce mailbox, with BOUNCE_IMAP_TLS's three modes.

BOUNCE_IMAP_TLS is implicit (IMAPS), starttls or off; never a fallback to plain text on a typo, and
without TLS no password is sent. A failed connection names the settings to check in one sentence
(the task's log and `manage.py check --deploy` show it), not "[Errno 111] Connection refused".
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl

from django.conf import settings

from ..checks import BOUNCE_TLS_MODES

# What to check when the certificate is refused, by OpenSSL's verify code (X509_V_ERR_*): no trusted CA
# signed it (a private CA is the usual cause), or it is issued for another host name or address.
_CERT_HINTS = {**dict.fromkeys((18, 19, 20, 21), "set BOUNCE_IMAP_CA_FILE to the CA certificate if a private CA "
                                                 "issued it"),
               **dict.fromkeys((62, 64), "BOUNCE_IMAP_HOST must be a name the certificate is issued for")}
_OPENSSL_NOISE = re.compile(r"^\[[A-Z0-9_]+: [A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)$")


class ConnectError(OSError):
    """No usable connection to the bounce mailbox (TLS, address, login); str() says why in one sentence."""


def _openssl_text(exc: OSError) -> str:
    """OpenSSL's words without "[SSL: CODE]" and "(_ssl.c:1006)": "wrong version number"."""
    return _OPENSSL_NOISE.sub("", str(exc.strerror or exc)).strip() or type(exc).__name__


def _why(exc: OSError, host: str, port: int) -> ConnectError:
    """One sentence naming the settings to check, instead of "[Errno 111] Connection refused" and the like."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = _CERT_HINTS.get(exc.verify_code, "the server needs a valid certificate")
        return ConnectError(f"the TLS certificate of {host}:{port} was refused ({exc.verify_message.rstrip('.')}), "
                            f"so no password was sent; {hint}")
    if isinstance(exc, ssl.SSLError):
        return ConnectError(f"the TLS handshake with {host}:{port} failed ({_openssl_text(exc)}); check that "
                            "BOUNCE_IMAP_TLS and BOUNCE_IMAP_PORT fit this server")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"the name {host} cannot be resolved ({exc.strerror}); check BOUNCE_IMAP_HOST")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"nothing accepts connections on {host}:{port}; check BOUNCE_IMAP_HOST and "
                            "BOUNCE_IMAP_PORT")
    if isinstance(exc, TimeoutError):
        return ConnectError(f"{host}:{port} did not answer within BOUNCE_IMAP_TIMEOUT ({settings.BOUNCE_IMAP_TIMEOUT} "
                            "s); check BOUNCE_IMAP_PORT and BOUNCE_IMAP_TLS (an IMAPS port waits silently for a TLS "
                            "handshake)")
    return ConnectError(f"the connection to {host}:{port} failed ({exc.strerror or exc}); check BOUNCE_IMAP_HOST "
                        "and BOUNCE_IMAP_PORT")


def connect() -> imaplib.IMAP4:
    """A logged-in connection to the bounce mailbox; ConnectError (an OSError) says in one sentence why not."""
    host, port, tls = settings.BOUNCE_IMAP_HOST, settings.BOUNCE_IMAP_PORT, settings.BOUNCE_IMAP_TLS.lower()
    if tls not in BOUNCE_TLS_MODES:  # never fall back to plain text on a typo
        raise ConnectError(f"BOUNCE_IMAP_TLS={tls!r} is not one of implicit, starttls, off; nothing was sent")
    ca_file, timeout = settings.BOUNCE_IMAP_CA_FILE or None, settings.BOUNCE_IMAP_TIMEOUT
    try:  # verifies the chain and the host name
        context = ssl.create_default_context(cafile=ca_file) if tls != "off" else None
    except OSError as exc:  # a missing file, or no certificate in it
        raise ConnectError(f"BOUNCE_IMAP_CA_FILE {ca_file} is no readable PEM file of CA certificates "
                           f"({_openssl_text(exc)})") from exc
    conn: imaplib.IMAP4 | None = None
    try:
        if tls == "implicit":
            conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            conn = imaplib.IMAP4(host, port, timeout=timeout)
        if tls == "starttls":
            if "STARTTLS" not in conn.capabilities:  # imaplib would only say "TLS not supported by server"
                raise ConnectError(f"the IMAP server {host}:{port} does not offer STARTTLS, so no password was "
                                   "sent; use its IMAPS port with BOUNCE_IMAP_TLS=implicit")
            conn.starttls(ssl_context=context)
        try:
            conn.login(settings.BOUNCE_IMAP_USER, settings.BOUNCE_IMAP_PASSWORD)
        except imaplib.IMAP4.error as exc:  # the server's words: "Authentication failed.", not "b'[AUTH…] …'"
            words = str(exc.args[0] if exc.args else exc)
            words = re.sub(r"^\[[A-Z]+\]\s*", "", words[2:-1] if words.startswith(("b'", 'b"')) else words).strip()
            raise ConnectError(f"the IMAP server {host} refused the login of BOUNCE_IMAP_USER "
                               f"{settings.BOUNCE_IMAP_USER!r} ({words or 'no reason given'}); check "
                               "BOUNCE_IMAP_USER and BOUNCE_IMAP_PASSWORD") from exc
    except BaseException as exc:
        if conn is not None:  # no LOGOUT: there may be no session
            with contextlib.suppress(OSError):
                conn.shutdown()
        if isinstance(exc, OSError) and not isinstance(exc, ConnectError):  # ssl.SSLError too: the handshake
            raise _why(exc, host, port) from exc
        raise
    return conn
