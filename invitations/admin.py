"""Django admin for the member register and invitations (the staff area is the everyday tool)."""

from django.contrib import admin

from .models import Invitation, Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("ags", "name", "land", "typ", "einwohner", "groessenklasse", "email", "email_bounced")
    list_filter = ("land", "typ", "groessenklasse", "email_bounced")
    search_fields = ("ags", "name", "email", "ansprechpartner")
    readonly_fields = ("groessenklasse", "created_at", "updated_at")
    ordering = ("ags",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("member", "survey", "created_at", "first_opened_at", "opted_out_at")
    list_filter = ("survey", ("first_opened_at", admin.EmptyFieldListFilter))
    search_fields = ("member__ags", "member__name", "member__email")
    list_select_related = ("member", "survey")
    raw_id_fields = ("member",)
    readonly_fields = ("access_code_display", "personal_link", "created_at", "first_opened_at")
    fields = ("survey", "member", "access_code_display", "personal_link", "created_at", "first_opened_at",
              "opted_out_at")

    @admin.display(description="Persönlicher Link")
    def personal_link(self, obj: Invitation) -> str:
        return obj.link() if obj.pk else ""

    @admin.display(description="Zugangscode")
    def access_code_display(self, obj: Invitation) -> str:
        return obj.access_code_display if obj.pk else ""
