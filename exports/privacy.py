"""Data protection (DSGVO): delete a closed survey's personal data, and show everything about one member.

`purge_survey` (command `purge_personal_data`) runs only for a CLOSED survey whose `closed_at`
lies more than the retention period (settings.RETENTION_DAYS, default 365 days) in the past.

What it does, in one transaction:
1. Store the anonymous aggregates first: a finished ResultSet for submitted answers and one
   including partial answers (frequencies and cross-tabs by Land and size class only; free
   text is never part of a ResultSet, only how many answered). The results page keeps
   showing them.
2. Delete free-text and e-mail answers (text, textarea, email questions and every
   "other, please specify" `<code>_<option>_text`).
3. Delete all remaining answers and the Response rows. Decision: choice answers are NOT
   kept. Every Response belongs to an Invitation and so to a named member of the register;
   keeping the rows would keep "municipality X answered Y", which is not anonymous, and
   detaching them is not possible without weakening the model (Response.invitation is
   required). The aggregates of step 1 are what remains.
4. Delete the outbox messages (addresses, names and links in the mail bodies).
5. Invalidate personal links and access codes: each invitation gets a fresh random token
   and access code that were never sent to anyone; `first_opened_at` is cleared.
6. Delete finished export files of the survey (they hold the raw data) and mark the jobs
   expired.

It does not touch the member register (names, addresses, contact persons are the
association's master data, kept for future surveys; correct or delete them through a
register import) nor the survey definition.

Consequence: after a purge the dashboard shows no responses; the results page keeps showing the
purge's ResultSets, and "Ergebnisse aktualisieren" leaves them in place (there is nothing left to
count; see exports/jobs/results.py, kept_after_purge). Their ids are in the command's output.

Why this module lives in `exports/`: deleting personal data touches every app (register
links and mail in `invitations`, answers in `responses`) and must first store the anonymous
aggregates (`exports.analysis.aggregation`, `ResultSet`). Only the rightmost app of
surveys ← invitations ← responses ← exports may import from all of them, so this is the one
place where the purge can run as a single transaction without an import pointing backwards.

`member_data` (command `export_member_data`) collects everything stored about one member for
a request under Art. 15 DSGVO: register data, invitations, messages sent (personal links in
the bodies are redacted — they are credentials, not information), response status and answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exports.analysis import aggregation
from invitations.models import Invitation, Member, OutboxMessage
from responses.models import Answer, Response
from surveys.models import Survey

from .models import ExportJob, ResultSet

FREE_TEXT_TYPES = ("text", "textarea", "email")
LINK_RE = re.compile(r"/(s|abmelden)/[A-Za-z0-9_.\-]{8,}/?")


class PurgeRefused(Exception):
    """The survey may not be purged (yet); the message is English for the command line."""


@dataclass
class PurgeReport:
    survey: str
    dry_run: bool
    cutoff: datetime
    free_text_answers: int = 0
    other_answers: int = 0
    responses: int = 0
    messages: int = 0
    invitations: int = 0
    export_files: int = 0
    result_sets: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "Would delete" if self.dry_run else "Deleted"
        lines = [
            f"{verb} {self.free_text_answers} free-text and e-mail answers.",
            f"{verb} {self.other_answers} other answers and {self.responses} responses.",
            f"{verb} {self.messages} outbox messages (addresses and mail bodies).",
            f"{'Would invalidate' if self.dry_run else 'Invalidated'} {self.invitations} personal links "
            "and access codes.",
            f"{verb} {self.export_files} export files.",
        ]
        if self.dry_run:
            lines.append("Would store the anonymous result tables first. Nothing was changed (dry run).")
        elif self.result_sets:
            ids = ", ".join(str(pk) for pk in self.result_sets)
            lines.append(f"Stored the anonymous result tables as ResultSet {ids}.")
        else:
            lines.append("No responses left to aggregate; earlier result tables are kept.")
        return lines


def retention_days() -> int:
    return int(getattr(settings, "RETENTION_DAYS", 365))


def check_purgeable(survey: Survey, older_than_days: int | None = None, now: datetime | None = None) -> datetime:
    """The cutoff (closed before it → purgeable), or PurgeRefused with a clear reason."""
    days = retention_days() if older_than_days is None else older_than_days
    if days < 0:
        raise PurgeRefused("--older-than must be 0 or more days.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    if survey.status != Survey.Status.CLOSED:
        raise PurgeRefused(
            f"Survey {survey.slug!r} is {survey.status}, not closed: personal data of a survey can only be "
            "deleted after it was closed."
        )
    if survey.closed_at is None or survey.closed_at > cutoff:
        closed = timezone.localtime(survey.closed_at).strftime("%Y-%m-%d %H:%M") if survey.closed_at else "unknown"
        raise PurgeRefused(
            f"Survey {survey.slug!r} was closed on {closed}, less than {days} days ago: the retention period "
            "has not ended yet (see RETENTION_DAYS or --older-than)."
        )
    return cutoff


def _free_text_filter() -> Q:
    return Q(question__type__in=FREE_TEXT_TYPES) | Q(variable__endswith="_text")


def _store_aggregates(survey: Survey) -> list[int]:
    now = timezone.now()
    ids = []
    for include_partial in (False, True):
        tables = aggregation.compute_tables(survey, include_partial)
        tables["purged_at"] = now.isoformat()
        result_set = ResultSet.objects.create(survey=survey, include_partial=include_partial,
                                              status=ResultSet.Status.DONE, tables=tables, computed_at=now)
        ids.append(result_set.pk)
    return ids


def _delete_export_files(survey: Survey) -> int:
    count = 0
    for job in ExportJob.objects.filter(survey=survey).exclude(file=""):
        job.file.storage.delete(job.file.name)
        count += 1
    ExportJob.objects.filter(survey=survey).exclude(file="").update(
        status=ExportJob.Status.EXPIRED, file="", size=0)
    return count


def purge_survey(survey: Survey, older_than_days: int | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete the personal data of a closed survey after the retention period (see module docstring)."""
    cutoff = check_purgeable(survey, older_than_days)
    answers = Answer.objects.filter(response__survey=survey)
    report = PurgeReport(
        survey=survey.slug, dry_run=dry_run, cutoff=cutoff,
        free_text_answers=answers.filter(_free_text_filter()).count(),
        other_answers=answers.exclude(_free_text_filter()).count(),
        responses=Response.objects.filter(survey=survey).count(),
        messages=OutboxMessage.objects.filter(invitation__survey=survey).count(),
        invitations=Invitation.objects.filter(survey=survey).count(),
        export_files=ExportJob.objects.filter(survey=survey).exclude(file="").count(),
    )
    if dry_run:
        return report
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        check_purgeable(survey, older_than_days)  # still closed under the lock
        if report.responses:
            report.result_sets = _store_aggregates(survey)
        Answer.objects.filter(response__survey=survey).delete()
        Response.objects.filter(survey=survey).delete()
        OutboxMessage.objects.filter(invitation__survey=survey).delete()
        for invitation in Invitation.objects.filter(survey=survey).only("pk", "token_hash"):
            invitation.issue_credentials(replace=True)
            Invitation.objects.filter(pk=invitation.pk).update(
                token_hash=invitation.token_hash, token_encrypted=invitation.token_encrypted,
                access_code_hash=invitation.access_code_hash, access_code_encrypted=invitation.access_code_encrypted,
                first_opened_at=None)
        report.export_files = _delete_export_files(survey)
    return report


