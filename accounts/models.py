"""Models of sign-in, roles and audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("the audit trail is append-only: entries are never changed")


class AuditEvent(models.Model):
    """One entry of the append-only audit trail: who did what, when, on which survey, from where.

    It never holds answer content. Entries are only ever added (accounts.audit.record) and, after
    settings.AUDIT_RETENTION_DAYS, removed as a whole by accounts.audit.purge_expired.
    """

    at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("Person"))
    # Kept as text so that an entry still says who it was after the account is gone.
    actor_name = models.CharField(_("Benutzername"), max_length=150, blank=True)
    action = models.CharField(_("Ereignis"), max_length=40, db_index=True)
    survey = models.ForeignKey("surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("Befragung"))
    survey_slug = models.CharField(_("Befragung (Kürzel)"), max_length=100, blank=True, db_index=True)
    target = models.CharField(_("Gegenstand"), max_length=300, blank=True)
    outcome = models.CharField(_("Ergebnis"), max_length=20, default="ok")
    address = models.GenericIPAddressField(_("Adresse"), null=True, blank=True)
    detail = models.JSONField(_("Einzelheiten"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        indexes = [models.Index(fields=["survey_slug", "-at"], name="audit_survey_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.survey_slug}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("the audit trail is append-only: entries are never changed")
        super().save(*args, **kwargs)


class Role(models.Model):
    """A person's role on one survey, or on every survey when `survey` is empty.

    What each role may do is accounts.roles.CAPABILITIES; a user's capabilities on a survey are the
    union over the roles on that survey and the roles on all surveys.
    """

    class Name(models.TextChoices):
        OWNER = "owner", _("Leitung")
        EDITOR = "editor", _("Redaktion")
        FIELD = "field", _("Feldarbeit")
        ANALYST = "analyst", _("Auswertung")
        VIEWER = "viewer", _("Nur Ergebnisse")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_roles",
                             verbose_name=_("Person"))
    role = models.CharField(_("Rolle"), max_length=20, choices=Name.choices)
    survey = models.ForeignKey("surveys.Survey", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="roles", verbose_name=_("Befragung"),
                               help_text=_("Leer: für alle Befragungen."))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("Vergeben von"))
    granted_at = models.DateTimeField(_("Vergeben am"), auto_now_add=True)

    class Meta:
        ordering = ["user__username", "role"]
        verbose_name = _("Rolle")
        verbose_name_plural = _("Rollen")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "survey"], name="role_once_per_survey"),
            # NULL is never equal to NULL: "all surveys" needs its own constraint to be unique.
            models.UniqueConstraint(fields=["user", "role"], condition=models.Q(survey__isnull=True),
                                    name="role_once_for_all_surveys"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.survey or '*'}"
