"""An answer plan that reproduces the published reference figures of the KGSt survey
(codebook, last section; Kommune21, April 2014), and a driver that collects it through the
respondent views exactly as a browser would (GET each page, POST its fields with the CSRF token
and the page version, follow the redirect).

318 respondents: 172 users (B1=1), 146 non-users. Among users: 80 use social media internally
(B2 contains 1), 120 externally (B2 contains 2; 28 both).
"""

from __future__ import annotations

import re

from invitations.models import LAENDER

N_USERS, N_NONUSERS = 172, 146
SIZES = [5_000, 15_000, 30_000, 70_000, 150_000, 300_000, 500_000]
TEXTS = ["=HYPERLINK(\"http://example.org\",\"klick\")", "+1+2", "@SUM(A1:A2)", "Emoji 🎉👍 und Umlaute äöüß",
         "Ä" * 5000, "Zeile 1\nZeile 2", "-Minus am Anfang"]


def _band(i: int, bounds: list[tuple[int, str]]) -> str | None:
    for upper, value in bounds:
        if i < upper:
            return value
    return None


def _user(u: int, answers: dict) -> None:
    answers["B2_zweck"] = ["1"] if u < 52 else ["1", "2"] if u < 80 else ["2"]
    if (v := _band(u, [(26, "1"), (97, "2"), (162, "3")])):
        answers["B3_dauer"] = v
    if u < 80:  # internal use
        for r in range(1, 7):
            answers[f"C1_{r}"] = str(1 + (u + r) % 3)
        if (v := _band(u, [(3, "1"), (21, "2"), (51, "3"), (60, "4"), (70, "9")])):
            answers["C2_ziele_intern"] = v
    if u >= 52:  # external use
        e = u - 52
        chosen = [c for c, cond in (("1", 70 <= e < 102), ("2", e >= 102), ("3", e < 58), ("4", 30 <= e < 76),
                                    ("7", e < 2)) if cond]
        answers["D1_extern"] = chosen
        if "7" in chosen:
            answers["D1_extern_7_text"] = "Instagram" if e == 0 else "=cmd|' /C calc'!A0"
        if e < 100:
            answers["D2_ziele_extern"] = ["1", "2", "3", "4", "9"][e % 5]
        if e < 114:
            answers["D3_reaktionszeit_festgelegt"] = "1" if e < 16 else "2"
        if (v := _band(e, [(72, "1"), (96, "2"), (106, "3"), (110, "4")])):
            answers["D4_reaktionszeit"] = v
    if (v := _band(u, [(28, "1"), (65, "2"), (139, "3")])):
        answers["E1_strategie"] = v
    if u < 150:
        answers["E2_richtlinie"] = ["1", "2", "3"][u % 3]
    if (v := _band(u, [(57, "1"), (99, "2"), (130, "3"), (133, "4")])):
        answers["E3_monitoring"] = v
    if u < 63:
        answers["G1_ausbau"] = ["1", "3"] if u % 2 == 0 else ["1"]
    elif u < 98:
        answers["G1_ausbau"] = ["2", "4"] if u % 4 == 0 else ["2"]
    elif u < 140:
        answers["G1_ausbau"] = ["5"]
    elif u < 150:
        answers["G1_ausbau"] = ["6"]


def reference_plan() -> list[tuple[dict, dict]]:
    """[(member fields, answers mapping)] for the 318 submitted respondents."""
    plan = []
    for k in range(N_USERS + N_NONUSERS):
        answers: dict = {"B1_nutzung": "1" if k < N_USERS else "2"}
        bereich = str(1 + k % 6)
        answers["A1_bereich"] = bereich
        if bereich == "6":
            answers["A1_bereich_6_text"] = "Kämmerei"
        if k % 5:
            answers["A2_beschaeftigte"] = str(50 + 7 * k)
        if k < N_USERS:
            _user(k, answers)
        else:
            n = k - N_USERS
            if (v := _band(n, [(5, "1"), (14, "2"), (114, "3"), (140, "9")])):
                answers["G2_einfuehrung"] = v
        if k % 10 == 0:
            answers["F1_hemmnisse"] = ["8"]
        else:
            answers["F1_hemmnisse"] = [str(c) for c in range(1, 8) if (k + c) % 3 == 0]
            if "7" in answers["F1_hemmnisse"]:
                answers["F1_hemmnisse_7_text"] = "Zeitmangel"
        if k % 9 == 0:
            answers["H1_anmerkungen"] = TEXTS[(k // 9) % len(TEXTS)]
        if k % 3 == 0:
            answers["H2_ergebnisse"] = "1"
            answers["H3_email"] = f"kontakt{k}@example.org"
        elif k % 3 == 1:
            answers["H2_ergebnisse"] = "2"
        member = {"land": LAENDER[k % 16], "einwohner": SIZES[k % 7] + k,
                  "typ": "Landkreis" if k % 11 == 0 else "Stadt"}
        plan.append((member, answers))
    return plan


VERSION_RE = re.compile(r'name="_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="_version"')


def _version(html: str) -> str:
    match = VERSION_RE.search(html)
    assert match, "no _version field on the page"
    return match.group(1) or match.group(2)


def walk(client, structure, token: str, answers: dict, submit: bool = True, max_pages: int | None = None) -> None:
    """Answer page by page through the respondent views as a browser would, then submit."""
    response = client.get(f"/s/{token}/")
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    if location.endswith("/willkommen/"):  # a new respondent: the welcome page's "Befragung beginnen"
        welcome = client.get(location).content.decode()
        location = re.search(r'href="([^"]*/seite/[^"]*/)">Befragung beginnen', welcome)[1]
    pages = 0
    while "/seite/" in location:
        if max_pages is not None and pages >= max_pages:
            return
        page_code = location.rstrip("/").rsplit("/", 1)[1]
        html = client.get(location).content.decode()
        data: dict = {"_version": _version(html), "aktion": "weiter"}
        for question in structure.page(page_code).questions:
            for variable in question.variables:
                if variable in answers:
                    data[variable] = answers[variable]
        response = client.post(location, data)
        assert response.status_code == 302, (page_code, data, response.content.decode()[:3000])
        location = response["Location"]
        pages += 1
    assert location.endswith("/pruefen/"), location
    if submit:
        response = client.post(location, {"aktion": "absenden"})
        assert response.status_code == 302 and response["Location"].endswith("/danke/"), response.status_code
