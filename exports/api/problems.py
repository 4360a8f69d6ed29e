"""Errors of the API as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

CONTENT_TYPE = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict", 415: "Unsupported Media Type",
          429: "Too Many Requests"}


def problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            **extra}


def _detail(data: Any) -> tuple[str, dict[str, Any]]:
    """DRF's error detail as one sentence, and field errors as `errors` (validation)."""
    if isinstance(data, dict) and set(data) == {"detail"}:
        return str(data["detail"]), {}
    if isinstance(data, dict):
        errors = {field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for field, msgs in data.items()}
        return "The request is not valid: see errors.", {"errors": errors}
    if isinstance(data, list):
        return "; ".join(str(m) for m in data), {}
    return str(data), {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every APIException, 404 and 403 as problem details."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        # DRF turns these into 403 when no WWW-Authenticate is known; the key schemes are always known
        view = context.get("view")
        request = context.get("request")
        header = view.get_authenticate_header(request) if view is not None and request is not None else None
        headers["WWW-Authenticate"] = header or 'Bearer realm="api"'
        exc.status_code = 401
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))
    detail, extra = _detail(exc.detail)
    set_rollback()
    return Response(problem(exc.status_code, detail, **extra), status=exc.status_code, headers=headers,
                    content_type=CONTENT_TYPE)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/."""
    return JsonResponse(problem(404, "No such resource in this API."), status=404, content_type=CONTENT_TYPE)
