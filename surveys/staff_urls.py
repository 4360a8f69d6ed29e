"""Staff URLs of the surveys app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.survey_list, name="home"),
    path("befragungen/<slug:slug>/", views.survey_detail, name="survey_detail"),
    path("befragungen/<slug:slug>/feldphase/", views.survey_dates, name="survey_dates"),
    path("befragungen/<slug:slug>/organisation/", views.survey_branding, name="survey_branding"),
    path("befragungen/<slug:slug>/status/<slug:action>/", views.survey_transition, name="survey_transition"),
]
