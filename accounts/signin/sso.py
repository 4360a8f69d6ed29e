"""Single sign-on over OpenID Connect (allauth's `openid_connect` provider, configured by OIDC_*) and
SAML 2.0 (allauth's `saml` provider, configured by SAML_*).

The identity provider's groups come in the claim OIDC_GROUPS_CLAIM or the SAML attribute
SAML_GROUPS_ATTRIBUTE; SSO_ROLE_MAP names the role each group stands for. `roles_from_groups` is the
one place that mapping is read; `sso_roles` gives the roles of an account from its last single sign-on
(allauth keeps the claims or the SAML attributes with the account);
`apply_roles` makes them the account's roles on all surveys at every sign-on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.conf import settings
from django.http import HttpRequest

from accounts import roles
from accounts.models import Role

PROVIDER_ID = "oidc"
SAML_PROVIDER_ID = "saml"
# allauth's SAML app's client_id, the slug in its URLs (/staff/sso/saml/idp/…).
SAML_SLUG = "idp"


def role_map() -> dict[str, list[str]]:
    """SSO_ROLE_MAP "group=role,group=role,…" → {group: [roles]} (a group may be named twice)."""
    mapping: dict[str, list[str]] = {}
    for item in settings.SSO_ROLE_MAP.split(","):
        group, sep, role = item.partition("=")
        if sep and group.strip() and role.strip():
            mapping.setdefault(group.strip(), []).append(role.strip())
    return mapping


def roles_from_groups(groups: Iterable[str]) -> list[str]:
    """The roles the identity provider's groups stand for, each once, in the order of SSO_ROLE_MAP;
    groups without a mapping give none."""
    mapping = role_map()
    member = {str(group) for group in groups}
    roles: list[str] = []
    for group, mapped in mapping.items():
        if group in member:
            roles.extend(role for role in mapped if role not in roles)
    return roles


def groups_from_claims(claims: dict[str, Any]) -> list[str]:
    """The groups claim from userinfo (preferred) or the ID token; a single string counts as one group."""
    for source in (claims.get("userinfo"), claims.get("id_token"), claims):
        if isinstance(source, dict) and settings.OIDC_GROUPS_CLAIM in source:
            value = source[settings.OIDC_GROUPS_CLAIM]
            return [value] if isinstance(value, str) else [str(item) for item in value or []]
    return []


def groups_from_attributes(attributes: dict[str, Any]) -> list[str]:
    """The groups attribute of a SAML assertion (allauth keeps {name: [values]})."""
    value = attributes.get(settings.SAML_GROUPS_ATTRIBUTE) or []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def sso_roles(user: Any) -> list[str]:
    """The roles from the account's last single sign-on, by whichever protocol ([] for a local account)."""
    account = (SocialAccount.objects.filter(user_id=user.pk, provider__in=(PROVIDER_ID, SAML_PROVIDER_ID))
               .order_by("-last_login", "-pk").first())
    if account is None:
        return []
    extract = groups_from_attributes if account.provider == SAML_PROVIDER_ID else groups_from_claims
    return roles_from_groups(extract(account.extra_data))


def apply_roles(user: Any, request: HttpRequest | None = None) -> list[str]:
    """At each single sign-on the identity provider decides the account's roles on all surveys: the roles
    its groups map to are granted, other roles on all surveys revoked (each change with its audit entry).
    Roles on single surveys, granted in the staff area, stay: the provider knows no survey."""
    wanted = sso_roles(user)
    for role in wanted:
        roles.grant(user, role, None, request=request)
    for held in Role.objects.filter(user=user, survey=None).exclude(role__in=wanted).values_list("role", flat=True):
        roles.revoke(user, held, None, request=request)
    return wanted


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def saml_enabled() -> bool:
    return bool(settings.SAML_ENABLED)


def enabled() -> bool:
    """Any single sign-on configured."""
    return oidc_enabled() or saml_enabled()


class SingleSignOnAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """An identity provider's user gets an account on the first single sign-on (no sign-up form
        otherwise): the provider decides who may come in; the roles decide what they may do."""
        return enabled()
