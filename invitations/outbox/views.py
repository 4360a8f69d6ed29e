"""Staff views of the outbox (capability `field`; the local mailbox from a role on all surveys).

- Sending invitations / reminders: a confirmation page with the number that will be queued,
  then a POST that queues them (queueing.py makes repeats harmless).
- The outbox of a survey, the reminder plan, resending the personal link, marking an address as
  undeliverable.
- Each message as the recipient sees it (envelope, headers, text, HTML in a sandboxed frame), and
  the local mailbox that holds the mail when no SMTP server is configured.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import audit
from surveys.listing import sort_headers
from surveys.models import Survey
from surveys.permissions import global_permission, survey_permission

from ..models import Invitation, LocalMail, Member, OutboxMessage, step_label
from . import bounced, plan, queueing
from .forms import BounceForm, ReminderPlanForm
from .mailbox import outbox_preview, preview

# --- invitations and reminders ---------------------------------------------------------

def _send(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    refused = queueing.refusal(survey)
    if refused:
        messages.error(request, _("E-Mails können nur versendet werden, solange die Befragung offen ist.")
                       + " " + str(refused))
        return redirect("staff:survey_detail", slug=survey.slug)
    try:
        queueing.check_sendable(survey)
    except queueing.SendingRefused as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if request.method == "POST" and refusal:
        messages.error(request, refusal)
        return redirect("staff:survey_detail", slug=survey.slug)
    if request.method == "POST":
        queue = queueing.queue_invitations if kind == "invitations" else queueing.queue_reminders
        try:
            count = queue(survey, created_by=request.user.get_username())
        except queueing.InvitationError as exc:
            messages.error(request, str(exc))
        else:
            # one entry per send action, with the number queued (never one per mail)
            audit.record("invitations_sent" if kind == "invitations" else "reminders_sent", request=request,
                         survey=survey, target=survey.slug, queued=count)
            _report_queued(request, kind, count)
            return redirect("staff:outbox", slug=survey.slug)  # the worker sends; the outbox shows how far
        return redirect("staff:survey_detail", slug=survey.slug)
    invitation_plan = queueing.invitation_plan(survey) if kind == "invitations" else None
    count = invitation_plan.will_send if invitation_plan else queueing.reminder_candidates(survey).count()
    return render(request, "invitations/staff/send_confirm.html",
                  {"survey": survey, "kind": kind, "count": count, "plan": invitation_plan, "refusal": refusal,
                   "active_tab": "detail"})


def _report_queued(request: HttpRequest, kind: str, count: int) -> None:
    if kind == "invitations":
        if count:
            messages.success(request, ngettext("%(n)d Einladung wurde in die Warteschlange gestellt.",
                                               "%(n)d Einladungen wurden in die Warteschlange gestellt.", count)
                             % {"n": count})
        else:
            messages.info(request, _("Keine neuen Einladungen: alle Mitglieder des Registers sind bereits eingeladen."))
    elif count:
        messages.success(request, ngettext("%(n)d Erinnerung wurde in die Warteschlange gestellt.",
                                           "%(n)d Erinnerungen wurden in die Warteschlange gestellt.", count)
                         % {"n": count})
    else:
        messages.info(request, _("Keine Erinnerungen versendet: niemand wartet auf eine Erinnerung (oder diese "
                                 "Runde wurde gerade erst versendet)."))


@survey_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def send_invitations(request: HttpRequest, slug: str) -> HttpResponse:
    return _send(request, slug, "invitations")


@survey_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def send_reminders(request: HttpRequest, slug: str) -> HttpResponse:
    return _send(request, slug, "reminders")


# --- outbox ----------------------------------------------------------------------------

# Sortable columns of the list of failed and bounced messages (surveys/listing.py).
OUTBOX_SORTS = {
    "mitglied": (gettext_lazy("Mitglied"), "invitation__member__name"), "schritt": (gettext_lazy("Schritt"), "step"),
    "status": (gettext_lazy("Status"), "status"), "versuche": (gettext_lazy("Versuche"), "attempts"),
    "zeit": (gettext_lazy("In Warteschlange seit"), "queued_at"),
}


def _sending_state(by_status: dict[str, int]) -> tuple[bool, str, str, int | None]:
    """(active, text, state, progress) of the survey's mails for static/js/live-status.js: the state changes
    with every mail that leaves the queue, so the page's counts follow the worker."""
    waiting = by_status.get(OutboxMessage.Status.QUEUED, 0) + by_status.get(OutboxMessage.Status.SENDING, 0)
    total = sum(by_status.values())
    done = total - waiting
    state = "-".join(str(by_status.get(code, 0)) for code, _label in OutboxMessage.Status.choices)
    if not waiting:
        return False, _("Keine Nachricht wartet auf den Versand."), state, None
    text = ngettext("Versand läuft: %(done)d von %(total)d Nachricht verarbeitet, %(waiting)d wartet.",
                    "Versand läuft: %(done)d von %(total)d Nachrichten verarbeitet, %(waiting)d warten.",
                    total) % {"done": done, "total": total, "waiting": waiting}
    return True, text, state, round(100 * done / total)


