"""Who is asked: the member register, one Invitation per (survey, member), and the outbox."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

from . import credentials

# The credentials of a personal link live in credentials.py (keyed hashes + encryption); these
# names stay importable from here (migration 0001 refers to new_token and new_access_code).
from .credentials import (  # noqa: F401
    ACCESS_CODE,
    ACCESS_CODE_ALPHABET,
    ACCESS_CODE_LENGTH,
    TOKEN,
    format_access_code,
    new_access_code,
    new_token,
    normalize_access_code,
)

LAENDER = [
    "Baden-Württemberg", "Bayern", "Berlin", "Brandenburg", "Bremen", "Hamburg", "Hessen",
    "Mecklenburg-Vorpommern", "Niedersachsen", "Nordrhein-Westfalen", "Rheinland-Pfalz",
    "Saarland", "Sachsen", "Sachsen-Anhalt", "Schleswig-Holstein", "Thüringen",
]
TYPEN = ["Gemeinde", "Stadt", "kreisfreie Stadt", "Landkreis"]
GROESSENKLASSEN = {
    1: "unter 10.000",
    2: "10.000 bis unter 25.000",
    3: "25.000 bis unter 50.000",
    4: "50.000 bis unter 100.000",
    5: "100.000 bis unter 200.000",
    6: "200.000 bis unter 400.000",
    7: "400.000 und mehr",
}
_CLASS_BOUNDS = [10_000, 25_000, 50_000, 100_000, 200_000, 400_000]


def groessenklasse(einwohner: int) -> int:
    """Size class 1..7 of the codebook from a population figure."""
    return 1 + sum(1 for bound in _CLASS_BOUNDS if einwohner >= bound)


class Member(models.Model):
    ags = models.CharField("AGS", max_length=8, unique=True)
    name = models.CharField(max_length=200)
    land = models.CharField(max_length=40, choices=[(land, land) for land in LAENDER])
    typ = models.CharField(max_length=30, choices=[(t, t) for t in TYPEN])
    einwohner = models.PositiveIntegerField()
    groessenklasse = models.PositiveSmallIntegerField(choices=sorted(GROESSENKLASSEN.items()))
    email = models.EmailField()
    ansprechpartner = models.CharField(max_length=200, blank=True)
    email_bounced = models.BooleanField(default=False)
    fallback_email = models.EmailField(blank=True)
    # Set by the bounce mailbox (invitations/bounces/) or by staff: when and why `email` bounced.
    bounced_at = models.DateTimeField(null=True, blank=True)
    # db_default too: bulk loaders that COPY rows (harness/answer_data.py) do not name these columns.
    bounce_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ags"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ags})"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.groessenklasse = groessenklasse(self.einwohner)
        super().save(*args, **kwargs)

    @property
    def delivery_email(self) -> str:
        """Where mail goes: the fallback address once the main one has bounced."""
        if self.email_bounced and self.fallback_email:
            return self.fallback_email
        return self.email


class InvitationQuerySet(models.QuerySet):
    def _submitted(self) -> models.Q:
        # The responses app builds on this one, so its status constant comes through the app
        # registry instead of an import.
        return models.Q(response__status=apps.get_model("responses", "Response").Status.SUBMITTED)

    def submitted(self) -> InvitationQuerySet:
        """Invitations whose response was submitted."""
        return self.filter(self._submitted())

    def not_submitted(self) -> InvitationQuerySet:
        """Invitations without a submitted response (none yet, or only started)."""
        return self.exclude(self._submitted())

    def by_token(self, token: str) -> InvitationQuerySet:
        """The invitation of a personal link (found by its keyed hash, under every accepted secret)."""
        return self.filter(token_hash__in=credentials.lookup_hashes(TOKEN, token))

    def by_access_code(self, typed: str) -> InvitationQuerySet:
        """The invitation of an access code as typed (case, spaces and dashes forgiven)."""
        code = normalize_access_code(typed)
        return self.filter(access_code_hash__in=credentials.lookup_hashes(ACCESS_CODE, code))

    def bulk_create(self, objs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        objs = list(objs)
        for obj in objs:
            obj.issue_credentials()
        return super().bulk_create(objs, *args, **kwargs)


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="invitations")
    # The token and the access code are stored only as keyed hashes (to find the row) and encrypted
    # (to put them into e-mails); the key is outside the database (credentials.py).
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_encrypted = models.TextField(editable=False)
    access_code_hash = models.CharField(max_length=64, unique=True, editable=False)
    access_code_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    _token: str | None = None  # the plaintext credentials, once known in this instance
    _access_code: str | None = None

    class Meta:
        ordering = ["member__ags"]
        constraints = [models.UniqueConstraint(fields=["survey", "member"], name="one_invitation_per_member")]

    def __str__(self) -> str:
        return f"{self.survey.slug} → {self.member.ags}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.issue_credentials()
        super().save(*args, **kwargs)

    def issue_credentials(self, *, replace: bool = False) -> None:
        """New random token and access code (before the first save, or replace=True to revoke the old ones)."""
        if self.token_hash and not replace:
            return
        self._token, self._access_code = new_token(), new_access_code()
        self.token_hash = credentials.stored_hash(TOKEN, self._token)
        self.token_encrypted = credentials.encrypt(self._token)
        self.access_code_hash = credentials.stored_hash(ACCESS_CODE, self._access_code)
        self.access_code_encrypted = credentials.encrypt(self._access_code)

    def _unsaved_without_credentials(self) -> bool:
        return self._state.adding and not self.__dict__.get("token_hash")

    @property
    def token(self) -> str:
        """The personal link's token (decrypted on first use)."""
        if self._token is None:
            if self._unsaved_without_credentials():
                self.issue_credentials()
            else:
                self._token = credentials.decrypt(self.token_encrypted)
        return self._token

    def remember_token(self, token: str) -> None:
        """The token this row was just found by: saves decrypting it again."""
        self._token = token

    @property
    def access_code(self) -> str:
        """The access code in its stored (normalized) form."""
        if self._access_code is None:
            if self._unsaved_without_credentials():
                self.issue_credentials()
            else:
                self._access_code = credentials.decrypt(self.access_code_encrypted)
        return self._access_code

    @property
    def access_code_display(self) -> str:
        return format_access_code(self.access_code)

    def conceal(self, text: str) -> str:
        """A stored copy of a mail to this member: its link and code replaced by placeholders."""
        text = text.replace(self.token, credentials.TOKEN_PLACEHOLDER)
        return text.replace(self.access_code_display, credentials.CODE_PLACEHOLDER)

    def reveal(self, text: str) -> str:
        """The mail as the member gets it: placeholders filled in (see conceal)."""
        if credentials.TOKEN_PLACEHOLDER in text:
            text = text.replace(credentials.TOKEN_PLACEHOLDER, self.token)
        if credentials.CODE_PLACEHOLDER in text:
            text = text.replace(credentials.CODE_PLACEHOLDER, self.access_code_display)
        return text

    def link(self) -> str:
        return f"{settings.SITE_URL}/s/{self.token}/"

    def mark_opened(self) -> None:
        if self.first_opened_at is None:
            Invitation.objects.filter(pk=self.pk, first_opened_at__isnull=True).update(first_opened_at=timezone.now())


