"""A small driver for the respondent protocol over Django's test client."""

from __future__ import annotations

import re
from collections import defaultdict

VERSION_RE = re.compile(r'name="_version" value="(\d+)"')


class Flow:
    def __init__(self, client, invitation):
        self.client = client
        self.invitation = invitation
        self.token = invitation.token

    def url(self, tail: str = "") -> str:
        return f"/s/{self.token}/{tail}"

    def page_url(self, code: str) -> str:
        return self.url(f"seite/{code}/")

    def open(self):
        return self.client.get(self.url())

    def get(self, code: str):
        return self.client.get(self.page_url(code))

    def version(self, code: str) -> str:
        response = self.get(code)
        assert response.status_code == 200, (code, response.status_code)
        return VERSION_RE.search(response.content.decode()).group(1)

    def post(self, code: str, data: dict | None = None, aktion: str = "weiter", version: str | None = None):
        payload = dict(data or {})
        payload["_version"] = self.version(code) if version is None else version
        if aktion is not None:
            payload["aktion"] = aktion
        return self.client.post(self.page_url(code), payload)

    def weiter(self, code: str, data: dict | None = None):
        return self.post(code, data, "weiter")

    def review(self):
        return self.client.get(self.url("pruefen/"))

    def submit(self):
        return self.client.post(self.url("pruefen/"), {"aktion": "absenden"})

    def stored(self) -> dict[str, list[str]]:
        from responses.models import Answer

        result: dict[str, list[str]] = defaultdict(list)
        rows = Answer.objects.filter(response__invitation=self.invitation).order_by("variable", "value")
        for variable, value in rows.values_list("variable", "value"):
            result[variable].append(value)
        return dict(result)

    def response(self):
        from responses.models import Response

        return Response.objects.get(invitation=self.invitation)


def location(response) -> str:
    assert response.status_code == 302, (response.status_code, response.content[:2000])
    return response["Location"]
