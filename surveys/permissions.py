"""The two staff roles as Django permissions, checked on every staff view.

- role "staff": `surveys.manage_surveys` (and `surveys.view_results`) — everything in /staff/;
- role "analyst": `surveys.view_results` only — dashboard, results and exports, read-only.
Groups named "staff" and "analyst" carrying these are created by a data migration.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

MANAGE = "surveys.manage_surveys"
VIEW_RESULTS = "surveys.view_results"

View = Callable[..., HttpResponse]


def _require(perm: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = _require(MANAGE)
analyst_required = _require(VIEW_RESULTS)


def can_manage(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(MANAGE))


ROLES = {"staff": ["manage_surveys", "view_results"], "analyst": ["view_results"]}


def role_group(name: str) -> Any:
    """The Group for role "staff" or "analyst", (re)created with its permissions if missing.

    The data migration creates both groups; this keeps them available after a database
    flush (transactional tests) or a manual deletion.
    """
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.add(*Permission.objects.filter(content_type__app_label="surveys", codename__in=ROLES[name]))
    return group
