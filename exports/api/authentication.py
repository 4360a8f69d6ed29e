"""DRF's side of the API keys: authentication (Bearer or Basic) and the per-key throttle."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from . import keys


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer KEY`, or HTTP Basic with the key as password (any user name)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        try:
            key = keys.authenticate(request._request)
        except keys.KeyRefused as refused:
            raise exceptions.AuthenticationFailed(refused.reason) from None
        if key is None:
            return None
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        # a 401 (not 403) for a missing key; Basic so that Excel and Power BI ask for it
        return 'Bearer realm="api", Basic realm="api", charset="UTF-8"'


class KeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per key (settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]), counted in the
    default cache (Redis): every web process shares the count."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        if key is None or not hasattr(key, "prefix"):
            return None  # a session (documentation page) is not throttled here
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key's two ways in, as the OpenAPI description names them."""

    target_class = ApiKeyAuthentication
    name = ["apiKeyBearer", "apiKeyBasic"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        return [{"apiKeyBearer": []}, {"apiKeyBasic": []}]  # either one, not both

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>"},
            {"type": "http", "scheme": "basic", "description": "HTTP Basic: any user name, the API key as password "
                                                               "(Power BI, Excel)"},
        ]
