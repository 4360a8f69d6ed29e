"""Django admin for responses: read-only, for support and checking ("what did they answer?")."""

from django.contrib import admin

from .models import Answer, Response


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("variable", "value")
    readonly_fields = ("variable", "value")
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("id", "member", "survey", "status", "current_page", "started_at", "submitted_at")
    list_filter = ("survey", "status")
    search_fields = ("invitation__member__ags", "invitation__member__name")
    list_select_related = ("invitation__member", "survey")
    readonly_fields = ("survey", "invitation", "status", "current_page", "page_versions", "started_at",
                       "updated_at", "submitted_at")
    inlines = [AnswerInline]

    @admin.display(description="Mitglied", ordering="invitation__member__name")
    def member(self, obj: Response) -> str:
        return str(obj.invitation.member)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
