"""Who is asked: the member register, one Invitation per (survey, member), and the outbox."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

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


# Crockford base32 without I, L, O, U: easy to read from a letter and to type.
ACCESS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_CODE_LENGTH = 26  # 26 × 5 bits = 130 bits


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def normalize_access_code(raw: str) -> str:
    """What a person typed → the stored form (case, spaces, dashes and look-alikes forgiven)."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def format_access_code(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


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


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    access_code = models.CharField(max_length=32, unique=True, default=new_access_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["member__ags"]
        constraints = [models.UniqueConstraint(fields=["survey", "member"], name="one_invitation_per_member")]

    def __str__(self) -> str:
        return f"{self.survey.slug} → {self.member.ags}"

    @property
    def access_code_display(self) -> str:
        return format_access_code(self.access_code)

    def link(self) -> str:
        from django.conf import settings

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
    message_id = models.CharField(max_length=250, blank=True)
    # Set (and committed) just before the final "." of SMTP DATA is sent: from here on the
    # server may have the message, so a worker that dies must not lead to a resend.
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # Earliest time for the next attempt after a temporary error (the sweep respects it).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

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