def _status_counts(survey: Survey) -> dict[str, int]:
    messages_qs = OutboxMessage.objects.filter(invitation__survey=survey)
    return {row["status"]: row["n"] for row in messages_qs.order_by().values("status").annotate(n=Count("id"))}


@survey_permission("field")
@require_safe
def outbox_status(request: HttpRequest, slug: str) -> JsonResponse:
    """The JSON the outbox page polls while mails wait (never cached: it is about now)."""
    active, text, state, progress = _sending_state(_status_counts(get_object_or_404(Survey, slug=slug)))
    response = JsonResponse({"active": active, "text": text, "state": state, "progress": progress})
    response["Cache-Control"] = "private, no-store"
    return response


@survey_permission("field")
@require_safe
def outbox(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    messages_qs = OutboxMessage.objects.filter(invitation__survey=survey)
    by_status = _status_counts(survey)
    active, text, state, progress = _sending_state(by_status)
    live = {"status_url": reverse("staff:outbox_status", args=[survey.slug]), "text": text, "state": state,
            "page_url": request.get_full_path(), "progress": progress} if active else None
    steps: dict[str, dict[str, int]] = {}
    for row in messages_qs.order_by().values("step", "status").annotate(n=Count("id")):
        steps.setdefault(row["step"], {})[row["status"]] = row["n"]
    statuses = OutboxMessage.Status.choices
    problems = (messages_qs.filter(status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.BOUNCED])
                .select_related("invitation__member"))
    sorting = sort_headers(request, OUTBOX_SORTS, "-zeit")
    page = Paginator(problems.order_by(*sorting.order_by, "-id"), 50).get_page(request.GET.get("seite"))
    oldest_waiting = messages_qs.filter(
        status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING]).aggregate(t=Min("queued_at"))["t"]
    return render(request, "invitations/staff/outbox.html", {
        "survey": survey, "active_tab": "outbox",
        "status_rows": [(code, label, by_status.get(code, 0)) for code, label in statuses],
        "total": sum(by_status.values()),
        "step_rows": [(step_label(step), [counts.get(code, 0) for code, _label in statuses], sum(counts.values()))
                      for step, counts in sorted(steps.items(), key=lambda item: _step_order(item[0]))],
        "statuses": statuses, "page": page, "oldest_waiting": oldest_waiting,
        "recent": messages_qs.select_related("invitation__member").order_by("-queued_at", "-id")[:20],
        "smtp_configured": bool(settings.EMAIL_HOST), "plan": plan.reminder_plan(survey),
        "sort_headers": sorting.headers, "querystring": sorting.query, "live": live,
    })


def _step_order(step: str) -> tuple[int, int, str]:
    kind, _sep, number = step.partition("-")
    rank = {"invitation": 0, "reminder": 1, "resend": 2}.get(kind, 3)
    return rank, int(number) if number.isascii() and number.isdigit() else 0, step


# --- one member ------------------------------------------------------------------------

def _member_url(survey: Survey, member: Member) -> str:
    return reverse("staff:member_detail", kwargs={"slug": survey.slug, "ags": member.ags})


@survey_permission("field")
@require_POST
def member_resend(request: HttpRequest, slug: str, ags: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    member = get_object_or_404(Member, ags=ags)
    invitation = Invitation.objects.filter(survey=survey, member=member).first()
    if invitation is None:
        messages.error(request, _("Dieses Mitglied ist zu dieser Befragung noch nicht eingeladen."))
        return redirect(_member_url(survey, member))
    try:
        message = queueing.resend_link(invitation, created_by=request.user.get_username())
    except queueing.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Der persönliche Link wird erneut an %(email)s gesendet.")
                         % {"email": message.to_email})
    return redirect(_member_url(survey, member))


