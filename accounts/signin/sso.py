"""Single sign-on over OpenID Connect (allauth's `openid_connect` provider, configured by OIDC_*).

The identity provider's groups come in the claim OIDC_GROUPS_CLAIM; SSO_ROLE_MAP names the role each
group stands for. `roles_from_groups` is the one place that mapping is read; `sso_roles` gives the
roles of an account from its last single sign-on (allauth keeps the claims with the account);
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


def sso_roles(user: Any) -> list[str]:
    """The roles from the account's last single sign-on ([] for a local account)."""
    account = SocialAccount.objects.filter(user_id=user.pk, provider=PROVIDER_ID).first()
    return roles_from_groups(groups_from_claims(account.extra_data)) if account else []


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


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


class SingleSignOnAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """An identity provider's user gets an account on the first single sign-on (no sign-up form
        otherwise): the provider decides who may come in; the roles decide what they may do."""
        return enabled()
