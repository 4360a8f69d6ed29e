"""Staff URLs of the invitations app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import staff_views as views

urlpatterns = [
    path("register/", views.register_upload, name="register_upload"),
    path("register/vorlage.<str:fmt>", views.register_template, name="register_template"),
    path("register/pruefung/<str:key>/", views.register_preview, name="register_preview"),
    path("befragungen/<slug:slug>/einladen/", views.send_invitations, name="send_invitations"),
    path("befragungen/<slug:slug>/erinnern/", views.send_reminders, name="send_reminders"),
    path("befragungen/<slug:slug>/postausgang/", views.outbox, name="outbox"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/link-senden/", views.member_resend, name="member_resend"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/unzustellbar/", views.member_bounce, name="member_bounce"),
]
