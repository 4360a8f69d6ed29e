"""Fixtures for the security tests: the KGSt survey, a hostile survey with every question type."""

from pathlib import Path

import pytest

HOSTILE_DEFINITION = Path(__file__).with_name("hostile.yaml")
XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
FORMULA = '=HYPERLINK("http://evil.example","klick")'


@pytest.fixture(autouse=True)
def _clear_cache(empty_cache):
    """Every test here starts with an empty cache (rate limits, uploads)."""


@pytest.fixture
def hostile_survey(db):
    from django.core.management import call_command

    from surveys.models import Survey

    call_command("load_survey", str(HOSTILE_DEFINITION), verbosity=0)
    survey = Survey.objects.get(slug="sicherheit")
    survey.open()
    return survey
