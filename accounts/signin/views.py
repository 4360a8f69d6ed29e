"""The staff login and the second-factor step, allauth's views with 429 + Retry-After when throttled."""

from __future__ import annotations

from typing import Any

from allauth.account.views import LoginView
from allauth.mfa.base.views import AuthenticateView
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.signin.throttle import refuse_if_throttled, retry_after_seconds, wait_minutes


class StaffLoginView(LoginView):
    template_name = "staff/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        return refuse_if_throttled(request, response, username=str(request.POST.get("username", ""))[:150],
                                   stage="password")


class SecondFactorView(AuthenticateView):
    """The code after the password (allauth's mfa_authenticate)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        return refuse_if_throttled(request, response, username=self.stage.login.user.get_username(),
                                   stage="second-factor")


login = StaffLoginView.as_view()
authenticate_second_factor = SecondFactorView.as_view()


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (more login forms from one address than ACCOUNT_RATE_LIMITS["login"])."""
    response = TemplateResponse(request, "staff/signin/too_many_requests.html",
                                {"retry_minutes": wait_minutes("login")}, status=429)
    response["Retry-After"] = str(retry_after_seconds("login"))
    return response
