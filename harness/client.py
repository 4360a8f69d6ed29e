"""A small keep-alive HTTP client for the load generator and the drills (one per simulated respondent/thread)."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field

VERSION_RE = re.compile(rb'name="_version"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="_version"')
CSRF_RE = re.compile(
    rb'name="csrfmiddlewaretoken"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrfmiddlewaretoken"'
)


def form_value(pattern: re.Pattern, html: bytes) -> str | None:
    match = pattern.search(html)
    if not match:
        return None
    return (match.group(1) or match.group(2) or b"").decode()


@dataclass
class Reply:
    status: int
    location: str
    body: bytes


@dataclass
class Client:
    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    reconnects: int = 0

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, body: str | None = None) -> Reply:
        headers = {"Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body.encode() if body is not None else None, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection before reading the request.
                self.conn.close()
                self.reconnects += 1
                if attempt:
                    raise
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(resp.status, resp.headers.get("Location", ""), data)

    def close(self) -> None:
        self.conn.close()
