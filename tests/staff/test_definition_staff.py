"""Staff area: new empty survey, new wave, definition upload with report and confirmation, downloads."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from invitations.models import Invitation, OutboxMessage
from responses.models import Answer, Response
from surveys.definition.export import export_definition
from surveys.definition.write import canonical_yaml_of_file, dump_yaml
from surveys.models import Survey, SurveyChange
from tests.conftest import KGST_DEFINITION
from tests.surveys import kgst_xlsform

pytestmark = pytest.mark.django_db


def _upload(client, name: str, content: bytes, follow: bool = True):
    return client.post(reverse("staff:definition_upload"), {"file": SimpleUploadedFile(name, content)},
                       follow=follow)


# --- new empty survey ------------------------------------------------------------------------

def test_staff_creates_an_empty_survey(staff_client, staff_user):
    page = staff_client.get(reverse("staff:survey_create"))
    assert page.status_code == 200 and 'name="slug"' in page.content.decode()
    response = staff_client.post(reverse("staff:survey_create"), {"title": "Digitalisierung 2026",
                                                                   "slug": "digitalisierung-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:survey_detail", args=["digitalisierung-2026"])
    survey = Survey.objects.get(slug="digitalisierung-2026")
    assert (survey.title, survey.status, survey.pages.count()) == ("Digitalisierung 2026", "draft", 0)
    change = SurveyChange.objects.get(survey=survey)
    assert (change.user, change.action, change.after["slug"]) == (staff_user, "created", "digitalisierung-2026")


@pytest.mark.parametrize("slug, message", [
    ("Digital 2026", "Bitte nur Kleinbuchstaben (a–z), Ziffern und Bindestriche verwenden"),
    ("kgst-social-media-2013", "Eine Befragung mit dieser Kennung gibt es bereits."),
    ("", "Dieses Feld ist zwingend erforderlich."),
])
def test_bad_slug_is_explained_and_nothing_is_stored(staff_client, kgst_survey, slug, message):
    response = staff_client.post(reverse("staff:survey_create"), {"title": "X", "slug": slug})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'id="error-summary"' in body
    assert Survey.objects.count() == 1


def test_analyst_may_not_create_but_may_download(analyst_client, kgst_survey):
    assert analyst_client.get(reverse("staff:survey_create")).status_code == 403
    assert analyst_client.post(reverse("staff:survey_create"), {"title": "X", "slug": "x"}).status_code == 403
    assert analyst_client.get(reverse("staff:survey_copy", args=[kgst_survey.slug])).status_code == 403
    assert analyst_client.get(reverse("staff:definition_upload")).status_code == 403
    assert analyst_client.get(reverse("staff:definition_yaml", args=[kgst_survey.slug])).status_code == 200
    assert analyst_client.get(reverse("staff:definition_xlsform", args=[kgst_survey.slug])).status_code == 200
    detail = analyst_client.get(reverse("staff:survey_detail", args=[kgst_survey.slug])).content.decode()
    assert "fragebogen.yaml" in detail and "neue-welle" not in detail
    assert not Survey.objects.filter(slug="x").exists()


# --- new wave ----------------------------------------------------------------------------------

def test_new_wave_copies_the_questionnaire_and_nothing_else(staff_client, staff_user, kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey)
    response = Response.objects.create(survey=kgst_survey, invitation=invitation)
    Answer.objects.create(response=response, question=kgst_survey.questions.get(code="B1_nutzung"),
                          variable="B1_nutzung", value="1")
    OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email="x@example.org",
                                 subject="Einladung", body_text="...", status="sent")
    form = staff_client.get(reverse("staff:survey_copy", args=[kgst_survey.slug])).content.decode()
    assert 'value="kgst-social-media-2014"' in form  # the next year suggested
    result = staff_client.post(reverse("staff:survey_copy", args=[kgst_survey.slug]), {
        "title": "Wie nutzen Kommunen Social Media? (2025)", "slug": "kgst-social-media-2025",
        "opens_on": "2025-06-02", "closes_on": "2025-08-29"}, follow=True)
    assert result.redirect_chain[-1][0] == reverse("staff:survey_detail", args=["kgst-social-media-2025"])
    assert "8 Seiten, 20 Fragen" in result.content.decode()
    wave = Survey.objects.get(slug="kgst-social-media-2025")
    assert (wave.copied_from, wave.status, str(wave.opens_on), str(wave.closes_on)) == (
        kgst_survey, "draft", "2025-06-02", "2025-08-29")
    old, new = export_definition(kgst_survey), export_definition(wave)
    assert new["pages"] == old["pages"]
    assert {k: v for k, v in new.items() if k not in ("slug", "title", "field_period")} == {
        k: v for k, v in old.items() if k not in ("slug", "title", "field_period")}
    assert not Invitation.objects.filter(survey=wave).exists()
    assert not Response.objects.filter(survey=wave).exists()
    assert not OutboxMessage.objects.filter(invitation__survey=wave).exists()
    assert Answer.objects.filter(response__survey=kgst_survey).count() == 1  # the old wave keeps its answers
    change = SurveyChange.objects.get(survey=wave)
    assert (change.user, change.after["copied_from"]) == (staff_user, kgst_survey.slug)
    detail = staff_client.get(reverse("staff:survey_detail", args=[wave.slug])).content.decode()
    assert "Neue Welle von" in detail and kgst_survey.title in detail


def test_new_wave_refuses_a_taken_slug_and_a_backwards_period(staff_client, kgst_survey):
    url = reverse("staff:survey_copy", args=[kgst_survey.slug])
    taken = staff_client.post(url, {"title": "T", "slug": kgst_survey.slug})
    assert taken.status_code == 400 and "Eine Befragung mit dieser Kennung gibt es bereits." in taken.content.decode()
    backwards = staff_client.post(url, {"title": "T", "slug": "neu", "opens_on": "2025-06-02",
                                        "closes_on": "2025-06-01"})
    assert backwards.status_code == 400
    assert "Das Ende der Feldphase darf nicht vor ihrem Beginn liegen." in backwards.content.decode()
    assert Survey.objects.count() == 1


# --- upload with report ------------------------------------------------------------------------

def _kgst_as(slug: str) -> bytes:
    text = canonical_yaml_of_file(KGST_DEFINITION).replace("slug: kgst-social-media-2013", f"slug: {slug}")
    return text.encode("utf-8")


def test_upload_shows_a_report_and_stores_only_after_confirmation(staff_client, staff_user):
    response = _upload(staff_client, "welle.yaml", _kgst_as("kgst-2025"))
    body = response.content.decode()
    preview_url = response.redirect_chain[-1][0]
    assert 'id="count-pages">8<' in body and 'id="count-questions">20<' in body
    assert 'id="count-variables">28<' in body  # 20 questions, a 6-row matrix, 3 other texts
    assert "B2_zweck" in body and "A1_bereich_6_text" in body and "B2_zweck contains 1" in body
    assert "wird die neue Befragung „kgst-2025“ als Entwurf angelegt" in body
    assert not Survey.objects.exists()  # the report stores nothing
    confirmed = staff_client.post(preview_url, follow=True)
    assert confirmed.redirect_chain[-1][0] == reverse("staff:survey_detail", args=["kgst-2025"])
    assert "Fragebogen übernommen: 8 Seiten, 20 Fragen." in confirmed.content.decode()
    survey = Survey.objects.get(slug="kgst-2025")
    assert survey.questions.count() == 20
    assert SurveyChange.objects.get(survey=survey).after["file"] == "welle.yaml"
    again = staff_client.get(preview_url, follow=True)  # the cached upload is gone after use
    assert "nicht mehr vorhanden" in again.content.decode()


def test_xlsform_upload_creates_the_kgst_survey(staff_client):
    response = _upload(staff_client, "kgst.xlsx", kgst_xlsform.workbook_bytes())
    assert 'id="count-questions">20<' in response.content.decode()
    staff_client.post(response.redirect_chain[-1][0])
    survey = Survey.objects.get(slug="kgst-social-media-2013")
    assert survey.questions.get(code="C1").rows.count() == 6


def test_upload_with_problems_lists_each_with_its_place_and_stores_nothing(staff_client):
    bad = kgst_xlsform.workbook_bytes(survey=[
        ["begin_group", "P1", "Seite"], ["calculate", "c1", ""],
        ["select_one ja_nein", "q1", "Frage?", "", "", "count-selected(${q0}) > 0"], ["end_group"]],
        choices=[["ja_nein", "1", "Ja"], ["farben", "rot", "Rot"]])
    response = _upload(staff_client, "bad.xlsx", bad)
    body = response.content.decode()
    assert "Die Datei enthält 3 Fehler." in body
    assert "Tabellenblatt „survey“, Zeile 3, Spalte type (A): Typ „calculate“: Berechnungen werden nicht" in body
    assert "Zeile 4, Spalte relevant (F): die Funktion count-selected() wird nicht unterstützt" in body
    assert ("Tabellenblatt „choices“, Zeile 3, Spalte list_name (A): Die Auswahlliste „farben“ wird von keiner "
            "Frage verwendet.") in body
    refused = staff_client.post(response.redirect_chain[-1][0])
    assert refused.status_code == 400 and "Es wurde nichts gespeichert." in refused.content.decode()
    assert not Survey.objects.exists()


@pytest.mark.parametrize("name, content, message", [
    ("fragen.docx", b"PK\x03\x04", "Bitte eine Datei mit der Endung .yaml, .yml, .json oder .xlsx hochladen."),
    ("leer.yaml", b"", "Die übertragene Datei ist leer."),
])
def test_upload_form_refuses_other_files(staff_client, name, content, message):
    response = _upload(staff_client, name, content, follow=False)
    assert response.status_code == 400 and message in response.content.decode()


def test_upload_of_a_broken_yaml_and_of_a_fake_workbook(staff_client):
    body = _upload(staff_client, "kaputt.yaml", b"slug: x\ntitle: [unclosed\n").content.decode()
    assert "YAML-Syntaxfehler in Zeile 3" in body  # the report speaks German
    body = _upload(staff_client, "fake.xlsx", b"not a zip at all").content.decode()
    assert "Die Datei ist keine Excel-Arbeitsmappe (.xlsx)." in body


def test_upload_updating_a_survey_with_answers_is_refused_with_the_reason(staff_client, kgst_survey,
                                                                           make_invitation):
    invitation = make_invitation(kgst_survey)
    response = Response.objects.create(survey=kgst_survey, invitation=invitation)
    Answer.objects.create(response=response, question=kgst_survey.questions.get(code="A1_bereich"),
                          variable="A1_bereich", value="1")
    data = yaml.safe_load(canonical_yaml_of_file(KGST_DEFINITION))
    del data["pages"][0]["questions"][0]["options"][4]
    preview = _upload(staff_client, "ohne-5.yaml", dump_yaml(data).encode())
    body = preview.content.decode()
    assert "Diese Änderung ist nicht erlaubt" in body and "A1_bereich: Die Antwortoption mit dem Code 5" in body
    assert staff_client.post(preview.redirect_chain[-1][0]).status_code == 400
    assert kgst_survey.questions.get(code="A1_bereich").options.count() == 6


def test_upload_of_new_wording_updates_an_answered_survey(staff_client, kgst_survey, make_invitation):
    response = Response.objects.create(survey=kgst_survey, invitation=make_invitation(kgst_survey))
    Answer.objects.create(response=response, question=kgst_survey.questions.get(code="B1_nutzung"),
                          variable="B1_nutzung", value="1")
    text = canonical_yaml_of_file(KGST_DEFINITION).replace("für interne und/oder externe Zwecke?", "überhaupt?")
    preview = _upload(staff_client, "neu.yaml", text.encode())
    assert "aktualisiert die bestehende Befragung" in preview.content.decode()
    staff_client.post(preview.redirect_chain[-1][0])
    assert kgst_survey.questions.get(code="B1_nutzung").text == "Nutzt Ihre Kommune Social Media überhaupt?"
    assert Answer.objects.filter(variable="B1_nutzung").count() == 1


def test_an_upload_is_bound_to_its_user(staff_client, client, kgst_survey):
    from django.contrib.auth.models import User

    from accounts import roles

    preview_url = _upload(staff_client, "welle.yaml", _kgst_as("kgst-2025")).redirect_chain[-1][0]
    other = User.objects.create_user("other-staff", password="x")
    roles.grant(other, roles.OWNER)
    client.force_login(other)
    response = client.get(preview_url, follow=True)
    assert "nicht mehr vorhanden" in response.content.decode()
    client.post(preview_url)
    assert not Survey.objects.filter(slug="kgst-2025").exists()


# --- downloads -----------------------------------------------------------------------------------

def test_yaml_download_is_the_canonical_definition(analyst_client, kgst_survey):
    response = analyst_client.get(reverse("staff:definition_yaml", args=[kgst_survey.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="kgst-social-media-2013.yaml"'
    assert response.content.decode() == canonical_yaml_of_file(KGST_DEFINITION)


def test_xlsform_download_reads_back_to_the_same_survey(analyst_client, kgst_survey):
    response = analyst_client.get(reverse("staff:definition_xlsform", args=[kgst_survey.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="kgst-social-media-2013.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["survey", "choices", "settings"]
    assert [c.value for c in book["survey"][1]][:3] == ["type", "name", "label::Deutsch (de)"]


def test_download_of_an_unknown_survey_is_404(analyst_client):
    assert analyst_client.get(reverse("staff:definition_yaml", args=["gibt-es-nicht"])).status_code == 404


def test_json_upload_is_a_definition_too(staff_client):
    import json

    data = yaml.safe_load(_kgst_as("kgst-json"))
    response = _upload(staff_client, "welle.json", json.dumps(data, ensure_ascii=False).encode())
    assert 'id="count-questions">20<' in response.content.decode()


def test_downloads_of_an_unfinished_questionnaire_work(analyst_client):
    # a survey being built in the editor may have a choice question without options yet
    from tests.staff.conftest import make_survey

    survey = make_survey(slug="im-aufbau")
    assert analyst_client.get(reverse("staff:definition_yaml", args=[survey.slug])).status_code == 200
    response = analyst_client.get(reverse("staff:definition_xlsform", args=[survey.slug]))
    assert response.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(response.content))["survey"][3]][:2] == [
        "select_one A1_bereich", "A1_bereich"]


def test_upload_report_speaks_german_and_load_survey_english(staff_client, tmp_path, capsys):
    """The same problems: German in the staff report, English on the command line."""
    from django.core.management import CommandError, call_command

    data = yaml.safe_load(open(KGST_DEFINITION, encoding="utf-8"))
    data["slug"] = "fehlerhaft"
    data["pages"][1]["questions"][1]["code"] = "B1_nutzung"  # a duplicate code
    data["pages"][0]["questions"][0]["options"].append(dict(data["pages"][0]["questions"][0]["options"][0]))
    content = yaml.safe_dump(data, allow_unicode=True).encode()
    body = _upload(staff_client, "fehlerhaft.yaml", content).content.decode()
    assert "Seite 2, Frage 2 (B1_nutzung): Der Code „B1_nutzung“ ist schon vergeben (Frage B1_nutzung)." in body
    assert "Seite 1, Frage 1 (A1_bereich): Der Optionscode „1“ kommt in dieser Frage zweimal vor." in body
    assert "duplicate code" not in body
    bad = tmp_path / "fehlerhaft.yaml"
    bad.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("load_survey", str(bad))
    assert "pages[1].questions[1] (B1_nutzung): duplicate code 'B1_nutzung' (already used by B1_nutzung)" in str(
        raised.value)
    assert "pages[0].questions[0] (A1_bereich): duplicate option code '1'" in str(raised.value)
    data["pages"][1]["questions"][1]["code"] = "B2_zweck"
    data["pages"][0]["questions"][0]["options"].pop()
    data["pages"][2]["show_if"] = "B2_zweck contains 7"
    body = _upload(staff_client, "bedingung.yaml", yaml.safe_dump(data, allow_unicode=True).encode()).content.decode()
    assert "Seite P3: Bedingung „B2_zweck contains 7“: „7“ an Position 1 ist kein Optionscode von B2_zweck" in body


def test_workbook_problem_in_german_with_its_sheet_and_row(staff_client):
    rows = [row for row in kgst_xlsform.SURVEY]
    index = next(i for i, row in enumerate(rows) if len(row) > 1 and row[1] == "A2_beschaeftigte")
    rows[index] = rows[index][:6] + [". >= 10 and . <= 5"]
    body = _upload(staff_client, "kgst.xlsx", kgst_xlsform.workbook_bytes(survey=rows)).content.decode()
    assert (f"Tabellenblatt „survey“, Zeile {index + 2}: Seite 1, Frage 2 (A2_beschaeftigte): Der kleinste Wert "
            "(10) ist größer als der größte (5).") in body
