"""Every permission decision of the API and the OData feed, in one module.

Capabilities on a survey, each from a capability of the user's roles on it (accounts/roles.py):
- "definition": the questionnaire ← "view";
- "members": the register and invitation status ← "field";
- "responses": answers per response ← "raw_data";
- "results": aggregate tables, small-cell protected ← "results";
- "exports": export jobs and their files ← "exports".
A viewer therefore gets "definition" and "results" without "responses": the feed then offers
aggregates only. A key never grants more than its user's roles at the moment of the request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts import roles
from surveys.models import Survey
from surveys.permissions import visible_surveys

CAPABILITIES = ("definition", "members", "responses", "results", "exports")
FROM_ROLES = {"definition": "view", "members": "field", "responses": "raw_data", "results": "results",
              "exports": "exports"}


def capabilities(user: Any, survey: Survey | None = None) -> frozenset[str]:
    """What `user` may read of `survey` (None: of every survey, from roles on all surveys)."""
    held = roles.capabilities(user, survey)
    return frozenset(api for api, role_capability in FROM_ROLES.items() if role_capability in held)


def can(user: Any, survey: Survey, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    return capability in capabilities(user, survey)


def surveys_for(user: Any) -> QuerySet[Survey]:
    """The surveys of which `user` may read anything."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Survey.objects.none()
    return visible_surveys(user)


def may_create_keys(user: Any) -> bool:
    """Whether the staff page "API-Schlüssel" is open to `user` (a key of someone who may see nothing
    would be useless)."""
    return roles.has_any_role(user)
