"""The permission decorators of every staff view: a capability (accounts/roles.py) on the survey of
the URL, or on all surveys for the pages that belong to no survey.

    @survey_permission("results")                  # the survey from the URL's `slug`
    @survey_permission("raw_data", "field")        # any one of these is enough
    @survey_permission("exports", survey_from=job_survey, refused="export_download")
    @global_permission("field")                    # a role on all surveys (register, mailbox)
    @any_role                                      # the survey list: any role at all

In that order of checks: not logged in → the login page; unknown survey (or object) → 404; without
the capability on that survey → 403 (PermissionDenied, the staff 403 page). On success the request
carries `request.survey` and `request.capabilities` (the user's capabilities there), which
templates read as `caps` (accounts/context_processors.py).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts import audit, roles
from surveys.models import Survey

View = Callable[..., HttpResponse]
SurveyLookup = Callable[[dict[str, Any]], Survey]


def _by_slug(kwargs: dict[str, Any]) -> Survey:
    return get_object_or_404(Survey, slug=kwargs["slug"])


def survey_permission(*capabilities: str, survey_from: SurveyLookup = _by_slug,
                      refused: str = "") -> Callable[[View], View]:
    """Any of `capabilities` on the survey of this URL (`survey_from(kwargs)`, by default by `slug`).

    With `refused`, a refusal is written to the audit trail under that action (outcome "refused")."""
    wanted = frozenset(capabilities)
    unknown = wanted - roles.ALL_CAPABILITIES
    if not wanted or unknown:
        raise ValueError(f"unknown capabilities: {sorted(unknown)}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            survey = survey_from(kwargs)
            granted = roles.capabilities(request.user, survey)
            if not granted & wanted:
                if refused:
                    audit.record(refused, request=request, survey=survey, target=request.path, outcome="refused")
                raise PermissionDenied
            request.survey = survey  # type: ignore[attr-defined]
            request.capabilities = granted  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def global_permission(*capabilities: str) -> Callable[[View], View]:
    """Any of `capabilities` from a role on all surveys: pages that belong to no one survey."""
    wanted = frozenset(capabilities)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            granted = roles.capabilities(request.user, None)
            if not granted & wanted:
                raise PermissionDenied
            request.capabilities = granted  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def any_role(view: View) -> View:
    """Logged in and holding some role (on any survey): the survey list, which shows only those surveys."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles.has_any_role(request.user):
            raise PermissionDenied
        request.capabilities = roles.capabilities(request.user, None)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def can(request: HttpRequest, capability: str, survey: Survey | None = None) -> bool:
    """Whether the user of `request` holds `capability` on `survey` (the one the decorator checked
    when survey is None and there was one; else on all surveys)."""
    if survey is None or survey == getattr(request, "survey", None):
        granted = getattr(request, "capabilities", None)
        if granted is not None:
            return capability in granted
    return roles.has(request.user, capability, survey)


def visible_surveys(user: Any) -> Any:
    """The surveys `user` holds any role on (a QuerySet)."""
    where = roles.survey_filter(user)
    return Survey.objects.all() if where is None else Survey.objects.filter(where)
