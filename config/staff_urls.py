"""The staff area under /staff/: login plus the staff views each app contributes (by dotted path, so
config imports no app module; the included modules have no app_name and share the "staff" namespace)."""

from django.urls import include, path

app_name = "staff"
urlpatterns = [
    path("", include("accounts.staff_urls")),
    path("", include("accounts.signin.staff_urls")),
    path("", include("surveys.staff_urls")),
    path("", include("invitations.staff_urls")),
    path("", include("responses.staff_urls")),
    path("", include("exports.staff.urls")),
    path("", include("exports.api.staff_urls")),
]
