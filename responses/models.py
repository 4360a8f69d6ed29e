"""What was answered: one Response per invitation and its answers as a long table.

Storage choice: a long answer table (response, question, variable, value) instead of a
JSONB document per response. A page save replaces only that page's rows inside one
transaction that holds a lock on the Response row, and counting is a plain GROUP BY
that PostgreSQL does fastest on this shape (0.4 s vs 0.9 s for 100,000 × 60 answers,
see DESIGN.md).

No IP address, user agent or other client data is stored here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from invitations.models import Invitation
from surveys.models import Question, Survey


class Response(models.Model):
    class Status(models.TextChoices):
        STARTED = "started", _("Begonnen")
        SUBMITTED = "submitted", _("Abgeschickt")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED, db_index=True)
    current_page = models.CharField(max_length=50, blank=True)
    # Version counter per page code; a save that was opened at an older version is a conflict.
    page_versions = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(models.Model):
    """One stored value.

    `variable` is the data column: the question code (single, number, text, e-mail, date;
    multi choice gets one row per chosen option with the option code as value), the row
    code for a matrix row, or `<code>_<option>_text` for an "other" text.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    variable = models.CharField(max_length=80)
    value = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["question", "variable"], name="answer_question_idx")]

    def __str__(self) -> str:
        return f"{self.variable}={self.value[:30]}"


class ResponseEvent(models.Model):
    """One step in a response's history: opened, a page saved, submitted, reopened by staff.

    Written by the respondent services in the transaction of the step itself (one insert), so the
    history can never disagree with the stored answers. `by` is set only for staff actions; like
    everything here it holds no IP address or other client data.
    """

    class Kind(models.TextChoices):
        OPENED = "opened", _("Geöffnet (Antwort begonnen)")
        SAVED = "saved", _("Seite gespeichert")
        SUBMITTED = "submitted", _("Abgeschickt")
        REOPENED = "reopened", _("Wieder geöffnet")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    page_code = models.CharField(max_length=50, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["response", "at"], name="responseevent_response_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
