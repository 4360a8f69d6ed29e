"""Turning answers into tables: stored result tables, export jobs and their download log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

from .formats import registry


class ResultSet(models.Model):
    """Aggregate result tables computed by a Celery task and shown in the staff area."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("In Warteschlange")
        RUNNING = "running", _("Wird berechnet")
        DONE = "done", _("Fertig")
        FAILED = "failed", _("Fehlgeschlagen")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="result_sets")
    include_partial = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    tables = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"ResultSet {self.pk} ({self.status})"


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("In Warteschlange")
        RUNNING = "running", _("Läuft")
        DONE = "done", _("Fertig")
        FAILED = "failed", _("Fehlgeschlagen")
        EXPIRED = "expired", _("Abgelaufen")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="export_jobs")
    # One of the formats in exports/formats/exporters/ (a callable: a new format needs no migration).
    format = models.CharField(max_length=5, choices=registry.choices, default=registry.DEFAULT)
    include_partial = models.BooleanField(default=False)
    # Publication variant: tables only, small counts suppressed (analysis/protection.py); xlsx and pdf only.
    publication = models.BooleanField(default=False)
    # What the analyst chose for the Kreuztabellen sheet and weighting (exports.analysis.crosstab.Spec.as_dict).
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ExportJob {self.pk} {self.format} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_retryable(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.EXPIRED)


class DownloadLog(models.Model):
    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    downloaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-downloaded_at"]

    def __str__(self) -> str:
        return f"Download of job {self.job_id} by {self.user_id} at {self.downloaded_at}"


class ApiKey(models.Model):
    """A personal, read-only key for the REST API and the OData feed (exports/api/keys.py).

    Only the SHA-256 of the key is stored; `prefix` (shown in the list, unique) finds the row and the
    hash is compared in constant time. A key never grants more than its user's role on a survey:
    exports/api/access.py decides at every request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
                             verbose_name=_("Person"))
    name = models.CharField(_("Bezeichnung"), max_length=100)
    prefix = models.CharField(_("Präfix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    # null = every survey the user may see
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys",
                               verbose_name=_("Befragung"))
    read_only = models.BooleanField(_("Nur lesen"), default=True)
    created_at = models.DateTimeField(_("Erstellt"), auto_now_add=True)
    expires_at = models.DateTimeField(_("Gültig bis"))
    last_used_at = models.DateTimeField(_("Zuletzt benutzt"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Widerrufen"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API-Schlüssel")
        verbose_name_plural = _("API-Schlüssel")

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"
