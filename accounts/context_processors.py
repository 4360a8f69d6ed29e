"""What templates need to show only what the user's role allows (accounts/roles.py).

- `caps`: the user's capabilities on the survey of the page (set by the permission decorators in
  surveys/permissions.py), e.g. `{% if "field" in caps %}`;
- `global_caps`: the capabilities from roles on all surveys (the main navigation), counted only when
  a template asks.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import roles


def capabilities(request: HttpRequest) -> dict[str, Any]:
    return {
        "caps": getattr(request, "capabilities", frozenset()),
        "global_caps": SimpleLazyObject(lambda: roles.capabilities(getattr(request, "user", None), None)),
    }
