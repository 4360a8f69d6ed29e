from django.conf import settings
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
    # Sign-in (allauth, by its own URL names) before the staff area that shares the prefix.
    path("staff/", include("accounts.signin.urls")),
    path("staff/", include("config.staff_urls")),
    path("api/v1/", include("exports.api.urls")),
    path("odata/", include("exports.odata.urls")),
    path("", include("surveys.urls")),
    path("", include("responses.urls")),
    path("", include("invitations.urls")),
]

if settings.ADMIN_ENABLED:
    urlpatterns.insert(0, path("admin/", admin.site.urls))

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
# allauth answers a throttled request with this view (429 + Retry-After).
handler429 = "accounts.signin.views.too_many_requests"
