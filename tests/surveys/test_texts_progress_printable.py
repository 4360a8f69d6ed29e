"""Survey texts form, progress that does not jump, conditions in words, printable questionnaire (HTML, PDF)."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from django.urls import reverse

from surveys.models import Survey, SurveyChange
from surveys.progress import page_progress
from surveys.structure import get_structure
from surveys.texts.in_words import condition_in_words
from surveys.texts.privacy import privacy_paragraphs

pytestmark = pytest.mark.django_db

USER = {"A1_bereich": "1", "B1_nutzung": "1", "B2_zweck": ["1", "2"], "D1_extern": ["1"]}
NON_USER = {"A1_bereich": "1", "B1_nutzung": "2"}


def _walk(structure, answers_by_page):
    """(code, n, m) for every visible page, answering page by page as a respondent would."""
    answers: dict = {}
    seen = []
    page = structure.visible_pages(answers)[0]
    while page is not None:
        seen.append((page.code, *page_progress(structure, page, answers)))
        for q in page.questions:
            for variable in q.variables:
                if variable in answers_by_page:
                    answers[variable] = answers_by_page[variable]
        page = structure.next_page(page.code, answers)
    return seen


def test_progress_of_the_user_branch_never_jumps(kgst_survey):
    seen = _walk(get_structure(kgst_survey), USER)
    assert [c for c, _n, _m in seen] == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
    assert [(n, m) for _c, n, m in seen] == [(i, 8) for i in range(1, 9)]  # today's "2 von 5" → "3 von 8" is gone


def test_progress_of_the_non_user_branch_only_grows(kgst_survey):
    seen = _walk(get_structure(kgst_survey), NON_USER)
    assert [(c, n, m) for c, n, m in seen] == [
        ("P1", 1, 8), ("P2", 2, 8), ("P6", 3, 5), ("P7", 4, 5), ("P8", 5, 5)]
    totals = [m for _c, _n, m in seen]
    shares = [n / m for _c, n, m in seen]
    assert totals == sorted(totals, reverse=True)  # m never grows
    assert shares == sorted(shares) and shares[-1] == 1  # the percentage only grows, to 100 %


def test_progress_with_only_internal_use_skips_the_external_page(kgst_survey):
    seen = _walk(get_structure(kgst_survey), {**USER, "B2_zweck": ["1"]})
    assert [c for c, _n, _m in seen] == ["P1", "P2", "P3", "P5", "P6", "P7", "P8"]
    assert [(n, m) for _c, n, m in seen] == [(1, 8), (2, 8), (3, 7), (4, 7), (5, 7), (6, 7), (7, 7)]


def test_conditions_in_plain_german(kgst_survey):
    structure = get_structure(kgst_survey)
    assert condition_in_words(structure.page("P5").condition_node, structure) == "nur wenn B1_nutzung = „Ja“"
    p4 = condition_in_words(structure.page("P4").condition_node, structure)
    assert p4.startswith("nur wenn bei B2_zweck „") and p4.endswith("“ gewählt")
    assert condition_in_words(None, structure) == ""


def test_default_privacy_notice_names_who_why_how_long_and_rights(kgst_survey):
    sections = dict(privacy_paragraphs(kgst_survey))
    assert "KGSt (Köln)" in sections["Verantwortlich"] and "befragung@kgst.de" in sections["Verantwortlich"]
    assert "Wie nutzen Kommunen Social Media?" in sections["Zweck und Rechtsgrundlage"]
    assert "365 Tage" in sections["Speicherdauer"]
    assert "Art. 15" in sections["Ihre Rechte"] and "Art. 77" in sections["Ihre Rechte"]
    kgst_survey.privacy_notice = "Erster Absatz.\n\nZweiter Absatz."
    assert privacy_paragraphs(kgst_survey) == [("", "Erster Absatz."), ("", "Zweiter Absatz.")]


# --- the texts form ------------------------------------------------------------------------


def _texts_url(survey) -> str:
    return reverse("staff:survey_texts", args=[survey.slug])


def _post_data(survey, **changes) -> dict:
    data = {name: getattr(survey, name) or "" for name in (
        "title", "title_en", "intro", "intro_en", "closing_text", "closing_text_en", "organisers",
        "contact_email", "privacy_notice", "sender_name")}
    data.update(estimated_minutes=survey.estimated_minutes or "",
                opens_on=survey.opens_on.isoformat() if survey.opens_on else "",
                closes_on=survey.closes_on.isoformat() if survey.closes_on else "")
    data.update(changes)
    return data


def test_staff_change_texts_and_every_change_is_recorded(staff_client, staff_user, kgst_survey):
    url = _texts_url(kgst_survey)
    page = staff_client.get(url).content.decode()
    assert 'name="intro"' in page and 'aria-describedby="id_intro_helptext"' in page
    response = staff_client.post(url, _post_data(kgst_survey, intro="Willkommen!", estimated_minutes="12",
                                                 closes_on="2030-08-30", sender_name="KGSt-Befragungsteam"))
    assert response.status_code == 302
    survey = Survey.objects.get(pk=kgst_survey.pk)
    assert (survey.intro, survey.estimated_minutes, survey.closes_on, survey.sender_name) == (
        "Willkommen!", 12, date(2030, 8, 30), "KGSt-Befragungsteam")
    change = SurveyChange.objects.get(survey=survey)
    assert change.user == staff_user and change.target == "Texte der Befragung" and change.action == "changed"
    assert change.before == {"intro": kgst_survey.intro, "estimated_minutes": None, "closes_on": "2013-08-30",
                             "sender_name": ""}
    assert change.after == {"intro": "Willkommen!", "estimated_minutes": 12, "closes_on": "2030-08-30",
                            "sender_name": "KGSt-Befragungsteam"}
    staff_client.post(url, _post_data(survey))  # saving unchanged texts records nothing
    assert SurveyChange.objects.filter(survey=survey).count() == 1
    assert "intro" in staff_client.get(url).content.decode()  # the history lists the changed field


def test_bad_texts_are_explained_and_nothing_is_stored(staff_client, kgst_survey):
    response = staff_client.post(_texts_url(kgst_survey), _post_data(
        kgst_survey, title="", estimated_minutes="0", opens_on="2030-09-01", closes_on="2030-08-01",
        contact_email="keine-adresse"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    for message in ("Bitte geben Sie einen Titel an.", "Bitte mindestens 1 Minute angeben.",
                    "Das Ende der Feldphase darf nicht vor ihrem Beginn liegen."):
        assert message in html
    assert 'aria-invalid="true"' in html and "id_title_error" in html
    survey = Survey.objects.get(pk=kgst_survey.pk)
    assert survey.title == kgst_survey.title and survey.opens_on == kgst_survey.opens_on
    assert not SurveyChange.objects.exists()
    garbage = staff_client.post(_texts_url(kgst_survey), _post_data(kgst_survey, closes_on="morgen"))
    assert garbage.status_code == 400 and "Bitte ein Datum wie 30.08.2026" in garbage.content.decode()


def test_analysts_read_the_texts_but_cannot_change_them(analyst_client, kgst_survey):
    page = analyst_client.get(_texts_url(kgst_survey))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lesezugriff" in html and 'name="speichern"' not in html and " disabled" in html
    refused = analyst_client.post(_texts_url(kgst_survey), _post_data(kgst_survey, title="Gekapert"))
    assert refused.status_code == 403
    assert Survey.objects.get(pk=kgst_survey.pk).title == kgst_survey.title


def test_survey_page_links_the_new_pages(staff_client, kgst_survey):
    html = staff_client.get(reverse("staff:survey_detail", args=[kgst_survey.slug])).content.decode()
    for name in ("survey_texts", "preview_start", "survey_printable", "survey_printable_pdf", "survey_mail_texts"):
        assert reverse(f"staff:{name}", args=[kgst_survey.slug]) in html, name


# --- printable questionnaire ---------------------------------------------------------------


def test_printable_html_lists_every_page_question_option_and_condition(analyst_client, kgst_survey):
    html = analyst_client.get(reverse("staff:survey_printable", args=[kgst_survey.slug])).content.decode()
    structure = get_structure(kgst_survey)
    for page in structure.pages:
        assert page.title in html
    for q in structure.questions:
        assert f"[{q.code}]" in html, q.code
        for option in q.options:
            assert option.label.replace("&", "&amp;") in html or option.label in html
        for row in q.rows:
            assert f"[{row.code}]" in html
    assert "Diese Seite: nur wenn B1_nutzung = „Ja“" in html
    assert "nur wenn H2_ergebnisse = „Ja“" in html  # a question-level condition
    assert "Mehrfachnennung möglich" in html


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "fragebogen.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_printable_pdf_reads_back_with_questions_and_conditions(staff_client, kgst_survey, tmp_path):
    response = staff_client.get(reverse("staff:survey_printable_pdf", args=[kgst_survey.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(_pdf_text(response.content, tmp_path).split())
    assert "Wie nutzen Kommunen Social Media?" in text
    assert "In welchem Bereich Ihrer Verwaltung sind Sie tätig?" in text
    assert "nur wenn B1_nutzung = „Ja“" in text
    for q in get_structure(kgst_survey).questions:
        assert f"[{q.code}]" in text, q.code


def test_cached_pdf_follows_a_change_of_the_texts(staff_client, kgst_survey, tmp_path):
    url = reverse("staff:survey_printable_pdf", args=[kgst_survey.slug])
    first = staff_client.get(url).content
    assert staff_client.get(url).content == first  # the same version comes from the cache
    staff_client.post(_texts_url(kgst_survey), _post_data(kgst_survey, title="Social Media in Kommunen 2026"))
    text = " ".join(_pdf_text(staff_client.get(url).content, tmp_path).split())
    assert "Social Media in Kommunen 2026" in text


def test_saved_texts_reach_the_respondent_and_load_survey_sees_the_change(staff_client, kgst_survey, make_invitation,
                                                                         client, capsys):
    """The texts are part of the definition: saving them gives the survey a new version, so the respondent's
    pages show them and loading the original file again restores it instead of calling it "unchanged"."""
    from django.core.management import call_command

    from tests.conftest import KGST_DEFINITION

    Survey.objects.filter(pk=kgst_survey.pk).update(status=Survey.Status.OPEN)
    invitation = make_invitation(kgst_survey)
    before_hash = Survey.objects.get(pk=kgst_survey.pk).definition_hash
    assert "Wie nutzen Kommunen Social Media?" in client.get(f"/s/{invitation.token}/willkommen/").content.decode()
    staff_client.post(_texts_url(kgst_survey), _post_data(kgst_survey, title="Social Media in Kommunen 2026",
                                                          intro="Neuer Begrüßungstext."))
    survey = Survey.objects.get(pk=kgst_survey.pk)
    assert survey.definition_hash != before_hash and survey.definition == {}
    html = client.get(f"/s/{invitation.token}/willkommen/").content.decode()
    assert "Social Media in Kommunen 2026" in html and "Neuer Begrüßungstext." in html
    printable = client.get(f"/s/{invitation.token}/fragebogen/").content.decode()
    assert "Social Media in Kommunen 2026" in printable
    call_command("load_survey", KGST_DEFINITION)
    assert "updated" in capsys.readouterr().out
    assert Survey.objects.get(pk=kgst_survey.pk).title == "Wie nutzen Kommunen Social Media?"


def test_printable_is_english_where_the_survey_has_english_texts(staff_client, kgst_survey, tmp_path):
    from surveys.models import Question

    staff_client.post(_texts_url(kgst_survey), _post_data(kgst_survey, title_en="How do municipalities use "
                                                          "social media?", intro_en="Welcome to the survey."))
    Question.objects.filter(code="A1_bereich").update(text_en="Which area of your administration do you work in?")
    survey = Survey.objects.get(pk=kgst_survey.pk)
    survey.new_version()  # as the editor does after a change
    survey.save()
    staff_client.cookies["django_language"] = "en"
    html = staff_client.get(reverse("staff:survey_printable", args=[kgst_survey.slug])).content.decode()
    assert "<h1>How do municipalities use social media?</h1>" in html and "Welcome to the survey." in html
    assert "Which area of your administration do you work in?" in html
    assert '<span lang="de">Wie viele Beschäftigte' in html  # no English wording: German, marked as such
    assert "Wie nutzen Kommunen" not in html.split("<article", 1)[1]
    pdf = staff_client.get(reverse("staff:survey_printable_pdf", args=[kgst_survey.slug]))
    text = " ".join(_pdf_text(pdf.content, tmp_path).split())
    assert "How do municipalities use social media?" in text
    assert "Which area of your administration do you work in?" in text
    staff_client.cookies["django_language"] = "de"
    html = staff_client.get(reverse("staff:survey_printable", args=[kgst_survey.slug])).content.decode()
    assert "<h1>Wie nutzen Kommunen Social Media?</h1>" in html and "Which area" not in html
