"""The REST API's views: surveys, definition, members, responses, results, cross-tabs, export jobs.

Every survey view looks the survey up among those the key may see (else 404) and asks
`keys.allows` for the capability it serves (else 403); both refusals go to the audit trail."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exports import tasks
from exports.analysis import aggregation, crosstab, datarows, missing, protection
from exports.formats import registry
from exports.jobs import exportjob
from exports.models import ApiKey, DownloadLog, ExportJob
from exports.staff.common import cached, data_version
from invitations.models import Invitation
from responses.models import Response as SurveyResponse
from surveys.definition.export import export_definition
from surveys.definition.write import dump_yaml
from surveys.models import Survey

from . import access, keys
from .serializers import (
    ExportJobSerializer,
    ExportRequestSerializer,
    MemberSerializer,
    ResponseRowSerializer,
    SurveySerializer,
)

PROBLEM = inline_serializer("Problem", {
    "type": serializers.CharField(), "title": serializers.CharField(), "status": serializers.IntegerField(),
    "detail": serializers.CharField(),
})
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 429: PROBLEM}


def paged(name: str, item: serializers.Serializer) -> Any:
    """A cursor page of `item`s, as the OpenAPI description shows it."""
    return inline_serializer(name, {
        "next": serializers.URLField(allow_null=True, help_text="The next page, null on the last."),
        "previous": serializers.URLField(allow_null=True), "results": item,
    })


class ApiView(APIView):
    """Every API view: errors in English whatever language the staff area is in."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        translation.activate("en")  # ChosenLanguageMiddleware deactivates it after the response
        super().initial(request, *args, **kwargs)


def _key(request: Request) -> ApiKey:
    key = request.auth
    if not isinstance(key, ApiKey):
        raise exceptions.NotAuthenticated()
    return key


def survey_for(request: Request, slug: str, capability: str) -> Survey:
    """The survey `slug` if the request's key may use `capability` on it; else 404 or 403 (audited)."""
    key = _key(request)
    survey = keys.visible_surveys(key).filter(slug=slug).first()
    if survey is None:
        keys.refuse(request._request, key, None, capability)
        raise exceptions.NotFound(f"No survey {slug!r} for this API key.")
    if not keys.allows(key, survey, capability):
        keys.refuse(request._request, key, survey, capability)
        raise exceptions.PermissionDenied(f"This API key may not read the {capability} of this survey.")
    return survey


