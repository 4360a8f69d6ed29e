"""The response rate in the staff area: the dashboard, the member list with each member's status,
a member's page and the non-responder download.

The dashboard needs `dashboard` (analysts, field staff); member data (names, addresses, contact
persons) needs `field`. All figures are counted in SQL (figures.py).
"""

from __future__ import annotations

import csv
import io

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts import audit
from invitations.models import Invitation, Member
from invitations.outbox.queueing import messages_for_member
from responses.models import Response
from surveys.listing import sort_headers
from surveys.models import Survey
from surveys.permissions import survey_permission

from . import figures as dash
from .forms import MemberFilterForm

MEMBERS_PER_PAGE = 50


@survey_permission("dashboard")
@require_safe
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    data = dash.build(survey)
    return render(request, "responses/staff/dashboard.html", {
        "survey": survey, "data": data, "active_tab": "dashboard",
    })



# Sortable columns of the member list (surveys/listing.py).
MEMBER_SORTS = {
    "ags": (gettext_lazy("AGS"), "ags"), "name": (gettext_lazy("Name"), "name"),
    "land": (gettext_lazy("Land"), "land"), "einwohner": (gettext_lazy("Einwohner"), "einwohner"),
    "status": (gettext_lazy("Status"), "status"),
}


@survey_permission("field")
@require_safe
def members(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = MemberFilterForm(request.GET or None)
    sorting = sort_headers(request, MEMBER_SORTS, "ags", form.querystring())
    queryset = form.filter(dash.members_with_status(survey)).order_by(*sorting.order_by, "ags")
    page = Paginator(queryset, MEMBERS_PER_PAGE).get_page(request.GET.get("seite"))
    for member in page:
        member.status_label = dash.MemberStatus.LABELS.get(member.status, member.status)
    querystring = "&".join(q for q in (form.querystring(), sorting.query) if q)
    return render(request, "responses/staff/members.html", {
        "survey": survey, "form": form, "page": page, "querystring": querystring,
        "sort_headers": sorting.headers,
        "status_counts": _status_counts(survey), "totals": dash.totals(survey),
        "active_tab": "members",
    })


def _status_counts(survey: Survey) -> list[tuple[str, str, int]]:
    counts = dash.status_counts(survey)
    return [(code, label, counts.get(code, 0)) for code, label in dash.MemberStatus.CHOICES]


@survey_permission("field")
@require_safe
def member_detail(request: HttpRequest, slug: str, ags: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    member = get_object_or_404(dash.members_with_status(survey), ags=ags)
    invitation = Invitation.objects.filter(survey=survey, member=member).first()
    response = Response.objects.filter(invitation=invitation).first() if invitation else None
    outbox = messages_for_member(member)
    return render(request, "responses/staff/member_detail.html", {
        "survey": survey, "member": member, "invitation": invitation, "response": response,
        "status_label": dash.MemberStatus.LABELS.get(member.status, member.status),
        "outbox": outbox, "active_tab": "members",
    })


# --- non-responder download ---------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def neutralise(value: object) -> str:
    """A cell value that spreadsheet programs cannot run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text and (text.startswith(FORMULA_PREFIXES) or ord(text[0]) < 32 or ord(text[0]) == 127):
        return "'" + text
    return text


NONRESPONDER_COLUMNS = [
    ("ags", gettext_lazy("AGS")), ("name", gettext_lazy("Name")), ("land", gettext_lazy("Land")),
    ("typ", gettext_lazy("Typ")), ("einwohner", gettext_lazy("Einwohner")),
    ("groessenklasse", gettext_lazy("Größenklasse")), ("email", gettext_lazy("E-Mail")),
    ("fallback_email", gettext_lazy("Ersatzadresse")), ("ansprechpartner", gettext_lazy("Ansprechperson")),
    ("status", gettext_lazy("Status")), ("first_opened_at", gettext_lazy("Link zuerst geöffnet")),
]


def nonresponder_rows(survey: Survey, members: QuerySet[Member]) -> list[list[str]]:
    """Header plus one row per invited member who has not submitted (opted out and bounced included)."""
    rows = [[str(label) for _key, label in NONRESPONDER_COLUMNS]]
    for member in members.filter(status__in=dash.MemberStatus.NON_RESPONDING).order_by("land", "ags"):
        first_opened = member.first_opened
        values = {
            "ags": member.ags, "name": member.name, "land": member.land, "typ": member.typ,
            "einwohner": member.einwohner, "groessenklasse": member.groessenklasse, "email": member.email,
            "fallback_email": member.fallback_email, "ansprechpartner": member.ansprechpartner,
            "status": dash.MemberStatus.LABELS[member.status],
            "first_opened_at": timezone.localtime(first_opened).strftime("%d.%m.%Y %H:%M") if first_opened else "",
        }
        rows.append([neutralise(values[key]) for key, _label in NONRESPONDER_COLUMNS])
    return rows


@survey_permission("field")
@require_safe
def nonresponders_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """CSV for German Excel: semicolons, UTF-8 with BOM, CRLF; filters of the member list apply."""
    survey = get_object_or_404(Survey, slug=slug)
    form = MemberFilterForm(request.GET or None)
    members = form.filter(dash.members_with_status(survey))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(nonresponder_rows(survey, members))
    filename = f"nicht-antwortende-{survey.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    audit.record("nonresponders_download", request=request, survey=survey, target=filename)
    return response
