"""Read-mostly admin for surveys.

What is asked comes from definition files (`python manage.py load_survey FILE`), so the admin shows
surveys, pages, questions, options and rows but does not add, change or delete them: an edit here
would bypass the refusal of changes to answered variables and the definition hash. The survey's
lifecycle (open/close, field dates) belongs to the staff area.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Option, Page, Question, Row, Survey


class ReadOnlyMixin:
    """View-only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PageInline(ReadOnlyMixin, admin.TabularInline):
    model = Page
    fields = ("position", "code", "title", "condition")
    readonly_fields = fields
    ordering = ("position",)
    show_change_link = True
    extra = 0


class QuestionInline(ReadOnlyMixin, admin.TabularInline):
    model = Question
    fields = ("position", "code", "type", "text", "required", "condition")
    readonly_fields = fields
    ordering = ("position",)
    show_change_link = True
    extra = 0


class OptionInline(ReadOnlyMixin, admin.TabularInline):
    model = Option
    fields = ("position", "code", "label", "exclusive", "has_text")
    readonly_fields = fields
    extra = 0


class RowInline(ReadOnlyMixin, admin.TabularInline):
    model = Row
    fields = ("position", "code", "label")
    readonly_fields = fields
    extra = 0


@admin.register(Survey)
class SurveyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("slug", "title", "status", "opens_on", "closes_on", "updated_at")
    list_filter = ("status",)
    search_fields = ("slug", "title")
    fields = ("slug", "title", "status", "organisers", "contact_email", "intro", "opens_on", "closes_on",
              "opened_at", "closed_at", "definition_hash", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [PageInline]


@admin.register(Page)
class PageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "title", "survey", "position", "condition")
    list_filter = ("survey",)
    list_select_related = ("survey",)
    fields = ("survey", "code", "position", "title", "intro", "condition")
    readonly_fields = fields
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "type", "text", "page", "required", "condition")
    list_filter = ("survey", "type", "required")
    list_select_related = ("page",)
    search_fields = ("code", "text")
    fields = ("survey", "page", "code", "position", "type", "text", "help_text", "required", "condition",
              "min_value", "max_value", "max_length")
    readonly_fields = fields
    inlines = [OptionInline, RowInline]
