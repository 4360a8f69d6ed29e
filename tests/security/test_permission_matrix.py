"""Every URL of the project × {anonymous, respondent, each role on survey A, superuser} × survey A and B.

The URL list comes from walking `get_resolver()`; every route must have a rule in RULES (admin
routes share one rule), so a new URL without a rule fails this test. Path converters are filled
with real objects of survey A and, for URLs of a survey, again with those of survey B. Each role
(accounts/roles.py) is held on survey A only, so on survey B and on the pages of all surveys it
must be refused. Allowed → 2xx or a redirect that is not a login page; denied → 302 to the login
page (not logged in) or 403 (logged in without the capability there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import roles
from exports.models import ExportJob
from invitations.models import Invitation, LocalMail, OutboxMessage
from invitations.register.views import _store_upload
from responses.models import Response
from surveys.definition.views import _store_upload as _store_definition_upload
from surveys.definition.waves import copy_survey

pytestmark = pytest.mark.django_db

# Kinds of rule: PUBLIC and TOKEN (anyone), ANY (any role), SURVEY (a capability on the URL's survey),
# GLOBAL (a capability from a role on all surveys), ADMIN (superusers).
PUBLIC, TOKEN, ANY, SURVEY, GLOBAL, ADMIN = "public", "token", "any", "survey", "global", "admin"
# The second step of a login: without a login in progress it sends everybody back to the login.
LOGIN_STEP = "login step"
# Single sign-on is not configured here (no OIDC_ISSUER, no SAML_IDP_*): its pages answer 404, its error page 401.
SSO_OFF = "sso off"
# The REST API and the OData feed take an API key only, never a session: 401 for every role here
# (404 for a path the API does not have); what a key may do is tests/api/ and tests/odata/.
APIKEY = "apikey"
ON_A = ("owner", "editor", "field", "analyst", "viewer")  # each held on survey A only
# "staff": owner of all surveys (the role the group "staff" became), the superuser: everything
ROLES = ("anonymous", "respondent", *ON_A, "staff", "superuser")
GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")


class Rule(NamedTuple):
    kind: str
    methods: tuple[str, ...]
    needs: frozenset[str] = frozenset()  # any one of these capabilities
    post_needs: frozenset[str] | None = None  # when POST needs more than GET


def public(methods=GET) -> Rule:
    return Rule(PUBLIC, methods)


def token(methods=GET) -> Rule:
    return Rule(TOKEN, methods)


def survey(*needs: str, methods=GET, post: tuple[str, ...] | None = None) -> Rule:
    return Rule(SURVEY, methods, frozenset(needs), frozenset(post) if post else None)


def everywhere(*needs: str, methods=GET) -> Rule:
    return Rule(GLOBAL, methods, frozenset(needs))


_S = "staff/befragungen/<slug:slug>/"
_E = _S + "fragebogen/"
# route → who may use it and the methods it serves. GET on a POST-only view must not answer 2xx.
RULES: dict[str, Rule] = {
    "": public(),
    "favicon.ico": public(),
    "i18n/setlang/": public(POST),
    "health/": public(),
    "staff/login/": public(BOTH),
    "staff/logout/": public(POST),
    "staff/api-schluessel/": Rule(ANY, BOTH),
    "staff/api-schluessel/<int:pk>/widerrufen/": Rule(ANY, POST),
    "api/v1/schema/": public(),
    "api/v1/docs/": Rule(ANY, GET),
    "api/v1/surveys/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/definition/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/members/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/responses/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/results/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/crosstabs/": Rule(APIKEY, GET),
    "api/v1/surveys/<slug:slug>/exports/": Rule(APIKEY, BOTH),
    "api/v1/exports/<int:pk>/": Rule(APIKEY, GET),
    "api/v1/exports/<int:pk>/file/": Rule(APIKEY, GET),
    "api/v1/^.*$": Rule(APIKEY, GET),
    "odata/<slug:slug>/": Rule(APIKEY, GET),
    "odata/<slug:slug>/$metadata": Rule(APIKEY, GET),
    "odata/<slug:slug>/<str:name>/$count": Rule(APIKEY, GET),
    "odata/<slug:slug>/<str:name>": Rule(APIKEY, GET),
    # The account's own sign-in pages (accounts/signin/): every signed-in account, whatever its roles.
    "staff/konto/inaktiv/": public(),
    # Single sign-on: start, the provider's way back, its error pages (404 without OIDC_ISSUER).
    "staff/sso/oidc/login/": Rule(SSO_OFF, BOTH),
    "staff/sso/oidc/login/callback/": Rule(SSO_OFF, BOTH),
    "staff/sso/saml/<slug:organization_slug>/login/": Rule(SSO_OFF, BOTH),
    "staff/sso/saml/<slug:organization_slug>/acs/": Rule(SSO_OFF, BOTH),
    "staff/sso/saml/<slug:organization_slug>/acs/finish/": Rule(SSO_OFF, BOTH),
    "staff/sso/saml/<slug:organization_slug>/metadata/": Rule(SSO_OFF, GET),
    "staff/sso/saml/<slug:organization_slug>/sls/": Rule(SSO_OFF, BOTH),
    "staff/sso/fehler/": Rule(SSO_OFF, GET),
    "staff/sso/abgebrochen/": public(),
    "staff/sso/konto/": Rule(LOGIN_STEP, BOTH),
    "staff/konto/bestaetigen/": Rule(ANY, BOTH),
    "staff/konto/passwort/": Rule(ANY, BOTH),
    "staff/konto/zwei-faktor/": Rule(ANY, GET),
    "staff/konto/zwei-faktor/anmelden/": Rule(LOGIN_STEP, BOTH),
    "staff/konto/zwei-faktor/bestaetigen/": Rule(ANY, BOTH),
    "staff/konto/zwei-faktor/app/einrichten/": Rule(ANY, BOTH),
    "staff/konto/zwei-faktor/app/entfernen/": Rule(ANY, BOTH),
    "staff/konto/zwei-faktor/wiederherstellungscodes/": Rule(ANY, GET),
    "staff/konto/zwei-faktor/wiederherstellungscodes/neu/": Rule(ANY, BOTH),
    "staff/konto/zwei-faktor/wiederherstellungscodes/herunterladen/": Rule(ANY, GET),
    "staff/passwort/<str:uidb64>/<str:token>/": public(BOTH),
    "staff/passwort/gesetzt/": public(),
    "staff/": Rule(ANY, GET),
    _S: survey("view"),
    _S + "feldphase/": survey("manage", methods=BOTH),
    _S + "organisation/": survey("manage", methods=BOTH),
    "logo/<slug:slug>/<str:name>": public(),
    _S + "status/<slug:action>/": survey("manage", methods=BOTH),
    _S + "zugriff/": survey("roles", methods=BOTH),
    _S + "zugriff/entziehen/": survey("roles", methods=POST),
    "staff/zugriff/": everywhere("roles", methods=BOTH),
    "staff/zugriff/entziehen/": everywhere("roles", methods=POST),
    "staff/neue-befragung/": everywhere("create", methods=BOTH),
    "staff/neue-befragung/hochladen/": everywhere("create", methods=BOTH),
    "staff/neue-befragung/hochladen/<str:digest>/": everywhere("create", methods=BOTH),
    _S + "neue-welle/": everywhere("create", methods=BOTH),
    _S + "fragebogen.yaml": survey("view"),
    _S + "fragebogen.xlsx": survey("view"),
    _S + "texte/": survey("view", methods=BOTH, post=("edit",)),  # everyone reads, editors save
    _S + "druckfassung/": survey("view"),
    _S + "druckfassung.pdf": survey("view"),
    _S + "email-texte/": survey("field", methods=BOTH),
    _S + "vorschau/": survey("edit"),
    _S + "vorschau/datenschutz/": survey("edit"),
    _S + "vorschau/seite/<str:page_code>/": survey("edit", methods=BOTH),
    _S + "vorschau/pruefen/": survey("edit", methods=BOTH),
    _S + "vorschau/neu/": survey("edit", methods=POST),
    _E: survey("view"),
    _E + "aenderungen/": survey("view"),
    _E + "pruefen/": survey("edit"),
    _E + "seiten/neu/": survey("edit", methods=BOTH),
    _E + "seiten/<int:page_id>/": survey("view"),
    _E + "seiten/<int:page_id>/bearbeiten/": survey("edit", methods=BOTH),
    _E + "seiten/<int:page_id>/verschieben/": survey("edit", methods=POST),
    _E + "seiten/<int:page_id>/loeschen/": survey("edit", methods=BOTH),
    _E + "seiten/<int:page_id>/fragen/neu/": survey("edit", methods=BOTH),
    _E + "fragen/<int:question_id>/": survey("edit", methods=BOTH),
    _E + "fragen/<int:question_id>/verschieben/": survey("edit", methods=POST),
    _E + "fragen/<int:question_id>/loeschen/": survey("edit", methods=BOTH),
    "staff/register/": everywhere("field", methods=BOTH),
    "staff/register/pruefung/<str:key>/": everywhere("field", methods=BOTH),
    "staff/register/vorlage.<str:fmt>": everywhere("field"),
    _S + "einladen/": survey("field", methods=BOTH),
    _S + "erinnern/": survey("field", methods=BOTH),
    _S + "postausgang/": survey("field"),
    _S + "postausgang/stand/": survey("field"),
    _S + "postausgang/<int:message_id>/": survey("field"),
    _S + "postausgang/<int:message_id>/html/": survey("field"),
    _S + "erinnerungsplan/": survey("field", methods=BOTH),
    "staff/postfach/": everywhere("field"),
    "staff/postfach/<int:mail_id>/": everywhere("field"),
    "staff/postfach/<int:mail_id>/html/": everywhere("field"),
    _S + "mitglieder/<slug:ags>/link-senden/": survey("field", methods=POST),
    _S + "mitglieder/<slug:ags>/unzustellbar/": survey("field", methods=BOTH),
    _S + "ruecklauf/": survey("dashboard"),
    _S + "mitglieder/": survey("field"),
    _S + "mitglieder/<slug:ags>/": survey("field"),
    _S + "nicht-antwortende.csv": survey("field"),
    _S + "antworten/<int:response_id>/": survey("raw_data", "field"),
    _S + "antworten/<int:response_id>/wieder-oeffnen/": survey("field", methods=POST),
    _S + "ergebnisse/freitexte/": survey("raw_data"),
    _S + "ergebnisse/freitexte/<str:variable>/": survey("raw_data"),
    _S + "ergebnisse/": survey("results"),
    _S + "ergebnisse/aktualisieren/": survey("results", methods=POST),
    _S + "ergebnisse/stand/": survey("results"),
    _S + "exporte/stand/": survey("exports"),
    "staff/exporte/<int:pk>/stand/": survey("exports"),
    _S + "ergebnisse/kreuztabellen/": survey("results"),
    _S + "ergebnisse/repraesentativitaet/": survey("results"),
    _S + "ergebnisse/wellen/": survey("results"),
    _S + "ergebnisse/bericht/": survey("results"),
    _S + "ergebnisse/mindestbasis/": survey("manage", methods=POST),
    _S + "exporte/": survey("exports"),
    _S + "exporte/neu/": survey("exports", methods=POST),
    "staff/exporte/<int:pk>/": survey("exports"),
    "staff/exporte/<int:pk>/wiederholen/": survey("exports", methods=POST),
    "staff/exporte/<int:pk>/herunterladen/": survey("exports"),
    _S + "protokoll/": survey("audit"),
    _S + "protokoll.csv": survey("audit"),
    "s/": public(BOTH),
    "s/<str:token>/": token(),
    "s/<str:token>/seite/<str:page_code>/": token(BOTH),
    "s/<str:token>/pruefen/": token(BOTH),
    "s/<str:token>/danke/": token(),
    "s/<str:token>/gespeichert/": token(),
    "s/<str:token>/willkommen/": token(),
    "s/<str:token>/datenschutz/": token(),
    "s/<str:token>/fragebogen/": token(),
    "s/<str:token>/fragebogen.pdf": token(),
    "abmelden/<str:token>/": token(BOTH),
    "abmelden/<str:token>/ein-klick/": token(BOTH),
}
ADMIN_PUBLIC = {"admin:login": ("GET", "POST"), "admin:logout": ("POST",)}  # every other admin route: superusers only
ADMIN_RULE = Rule(ADMIN, GET)


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
    values: dict  # survey A's objects by converter name
    values_b: dict  # the same for survey B
    clients: dict
    superuser: User
    users: dict

    def relogin(self) -> None:
        for role, user in self.users.items():
            self.clients[role].force_login(user)


def _objects(survey, invitation, tmp_path) -> dict:
    """One of each object a staff URL of `survey` names, as the converters' values."""
    name = f"{survey.slug}.csv"
    (tmp_path / "exports" / name).write_text("ags\n")
    job = ExportJob.objects.create(survey=survey, format="csv", status="done", file=f"exports/{name}", size=4)
    message = OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email="a@example.org",
                                           subject="Einladung", body_text="Text", body_html="<p>HTML</p>")
    # a submitted response to read (and to refuse reopening it without a reason)
    answered = Response.objects.create(survey=survey, invitation=invitation, status="submitted",
                                       submitted_at=timezone.now())
    return {"slug": survey.slug, "pk": job.pk, "message_id": message.pk, "response_id": answered.pk,
            "ags": invitation.member.ags, "variable": "H1_anmerkungen", "organization_slug": "idp",
            # P2 and B1_nutzung: later conditions need them, so the editor's empty-POST delete/move refuse
            "page_id": survey.pages.get(code="P2").pk, "question_id": survey.questions.get(code="B1_nutzung").pk}


