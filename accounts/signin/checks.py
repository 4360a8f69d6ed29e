"""Production checks of the sign-in (ruecklauf.E030, E031, E032): a configuration nobody can sign in with.

Registered with the project's tag when the accounts app is ready, like invitations/checks.py, so
`check --deploy`, gunicorn's start and `/health/` report it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("ruecklauf", deploy=True)
def check_sign_in(app_configs: Any = None, **kwargs: Any) -> list[Error]:  # noqa: ARG001
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    errors = []
    if settings.OIDC_ISSUER and not (settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET):
        errors.append(Error("OIDC_ISSUER is set but OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is missing: register "
                            "Rücklauf at the identity provider and set both.", id="ruecklauf.E030"))
    if settings.SAML_ENABLED and not settings.SAML_IDP_ENTITY_ID or settings.SAML_ENABLED and not (
            settings.SAML_IDP_METADATA_URL or (settings.SAML_IDP_SSO_URL and settings.SAML_IDP_X509CERT)):
        errors.append(Error("SAML single sign-on needs SAML_IDP_ENTITY_ID and either SAML_IDP_METADATA_URL or "
                            "both SAML_IDP_SSO_URL and SAML_IDP_X509CERT.", id="ruecklauf.E032"))
    if not settings.LOCAL_LOGIN_ENABLED and not (settings.OIDC_ISSUER or settings.SAML_ENABLED):
        errors.append(Error("LOCAL_LOGIN_ENABLED=0 switches the password login off, but without OIDC_ISSUER or "
                            "SAML_IDP_* there is no single sign-on either: nobody could sign in.",
                            id="ruecklauf.E031"))
    return errors
