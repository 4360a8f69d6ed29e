"""What is asked: a Survey with its Pages, Questions, Options and matrix Rows.

The tables are filled from a definition file by `load_survey` (see surveys/definition/);
codes are the contract with analysts and never change once answers exist.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        OPEN = "open", _("Offen")
        CLOSED = "closed", _("Geschlossen")

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    # The welcome text of the start page.
    intro = models.TextField(blank=True)
    intro_en = models.TextField(blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    closing_text = models.TextField(blank=True)
    closing_text_en = models.TextField(blank=True)
    privacy_notice = models.TextField(blank=True)
    organisers = models.CharField(max_length=500, blank=True)
    contact_email = models.EmailField(blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    # Blank subject/body means the built-in default text of that e-mail.
    invitation_subject = models.CharField(max_length=300, blank=True)
    invitation_body = models.TextField(blank=True)
    reminder_subject = models.CharField(max_length=300, blank=True)
    reminder_body = models.TextField(blank=True)
    # A wave copied from an earlier survey keeps its codes; the results comparison of waves starts here.
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="waves")
    # Shown on every respondent page and in the e-mails; the logo is re-encoded as PNG on upload
    # (surveys.staff.forms.SurveyBrandingForm) and served by surveys.views.logo.
    organisation_name = models.CharField(max_length=200, blank=True)
    logo = models.FileField(upload_to="logos/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_on = models.DateField(null=True, blank=True)
    closes_on = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    definition = models.JSONField(default=dict, blank=True)
    definition_hash = models.CharField(max_length=64, blank=True)
    # Small-cell protection: below this base no percentage is published (page and every export).
    min_base = models.PositiveSmallIntegerField(
        _("Mindestbasis für Prozentwerte"), default=5,
        help_text=_("Unterhalb dieser Zahl gültiger Antworten werden keine Prozentwerte ausgewiesen."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("manage_surveys", "Can run surveys: register, invitations, lifecycle (role staff)"),
            ("view_results", "Can see dashboards and results and download exports (role analyst)"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def logo_url(self) -> str:
        """Path of the logo on this site ("" without one); the file name changes with every upload."""
        return reverse("surveys:logo", args=[self.slug, self.logo.name.rsplit("/", 1)[-1]]) if self.logo else ""

    @property
    def logo_absolute_url(self) -> str:
        """For the HTML e-mails, which need the site address."""
        return settings.SITE_URL + self.logo_url if self.logo else ""

    @classmethod
    def update_recorded(cls, pk: int, user: User | None, target: str, values: dict) -> None:
        """Store those of `values` that differ, under a row lock, and record them in the change log."""
        with transaction.atomic():
            survey = cls.objects.select_for_update().get(pk=pk)
            changed = [name for name, value in values.items() if getattr(survey, name) != value]
            if not changed:
                return
            before = survey.field_values(changed)
            for name in changed:
                setattr(survey, name, values[name])
            # The texts are part of the definition: a new version, so that caches keyed by it are renewed and
            # load_survey compares a file with the edited survey instead of trusting the old file's hash.
            survey.new_version()
            survey.save(update_fields=[*changed, "definition", "definition_hash", "updated_at"])
            SurveyChange.record(survey, user, target, before, survey.field_values(changed))

    EDIT_MARK = "edit-"

    def new_version(self) -> None:
        """Mark the stored definition as superseded by edits (not saved here; see definition/sync.py mark_edited)."""
        self.definition = {}
        self.definition_hash = self.EDIT_MARK + uuid.uuid4().hex

    def field_values(self, names: list[str]) -> dict:
        """The named fields as JSON-ready values (dates as ISO text), as SurveyChange stores them."""
        values = {name: getattr(self, name) for name in names}
        return {name: v.isoformat() if hasattr(v, "isoformat") else v for name, v in values.items()}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def open(self) -> None:
        self.status = self.Status.OPEN
        self.opened_at = self.opened_at or timezone.now()
        self.save(update_fields=["status", "opened_at", "updated_at"])

    def close(self) -> None:
        self.status = self.Status.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_at", "updated_at"])

    @classmethod
    def apply_transition(cls, pk: int, sources: tuple[str, ...], target: str, new_deadline: object = None) -> bool:
        """Open or close under a row lock (staff buttons, open_survey/close_survey); False when the
        survey left the source states meanwhile."""
        with transaction.atomic():
            survey = cls.objects.select_for_update().get(pk=pk)
            if survey.status not in sources:
                return False
            if new_deadline:
                survey.closes_on = new_deadline
                survey.save(update_fields=["closes_on", "updated_at"])
            if target == cls.Status.OPEN:
                if survey.closed_at is not None:
                    survey.closed_at = None
                    survey.save(update_fields=["closed_at", "updated_at"])
                survey.open()
            else:
                survey.close()
        return True


class Page(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="pages")
    code = models.CharField(max_length=50)
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    intro = models.TextField(blank=True)
    intro_en = models.TextField(blank=True)
    condition = models.TextField(blank=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="page_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("Einfachauswahl")
        MULTI = "multi", _("Mehrfachauswahl")
        MATRIX = "matrix", _("Matrix")
        NUMBER = "number", _("Ganze Zahl")
        TEXT = "text", _("Text (einzeilig)")
        TEXTAREA = "textarea", _("Text (mehrzeilig)")
        EMAIL = "email", _("E-Mail-Adresse")
        DATE = "date", _("Datum")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=50)
    position = models.PositiveIntegerField()
    type = models.CharField(max_length=10, choices=Type.choices)
    text = models.TextField()
    text_en = models.TextField(blank=True)
    help_text = models.TextField(blank=True)
    help_text_en = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    condition = models.TextField(blank=True)
    min_value = models.BigIntegerField(null=True, blank=True)
    max_value = models.BigIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["page__position", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return self.code


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=500)
    label_en = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField()
    exclusive = models.BooleanField(default=False)
    has_text = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="option_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def text_variable(self) -> str:
        return f"{self.question.code}_{self.code}_text"


class Row(models.Model):
    """A row of a matrix question; its code is the variable that holds the row's answer."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rows")
    code = models.CharField(max_length=50)
    label = models.CharField(max_length=500)
    label_en = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["question", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="row_code_unique")]

    def __str__(self) -> str:
        return self.code


class SurveyChange(models.Model):
    """One recorded change of a survey's questionnaire or texts: who, when, what, before and after.

    `target` names the changed thing in the survey's own terms ("Frage B1_nutzung", "Seite P2",
    "Einladungstext"); `before`/`after` hold its fields as plain JSON (empty for a creation/deletion).
    """

    class Action(models.TextChoices):
        CREATED = "created", _("angelegt")
        CHANGED = "changed", _("geändert")
        DELETED = "deleted", _("gelöscht")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    target = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["survey", "-at"], name="surveychange_survey_at")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.action} {self.target}"

    @classmethod
    def record(cls, survey: Survey, user: "User | None", target: str, before: dict | None = None,
               after: dict | None = None) -> "SurveyChange | None":
        """Record a change; nothing is recorded when before and after are equal."""
        before, after = before or {}, after or {}
        if before == after:
            return None
        if not before:
            action = cls.Action.CREATED
        elif not after:
            action = cls.Action.DELETED
        else:
            action = cls.Action.CHANGED
        if user is not None and not getattr(user, "is_authenticated", False):
            user = None
        return cls.objects.create(survey=survey, user=user, action=action, target=target,
                                  before=before, after=after)
