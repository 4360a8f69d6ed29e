"""/odata/<slug>/: service document, $metadata, and the entity sets Responses (for keys with
"responses"), ValueLabels ("definition") and Results ("results", small cells protected).

Only API keys (HTTP Basic with the key as password, or Bearer) open it; what a key may see is
decided by exports/api/access.py through exports/api/keys.py, as for the REST API. Errors are OData
JSON errors ({"error": {"code", "message"}})."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from exports.api import keys
from exports.models import ApiKey
from surveys.models import Survey

from . import feed
from .model import RESULTS, VALUE_LABELS, EntitySet, metadata_xml, responses_set
from .query import QueryError, parse

_MAXPAGESIZE = re.compile(r"odata\.maxpagesize=(\d{1,7})")
JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


def _headers(response: HttpResponse) -> HttpResponse:
    response["OData-Version"] = "4.0"
    response["Cache-Control"] = "private, no-store"
    return response


def error(status: int, code: str, message: str) -> HttpResponse:
    response = HttpResponse(json.dumps({"error": {"code": code, "message": message}}), status=status,
                            content_type="application/json;charset=utf-8")
    if status == 401:
        # Basic first: Power BI and Excel then ask for user name and password (the key)
        response["WWW-Authenticate"] = 'Basic realm="Ruecklauf OData", charset="UTF-8"'
    return _headers(response)


class _Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _sets(key: ApiKey, survey: Survey, source: feed.ResponseSource) -> dict[str, EntitySet]:
    sets: dict[str, EntitySet] = {}
    if keys.allows(key, survey, "responses"):
        sets["Responses"] = responses_set(source.cols)
    if keys.allows(key, survey, "definition"):
        sets["ValueLabels"] = VALUE_LABELS
    if keys.allows(key, survey, "results"):
        sets["Results"] = RESULTS
    return sets


def _open(request: HttpRequest, slug: str) -> tuple[feed.ResponseSource, dict[str, EntitySet]]:
    try:
        key = keys.authenticate(request)
    except keys.KeyRefused as refused:
        raise _Refused(error(401, "Unauthorized", refused.reason)) from None
    if key is None:
        raise _Refused(error(401, "Unauthorized", "An API key is needed: HTTP Basic with the key as password "
                                                  "(any user name), or Authorization: Bearer KEY."))
    survey = keys.visible_surveys(key).filter(slug=slug).first()
    if survey is None:
        keys.refuse(request, key, None, "odata")
        raise _Refused(error(404, "NotFound", f"No survey {slug!r} for this API key."))
    source = feed.ResponseSource(survey)
    sets = _sets(key, survey, source)
    if not sets:
        keys.refuse(request, key, survey, "odata")
        raise _Refused(error(403, "Forbidden", "This API key may not read this survey's feed."))
    return source, sets


View = Callable[..., HttpResponse]


def _guarded(view: View) -> View:
    def wrapped(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, slug, **kwargs)
        except _Refused as refused:
            return refused.response
        except QueryError as exc:
            return error(400, "BadRequest", str(exc))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def _root(request: HttpRequest, slug: str) -> str:
    return request.build_absolute_uri(f"/odata/{slug}/")


@_guarded
def service(request: HttpRequest, slug: str) -> HttpResponse:
    """The service document: the entity sets this key may read."""
    _source, sets = _open(request, slug)
    body = {"@odata.context": _root(request, slug) + "$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sets]}
    return _headers(HttpResponse(json.dumps(body), content_type=JSON))


@_guarded
def metadata(request: HttpRequest, slug: str) -> HttpResponse:
    _source, sets = _open(request, slug)
    return _headers(HttpResponse(metadata_xml(list(sets.values())), content_type="application/xml;charset=utf-8"))


def _source(name: str, responses: feed.ResponseSource, sets: dict[str, Any]) -> feed.ResponseSource | feed.ListSource:
    if name == "Responses":
        return responses
    if name == "ValueLabels":
        return feed.ListSource(feed.value_labels(responses.cols))
    # A key that may not read single responses (a viewer's) gets the results as they may be published.
    return feed.ListSource(feed.results(responses.survey, publish="Responses" not in sets))


@_guarded
def entity_set(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """A page of an entity set; @odata.nextLink leads to the next."""
    responses, sets = _open(request, slug)
    if name not in sets:
        return error(404, "NotFound", f"No entity set {name!r} for this API key.")
    chosen = sets[name]
    options = parse(request.GET, chosen.prop_map())
    source = _source(name, responses, sets)
    size = settings.ODATA_PAGE_SIZE
    asked = _MAXPAGESIZE.search(request.headers.get("Prefer", ""))
    if asked and 0 < int(asked.group(1)) < size:  # a client may ask for smaller pages, never larger
        size = int(asked.group(1))
    result = feed.page(source, options, size)
    context = _root(request, slug) + f"$metadata#{name}"
    if options.select is not None:
        context += f"({','.join(options.select)})"
    body: dict[str, Any] = {"@odata.context": context}
    if options.count:
        body["@odata.count"] = source.count(options)
    body["value"] = [feed.select(e, chosen, options.select) for e in result.entities]
    if result.next_token is not None:
        params = {k: v for k, v in request.GET.items() if k not in ("$skip", "$skiptoken", "$top")}
        params["$skiptoken"] = result.next_token
        if options.top is not None:
            params["$top"] = str(options.top - len(result.entities))
        body["@odata.nextLink"] = _root(request, slug) + name + "?" + urlencode(params)
    response = HttpResponse(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False), content_type=JSON)
    if asked:
        response["Preference-Applied"] = f"odata.maxpagesize={size}"
    return _headers(response)


@_guarded
def entity_count(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """/<set>/$count: the number of entities (after $filter) as plain text."""
    responses, sets = _open(request, slug)
    if name not in sets:
        return error(404, "NotFound", f"No entity set {name!r} for this API key.")
    options = parse({"$filter": request.GET.get("$filter", "")}, sets[name].prop_map())
    count = _source(name, responses, sets).count(options)
    return _headers(HttpResponse(str(count), content_type="text/plain;charset=utf-8"))
