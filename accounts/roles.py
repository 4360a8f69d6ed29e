"""Per-survey roles: what each role may do, and the one place that answers "may this person do X here?".

A role is held on one survey or on every survey (`Role.survey` empty). A user's capabilities on a
survey are the union of the capabilities of the roles held on that survey and on all surveys;
superusers hold every capability everywhere. Views ask through the decorators in
surveys/permissions.py; the API and templates ask through `capabilities` / `has`.

Capabilities (the names are an interface: the staff views, templates and the API use them):

- `view`: the survey, its overview, the questionnaire and texts read-only, the printable copy, the
  definition files;
- `edit`: changing the questionnaire and the texts, the preview;
- `create`: new surveys, definition uploads, new waves (from a role on all surveys);
- `field`: register, invitations, reminders, reminder plan, outbox, mail texts, members, reopening
  responses, the local mailbox;
- `dashboard`: the response rate;
- `results`: aggregated results, small-cell protection always applied (tables, cross-tabs,
  representativeness, waves, report);
- `raw_data`: single responses and free texts (what one respondent wrote);
- `exports`: export files (per-response data);
- `manage`: open and close the survey, field period, organisation and logo, minimum base;
- `roles`: granting and revoking roles on the survey;
- `audit`: reading and exporting the survey's audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts import audit
from accounts.models import Role

OWNER, EDITOR, FIELD, ANALYST, VIEWER = (r.value for r in Role.Name)
ROLE_NAMES: tuple[str, ...] = tuple(Role.Name.values)

ALL_CAPABILITIES = frozenset({"view", "edit", "create", "field", "dashboard", "results", "raw_data", "exports",
                              "manage", "roles", "audit"})

# The one table of who may do what.
CAPABILITIES: dict[str, frozenset[str]] = {
    OWNER: ALL_CAPABILITIES,
    EDITOR: frozenset({"view", "edit", "create"}),
    FIELD: frozenset({"view", "field", "dashboard"}),
    ANALYST: frozenset({"view", "dashboard", "results", "raw_data", "exports"}),
    VIEWER: frozenset({"view", "results"}),
}


class RoleError(ValueError):
    """A grant or revoke that cannot be done; the message is meant for the person who asked."""


def capabilities(user: Any, survey: Any = None) -> frozenset[str]:
    """What `user` may do on `survey` (a Survey), or with survey=None, what they may do on all surveys."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_CAPABILITIES
    where = Q(survey__isnull=True)
    if survey is not None:
        where |= Q(survey=survey)
    names = Role.objects.filter(where, user=user).values_list("role", flat=True)
    return frozenset().union(*(CAPABILITIES.get(name, frozenset()) for name in names))


def capabilities_by_survey(user: Any, survey_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """`capabilities` for several surveys in one query (lists)."""
    ids = list(survey_ids)
    if user is None or not user.is_authenticated or not user.is_active:
        return dict.fromkeys(ids, frozenset())
    if user.is_superuser:
        return dict.fromkeys(ids, ALL_CAPABILITIES)
    everywhere: frozenset[str] = frozenset()
    own: dict[int, frozenset[str]] = {}
    for survey_id, name in Role.objects.filter(Q(survey__isnull=True) | Q(survey_id__in=ids), user=user).values_list(
            "survey_id", "role"):
        granted = CAPABILITIES.get(name, frozenset())
        if survey_id is None:
            everywhere |= granted
        else:
            own[survey_id] = own.get(survey_id, frozenset()) | granted
    return {pk: everywhere | own.get(pk, frozenset()) for pk in ids}


def has(user: Any, capability: str, survey: Any = None) -> bool:
    return capability in capabilities(user, survey)


def survey_filter(user: Any) -> Q | None:
    """A filter on Survey for the surveys `user` holds any role on: None means every survey,
    `Q(pk__in=[])` none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or Role.objects.filter(user=user, survey__isnull=True).exists():
        return None
    return Q(pk__in=Role.objects.filter(user=user).values("survey_id"))


def has_any_role(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or Role.objects.filter(user=user).exists()))


def roles_for(survey: Any = None) -> QuerySet[Role]:
    """The roles that count on `survey`: its own and those on all surveys (survey=None: only the latter)."""
    where = Q(survey__isnull=True)
    if survey is not None:
        where |= Q(survey=survey)
    return Role.objects.filter(where).select_related("user", "granted_by", "survey").order_by(
        "user__username", "survey_id", "role")


def check_role(name: str) -> str:
    if name not in ROLE_NAMES:
        raise RoleError(f"unknown role {name!r}: one of {', '.join(ROLE_NAMES)}")
    return name


def grant(user: Any, role: str, survey: Any = None, *, by: Any = None, request: HttpRequest | None = None) -> Role:
    """Give `user` the role on `survey` (None: all surveys); granting a role held already changes nothing.

    One audit entry "role_granted" when the role is new."""
    check_role(role)
    existing = Role.objects.filter(user=user, role=role, survey=survey).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            created = Role.objects.create(user=user, role=role, survey=survey, granted_by=by)
    except IntegrityError:  # granted at the same moment by someone else
        return Role.objects.get(user=user, role=role, survey=survey)
    audit.record("role_granted", request=request, user=by, survey=survey, target=user.get_username(),
                 role=role, scope=_scope(survey))
    return created


def revoke(user: Any, role: str, survey: Any = None, *, by: Any = None,
           request: HttpRequest | None = None) -> bool:
    """Take the role away; False when it was not held. One audit entry "role_revoked" when it was."""
    check_role(role)
    deleted, _ = Role.objects.filter(user=user, role=role, survey=survey).delete()
    if deleted:
        audit.record("role_revoked", request=request, user=by, survey=survey, target=user.get_username(),
                     role=role, scope=_scope(survey))
    return bool(deleted)


def _scope(survey: Any) -> str:
    return "all" if survey is None else str(survey.slug)


def grant_by_name(username: str, role: str, survey: Any = None, **kwargs: Any) -> Role:
    """`grant` for an existing user named `username` (RoleError when there is none)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise RoleError(f"unknown user {username!r}")
    return grant(user, role, survey, **kwargs)