@pytest.fixture
def world(kgst_survey, make_invitation, staff_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invitation = make_invitation(kgst_survey, ags="05315000")
    (tmp_path / "exports").mkdir()
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "kgst-abc.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    kgst_survey.logo.name = "logos/kgst-abc.png"
    kgst_survey.save(update_fields=["logo"])
    other = copy_survey(kgst_survey, "welle-b", "Welle B")
    other.open()
    superuser = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-123")
    users = {"superuser": superuser, "staff": staff_user}
    for role in ON_A:
        users[role] = User.objects.create_user(role, f"{role}@example.org", "Test-Passwort-123")
        roles.grant(users[role], role, kgst_survey)
    key = _store_upload(superuser.pk, "r.csv", b"ags;name\n")
    digest = _store_definition_upload(superuser.pk, "neu.yaml", b"slug: neu\ntitle: Neu\npages: []\n")
    clients = {role: Client() for role in ROLES}
    local = LocalMail.objects.create(to="a@example.org", subject="Einladung",
                                     raw=b"Subject: Einladung\r\nTo: a@example.org\r\n\r\nText\r\n")
    common = {"action": "schliessen", "key": key, "token": invitation.token, "page_code": "P1",
              "mail_id": local.pk, "digest": digest, "fmt": "xlsx", "name": "kgst-abc.png",
              "uidb64": "MQ"}
    values = {**common, **_objects(kgst_survey, invitation, tmp_path)}
    values_b = {**common, **_objects(other, Invitation.objects.create(survey=other, member=invitation.member),
                                     tmp_path)}
    respondent_invitation = make_invitation(kgst_survey)
    assert clients["respondent"].get(f"/s/{respondent_invitation.token}/", follow=True).status_code == 200
    world = World(values, values_b, clients, superuser, users)
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


def allowed(role: str, rule: Rule, method: str, on_a: bool) -> bool:
    """Whether `role` (held on survey A) may use a URL of this rule (of survey A when on_a, else B)."""
    if rule.kind in (PUBLIC, TOKEN):
        return True
    if role in ("anonymous", "respondent"):
        return False
    if role == "superuser":
        return True
    if role == "staff":  # owner of every survey: all but the admin
        return rule.kind != ADMIN
    if rule.kind == ANY:
        return True
    needs = rule.post_needs if method == "POST" and rule.post_needs else rule.needs
    if rule.kind == SURVEY:
        return on_a and bool(roles.CAPABILITIES[role] & needs)
    return False  # GLOBAL and ADMIN: none of the roles on survey A is enough


def judge(role: str, rule: Rule, method: str, on_a: bool, response, login: str) -> str | None:
    status = response.status_code
    location = response.get("Location", "")
    if status >= 500:
        return f"{status}"
    if rule.kind == APIKEY:
        return None if status in (401, 404) else f"{status}, expected 401 without an API key"
    if method not in rule.methods:
        return None if status >= 300 else f"{status} for an unserved method"
    if rule.kind == SSO_OFF:
        return None if status in (401, 404) else f"{status} {location}, expected a refusal"
    if rule.kind == LOGIN_STEP:  # signed in already: sent on; otherwise: to the login
        signed_in = role not in ("anonymous", "respondent")
        return None if status == 302 and (signed_in or location.startswith(login)) else f"{status} {location}"
    if allowed(role, rule, method, on_a):
        # 400: the empty POST is invalid input; the read-only admin refuses add/delete (403) by design.
        fine = status < 400 or status == 400 and method == "POST" or rule.kind == ADMIN and status in (403, 404)
        to_login = login in location and "logout" not in response.request["PATH_INFO"]
        if not fine or to_login:
            return f"{status} {location} although allowed"
        return None
    if role in ("anonymous", "respondent") or rule.kind == ADMIN:
        return None if status == 302 and location.startswith(login) else f"{status} {location}, expected login"
    return None if status == 403 else f"{status}, expected 403"


def test_every_route_has_a_rule():
    routes = all_routes()
    assert len(routes) > 60
    missing = [r for r, name, _p in routes if not r.startswith("admin/") and r not in RULES]
    assert missing == [], f"routes without a permission rule: {missing}"
    stale = set(RULES) - {r for r, _n, _p in routes}
    assert stale == set(), f"rules for routes that no longer exist: {stale}"


def _jobs(world: World) -> list[tuple[str, str, Rule, bool, str]]:
    """(route, url, rule, on survey A, login page) for every URL, those of a survey for A and for B."""
    jobs = []
    for route, name, pattern in all_routes():
        if route.startswith("admin/") and name is None:  # catch-all and old-style object redirects
            continue
        if route.startswith("admin/"):
            url = admin_url(name, pattern, world)
            if url is not None:
                rule = Rule(PUBLIC, ADMIN_PUBLIC[name]) if name in ADMIN_PUBLIC else ADMIN_RULE
                jobs.append((route, url, rule, True, "/admin/login/"))
            continue
        rule = RULES[route]
        values = world.values
        if route.startswith("staff/passwort/<"):  # an invalid one-time link: the page says so
            values = {**values, "token": "kein-token"}
        jobs.append((route, fill(route, values), rule, True, "/staff/login/"))
        if rule.kind == SURVEY:
            jobs.append((route, fill(route, world.values_b), rule, False, "/staff/login/"))
    survey_pk = ExportJob.objects.get(pk=world.values["pk"]).survey_id
    for url in (f"/admin/surveys/survey/{survey_pk}/", "/admin/gibt-es-nicht/"):
        jobs.append((url, url, ADMIN_RULE, True, "/admin/login/"))
    return jobs


def test_permission_matrix(world):
    problems, checked = [], 0
    jobs = _jobs(world)
    # GET everything first, then POST; the lifecycle step (closing the survey) comes last.
    for method in ("GET", "POST"):
        for route, url, rule, on_a, login in sorted(jobs, key=lambda j: "status/" in j[0]):
            if method == "POST" and method not in rule.methods:
                continue
            # those allowed last, so that their POST (which may change things) runs after the refusals
            for role in sorted(ROLES, key=lambda r: allowed(r, rule, method, on_a)):
                client = world.clients[role]
                response = client.get(url) if method == "GET" else client.post(url, {})
                checked += 1
                problem = judge(role, rule, method, on_a, response, login)
                if problem:
                    problems.append(f"{method} {url} as {role}: {problem}")
                if "logout" in url:
                    world.relogin()
    assert problems == [], "\n".join(problems)
    assert checked > 1500


def test_each_role_matches_its_capabilities():
    """The table the matrix checks against: owners hold everything, viewers only aggregated results."""
    assert roles.CAPABILITIES["owner"] == roles.ALL_CAPABILITIES
    assert roles.CAPABILITIES["viewer"] == {"view", "results"}
    for role in ON_A:
        assert "view" in roles.CAPABILITIES[role]
    assert not {"raw_data", "exports", "field"} & roles.CAPABILITIES["viewer"]


@pytest.mark.parametrize("route", [r for r, rule in RULES.items() if rule.kind == TOKEN])
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
