"""Every permission decision of the API and the OData feed, in one module.

Capabilities on a survey:
- "definition": the questionnaire;   - "members": the register and invitation status;
- "responses": answers per response; - "results": aggregate tables (small-cell protected);
- "exports": export jobs and their files.

Today they follow the two global roles of surveys/permissions.py: `manage_surveys` grants all,
`view_results` all but "members", anyone else nothing. Per-survey roles (issue L) replace only this
module: a "viewer" gets "results" (and perhaps "definition") without "responses", and the feed then
offers aggregates only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from surveys.models import Survey
from surveys.permissions import MANAGE, VIEW_RESULTS

CAPABILITIES = ("definition", "members", "responses", "results", "exports")
_ANALYST = frozenset({"definition", "results", "responses", "exports"})


def capabilities(user: Any, survey: Survey | None = None) -> frozenset[str]:
    """What `user` may read of `survey` (today the same for every survey)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_perm(MANAGE):
        return frozenset(CAPABILITIES)
    if user.has_perm(VIEW_RESULTS):
        return _ANALYST
    return frozenset()


def can(user: Any, survey: Survey, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    return capability in capabilities(user, survey)


def surveys_for(user: Any) -> QuerySet[Survey]:
    """The surveys of which `user` may read anything."""
    if capabilities(user):
        return Survey.objects.all()
    return Survey.objects.none()


def may_create_keys(user: Any) -> bool:
    """Whether the staff page "API-Schlüssel" is open to `user` (a key of someone who may see nothing
    would be useless)."""
    return bool(capabilities(user))