class IdCursor(CursorPagination):
    """A stable cursor on the id (monotonic): rows added meanwhile never shift a page."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 1000

    def __init__(self) -> None:
        from django.conf import settings

        self.page_size = settings.API_PAGE_SIZE


@extend_schema(responses={200: SurveySerializer(many=True), **ERRORS})
class SurveyList(ApiView):
    """The surveys this key may read anything of."""

    def get(self, request: Request) -> Response:
        key = _key(request)
        surveys = keys.visible_surveys(key).order_by("slug")
        return Response(SurveySerializer(surveys, many=True, context={"key": key}).data)


@extend_schema(responses={200: SurveySerializer, **ERRORS})
class SurveyDetail(ApiView):
    """One survey and what this key may read of it."""

    def get(self, request: Request, slug: str) -> Response:
        key = _key(request)
        survey = keys.visible_surveys(key).filter(slug=slug).first()
        if survey is None:
            keys.refuse(request._request, key, None, "definition")
            raise exceptions.NotFound(f"No survey {slug!r} for this API key.")
        return Response(SurveySerializer(survey, context={"key": key}).data)


@extend_schema(
    parameters=[OpenApiParameter("as", str, enum=["json", "yaml"], description="json (default) or yaml: the same "
                                 "definition as the staff download.")],
    responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "application/yaml"): OpenApiTypes.STR,
               **ERRORS})
class Definition(ApiView):
    """The questionnaire as a definition (the same as the staff area's download, canonical form)."""

    def get(self, request: Request, slug: str) -> Response | HttpResponse:
        survey = survey_for(request, slug, "definition")
        data = export_definition(survey)
        if request.query_params.get("as") == "yaml":
            return HttpResponse(dump_yaml(data), content_type="application/yaml; charset=utf-8")
        return Response(data)


@extend_schema(responses={200: paged("MemberPage", MemberSerializer(many=True)), **ERRORS},
               parameters=[OpenApiParameter("page_size", int, description="At most 1000.")])
class Members(ApiView):
    """The invited members and their invitation status (no contact data)."""

    def get(self, request: Request, slug: str) -> Response:
        survey = survey_for(request, slug, "members")
        invitations = Invitation.objects.filter(survey=survey).values(
            "id", "member__ags", "member__name", "member__land", "member__typ", "member__einwohner",
            "member__groessenklasse", "created_at", "first_opened_at", "opted_out_at", "member__email_bounced",
            "response__status", "response__submitted_at")
        paginator = IdCursor()
        page = paginator.paginate_queryset(invitations, request, view=self) or []
        rows = [{
            "id": i["id"], "ags": i["member__ags"], "name": i["member__name"], "land": i["member__land"],
            "typ": i["member__typ"], "einwohner": i["member__einwohner"],
            "groessenklasse": i["member__groessenklasse"], "invited_at": i["created_at"],
            "first_opened_at": i["first_opened_at"], "opted_out_at": i["opted_out_at"],
            "email_bounced": i["member__email_bounced"], "response_status": i["response__status"] or "none",
            "submitted_at": i["response__submitted_at"],
        } for i in page]
        return paginator.get_paginated_response(MemberSerializer(rows, many=True).data)


STATUSES = {"submitted": [SurveyResponse.Status.SUBMITTED], "partial": [SurveyResponse.Status.STARTED],
            "all": [SurveyResponse.Status.SUBMITTED, SurveyResponse.Status.STARTED]}


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("since")
    if not raw:
        return None
    invalid = exceptions.ValidationError({"since": ["An ISO 8601 timestamp, e.g. 2027-03-01T08:00:00+01:00."]})
    try:
        when = parse_datetime(raw.replace(" ", "+"))  # a '+' of an offset arrives as a space when not escaped
        if when is None:
            raise invalid
        # in UTC before it reaches PostgreSQL, which refuses offsets beyond ±15:59
        return (when if timezone.is_aware(when) else timezone.make_aware(when)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise invalid from None


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def response_objects(survey: Survey, cols: list[datarows.Column], heads: list[tuple], updated: dict[int, Any],
                     labels: bool) -> list[dict[str, Any]]:
    """One dict per response: its values by variable code (and with `labels`, the labels of coded values)."""
    builder = datarows.RowBuilder(survey, cols)
    codes = [c.code for c in cols]
    times = [i for i, c in enumerate(cols) if c.kind == "meta" and c.code != "status"]
    labelled = [(i, c) for i, c in enumerate(cols) if c.value_labels or c.has_missing_codes]
    out = []
    for head, row in zip(heads, datarows.build_rows(builder, heads), strict=True):
        for i in times:  # the only values JSON cannot take as they are
            if row[i] is not None:
                row[i] = row[i].isoformat()
        item: dict[str, Any] = {"id": head[0], "updated_at": _json_value(updated[head[0]]),
                                "values": dict(zip(codes, row, strict=True))}
        if labels:
            item["labels"] = {c.code: c.value_labels.get(row[i]) or missing.LABELS.get(row[i]) for i, c in labelled}
        out.append(item)
    return out


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=list(STATUSES), description="submitted (default), partial or all."),
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only responses changed at or after this "
                         "time (incremental sync: pass the time of the last sync)."),
        OpenApiParameter("labels", int, enum=[0, 1], description="1 adds the labels of coded values."),
        OpenApiParameter("page_size", int, description="At most 1000."),
    ],
    responses={200: paged("ResponsePage", ResponseRowSerializer(many=True)), 400: PROBLEM, **ERRORS})
class Responses(ApiView):
    """Responses, one object per response, values as codes; paged by a stable cursor (`next`)."""

    def get(self, request: Request, slug: str) -> HttpResponse:
        survey = survey_for(request, slug, "responses")
        chosen = request.query_params.get("status", "submitted")
        if chosen not in STATUSES:
            raise exceptions.ValidationError({"status": ["One of submitted, partial, all."]})
        selected = SurveyResponse.objects.filter(survey=survey, status__in=STATUSES[chosen])
        since = _since(request)
        if since is not None:
            selected = selected.filter(updated_at__gte=since)
        paginator = IdCursor()
        page = paginator.paginate_queryset(selected.values(*datarows.HEAD_FIELDS, "updated_at"), request,
                                           view=self) or []
        heads = [tuple(h[f] for f in datarows.HEAD_FIELDS) for h in page]
        updated = {h["id"]: h["updated_at"] for h in page}
        cols = datarows.columns(survey)
        rows = response_objects(survey, cols, heads, updated, request.query_params.get("labels") == "1")
        # plain dicts already (ResponseRowSerializer describes them): written straight to JSON, without a
        # serializer or renderer pass that would hold a second copy of every page
        body = paginator.get_paginated_response(rows).data
        return HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                            content_type="application/json")


def result_tables(survey: Survey, include_partial: bool) -> dict[str, Any]:
    """The result tables as counted, cached while the data is unchanged (never served as they are)."""
    key = f"api-results:{survey.pk}:{int(include_partial)}:{data_version(survey)}"
    return cached(key, lambda: aggregation.compute_tables(survey, include_partial))


def protected_tables(survey: Survey, include_partial: bool, *, publish: bool = False) -> dict[str, Any]:
    """The result tables with small-cell protection, or with `publish` (a key that may not read single
    responses: a viewer's) as they may be published; cached while the data is unchanged."""
    tables = result_tables(survey, include_partial)
    if publish:
        return protection.publishable_tables(tables, survey.min_base)
    return protection.protect_tables(tables, survey.min_base)


def publishes_only(request: Request, survey: Survey) -> bool:
    """A key without single responses (a viewer's) gets aggregates under the publication rules."""
    return not access.can(request.user, survey, "responses")


PARTIAL = OpenApiParameter("partial", int, enum=[0, 1], description="1 counts partial responses too.")


