"""The staff login and the second-factor step, allauth's views with 429 + Retry-After when throttled."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.views import LoginView
from allauth.mfa.base.views import AuthenticateView
from allauth.mfa.models import Authenticator
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from lxml.etree import XMLSyntaxError

from accounts.signin import sso
from accounts.signin.throttle import refuse_if_throttled, retry_after_seconds, wait_minutes

ViewFunction = Callable[..., HttpResponseBase]


class StaffLoginView(LoginView):
    template_name = "staff/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(local_login=settings.LOCAL_LOGIN_ENABLED, sso=sso.enabled(), oidc=sso.oidc_enabled(),
                       sso_name=settings.OIDC_NAME, sso_provider=sso.PROVIDER_ID, saml=sso.saml_enabled(),
                       saml_name=settings.SAML_NAME, saml_slug=sso.SAML_SLUG)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.LOCAL_LOGIN_ENABLED:  # LOCAL_LOGIN_ENABLED=0: single sign-on only
            return TemplateResponse(request, self.template_name, self.get_context_data(), status=403)
        response = super().post(request, *args, **kwargs)
        username = str(request.POST.get("username", ""))
        # allauth counts failures per typed user name under this key (DefaultAccountAdapter).
        key = get_adapter(request)._get_login_attempts_cache_key(request, username=username.strip())
        return refuse_if_throttled(request, response, key=key, username=username[:150], stage="password")


class SecondFactorView(AuthenticateView):
    """The code after the password (allauth's mfa_authenticate)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        user = self.stage.login.user
        # allauth counts wrong codes per account under this key (allauth.mfa check_rate_limit).
        return refuse_if_throttled(request, response, key=f"mfa-auth-user-{user.pk}",
                                   username=user.get_username(), stage="second-factor")


login = StaffLoginView.as_view()
authenticate_second_factor = SecondFactorView.as_view()


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (more login forms from one address than ACCOUNT_RATE_LIMITS["login"])."""
    response = TemplateResponse(request, "staff/signin/too_many_requests.html",
                                {"retry_minutes": wait_minutes("login")}, status=429)
    response["Retry-After"] = str(retry_after_seconds("login"))
    return response


def with_authenticator(kind: str) -> Callable[[ViewFunction], ViewFunction]:
    """allauth answers 404 on the pages of an authenticator the account does not have (removing the
    app, the recovery codes); the account's overview says more."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not Authenticator.objects.filter(user_id=request.user.pk, type=kind).exists():
                return redirect("mfa_index")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def admin_login(original: ViewFunction) -> ViewFunction:
    """The admin's login page sends to the staff login (throttle, second factor); an account that may
    not use the admin sees there that it lacks the right, as on every staff page."""

    @wraps(original)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            return original(request, *args, **kwargs)
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("admin:index")
        return redirect_to_login(target, reverse("staff:login"))

    return wrapped


def saml_only(view: ViewFunction) -> ViewFunction:
    """allauth's SAML views answer only while SAML is configured (its ACS would otherwise take any
    POST and send it on); 404 otherwise, like the OpenID Connect pages without an issuer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not sso.saml_enabled():
            raise Http404
        # python3-saml reads the Host header itself; without one (HTTP/1.0) Django's host, checked
        # against ALLOWED_HOSTS, takes its place rather than a KeyError.
        request.META.setdefault("HTTP_HOST", request.get_host())
        return view(request, *args, **kwargs)

    return wrapped


def finish_saml_sign_on(request: HttpRequest, organization_slug: str) -> HttpResponseBase:
    """allauth's end of the SAML sign-on; an answer that is not XML at all (python3-saml's parser
    raises, allauth catches only its own errors) is refused like any other bad answer, not a 500."""
    try:
        return saml_views.finish_acs(request, organization_slug=organization_slug)
    except XMLSyntaxError:
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(request, provider)
