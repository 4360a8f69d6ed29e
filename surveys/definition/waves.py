"""A new wave of a survey: the same questionnaire and codes under a new slug, title and field period."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from surveys.definition_errors import DefinitionError
from surveys.models import Survey

from .canonical import canonical
from .export import export_definition
from .sync import sync_survey
from .validate import validate_definition


def copy_survey(source: Survey, slug: str, title: str, opens_on: datetime.date | None = None,
                closes_on: datetime.date | None = None) -> Survey:
    """A new wave of `source`: the same pages, questions, options and codes (through the same definition
    path as a download and upload), a new slug, title and field period, status draft, `copied_from` set.
    Responses, invitations and messages belong to the old survey and are never copied."""
    data = export_definition(source)
    data.update(slug=slug, title=title,
                field_period={"opens": opens_on.isoformat() if opens_on else None,
                              "closes": closes_on.isoformat() if closes_on else None})
    data = canonical(data)
    if data["pages"]:
        data = validate_definition(data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Created first, so that a survey of the same slug created meanwhile fails here instead of
                # being updated by sync_survey.
                Survey.objects.create(slug=slug, title=title, copied_from=source)
        except IntegrityError:
            raise DefinitionError(f"{slug}: a survey with this identifier exists already")
        return sync_survey(data).survey
