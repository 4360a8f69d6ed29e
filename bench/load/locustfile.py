"""Simulated respondents for the KGSt questionnaire (locust, headless; started by run_load.py).

Each respondent takes one personal link from a shared pool (every link is used by exactly one
respondent), then goes through the questionnaire like a person: GET the page, pause, POST the
answers with the page's `_version` and CSRF token, follow the redirect. Profiles cover both
branches (social media user / non-user; internal, external or both purposes). Some respondents
press "Zurück" once and change the previous page; some press "Speichern und später fortsetzen",
come back later in a new browser session (cookies cleared) through GET /s/<token>/ and carry on;
a few never come back (partial responses). Everyone else reviews and submits.

Every respondent writes one JSON line to LOAD_RECORDS with what the server confirmed as saved:
{"ags", "status": submitted|partial|interrupted, "pages": {page: {variable: value|[values]}},
"pending": {page: {...}} (a save whose answer never arrived; either state is acceptable),
"opened": true once the link's first redirect came back, ...}.
A page save replaces all of that page's answers, so the last confirmed post per page is the truth.

Environment: LOAD_TOKENS (JSON list of {"token", "ags", "name"}), LOAD_RECORDS (output path),
LOAD_SEED (random seed), LOAD_STOP_SHARE / LOAD_BACK_SHARE / LOAD_ABANDON_SHARE (fractions).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, task
from locust.exception import StopUser

TOKENS: list[dict[str, str]] = json.loads(open(os.environ["LOAD_TOKENS"], encoding="utf-8").read())
RECORDS_PATH = os.environ["LOAD_RECORDS"]
STOP_SHARE = float(os.getenv("LOAD_STOP_SHARE", "0.25"))
BACK_SHARE = float(os.getenv("LOAD_BACK_SHARE", "0.2"))
ABANDON_SHARE = float(os.getenv("LOAD_ABANDON_SHARE", "0.2"))  # of those who stop midway
_rng = random.Random(int(os.getenv("LOAD_SEED", "2013")))
_next = iter(range(len(TOKENS)))
_lock = threading.Lock()
_records = open(RECORDS_PATH, "a", encoding="utf-8")  # noqa: SIM115

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'name="_version" value="(\d+)"')
REVIEW, SAVED, RECEIPT = "pruefen", "gespeichert", "danke"

Answers = dict[str, Any]


def take_invitation() -> dict[str, str] | None:
    with _lock:
        index = next(_next, None)
    return None if index is None else TOKENS[index]


def write_record(record: dict[str, Any]) -> None:
    with _lock:
        _records.write(json.dumps(record, ensure_ascii=False) + "\n")
        _records.flush()


# -- answers ------------------------------------------------------------------------------------

def pages_for(profile: dict[str, bool]) -> list[str]:
    """The pages this respondent is shown, in order (the questionnaire's page conditions)."""
    pages = ["P1", "P2"]
    if profile["intern"]:
        pages.append("P3")
    if profile["extern"]:
        pages.append("P4")
    if profile["user"]:
        pages.append("P5")
    return pages + ["P6", "P7", "P8"]


def _maybe(rng: random.Random, value: Any, skip: float = 0.1) -> Any:
    return None if rng.random() < skip else value


def _subset(rng: random.Random, codes: list[str], exclusive: str | None, exclusive_share: float) -> list[str]:
    if exclusive and rng.random() < exclusive_share:
        return [exclusive]
    if rng.random() < 0.1:
        return []
    chosen = [c for c in codes if rng.random() < 0.4]
    return chosen or [rng.choice(codes)]


def _text(rng: random.Random, ags: str, kind: str) -> str:
    samples = [
        f"{kind} {ags}: Bürgerbüro, Öffentlichkeitsarbeit & „Straßenbau“",
        f"=SUMME(1;2) {kind} {ags}",
        f"<script>alert('{ags}')</script> {kind}",
        f"{kind} {ags}\r\nzweite Zeile; mit Semikolon, \"Anführungszeichen\"",
    ]
    return rng.choice(samples)


def page_answers(page: str, profile: dict[str, bool], ags: str, rng: random.Random) -> Answers:
    """Valid answers for one page; None values are left unanswered (not posted)."""
    a: Answers = {}
    if page == "P1":
        a["A1_bereich"] = _maybe(rng, str(rng.randint(1, 6)))
        if a["A1_bereich"] == "6":
            a["A1_bereich_6_text"] = _text(rng, ags, "Bereich")
        a["A2_beschaeftigte"] = _maybe(rng, str(rng.randint(1, 100_000)))
    elif page == "P2":
        a["B1_nutzung"] = "1" if profile["user"] else "2"
        if profile["user"]:
            a["B2_zweck"] = [c for c, on in (("1", profile["intern"]), ("2", profile["extern"])) if on]
            a["B3_dauer"] = _maybe(rng, str(rng.randint(1, 3)))
    elif page == "P3":
        for row in range(1, 7):
            a[f"C1_{row}"] = _maybe(rng, str(rng.randint(1, 3)), 0.05)
        a["C2_ziele_intern"] = _maybe(rng, rng.choice(["1", "2", "3", "4", "9"]))
    elif page == "P4":
        a["D1_extern"] = _subset(rng, ["1", "2", "3", "4", "5", "6", "7"], None, 0)
        if "7" in a["D1_extern"]:
            a["D1_extern_7_text"] = _text(rng, ags, "Instrument")
        a["D2_ziele_extern"] = _maybe(rng, rng.choice(["1", "2", "3", "4", "9"]))
        a["D3_reaktionszeit_festgelegt"] = _maybe(rng, rng.choice(["1", "2"]))
        a["D4_reaktionszeit"] = _maybe(rng, str(rng.randint(1, 4)))
    elif page == "P5":
        a["E1_strategie"] = _maybe(rng, str(rng.randint(1, 3)))
        a["E2_richtlinie"] = _maybe(rng, str(rng.randint(1, 3)))
        a["E3_monitoring"] = _maybe(rng, str(rng.randint(1, 4)))
    elif page == "P6":
        a["F1_hemmnisse"] = _subset(rng, ["1", "2", "3", "4", "5", "6", "7"], "8", 0.15)
        if "7" in a["F1_hemmnisse"]:
            a["F1_hemmnisse_7_text"] = _text(rng, ags, "Hemmnis")
    elif page == "P7":
        if profile["user"]:
            a["G1_ausbau"] = _subset(rng, ["1", "2", "3", "4", "5"], "6", 0.1)
        else:
            a["G2_einfuehrung"] = _maybe(rng, rng.choice(["1", "2", "3", "9"]))
    elif page == "P8":
        a["H1_anmerkungen"] = _maybe(rng, _text(rng, ags, "Anmerkung"), 0.5)
        a["H2_ergebnisse"] = _maybe(rng, rng.choice(["1", "2"]))
        if a["H2_ergebnisse"] == "1":
            a["H3_email"] = f"rathaus-{ags}@gemeinde.example"
    return {k: v for k, v in a.items() if v not in (None, [])}


def form_fields(answers: Answers) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, item))
    return fields