class OutboxMessage(models.Model):
    """One e-mail to one member for one step (invitation, reminder-1, …); sent at most once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("In Warteschlange")
        SENDING = "sending", _("Wird gesendet")
        SENT = "sent", _("Gesendet")
        FAILED = "failed", _("Fehlgeschlagen")
        BOUNCED = "bounced", _("Unzustellbar")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="messages")
    step = models.CharField(max_length=40)  # "invitation", "reminder-1", "resend-<n>"
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    # Message-ID header, fixed when the row is created: a retry of the same row carries the same id.
    # Indexed: a bounce without our VERP address is matched by it (invitations/bounces/read.py).
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    # Set (and committed) just before the final "." of SMTP DATA is sent: from here on the
    # server may have the message, so a worker that dies must not lead to a resend.
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # Earliest time for the next attempt after a temporary error (the sweep respects it).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Soft bounces (mailbox full, greylisting given up) reported for this message so far.
    soft_bounces = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [models.UniqueConstraint(fields=["invitation", "step"], name="one_message_per_step")]

    def __str__(self) -> str:
        return f"{self.step} → {self.to_email} ({self.status})"

    @property
    def step_label(self) -> str:
        return step_label(self.step)


def step_label(step: str) -> str:
    """A sending step in words for the staff pages ("invitation" and "resend-1" are internal codes)."""
    kind, _sep, number = step.partition("-")
    if kind == "invitation":
        return str(_("Einladung"))
    if kind == "reminder":
        return str(_("Erinnerung %(n)s") % {"n": number}) if number else str(_("Erinnerung"))
    if kind == "resend":
        return str(_("Link erneut gesendet (Nr. %(n)s)") % {"n": number}) if number else str(_("Link erneut gesendet"))
    return step


class LocalMail(models.Model):
    """A mail that would have gone out, kept here when no SMTP server is configured (`make run`).

    Written by invitations.outbox.mailbox.DatabaseBackend, shown in the staff area ("Lokales Postfach").
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    raw = models.BinaryField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class ReminderPlanStep(models.Model):
    """One planned reminder round: N days after the invitation went out, or on a fixed date.

    Beat's `run_reminder_plan` queues the round once (queued_at is set in the same transaction as
    the reminder messages, under a row lock) for everyone who has not submitted by then.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="reminder_plan")
    days_after_invitation = models.PositiveSmallIntegerField(null=True, blank=True)
    on_date = models.DateField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    queued_count = models.PositiveIntegerField(default=0)
    round_step = models.CharField(max_length=40, blank=True)  # "reminder-<n>" it started

    class Meta:
        ordering = ["survey", "on_date", "days_after_invitation", "id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(days_after_invitation__isnull=False) ^ models.Q(on_date__isnull=False),
            name="reminder_plan_days_xor_date")]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.on_date or f'+{self.days_after_invitation}d'}"

    def due_on(self, invited_on):  # noqa: ANN001, ANN201 – dates
        """The day this round is due (None while no invitation has gone out for a relative step)."""
        if self.on_date:
            return self.on_date
        return invited_on + timedelta(days=self.days_after_invitation) if invited_on else None
