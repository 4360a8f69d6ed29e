"""What the staff pages of the exports app share: the "Teilantworten" switch, the live status of work
in progress, and a short cache of figures counted on request.

The views ask for a capability on the survey (accounts/roles.py): `results` for the aggregated pages
(viewers too), `raw_data` for free texts, `exports` for the export jobs, `manage` for the minimum base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpRequest, JsonResponse

from invitations.models import Member
from responses.models import Response
from surveys.models import Survey


def partial(request: HttpRequest) -> bool:
    """Count started responses too: `?teilantworten=1`, or the form's include_partial box."""
    return request.GET.get("teilantworten") == "1" or request.POST.get("include_partial") in ("1", "on")


# --- work in progress: a status text, a "Status aktualisieren" link and a JSON status for static/js/live-status.js
# (no timed refresh: WCAG 2.2.1; the script polls, announces the status politely and swaps the content when done)


def live(request: HttpRequest, url: str, text: str, state: str, page_url: str = "") -> dict[str, str]:
    """What staff/_live_status.html needs: the JSON URL the script polls, the status text, a state token
    (when the JSON's state differs from the page's, the content is out of date) and the page to reload."""
    return {"status_url": url, "text": text, "state": state, "page_url": page_url or request.get_full_path()}


def status_response(active: bool, text: str, state: str, progress: int | None = None) -> JsonResponse:
    """The JSON status static/js/live-status.js polls (never cached: it is about now)."""
    response = JsonResponse({"active": active, "text": text, "state": state, "progress": progress})
    response["Cache-Control"] = "private, no-store"
    return response


CACHE_SECONDS = 60


def data_version(survey: Survey) -> str:
    """Changes whenever an answer or the register could have changed: cached figures are never stale
    (a saved page bumps its response's updated_at)."""
    agg = Response.objects.filter(survey=survey).aggregate(n=Count("id"), last=Max("updated_at"))
    reg = Member.objects.aggregate(n=Count("id"), last=Max("updated_at"))  # the register weighs and compares
    stamps = [x.timestamp() if x else 0 for x in (agg["last"], reg["last"])]
    return f"{agg['n']}:{stamps[0]}:{reg['n']}:{stamps[1]}:{survey.min_base}"


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept for CACHE_SECONDS under `key` (keys include data_version: never stale)."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
