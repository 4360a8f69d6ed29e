"""The staff area under /staff/: login plus the staff views each app contributes (by dotted path, so
config imports no app module; the included modules have no app_name and share the "staff" namespace)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

app_name = "staff"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="staff/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("surveys.staff_urls")),
    path("", include("invitations.staff_urls")),
    path("", include("responses.staff_urls")),
    path("", include("exports.staff.urls")),
    path("", include("exports.api.staff_urls")),
]
