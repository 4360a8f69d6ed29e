"""Turn a lost database connection into a friendly "please try again" page (503)."""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)) or type(exception) is DatabaseError:
            html = render_to_string("503.html", request=None)
            response = HttpResponse(html, status=503)
            response["Retry-After"] = "10"
            return response
        return None


class ChosenLanguageMiddleware:
    """German first: the UI is German unless the visitor chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a municipal PC with
    an English browser would get an English questionnaire nobody asked for. Only the language
    cookie set by the switch (django.views.i18n.set_language) changes the language here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


# Longest query value any page reads (a condition typed in the editor is the longest); longer is an attack.
MAX_QUERY_VALUE = 8000
MAX_QUERY_FIELDS = 100


class HostileInputMiddleware:
    """A path with NUL is not found (404); a query with NUL or overlong values is refused (400).

    PostgreSQL refuses NUL in text and every view would have to remember that; one check here keeps
    such values from reaching any lookup. Form values go through Django form fields, which refuse
    NUL with a form error; a view reading request.POST itself uses `clean_value`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise Http404("NUL in the path")
        if len(request.GET) > MAX_QUERY_FIELDS:
            raise BadRequest("too many query fields")
        for key, values in request.GET.lists():
            if not clean_value(key) or not all(clean_value(v) for v in values):
                raise BadRequest("hostile query value")
        return self.get_response(request)


def clean_value(value: str) -> bool:
    """No NUL and not longer than any page needs."""
    return "\x00" not in value and len(value) <= MAX_QUERY_VALUE


# Personal pages (link, access code, answers) and the staff area: never kept by a browser or proxy cache,
# never indexed. /logo/ and /static/ are public and stay cacheable.
PRIVATE_PREFIXES = ("/s/", "/abmelden/", "/staff/", "/admin/")


class PrivatePagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(PRIVATE_PREFIXES):
            response["Cache-Control"] = "private, no-store"  # personal data: no cache keeps a copy
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response
