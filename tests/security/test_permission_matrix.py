"""Every URL of the project × {anonymous, respondent, analyst, staff, superuser}.

The URL list comes from walking `get_resolver()`; every route must have a rule in RULES (admin
routes share one rule), so a new URL without a rule fails this test. Path converters are filled
with real objects. Allowed → 2xx or a redirect that is not a login page; denied → 302 to the
login page (not logged in) or 403 (logged in without the permission).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from exports.models import ExportJob
from invitations.models import LocalMail, OutboxMessage
from invitations.register.views import _store_upload
from responses.models import Response
from surveys.definition.views import _store_upload as _store_definition_upload

pytestmark = pytest.mark.django_db

PUBLIC, TOKEN, ANALYST, STAFF, ADMIN = "public", "token", "analyst", "staff", "admin"
# The REST API and the OData feed take an API key only, never a session: 401 for every role here
# (404 for a path the API does not have); what a key may do is tests/api/ and tests/odata/.
APIKEY = "apikey"
ROLES = ("anonymous", "respondent", "analyst", "staff", "superuser")
LEVEL = {"anonymous": 0, "respondent": 0, "analyst": 1, "staff": 2, "superuser": 3}
NEED = {ANALYST: 1, STAFF: 2, ADMIN: 3}

# route → (who may use it, methods it serves). GET on a POST-only view must not answer 2xx.
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "": (PUBLIC, ("GET",)),
    "favicon.ico": (PUBLIC, ("GET",)),
    "i18n/setlang/": (PUBLIC, ("POST",)),
    "health/": (PUBLIC, ("GET",)),
    "staff/login/": (PUBLIC, ("GET", "POST")),
    "staff/logout/": (PUBLIC, ("POST",)),
    "staff/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/feldphase/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/organisation/": (STAFF, ("GET", "POST")),
    "logo/<slug:slug>/<str:name>": (PUBLIC, ("GET",)),
    "staff/befragungen/<slug:slug>/status/<slug:action>/": (STAFF, ("GET", "POST")),
    "staff/neue-befragung/": (STAFF, ("GET", "POST")),
    "staff/neue-befragung/hochladen/": (STAFF, ("GET", "POST")),
    "staff/neue-befragung/hochladen/<str:digest>/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/neue-welle/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen.yaml": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/fragebogen.xlsx": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/texte/": (ANALYST, ("GET",)),  # POST (saving) is staff-only
    "staff/befragungen/<slug:slug>/druckfassung/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/druckfassung.pdf": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/email-texte/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/vorschau/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/vorschau/datenschutz/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/vorschau/seite/<str:page_code>/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/vorschau/pruefen/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/vorschau/neu/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/fragebogen/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/fragebogen/aenderungen/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/fragebogen/pruefen/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/neu/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/<int:page_id>/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/<int:page_id>/bearbeiten/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/<int:page_id>/verschieben/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/<int:page_id>/loeschen/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen/seiten/<int:page_id>/fragen/neu/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen/fragen/<int:question_id>/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/fragebogen/fragen/<int:question_id>/verschieben/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/fragebogen/fragen/<int:question_id>/loeschen/": (STAFF, ("GET", "POST")),
    "staff/register/": (STAFF, ("GET", "POST")),
    "staff/register/pruefung/<str:key>/": (STAFF, ("GET", "POST")),
    "staff/register/vorlage.<str:fmt>": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/einladen/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/erinnern/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/postausgang/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/postausgang/stand/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/postausgang/<int:message_id>/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/postausgang/<int:message_id>/html/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/erinnerungsplan/": (STAFF, ("GET", "POST")),
    "staff/postfach/": (STAFF, ("GET",)),
    "staff/postfach/<int:mail_id>/": (STAFF, ("GET",)),
    "staff/postfach/<int:mail_id>/html/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/mitglieder/<slug:ags>/link-senden/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/mitglieder/<slug:ags>/unzustellbar/": (STAFF, ("GET", "POST")),
    "staff/befragungen/<slug:slug>/ruecklauf/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/mitglieder/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/mitglieder/<slug:ags>/": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/nicht-antwortende.csv": (STAFF, ("GET",)),
    "staff/befragungen/<slug:slug>/antworten/<int:response_id>/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/antworten/<int:response_id>/wieder-oeffnen/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/ergebnisse/freitexte/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/freitexte/<str:variable>/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/aktualisieren/": (ANALYST, ("POST",)),
    "staff/befragungen/<slug:slug>/ergebnisse/stand/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/exporte/stand/": (ANALYST, ("GET",)),
    "staff/exporte/<int:pk>/stand/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/kreuztabellen/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/repraesentativitaet/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/wellen/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/bericht/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/ergebnisse/mindestbasis/": (STAFF, ("POST",)),
    "staff/befragungen/<slug:slug>/exporte/": (ANALYST, ("GET",)),
    "staff/befragungen/<slug:slug>/exporte/neu/": (ANALYST, ("POST",)),
    "staff/exporte/<int:pk>/": (ANALYST, ("GET",)),
    "staff/exporte/<int:pk>/wiederholen/": (ANALYST, ("POST",)),
    "staff/exporte/<int:pk>/herunterladen/": (ANALYST, ("GET",)),
    "s/": (PUBLIC, ("GET", "POST")),
    "s/<str:token>/": (TOKEN, ("GET",)),
    "s/<str:token>/seite/<str:page_code>/": (TOKEN, ("GET", "POST")),
    "s/<str:token>/pruefen/": (TOKEN, ("GET", "POST")),
    "s/<str:token>/danke/": (TOKEN, ("GET",)),
    "s/<str:token>/gespeichert/": (TOKEN, ("GET",)),
    "s/<str:token>/willkommen/": (TOKEN, ("GET",)),
    "s/<str:token>/datenschutz/": (TOKEN, ("GET",)),
    "s/<str:token>/fragebogen/": (TOKEN, ("GET",)),
    "s/<str:token>/fragebogen.pdf": (TOKEN, ("GET",)),
    "abmelden/<str:token>/": (TOKEN, ("GET", "POST")),
    "abmelden/<str:token>/ein-klick/": (TOKEN, ("GET", "POST")),
    "staff/api-schluessel/": (ANALYST, ("GET", "POST")),
    "staff/api-schluessel/<int:pk>/widerrufen/": (ANALYST, ("POST",)),
    "api/v1/schema/": (PUBLIC, ("GET",)),
    "api/v1/docs/": (ANALYST, ("GET",)),
    "api/v1/surveys/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/definition/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/members/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/responses/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/results/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/crosstabs/": (APIKEY, ("GET",)),
    "api/v1/surveys/<slug:slug>/exports/": (APIKEY, ("GET", "POST")),
    "api/v1/exports/<int:pk>/": (APIKEY, ("GET",)),
    "api/v1/exports/<int:pk>/file/": (APIKEY, ("GET",)),
    "api/v1/^.*$": (APIKEY, ("GET",)),
    "odata/<slug:slug>/": (APIKEY, ("GET",)),
    "odata/<slug:slug>/$metadata": (APIKEY, ("GET",)),
    "odata/<slug:slug>/<str:name>/$count": (APIKEY, ("GET",)),
    "odata/<slug:slug>/<str:name>": (APIKEY, ("GET",)),
}
ADMIN_PUBLIC = {"admin:login": ("GET", "POST"), "admin:logout": ("POST",)}  # every other admin route: superusers only


def walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}".strip(":") if p.name else None
            yield prefix + str(p.pattern), name, p


def all_routes():
    return list(walk(get_resolver().url_patterns))


@dataclass
class World:
    values: dict
    clients: dict
    superuser: User
    users: dict

    def relogin(self) -> None:
        for role, user in self.users.items():
            self.clients[role].force_login(user)


@pytest.fixture
def world(kgst_survey, make_invitation, staff_user, analyst_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invitation = make_invitation(kgst_survey, ags="05315000")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "abc.csv").write_text("ags\n")
    job = ExportJob.objects.create(survey=kgst_survey, format="csv", status="done", file="exports/abc.csv", size=4)
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "kgst-abc.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    kgst_survey.logo.name = "logos/kgst-abc.png"
    kgst_survey.save(update_fields=["logo"])
    superuser = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-123")
    key = _store_upload(staff_user.pk, "r.csv", b"ags;name\n")
    digest = _store_definition_upload(staff_user.pk, "neu.yaml", b"slug: neu\ntitle: Neu\npages: []\n")
    clients = {role: Client() for role in ROLES}
    users = {"analyst": analyst_user, "staff": staff_user, "superuser": superuser}
    message = OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email="a@example.org",
                                           subject="Einladung", body_text="Text", body_html="<p>HTML</p>")
    local = LocalMail.objects.create(to="a@example.org", subject="Einladung",
                                     raw=b"Subject: Einladung\r\nTo: a@example.org\r\n\r\nText\r\n")
    values = {"slug": kgst_survey.slug, "action": "schliessen", "key": key, "ags": "05315000", "pk": job.pk,
              "token": invitation.token, "page_code": "P1", "message_id": message.pk, "mail_id": local.pk,
              "digest": digest, "fmt": "xlsx", "name": "kgst-abc.png",
              # P2 and B1_nutzung: later conditions need them, so the editor's empty-POST delete/move refuse
              "page_id": kgst_survey.pages.get(code="P2").pk,
              "question_id": kgst_survey.questions.get(code="B1_nutzung").pk}
    # a submitted response to read (and to refuse reopening it without a reason)
    answered = Response.objects.create(survey=kgst_survey, invitation=invitation, status="submitted",
                                       submitted_at=timezone.now())
    values.update(response_id=answered.pk, variable="H1_anmerkungen")
    respondent_invitation = make_invitation(kgst_survey)
    assert clients["respondent"].get(f"/s/{respondent_invitation.token}/", follow=True).status_code == 200
    world = World(values, clients, superuser, users)
    world.relogin()
    return world


def fill(route: str, values: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def admin_url(name: str, pattern: URLPattern, world: World) -> str | None:
    from django.apps import apps

    kwargs = {}
    for group in pattern.pattern.regex.groupindex:
        if group == "app_label":
            kwargs[group] = "surveys"
        elif group == "object_id":
            app, _sep, rest = name.split(":", 1)[1].partition("_")
            model_name = rest.rsplit("_", 1)[0]
            model = next((m for m in apps.get_models() if m._meta.app_label == app
                          and m._meta.model_name == model_name), None)
            obj = model.objects.first() if model else None
            if obj is None:
                obj = world.superuser if model_name == "user" else None
            if obj is None:
                return None
            kwargs[group] = obj.pk
        elif group == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            kwargs[group] = ContentType.objects.get_for_model(User).pk
        elif group == "id":
            kwargs[group] = world.superuser.pk
        else:
            kwargs[group] = "x"
    return reverse(name, kwargs=kwargs)


def judge(role: str, access: str, method: str, served: tuple, response, login: str) -> str | None:
    status = response.status_code
    location = response.get("Location", "")
    if status >= 500:
        return f"{status}"
    if access == APIKEY:
        return None if status in (401, 404) else f"{status}, expected 401 without an API key"
    if method not in served:
        return None if status >= 300 else f"{status} for an unserved method"
    allowed = access in (PUBLIC, TOKEN) or LEVEL[role] >= NEED[access]
    if allowed:
        # 400: the empty POST is invalid input; the read-only admin refuses add/delete (403) by design.
        fine = status < 400 or status == 400 and method == "POST" or access == ADMIN and status in (403, 404)
        to_login = login in location and "logout" not in response.request["PATH_INFO"]
        if not fine or to_login:
            return f"{status} {location} although allowed"
        return None
    if LEVEL[role] == 0 or access == ADMIN:
        return None if status == 302 and location.startswith(login) else f"{status} {location}, expected login"
    return None if status == 403 else f"{status}, expected 403"


def test_every_route_has_a_rule():
    routes = all_routes()
    assert len(routes) > 60
    missing = [r for r, name, _p in routes if not r.startswith("admin/") and r not in RULES]
    assert missing == [], f"routes without a permission rule: {missing}"
    stale = set(RULES) - {r for r, _n, _p in routes}
    assert stale == set(), f"rules for routes that no longer exist: {stale}"


def test_permission_matrix(world):
    problems, checked = [], 0
    jobs = []
    for route, name, pattern in all_routes():
        if route.startswith("admin/") and name is None:  # catch-all and old-style object redirects
            continue
        if route.startswith("admin/"):
            url = admin_url(name, pattern, world)
            if url is None:
                continue
            served = ADMIN_PUBLIC.get(name, ("GET",))
            access = PUBLIC if name in ADMIN_PUBLIC else ADMIN
            login = "/admin/login/"
        else:
            url = fill(route, world.values)
            access, served = RULES[route]
            login = "/staff/login/"
        jobs.append((route, url, access, served, login))
    survey_pk = ExportJob.objects.get(pk=world.values["pk"]).survey_id
    for url in (f"/admin/surveys/survey/{survey_pk}/", "/admin/gibt-es-nicht/"):
        jobs.append((url, url, ADMIN, ("GET",), "/admin/login/"))
    # GET everything first, then POST; the lifecycle step (closing the survey) comes last.
    for method in ("GET", "POST"):
        for route, url, access, served, login in sorted(jobs, key=lambda j: "status/" in j[0]):
            if method == "POST" and method not in served:
                continue
            for role in sorted(ROLES, key=lambda r: -1 if access in (PUBLIC, TOKEN) else LEVEL[r]):
                client = world.clients[role]
                response = client.get(url) if method == "GET" else client.post(url, {})
                checked += 1
                problem = judge(role, access, method, served, response, login)
                if problem:
                    problems.append(f"{method} {url} as {role}: {problem}")
                if "logout" in url:
                    world.relogin()
    assert problems == [], "\n".join(problems)
    assert checked > 300


@pytest.mark.parametrize("route", [r for r, (access, _m) in RULES.items() if access == TOKEN])
def test_wrong_token_is_404_for_everyone(world, route):
    values = {**world.values, "token": "A" * 43}
    for role in ROLES:
        assert world.clients[role].get(fill(route, values)).status_code == 404, role


def test_respondent_session_gives_no_staff_access(world):
    respondent = world.clients["respondent"]
    for url in ("/staff/", f"/staff/befragungen/{world.values['slug']}/exporte/",
                f"/staff/exporte/{world.values['pk']}/herunterladen/", "/admin/"):
        response = respondent.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
