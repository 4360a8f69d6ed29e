"""Staff URLs of the invitations app (namespace "staff", see config/staff_urls.py), by room."""

from django.urls import path

from .mailtext import views as mailtext
from .outbox import views as outbox
from .register import views as register

urlpatterns = [
    # the member register (register/)
    path("register/", register.register_upload, name="register_upload"),
    path("register/vorlage.<str:fmt>", register.register_template, name="register_template"),
    path("register/pruefung/<str:key>/", register.register_preview, name="register_preview"),
    # sending, the outbox, the reminder plan, the local mailbox, one member's mail (outbox/)
    path("befragungen/<slug:slug>/einladen/", outbox.send_invitations, name="send_invitations"),
    path("befragungen/<slug:slug>/erinnern/", outbox.send_reminders, name="send_reminders"),
    path("befragungen/<slug:slug>/postausgang/", outbox.outbox, name="outbox"),
    path("befragungen/<slug:slug>/postausgang/stand/", outbox.outbox_status, name="outbox_status"),
    path("befragungen/<slug:slug>/postausgang/<int:message_id>/", outbox.outbox_message, name="outbox_message"),
    path("befragungen/<slug:slug>/postausgang/<int:message_id>/html/", outbox.outbox_message_html,
         name="outbox_message_html"),
    path("befragungen/<slug:slug>/erinnerungsplan/", outbox.reminder_plan, name="reminder_plan"),
    path("postfach/", outbox.local_mailbox, name="local_mailbox"),
    path("postfach/<int:mail_id>/", outbox.local_mail, name="local_mail"),
    path("postfach/<int:mail_id>/html/", outbox.local_mail_html, name="local_mail_html"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/link-senden/", outbox.member_resend, name="member_resend"),
    path("befragungen/<slug:slug>/mitglieder/<slug:ags>/unzustellbar/", outbox.member_bounce, name="member_bounce"),
    # the survey's own e-mail texts with a preview (mailtext/)
    path("befragungen/<slug:slug>/email-texte/", mailtext.survey_mail_texts, name="survey_mail_texts"),
]
