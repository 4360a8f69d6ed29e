"""allauth's pages under /staff/, by allauth's own URL names (allauth reverses `account_login`,
`mfa_authenticate`, …). Only what staff sign-in uses: no sign-up, no e-mail pages, no password reset."""

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from allauth.socialaccount import views as social_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from allauth.socialaccount.providers.saml import views as saml_views
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.http import require_POST

from accounts.signin import sso, views

# The account's own pages: signed in first (allauth checks only some of them itself).
signed_in = login_required
# Logging out is a form button (POST); allauth's confirmation page for GET is not needed.
logout = require_POST(account_views.logout)
with_app = views.with_authenticator(Authenticator.Type.TOTP)
with_codes = views.with_authenticator(Authenticator.Type.RECOVERY_CODES)
MFA = "konto/zwei-faktor/"
CODES = f"{MFA}wiederherstellungscodes/"
SAML = "sso/saml/<slug:organization_slug>/"
saml_only = views.saml_only

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("logout/", logout, name="account_logout"),
    # Single sign-on: /staff/sso/oidc/login/ and …/login/callback/ (the redirect URI to register).
    path("sso/oidc/login/", oidc_views.login, {"provider_id": sso.PROVIDER_ID}, name="openid_connect_login"),
    path("sso/oidc/login/callback/", oidc_views.callback, {"provider_id": sso.PROVIDER_ID},
         name="openid_connect_callback"),
    # SAML 2.0 (allauth's views, by its URL names): /staff/sso/saml/idp/login/, …/acs/ (the assertion
    # consumer service), …/metadata/, …/sls/; 404 while SAML is not configured.
    path(f"{SAML}login/", saml_only(saml_views.login), name="saml_login"),
    path(f"{SAML}acs/", saml_only(saml_views.acs), name="saml_acs"),
    path(f"{SAML}acs/finish/", saml_only(views.finish_saml_sign_on), name="saml_finish_acs"),
    path(f"{SAML}metadata/", saml_only(saml_views.metadata), name="saml_metadata"),
    path(f"{SAML}sls/", saml_only(saml_views.sls), name="saml_sls"),
    path("sso/fehler/", social_views.login_error, name="socialaccount_login_error"),
    path("sso/abgebrochen/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/konto/", social_views.signup, name="socialaccount_signup"),
    path("konto/inaktiv/", account_views.account_inactive, name="account_inactive"),
    path("konto/bestaetigen/", signed_in(account_views.reauthenticate), name="account_reauthenticate"),
    path("konto/passwort/", signed_in(account_views.password_change), name="account_change_password"),
    path(MFA, signed_in(mfa_views.index), name="mfa_index"),
    path(f"{MFA}anmelden/", views.authenticate_second_factor, name="mfa_authenticate"),
    path(f"{MFA}bestaetigen/", signed_in(mfa_views.reauthenticate), name="mfa_reauthenticate"),
    path(f"{MFA}app/einrichten/", signed_in(totp_views.activate_totp), name="mfa_activate_totp"),
    path(f"{MFA}app/entfernen/", signed_in(with_app(totp_views.deactivate_totp)), name="mfa_deactivate_totp"),
    path(CODES, signed_in(with_codes(recovery_views.view_recovery_codes)), name="mfa_view_recovery_codes"),
    path(f"{CODES}neu/", signed_in(recovery_views.generate_recovery_codes), name="mfa_generate_recovery_codes"),
    path(f"{CODES}herunterladen/", signed_in(with_codes(recovery_views.download_recovery_codes)),
         name="mfa_download_recovery_codes"),
]
