from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/s/", permanent=False)),
    # Browsers ask for /favicon.ico on their own (downloads, bookmarks); the pages link the SVG.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", include("config.health")),
    path("admin/", admin.site.urls),
    path("staff/", include("config.staff_urls")),
    path("api/v1/", include("exports.api.urls")),
    path("odata/", include("exports.odata.urls")),
    path("", include("surveys.urls")),
    path("", include("responses.urls")),
    path("", include("invitations.urls")),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
