"""Staff URLs of the responses app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("befragungen/<slug:slug>/ruecklauf/", staff_views.dashboard, name="dashboard"),
    path("befragungen/<slug:slug>/mitglieder/", staff_views.members, name="members"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/", staff_views.member_detail, name="member_detail"),
    path("befragungen/<slug:slug>/nicht-antwortende.csv", staff_views.nonresponders_csv, name="nonresponders_csv"),
]
