"""allauth's pages under /staff/, by allauth's own URL names (allauth reverses `account_login`,
`mfa_authenticate`, …). Only what staff sign-in uses: no sign-up, no e-mail pages, no password reset."""

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from django.urls import path

from accounts.signin import views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("logout/", account_views.logout, name="account_logout"),
    path("konto/inaktiv/", account_views.account_inactive, name="account_inactive"),
    path("konto/bestaetigen/", account_views.reauthenticate, name="account_reauthenticate"),
    path("konto/passwort/", account_views.password_change, name="account_change_password"),
    path("konto/zwei-faktor/", mfa_views.index, name="mfa_index"),
    path("konto/zwei-faktor/anmelden/", views.authenticate_second_factor, name="mfa_authenticate"),
    path("konto/zwei-faktor/bestaetigen/", mfa_views.reauthenticate, name="mfa_reauthenticate"),
    path("konto/zwei-faktor/app/einrichten/", totp_views.activate_totp, name="mfa_activate_totp"),
    path("konto/zwei-faktor/app/entfernen/", totp_views.deactivate_totp, name="mfa_deactivate_totp"),
    path("konto/zwei-faktor/wiederherstellungscodes/", recovery_views.view_recovery_codes,
         name="mfa_view_recovery_codes"),
    path("konto/zwei-faktor/wiederherstellungscodes/neu/", recovery_views.generate_recovery_codes,
         name="mfa_generate_recovery_codes"),
    path("konto/zwei-faktor/wiederherstellungscodes/herunterladen/", recovery_views.download_recovery_codes,
         name="mfa_download_recovery_codes"),
]