@extend_schema(parameters=[PARTIAL], responses={200: OpenApiTypes.OBJECT, **ERRORS})
class Results(ApiView):
    """Frequency tables of every question (counts, percentages, base, missing), small cells protected."""

    def get(self, request: Request, slug: str) -> Response:
        survey = survey_for(request, slug, "results")
        tables = protected_tables(survey, request.query_params.get("partial") == "1",
                                  publish=publishes_only(request, survey))
        return Response({k: tables[k] for k in ("respondents", "min_base", "overview", "questions", "computed_at")})


@extend_schema(parameters=[
    PARTIAL,
    OpenApiParameter("by", str, description="The variable to split by: a register variable (land, groessenklasse, "
                     "typ, …) or a choice variable's code; default land."),
    OpenApiParameter("filter", str, description="Only respondents whose variable `filter` has one of `values`."),
    OpenApiParameter("values", str, description="Comma-separated codes for `filter`."),
    OpenApiParameter("weighted", int, enum=[0, 1], description="1 weights by raking on Land × size class."),
], responses={200: OpenApiTypes.OBJECT, 400: PROBLEM, **ERRORS})
class Crosstabs(ApiView):
    """Every choice variable split by one variable (as the staff page "Kreuztabellen"): counts, column
    percentages, bases; small columns protected."""

    def get(self, request: Request, slug: str) -> Response:
        survey = survey_for(request, slug, "results")
        params = request.query_params
        known = crosstab.variable_map(survey)
        by = params.get("by", "land")
        if by not in known:
            raise exceptions.ValidationError({"by": ["A register variable or a choice variable's code."]})
        chosen_filter = None
        if params.get("filter"):
            if params["filter"] not in known:
                raise exceptions.ValidationError({"filter": ["A register variable or a choice variable's code."]})
            values = crosstab.parse_values(params.get("values", "").split(","))
            if not values:
                raise exceptions.ValidationError({"values": ["The codes to keep, comma-separated."]})
            chosen_filter = crosstab.Filter(params["filter"], values)
        spec = crosstab.Spec(by=by, filter=chosen_filter, include_partial=params.get("partial") == "1",
                             weighted=params.get("weighted") == "1")
        chosen = hashlib.sha256(json.dumps(spec.as_dict(), sort_keys=True).encode()).hexdigest()[:32]
        key = f"api-crosstabs:{survey.pk}:{data_version(survey)}:{chosen}"
        result = cached(key, lambda: crosstab.compute(survey, spec))
        if publishes_only(request, survey):
            # with the one-way tables of the same respondents, so that "Gesamt" gives nothing away
            one_way = result_tables(survey, spec.include_partial)["questions"] if not chosen_filter else []
            published = protection.publishable_tables({"questions": one_way, "crosstabs": result["crosstabs"]},
                                                      survey.min_base, same_respondents=not chosen_filter)
            crosstabs = published["crosstabs"]
        else:
            crosstabs = [protection.protect_crosstab(x, survey.min_base) for x in result["crosstabs"]]
        return Response({
            "spec": spec.as_dict(), "description": crosstab.describe(spec, known),
            "respondents": result["respondents"], "min_base": survey.min_base, "crosstabs": crosstabs,
        })


class ExportJobs(ApiView):
    """A survey's export jobs (newest first) and new ones."""

    @extend_schema(responses={200: ExportJobSerializer(many=True), **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        survey = survey_for(request, slug, "exports")
        jobs = ExportJob.objects.filter(survey=survey).select_related("survey")[:100]
        return Response(ExportJobSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer, 400: PROBLEM, **ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        survey = survey_for(request, slug, "exports")
        form = ExportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = tasks.create_job(survey, form.validated_data["format"], form.validated_data["include_partial"],
                               _key(request).user, publication=form.validated_data["publication"])
        job.refresh_from_db()
        data = ExportJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/exports/{job.pk}/"})


def _job(request: Request, pk: int) -> ExportJob:
    job = ExportJob.objects.select_related("survey").filter(pk=pk).first()
    if job is None:
        raise exceptions.NotFound("No such export job.")
    survey_for(request, job.survey.slug, "exports")
    return job


@extend_schema(responses={200: ExportJobSerializer, **ERRORS})
class ExportJobDetail(ApiView):
    """One export job: status and progress."""

    def get(self, request: Request, pk: int) -> Response:
        return Response(ExportJobSerializer(_job(request, pk), context={"request": request}).data)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Conflict."


@extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: PROBLEM, **ERRORS})
class ExportJobFile(ApiView):
    """The file of a finished export job (until it expires)."""

    def get(self, request: Request, pk: int) -> FileResponse:
        job = _job(request, pk)
        path = exportjob.job_path(job)
        if path is None:
            if job.is_active:
                raise Conflict("The export is not finished yet: ask its status again later.")
            raise exceptions.NotFound("This file is not available (any more).")
        DownloadLog.objects.create(job=job, user=_key(request).user)
        response = FileResponse(path.open("rb"), as_attachment=True, filename=exportjob.download_name(job),
                                content_type=registry.get(job.format).content_type)
        response["Cache-Control"] = "private, no-store"
        return response
