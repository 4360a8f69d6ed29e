"""The staff page "API-Schlüssel" (/staff/api-schluessel/): a person's own keys, a new one (shown
once), revoking one (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from exports.models import ApiKey

from . import access, keys
from .forms import ApiKeyForm


def _owner(request: HttpRequest) -> Any:
    """The signed-in person (login_required guarantees one)."""
    return request.user


def _check(request: HttpRequest) -> None:
    if not access.may_create_keys(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@login_required(login_url="staff:login")
def api_keys(request: HttpRequest) -> HttpResponse:
    _check(request)
    new_key = None
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST, user=request.user)
        if form.is_valid():
            made = keys.create_key(request.user, form.cleaned_data["name"], form.cleaned_data["survey"],
                                   form.cleaned_data["days"], request=request)
            new_key = made.plain
            form = ApiKeyForm(user=request.user)
        else:
            status = 400
    else:
        form = ApiKeyForm(user=request.user)
    response = render(request, "exports/api_keys.html", {
        "form": form, "new_key": new_key, "now": timezone.now(),
        "keys": ApiKey.objects.filter(user=_owner(request)).select_related("survey"),
    }, status=status)
    response["Cache-Control"] = "private, no-store"  # the new key is on this page once
    return response


@require_POST
@login_required(login_url="staff:login")
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _check(request)
    key = ApiKey.objects.filter(pk=pk, user=_owner(request)).first()
    if key is None:  # someone else's key or none: the same answer, nothing to learn from it
        messages.warning(request, _("Unter Ihren Schlüsseln gibt es diesen nicht."))
    elif keys.revoke_key(key, request=request):
        messages.success(request, _("Der Schlüssel %(prefix)s ist widerrufen.") % {"prefix": key.prefix})
    else:
        messages.info(request, _("Der Schlüssel %(prefix)s war schon widerrufen.") % {"prefix": key.prefix})
    return redirect("staff:api_keys")
