"""python manage.py load_survey FILE — create or update a survey from its definition file (YAML/JSON or XLSForm)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.definition.sync import load_definition_file
from surveys.definition_errors import DefinitionError


class Command(BaseCommand):
    help = ("Load or update a questionnaire from a YAML/JSON definition file or an XLSForm workbook (.xlsx). "
            "Idempotent; refuses changes "
            "that would alter or remove variables that already have answers.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the definition, e.g. surveys/definitions/kgst-social-media-2013.yaml")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_definition_file(options["file"])
        except DefinitionError as exc:
            raise CommandError("\n".join(exc.errors))
        if options["verbosity"] > 0:
            self.stdout.write(result.summary())
