"""Question fieldsets (surveys/templates/surveys/questions/): every type, both languages, escaping."""

import re

import pytest
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from surveys.forms import PageForm
from surveys.structure import clear_cache, get_structure

USER = {"B1_nutzung": "1", "B2_zweck": ["1", "2"]}


@pytest.fixture
def structure(kgst_survey):
    clear_cache()
    return get_structure(kgst_survey)


def _page_html(structure, code, answers=USER, data=None, **kwargs):
    form = PageForm(structure, structure.page(code), answers, data, **kwargs)
    if data is not None:
        form.is_valid()
    return "".join(q.html for q in form.questions)


def test_every_question_type_renders_as_a_fieldset_with_legend(structure):
    seen = set()
    for page in structure.pages:
        html = _page_html(structure, page.code)
        for q in page.questions:
            if f'id="q-{q.code}"' in html:
                seen.add(q.type)
                assert f'<legend id="legend-{q.code}">' in html
    assert seen >= {"single", "multi", "matrix", "number", "textarea", "email"}
    assert html.count("<fieldset") == html.count("</fieldset>")


def test_values_and_labels_are_escaped(structure):
    evil = '<script>alert("x")</script> & \'y\''
    data = MultiValueDict({"A1_bereich": ["6"], "A1_bereich_6_text": [evil], "A2_beschaeftigte": [evil]})
    html = _page_html(structure, "P1", {}, data)
    assert "<script>" not in html
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27;"' in html
    assert 'aria-invalid="true"' in html  # the number field refused the text


def test_english_interface_marks_german_survey_texts(structure):
    with translation.override("en"):
        html = _page_html(structure, "P2")
    assert '<legend id="legend-B1_nutzung"><span lang="de">' in html
    assert "(required)" in html and "Pflichtangabe" not in html
    with translation.override("de"):
        german = _page_html(structure, "P2")
    assert ' lang="de"' not in german and "(Pflichtangabe)" in german


def test_other_text_label_and_limits_are_translated(structure):
    with translation.override("en"):
        p1 = _page_html(structure, "P1")
        p8 = _page_html(structure, "P8", {**USER, "H2_ergebnisse": "1"})
    assert re.search(r"“[^”]+”, namely:", p1)
    assert re.search(r"Your answer \(at most [\d,.]+ characters\)", p8)
