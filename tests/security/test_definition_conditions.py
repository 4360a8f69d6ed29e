"""A definition using `answered X` loads (it crashed load_survey with an AttributeError)."""

import pytest
from django.core.management import call_command

from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_answered_condition_loads(tmp_path):
    path = tmp_path / "answered.yaml"
    path.write_text(
        "slug: answered-test\ntitle: T\npages:\n  - code: P1\n    title: S\n    questions:\n"
        "      - {code: T1, type: text, text: Name}\n"
        "      - {code: T2, type: single, text: X, show_if: 'answered T1', options: [{code: '1', label: a}]}\n",
        encoding="utf-8",
    )
    call_command("load_survey", str(path), verbosity=0)
    assert Survey.objects.get(slug="answered-test").questions.get(code="T2").condition == "answered T1"