# -- the simulated respondent --------------------------------------------------------------------

class Unexpected(Exception):
    """The server answered something a working questionnaire never answers here."""


class Respondent(FastHttpUser):
    wait_time = between(1, 5)

    @task
    def answer_one_invitation(self) -> None:
        invitation = take_invitation()
        if invitation is None:
            raise StopUser()  # the pool is used up: run_load.py sizes it so this is rare
        rng = random.Random(_rng.random())
        user = rng.random() < 0.75
        purpose = rng.choice(["intern", "extern", "beide"]) if user else ""
        profile = {"user": user, "intern": purpose in ("intern", "beide"), "extern": purpose in ("extern", "beide")}
        pages = pages_for(profile)
        stop_at = rng.randrange(len(pages)) if rng.random() < STOP_SHARE else -1
        abandon = stop_at >= 0 and rng.random() < ABANDON_SHARE
        back_at = rng.randrange(1, len(pages)) if rng.random() < BACK_SHARE else -1
        self.record: dict[str, Any] = {
            "ags": invitation["ags"], "name": invitation["name"], "profile": profile, "status": "interrupted",
            "pages": {}, "pending": {}, "events": [],
        }
        try:
            self.walk(invitation["token"], pages, rng, stop_at, abandon, back_at)
        except Unexpected as exc:
            self.record["error"] = str(exc)
        except StopUser:  # the run ends while this respondent pauses: "interrupted"
            raise
        except Exception as exc:
            self.record["crash"] = f"{type(exc).__name__}: {exc}"  # a bug in this file: check_export fails
            raise
        finally:
            write_record(self.record)

    # one respondent ------------------------------------------------------------------------

    def walk(self, token: str, pages: list[str], rng: random.Random, stop_at: int, abandon: bool,
             back_at: int) -> None:
        base = f"/s/{token}/"
        self.client.cookiejar.clear()
        # a new respondent's link leads to the welcome page; its "Befragung beginnen" to the first page
        welcome = self.expect_redirect("GET", base, "/s/[token]/", f"{base}willkommen/")
        self.record["opened"] = True  # from here on the server has this respondent's Response
        self.get_page(welcome, "/s/[token]/willkommen/", must_contain="Befragung beginnen")
        location = f"{base}seite/{pages[0]}/"
        index, stopped, went_back = 0, False, False
        while index < len(pages):
            page = pages[index]
            html = self.get_page(location, f"/s/[token]/seite/{page}/")
            self.wait()
            answers = page_answers(page, self.record["profile"], self.record["ags"], rng)
            if index == stop_at and not stopped:
                action, expected = "speichern", f"{base}{SAVED}/"
            elif index == back_at and not went_back:
                action, expected = "zurueck", f"{base}seite/{pages[index - 1]}/"
            else:
                following = pages[index + 1] if index + 1 < len(pages) else None
                action, expected = "weiter", f"{base}seite/{following}/" if following else f"{base}{REVIEW}/"
            location = self.post_page(location, page, html, answers, action, expected)
            if action == "speichern":
                stopped = True
                self.get_page(location, f"/s/[token]/{SAVED}/")
                self.record["events"].append(f"speichern@{page}")
                if abandon:
                    self.record["status"] = "partial"
                    return
                for _ in range(rng.randint(2, 6)):  # "later": a few pauses in a row
                    self.wait()
                self.client.cookiejar.clear()  # another browser / a new session
                location = self.expect_redirect("GET", base, "/s/[token]/ (fortsetzen)", f"{base}seite/{page}/")
                self.record["events"].append(f"fortgesetzt@{page}")
                continue
            if action == "zurueck":
                went_back = True
                self.record["events"].append(f"zurueck@{page}")
                index -= 1
                continue
            index += 1
        self.get_page(location, f"/s/[token]/{REVIEW}/", must_contain="Antworten absenden")
        self.wait()
        html = self.last_html
        self.record["submit_pending"] = True
        self.expect_redirect("POST", f"{base}{REVIEW}/", f"/s/[token]/{REVIEW}/ absenden", f"{base}{RECEIPT}/",
                             data=[("csrfmiddlewaretoken", self.csrf(html)), ("aktion", "absenden")],
                             referer=f"{base}{REVIEW}/")
        self.record["status"] = "submitted"
        self.record.pop("submit_pending")
        self.get_page(f"{base}{RECEIPT}/", f"/s/[token]/{RECEIPT}/")

    # HTTP helpers ----------------------------------------------------------------------------

    def get_page(self, path: str, name: str, must_contain: str = "") -> str:
        with self.client.get(path, name=f"GET {name}", allow_redirects=False, catch_response=True) as resp:
            text = resp.text or ""
            if resp.status_code != 200:
                resp.failure(f"status {resp.status_code}")
                raise Unexpected(f"GET {name}: status {resp.status_code}")
            if must_contain and must_contain not in text:
                resp.failure(f"missing {must_contain!r}")
                raise Unexpected(f"GET {name}: missing {must_contain!r}")
            resp.success()
        self.last_html = text
        return text

    def post_page(self, path: str, page: str, html: str, answers: Answers, action: str, expected: str) -> str:
        match = VERSION_RE.search(html)
        if not match:
            raise Unexpected(f"{page}: no _version in the form")
        data = [("csrfmiddlewaretoken", self.csrf(html)), ("_version", match.group(1)), *form_fields(answers),
                ("aktion", action)]
        self.record["pending"][page] = answers
        location = self.expect_redirect("POST", path, f"/s/[token]/seite/{page}/ {action}", expected,
                                        data=data, referer=path)
        self.record["pending"].pop(page, None)
        self.record["pages"][page] = answers
        return location

    def expect_redirect(self, method: str, path: str, name: str, expected: str, data: Any = None,
                        referer: str = "") -> str:
        headers = {"Referer": f"{self.host}{referer}"} if referer else {}
        if data is not None:
            data = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(method, path, name=f"{method} {name}", data=data, headers=headers,
                                 allow_redirects=False, catch_response=True) as resp:
            location = resp.headers.get("Location", "") if resp.headers else ""
            location = re.sub(r"^https?://[^/]+", "", location)
            if resp.status_code != 302 or location != expected:
                detail = f"status {resp.status_code}, Location {location!r}"
                resp.failure(detail)
                raise Unexpected(f"{method} {name}: {detail}, expected {expected}")
            resp.success()
        return location

    def csrf(self, html: str) -> str:
        match = CSRF_RE.search(html)
        if not match:
            raise Unexpected("no CSRF token in the form")
        return match.group(1)
