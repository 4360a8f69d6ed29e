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
    path("befragungen/<slug:slug>/postausgang/<int:message_id>/", views.outbox_message, name="outbox_message"),
    path("befragungen/<slug:slug>/postausgang/<int:message_id>/html/", views.outbox_message_html,
         name="outbox_message_html"),
    path("befragungen/<slug:slug>/erinnerungsplan/", views.reminder_plan, name="reminder_plan"),
    path("postfach/", views.local_mailbox, name="local_mailbox"),
    path("postfach/<int:mail_id>/", views.local_mail, name="local_mail"),
    path("postfach/<int:mail_id>/html/", views.local_mail_html, name="local_mail_html"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/link-senden/", views.member_resend, name="member_resend"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/unzustellbar/", views.member_bounce, name="member_bounce"),
]

# The survey's own e-mail texts with a preview (invitations/staff_mailtext_views.py).
from . import staff_mailtext_views  # noqa: E402

urlpatterns += [
    path("befragungen/<slug:slug>/email-texte/", staff_mailtext_views.survey_mail_texts, name="survey_mail_texts"),
]
