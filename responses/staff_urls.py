"""Staff URLs of the responses app (namespace "staff", see config/staff_urls.py), by room."""

from django.urls import path

from .dashboard import views as dashboard
from .detail import views as detail
from .preview import views as preview

urlpatterns = [
    # the response rate: dashboard, member list, a member, non-responders (responses/dashboard/)
    path("befragungen/<slug:slug>/ruecklauf/", dashboard.dashboard, name="dashboard"),
    path("befragungen/<slug:slug>/mitglieder/", dashboard.members, name="members"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/", dashboard.member_detail, name="member_detail"),
    path("befragungen/<slug:slug>/nicht-antwortende.csv", dashboard.nonresponders_csv, name="nonresponders_csv"),
    # a single response and reopening it (responses/detail/)
    path("befragungen/<slug:slug>/antworten/<int:response_id>/", detail.response_detail, name="response_detail"),
    path("befragungen/<slug:slug>/antworten/<int:response_id>/wieder-oeffnen/", detail.response_reopen,
         name="response_reopen"),
    # the questionnaire as a respondent sees it, answers kept in the session (responses/preview/)
    path("befragungen/<slug:slug>/vorschau/", preview.preview_start, name="preview_start"),
    path("befragungen/<slug:slug>/vorschau/datenschutz/", preview.preview_privacy, name="preview_privacy"),
    path("befragungen/<slug:slug>/vorschau/seite/<str:page_code>/", preview.preview_page, name="preview_page"),
    path("befragungen/<slug:slug>/vorschau/pruefen/", preview.preview_review, name="preview_review"),
    path("befragungen/<slug:slug>/vorschau/neu/", preview.preview_reset, name="preview_reset"),
]
