"""HTML of one question on a respondent page, rendered with Jinja2.

Why not the Django template engine like every other page: a questionnaire page renders a
fieldset per question with a few dozen inputs, and Django's engine spent about 0.45 ms on that
per page view, ~5 % of a page save (bench/README.md). The same templates in Jinja2 (compiled to
Python functions, autoescaping on) take ~0.11 ms. The templates live in
surveys/jinja2/surveys/questions/ and use only the syntax both engines share plus `_("…")`, so
`makemessages` still finds their texts (`{{ _("…") }}` and `{% set x = _("…") %}`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from markupsafe import Markup

_LANG_DE = Markup(' lang="de"')  # a question without English wording stays German in the English interface


@functools.cache
def environment() -> jinja2.Environment:
    """One environment per process, built on first use."""
    env = jinja2.Environment(  # noqa: S701 - autoescape is on
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "jinja2"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=settings.DEBUG,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=False)
    return env


def render_question(view: Any) -> SafeString:
    """The fieldset of one QuestionView (surveys.forms) in the active language."""
    template = environment().get_template(view.template)
    german = translation.get_language() != "de" and view.question.lang == "de"
    lang_de = _LANG_DE if german else ""
    return mark_safe(template.render(q=view, lang_de=lang_de))  # noqa: S308 - Jinja2 escaped every value
