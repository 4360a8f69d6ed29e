"""The pages "Zugriff": who holds which role, granting a role to an existing account, revoking one.

- /staff/befragungen/<slug>/zugriff/: the survey's owners see the roles on this survey and on all
  surveys, and grant and revoke roles on this survey only;
- /staff/zugriff/: owners of all surveys (and superusers) see every role and grant on any survey or all.
Every change is a POST with CSRF and one audit entry (accounts.roles.grant / revoke).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import roles
from accounts.models import Role
from surveys.models import Survey
from surveys.permissions import global_permission, survey_permission

from .forms import GrantForm, RevokeForm

ROLES_PER_PAGE = 50

# What each role may do, in words (the table itself is accounts.roles.CAPABILITIES).
ROLE_HELP = {
    roles.OWNER: gettext_lazy("alles, auch Rollen vergeben und das Protokoll lesen"),
    roles.EDITOR: gettext_lazy("Fragebogen, Texte und Vorschau bearbeiten; neue Befragungen anlegen "
                               "(mit der Rolle für alle Befragungen)"),
    roles.FIELD: gettext_lazy("Mitgliederregister, Einladungen, Erinnerungen, Postausgang, E-Mail-Texte, "
                              "Mitglieder und Rücklauf, Antworten wieder öffnen"),
    roles.ANALYST: gettext_lazy("Rücklauf, Ergebnisse, einzelne Antworten, Freitexte, Exporte und Bericht"),
    roles.VIEWER: gettext_lazy("nur zusammengefasste Ergebnisse mit Schutz kleiner Fallzahlen; keine "
                               "einzelnen Antworten, keine Freitexte, keine Exporte"),
}


def _page(request: HttpRequest, survey: Survey | None, form: GrantForm, held: QuerySet[Role]) -> HttpResponse:
    page = Paginator(held, ROLES_PER_PAGE).get_page(request.GET.get("seite"))
    return render(request, "surveys/access/access.html", {
        "survey": survey, "form": form, "page": page, "roles": page.object_list, "active_tab": "access",
        "role_help": [(label, ROLE_HELP[value]) for value, label in Role.Name.choices],
    }, status=400 if form.errors else 200)


def _grant(request: HttpRequest, form: GrantForm, survey: Survey | None) -> None:
    user, role = form.cleaned_data["username"], form.cleaned_data["role"]
    names = {"user": user.get_username(), "role": Role.Name(role).label}
    if Role.objects.filter(user=user, role=role, survey=survey).exists():
        messages.info(request, _("%(user)s hat die Rolle „%(role)s“ hier bereits.") % names)
        return
    roles.grant(user, role, survey, by=request.user, request=request)
    messages.success(request, _("%(user)s hat jetzt die Rolle „%(role)s“.") % names)


def _revoke(request: HttpRequest, held: QuerySet[Role]) -> None:
    form = RevokeForm(request.POST)
    role = held.filter(pk=form.cleaned_data["role"]).first() if form.is_valid() else None
    if role is None:
        messages.error(request, _("Diese Rolle gibt es nicht (mehr) oder sie kann hier nicht entzogen werden."))
        return
    if role.user_id == request.user.pk:  # nobody locks themselves out; another owner or a superuser can
        messages.error(request, _("Ihre eigene Rolle können Sie nicht selbst entziehen."))
        return
    roles.revoke(role.user, role.role, role.survey, by=request.user, request=request)
    messages.success(request, _("%(user)s hat die Rolle „%(role)s“ nicht mehr.")
                     % {"user": role.user.get_username(), "role": role.get_role_display()})


@survey_permission("roles")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_access(request: HttpRequest, slug: str) -> HttpResponse:
    survey: Survey = request.survey  # type: ignore[attr-defined]
    form = GrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _grant(request, form, survey)
        return redirect("staff:survey_access", slug=survey.slug)
    return _page(request, survey, form, roles.roles_for(survey))


@survey_permission("roles")
@require_POST
def survey_access_revoke(request: HttpRequest, slug: str) -> HttpResponse:
    survey: Survey = request.survey  # type: ignore[attr-defined]
    _revoke(request, Role.objects.filter(survey=survey))  # roles on all surveys: only on the global page
    return redirect("staff:survey_access", slug=survey.slug)


def _everyone() -> QuerySet[Role]:
    return Role.objects.select_related("user", "granted_by", "survey").order_by("user__username", "survey_id", "role")


@global_permission("roles")
@require_http_methods(["GET", "HEAD", "POST"])
def access(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST if request.method == "POST" else None, everywhere=True)
    if request.method == "POST" and form.is_valid():
        _grant(request, form, form.cleaned_data.get("survey"))
        return redirect("staff:access")
    return _page(request, None, form, _everyone())


@global_permission("roles")
@require_POST
def access_revoke(request: HttpRequest) -> HttpResponse:
    _revoke(request, Role.objects.all())
    return redirect("staff:access")