@survey_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def member_bounce(request: HttpRequest, slug: str, ags: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    member = get_object_or_404(Member, ags=ags)
    form = BounceForm(request.POST if request.method == "POST" else None, member=member)
    if request.method == "POST" and form.is_valid():
        bounced.mark_bounced(member, fallback_email=form.cleaned_data["fallback_email"])
        member.refresh_from_db()
        if member.fallback_email:
            messages.success(request, _("%(email)s ist als unzustellbar markiert; E-Mails gehen künftig an "
                                        "%(fallback)s.") % {"email": member.email, "fallback": member.fallback_email})
        else:
            messages.warning(request, _("%(email)s ist als unzustellbar markiert.") % {"email": member.email})
        return redirect(_member_url(survey, member))
    return render(request, "invitations/staff/member_bounce.html",
                  {"survey": survey, "member": member, "form": form, "active_tab": "members"},
                  status=400 if form.errors else 200)


# --- messages as the recipient sees them, and the local mailbox -------------------------

# The HTML part of a mail is shown in a sandboxed frame: no scripts, no requests, inline styles only.
MAIL_HTML_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def _mail_html(html: str) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_HTML_POLICY
    response["Cache-Control"] = "no-store"
    return response


def _outbox_message(survey: Survey, message_id: int) -> OutboxMessage:
    return get_object_or_404(OutboxMessage.objects.select_related("invitation__member", "invitation__survey"),
                             pk=message_id, invitation__survey=survey)


@survey_permission("field")
@require_safe
def outbox_message(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    message = _outbox_message(survey, message_id)
    return render(request, "invitations/staff/mail_preview.html", {
        "survey": survey, "message": message, "preview": outbox_preview(message), "active_tab": "outbox",
        "html_url": reverse("staff:outbox_message_html", args=[survey.slug, message.pk]),
    })


@survey_permission("field")
@require_safe
@xframe_options_sameorigin
def outbox_message_html(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    message = _outbox_message(survey, message_id)
    # the stored copy holds placeholders for link and access code (credentials.py); the recipient sees them filled
    return _mail_html(message.invitation.reveal(message.body_html))


@global_permission("field")
@require_safe
def local_mailbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(LocalMail.objects.defer("raw"), 50).get_page(request.GET.get("seite"))
    return render(request, "invitations/staff/local_mailbox.html",
                  {"page": page, "smtp_configured": bool(settings.EMAIL_HOST)})


@global_permission("field")
@require_safe
def local_mail(request: HttpRequest, mail_id: int) -> HttpResponse:
    stored = get_object_or_404(LocalMail, pk=mail_id)
    return render(request, "invitations/staff/mail_preview.html", {
        "local": stored, "preview": preview(bytes(stored.raw)),
        "html_url": reverse("staff:local_mail_html", args=[stored.pk]),
    })


@global_permission("field")
@require_safe
@xframe_options_sameorigin
def local_mail_html(request: HttpRequest, mail_id: int) -> HttpResponse:
    return _mail_html(preview(bytes(get_object_or_404(LocalMail, pk=mail_id).raw)).html)


# --- reminder plan ---------------------------------------------------------------------

def _plan_text(survey: Survey) -> str:
    parts = []
    for step, _day in plan.reminder_plan(survey):
        if step.queued_at is None:
            parts.append(f"{step.on_date:%d.%m.%Y}" if step.on_date else str(step.days_after_invitation))
    return ", ".join(parts)


@survey_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_plan(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = ReminderPlanForm(request.POST if request.method == "POST" else None,
                            initial={"plan": _plan_text(survey)})
    if request.method == "POST" and form.is_valid():
        plan.set_reminder_plan(survey, form.cleaned_data["plan"])
        messages.success(request, _("Der Erinnerungsplan wurde gespeichert."))
        return redirect("staff:reminder_plan", slug=survey.slug)
    return render(request, "invitations/staff/reminder_plan.html", {
        "survey": survey, "form": form, "steps": plan.reminder_plan(survey),
        "invited_on": plan.invited_on(survey), "active_tab": "outbox",
    }, status=400 if form.errors else 200)
