"""The audit trail of one survey: a page with paging and a filter by event, and the CSV export."""

from __future__ import annotations

import csv
import io
import json

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts import audit
from accounts.models import AuditEvent
from exports.formats.safe import csv_text
from surveys.models import Survey
from surveys.permissions import survey_permission

EVENTS_PER_PAGE = 50

# Names of the events in the staff area; an event not listed shows its code.
ACTION_LABELS = {
    "role_granted": _("Rolle vergeben"),
    "role_revoked": _("Rolle entzogen"),
    "survey_state_changed": _("Status der Befragung geändert"),
    "survey_dates_changed": _("Feldphase geändert"),
    "invitations_sent": _("Einladungen versendet"),
    "reminders_sent": _("Erinnerungen versendet"),
    "response_reopened": _("Antwort wieder geöffnet"),
    "export_requested": _("Export angefordert"),
    "export_download": _("Export heruntergeladen"),
    "nonresponders_download": _("Liste der Nicht-Antwortenden heruntergeladen"),
    "audit_exported": _("Protokoll exportiert"),
}
# Names of the detail keys the staff area records (accounts/roles.py and the views that call record).
DETAIL_LABELS = {
    "role": _("Rolle"), "scope": _("gilt für"), "queued": _("in die Warteschlange gestellt"), "via": _("über"),
    "status": _("Status"), "step": _("Schritt"), "opens_on": _("Beginn"), "closes_on": _("Ende"),
    "format": _("Format"), "file": _("Datei"), "include_partial": _("mit Teilantworten"),
    "publication": _("Veröffentlichungsfassung"), "entries": _("Einträge"), "event": _("Ereignis"),
}
OUTCOME_LABELS = {"ok": _("erledigt"), "refused": _("abgelehnt"), "failed": _("fehlgeschlagen")}
CSV_COLUMNS = ("at", "user", "action", "survey", "target", "outcome", "address", "detail")


class AuditFilterForm(forms.Form):
    ereignis = forms.ChoiceField(label=_("Ereignis"), required=False)

    def __init__(self, *args: object, actions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["ereignis"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("alle Ereignisse")), *((a, ACTION_LABELS.get(a, a)) for a in actions)]


def _yes_no(value: object) -> object:
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    return value


def _filtered(request: HttpRequest, survey: Survey) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    events = AuditEvent.objects.filter(survey_slug=survey.slug)
    # the events of this page and those recorded for the survey (sign-in events and later additions too)
    actions = sorted(set(ACTION_LABELS) | set(events.order_by().values_list("action", flat=True).distinct()))
    form = AuditFilterForm(request.GET or None, actions=actions)
    if form.is_valid() and form.cleaned_data["ereignis"]:
        events = events.filter(action=form.cleaned_data["ereignis"])
    return form, events


@survey_permission("audit")
@require_safe
def survey_audit(request: HttpRequest, slug: str) -> HttpResponse:
    survey: Survey = request.survey  # type: ignore[attr-defined]
    form, events = _filtered(request, survey)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("seite"))
    for event in page.object_list:
        event.label = ACTION_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
        event.outcome_label = OUTCOME_LABELS.get(event.outcome, event.outcome)  # type: ignore[attr-defined]
        event.details = [(DETAIL_LABELS.get(k, k), _yes_no(v))  # type: ignore[attr-defined]
                         for k, v in sorted(event.detail.items()) if v not in ("", None)]
    chosen = form.cleaned_data.get("ereignis", "") if form.is_valid() else ""
    return render(request, "exports/audit/audit.html", {
        "survey": survey, "form": form, "page": page, "events": page.object_list, "active_tab": "audit",
        "querystring": f"ereignis={chosen}" if chosen else "", "chosen": chosen,
    })  # an unknown event in the query filters nothing (a GET filter, not a change)


@survey_permission("audit")
@require_safe
def survey_audit_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The (filtered) trail as CSV for German Excel; every text cell neutralised against formulas."""
    survey: Survey = request.survey  # type: ignore[attr-defined]
    form, events = _filtered(request, survey)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events.iterator():
        writer.writerow([csv_text(str(v)) for v in (
            timezone.localtime(event.at).isoformat(timespec="seconds"), event.actor_name, event.action,
            event.survey_slug, event.target, event.outcome, event.address or "",
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True))])
        count += 1
    filename = f"protokoll-{survey.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    audit.record("audit_exported", request=request, survey=survey, target=filename, entries=count,
                 event=form.cleaned_data.get("ereignis", "") if form.is_valid() else "")
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