# --- Art. 15: everything about one member -------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def redact_links(text: str) -> str:
    return LINK_RE.sub(lambda m: f"/{m.group(1)}/[persönlicher Link entfernt]/", text or "")


def _member_fields(member: Member) -> dict[str, Any]:
    return {
        "ags": member.ags, "name": member.name, "land": member.land, "typ": member.typ,
        "einwohner": member.einwohner, "groessenklasse": member.groessenklasse, "email": member.email,
        "ansprechpartner": member.ansprechpartner, "email_bounced": member.email_bounced,
        "fallback_email": member.fallback_email, "created_at": _iso(member.created_at),
        "updated_at": _iso(member.updated_at),
    }


def _message(message: OutboxMessage) -> dict[str, Any]:
    return {
        "step": message.step, "to_email": message.to_email, "subject": message.subject,
        "body_text": redact_links(message.body_text), "status": message.status, "attempts": message.attempts,
        "error": message.error, "queued_at": _iso(message.queued_at), "sent_at": _iso(message.sent_at),
        "created_by": message.created_by,
    }


def _response(invitation: Invitation) -> dict[str, Any] | None:
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        return None
    rows = (Answer.objects.filter(response=response).select_related("question")
            .order_by("question__page__position", "question__position", "variable", "id"))
    return {
        "status": response.status, "started_at": _iso(response.started_at), "updated_at": _iso(response.updated_at),
        "submitted_at": _iso(response.submitted_at), "current_page": response.current_page,
        "answers": [{"variable": a.variable, "question": a.question.code, "question_text": a.question.text,
                     "value": a.value} for a in rows],
        "history": [{"kind": e.kind, "at": _iso(e.at), "page": e.page_code,
                     "by": e.by.get_username() if e.by else None, "reason": e.reason}
                    for e in response.events.select_related("by")],
    }


def _invitation(invitation: Invitation) -> dict[str, Any]:
    return {
        "survey": invitation.survey.slug, "survey_title": invitation.survey.title,
        "survey_status": invitation.survey.status, "invited_at": _iso(invitation.created_at),
        "first_opened_at": _iso(invitation.first_opened_at), "opted_out_at": _iso(invitation.opted_out_at),
        "personal_link_and_access_code": "stored (not shown here: they are credentials)",
        "messages": [_message(m) for m in invitation.messages.order_by("queued_at", "id")],
        "response": _response(invitation),
    }


def member_data(ags: str) -> dict[str, Any]:
    """Everything stored about one member; Member.DoesNotExist for an unknown AGS."""
    member = Member.objects.get(ags=ags)
    invitations = Invitation.objects.filter(member=member).select_related("survey").order_by("created_at", "id")
    return {
        "exported_at": timezone.now().isoformat(),
        "note": "Alle zu diesem Mitglied gespeicherten Daten (Art. 15 DSGVO). Rücklauf speichert keine "
                "IP-Adressen und keine Browserkennungen.",
        "member": _member_fields(member),
        "invitations": [_invitation(inv) for inv in invitations],
    }
