"""Issue L, the probe's findings: hostile query values never give a 500; personal and staff pages are
neither cached nor indexed."""

import pytest

from .test_permission_matrix import RULES, all_routes, fill, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db

UNICODE_DIGITS = "seite=%C2%B2&frage=%C2%B2&typ=%C2%B2&sortierung=%C2%B2&mitglied=%C2%B2&art=seite&wert=%C2%B2"


def get_routes(world):  # noqa: F811
    for route, _name, _pattern in all_routes():
        if route.startswith("admin/") or "GET" not in RULES[route][1]:
            continue
        yield route, fill(route, world.values)


def test_unicode_digits_nul_and_overlong_values_never_give_a_500(world):  # noqa: F811
    client = world.clients["superuser"]
    problems = []
    for route, url in get_routes(world):
        if "status/" in route or "logout" in route:
            continue
        for query, expected in ((UNICODE_DIGITS, None), ("mitglied=%00", 400), ("seite=%00", 400),
                                ("q=" + "a" * 9000, 400)):
            status = client.get(f"{url}?{query}").status_code
            if status >= 500 or (expected and status != expected):
                problems.append(f"GET {url}?{query[:40]}: {status}")
    assert problems == [], "\n".join(problems)


def test_the_two_known_probe_urls(world):  # noqa: F811
    client, slug = world.clients["staff"], world.values["slug"]
    check = f"/staff/befragungen/{slug}/fragebogen/pruefen/?seite=%C2%B2&art=seite&wert=P9"
    assert client.get(check).status_code == 200
    assert client.get(f"/staff/befragungen/{slug}/email-texte/?mitglied=%00").status_code == 400
    assert client.post(f"/staff/befragungen/{slug}/email-texte/", {"mitglied": "\x00"}).status_code == 400
    assert client.get("/s/%00/").status_code == 404


def test_no_store_and_noindex_on_every_personal_and_staff_page(world):  # noqa: F811
    problems = []
    for role in ("superuser", "respondent", "anonymous"):
        client = world.clients[role]
        for route, url in get_routes(world):
            if "status/" in route or "logout" in route:
                continue
            response = client.get(url)
            private = url.startswith(("/s/", "/staff/", "/abmelden/"))
            if private and ("no-store" not in response.get("Cache-Control", "")
                            or "noindex" not in response.get("X-Robots-Tag", "")):
                problems.append(f"{role} {url}: {response.status_code} {response.get('Cache-Control')}")
    assert problems == [], "\n".join(problems)
    public_logo = world.clients["anonymous"].get(fill("logo/<slug:slug>/<str:name>", world.values))
    assert "no-store" not in public_logo.get("Cache-Control", "")
