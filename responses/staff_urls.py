"""Staff URLs of the responses app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("befragungen/<slug:slug>/ruecklauf/", staff_views.dashboard, name="dashboard"),
    path("befragungen/<slug:slug>/mitglieder/", staff_views.members, name="members"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/", staff_views.member_detail, name="member_detail"),
    path("befragungen/<slug:slug>/nicht-antwortende.csv", staff_views.nonresponders_csv, name="nonresponders_csv"),
    path("befragungen/<slug:slug>/antworten/<int:response_id>/", staff_views.response_detail,
         name="response_detail"),
    path("befragungen/<slug:slug>/antworten/<int:response_id>/wieder-oeffnen/", staff_views.response_reopen,
         name="response_reopen"),
]

# Staff preview of a questionnaire (responses/staff_preview_views.py).
from . import staff_preview_views as preview_views  # noqa: E402

urlpatterns += [
    path("befragungen/<slug:slug>/vorschau/", preview_views.preview_start, name="preview_start"),
    path("befragungen/<slug:slug>/vorschau/datenschutz/", preview_views.preview_privacy, name="preview_privacy"),
    path("befragungen/<slug:slug>/vorschau/seite/<str:page_code>/", preview_views.preview_page, name="preview_page"),
    path("befragungen/<slug:slug>/vorschau/pruefen/", preview_views.preview_review, name="preview_review"),
    path("befragungen/<slug:slug>/vorschau/neu/", preview_views.preview_reset, name="preview_reset"),
]
