"""What the API sends and accepts. Responses and result tables are built as plain dicts (their
variables follow the questionnaire); their serializers here describe them for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from exports.formats import registry
from exports.models import ExportJob
from surveys.models import Survey

from . import access


class SurveySerializer(serializers.ModelSerializer):
    capabilities = serializers.SerializerMethodField(help_text="What this key may read of the survey: "
                                                     "definition, members, responses, results, exports.")

    class Meta:
        model = Survey
        fields = ["slug", "title", "status", "opens_on", "closes_on", "min_base", "capabilities"]

    def get_capabilities(self, survey: Survey) -> list[str]:
        key = self.context["key"]
        if key.survey_id not in (None, survey.pk):
            return []
        return sorted(access.capabilities(key.user, survey))


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The invitation's id (stable, the paging key).")
    ags = serializers.CharField()
    name = serializers.CharField()
    land = serializers.CharField()
    typ = serializers.CharField()
    einwohner = serializers.IntegerField()
    groessenklasse = serializers.IntegerField()
    invited_at = serializers.DateTimeField()
    first_opened_at = serializers.DateTimeField(allow_null=True)
    opted_out_at = serializers.DateTimeField(allow_null=True)
    email_bounced = serializers.BooleanField()
    response_status = serializers.ChoiceField(choices=["none", "started", "submitted"])
    submitted_at = serializers.DateTimeField(allow_null=True)


class ResponseRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The response's id (stable, the paging key).")
    updated_at = serializers.DateTimeField(help_text="Last change: what ?since= compares.")
    values = serializers.DictField(help_text="Variable code → value: the register variables, status, "
                                   "timestamps and one entry per questionnaire variable (codes as in the "
                                   "CSV export; -1 = not shown, -9 = not answered).")
    labels = serializers.DictField(required=False, help_text="With ?labels=1: variable code → label of its value.")


class ExportJobSerializer(serializers.ModelSerializer):
    survey = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    download = serializers.SerializerMethodField(help_text="URL of the file once the job is done (else null).")

    class Meta:
        model = ExportJob
        fields = ["id", "survey", "format", "include_partial", "publication", "status", "progress", "error",
                  "created_at", "finished_at", "expires_at", "size", "download"]

    def get_download(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        request = self.context.get("request")
        path = f"/api/v1/exports/{job.pk}/file/"
        return request.build_absolute_uri(path) if request is not None else path


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[], default=registry.DEFAULT)
    include_partial = serializers.BooleanField(default=False)
    publication = serializers.BooleanField(default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the formats are found on first use: importing every exporter (numpy, pyreadstat, openpyxl)
        # when the URLs load would cost every web process ~40 MB for an endpoint seldom used
        self.fields["format"].choices = [(identifier, str(label)) for identifier, label in registry.choices()]
