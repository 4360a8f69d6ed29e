"""Small-cell protection on every surface, the publication variant, Stata/R files, the chosen
cross-tabs in the workbook, chi-square and raking against hand-computed figures, and waves."""

import copy
import math

import pyreadstat
import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from exports.analysis import aggregation, waves
from exports.analysis.representativeness import chi_square, comparison, rake, rake_weights, representativeness
from exports.formats.registry import PublicationNotAvailable, build_export
from exports.jobs.exportjob import run_job
from exports.models import DownloadLog, ExportJob, ResultSet
from harness.answer_data import Plan, insert_plans
from invitations.models import Member
from surveys.definition.read import read_definition
from surveys.definition.sync import sync_survey
from surveys.definition.validate import validate_definition
from surveys.structure import get_structure
from tests.exports.conftest import make_plans
from tests.exports.independent import count_plans
from tests.exports.readback import result_tables

pytestmark = pytest.mark.django_db

IDENTIFYING = {"ags", "name", "einwohner", "A1_bereich_6_text", "H1_anmerkungen"}


def three_respondents(survey, structure):
    """Three submitted responses that all use social media: every base is below 5."""
    plans = []
    for i, land in enumerate(("Bayern", "Bayern", "Hessen")):
        answers = {"A1_bereich": "6", "A1_bereich_6_text": f"Stabsstelle {i}", "B1_nutzung": "1",
                   "B2_zweck": ["2"], "B3_dauer": "3"}
        shown = [q.code for q in structure.shown_questions(answers)]
        plans.append(Plan(answers=answers, shown=shown,
                          member={"land": land, "typ": "Stadt", "einwohner": 30_000 + i, "name": f"Ort {i}"}))
    insert_plans(survey, structure, plans)
    return plans


# --- small-cell protection ----------------------------------------------------------------


def test_results_page_hides_percentages_below_min_base(analyst_client, kgst_survey, kgst_structure):
    three_respondents(kgst_survey, kgst_structure)
    ResultSet.objects.create(survey=kgst_survey, status=ResultSet.Status.DONE, computed_at=timezone.now(),
                             tables=aggregation.compute_tables(kgst_survey))
    page = analyst_client.get(f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/").content.decode()
    assert "Basis unter 5 (n = 3): Prozentwerte nicht ausgewiesen." in page
    assert "100,0 %" not in page and "33,3 %" not in page
    kgst_survey.min_base = 1
    kgst_survey.save()
    page = analyst_client.get(f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/").content.decode()
    assert "100,0 %" in page and "Basis unter" not in page


def test_crosstab_page_protects_small_columns(analyst_client, kgst_survey, kgst_structure):
    three_respondents(kgst_survey, kgst_structure)
    page = analyst_client.get(f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/kreuztabellen/",
                              {"by": "land"}).content.decode()
    assert "Bayern: Basis unter 5 (n = 2)" in page
    assert "Hessen: Basis unter 5 (n = 1)" in page
    assert "100,0 %" not in page


def test_workbook_protects_results_and_crosstabs(kgst_survey, kgst_structure, tmp_path):
    three_respondents(kgst_survey, kgst_structure)
    path = tmp_path / "p.xlsx"
    build_export(kgst_survey, "xlsx", path)
    tables = result_tables(path)
    assert {pct for _, _, pct in tables["B1_nutzung"]["options"].values()} == {"–"}
    wb = load_workbook(path, read_only=True)
    results = [r[0] for r in wb["Ergebnisse"].iter_rows(values_only=True) if r]
    assert "Basis unter 5 (n = 3): Prozentwerte nicht ausgewiesen." in results
    xt = list(wb["Kreuztabellen"].iter_rows(values_only=True))
    percents = [v for row in xt for v in row[2:] if isinstance(v, float)]
    assert percents == []  # every column is below 5: no percentage at all
    assert any(row[0] == "Bayern: Basis unter 5 (n = 2): Prozentwerte nicht ausgewiesen." for row in xt)


# --- publication variant and formats --------------------------------------------------------


def test_publication_workbook_has_no_per_response_data(kgst_survey, kgst_structure, tmp_path):
    """The publication variant is tables only (protection.py says why): its Daten sheet names the
    variables but holds no row, and nothing identifying appears anywhere."""
    three_respondents(kgst_survey, kgst_structure)
    pub = tmp_path / "pub.xlsx"
    build_export(kgst_survey, "xlsx", pub, publication=True)
    wb = load_workbook(pub, read_only=True)
    data = [r for r in wb["Daten"].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert not IDENTIFYING & set(data[0]) and {"B1_nutzung", "B2_zweck_2"} <= set(data[0])
    assert len(data) == 2 and data[1][0].startswith("Veröffentlichungsfassung: nur Tabellen")
    text = " ".join(str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v)
    assert "Stabsstelle" not in text and "Ort 0" not in text and "@" not in text


@pytest.mark.parametrize("fmt", ["csv", "sav", "dta", "rds"])
def test_publication_refused_for_per_response_formats(kgst_survey, kgst_structure, tmp_path, fmt):
    three_respondents(kgst_survey, kgst_structure)
    with pytest.raises(PublicationNotAvailable, match="keine Einzeldaten"):
        build_export(kgst_survey, fmt, tmp_path / f"pub.{fmt}", publication=True)
    assert not (tmp_path / f"pub.{fmt}").exists()


def test_full_stata_file_keeps_raw_data(kgst_survey, kgst_structure, tmp_path):
    three_respondents(kgst_survey, kgst_structure)
    path = tmp_path / "full.dta"
    call_command("export_results", kgst_survey.slug, "--out", str(path), verbosity=0)
    df, meta = pyreadstat.read_dta(str(path))
    assert sorted(df["A1_bereich_6_text"]) == ["Stabsstelle 0", "Stabsstelle 1", "Stabsstelle 2"]
    assert meta.variable_value_labels["groessenklasse"][3] == "25.000 bis unter 50.000"


def test_workbook_holds_chosen_crosstabs_and_weights(kgst_survey, kgst_structure, tmp_path):
    insert_plans(kgst_survey, kgst_structure, make_plans(kgst_structure, 5, 60, 0.0))
    path = tmp_path / "x.xlsx"
    options = {"by": "B1_nutzung", "filter": {"variable": "groessenklasse", "values": ["1", "2"]}, "weighted": True}
    build_export(kgst_survey, "xlsx", path, options=options)
    wb = load_workbook(path, read_only=True)
    xt = [row for row in wb["Kreuztabellen"].iter_rows(values_only=True)]
    assert xt[1][0] == ("Gewählt: nach B1_nutzung (Nutzt Ihre Kommune Social Media für interne und/oder externe "
                        "Zwecke?), nur groessenklasse = 1: unter 10.000, 2: 10.000 bis unter 25.000, gewichtet")
    header = next(row for row in xt if row[0] == "Anzahl")
    assert header[2:] == ("Ja", "Nein", "Gesamt")
    data = list(wb["Daten"].iter_rows(values_only=True))
    assert data[0][-1] == "gewicht"
    weights = {(r[2], r[5]): r[-1] for r in data[1:]}
    raking = rake_weights(kgst_survey)
    assert all(w == pytest.approx(raking.weights[(land, str(gk))]) for (land, gk), w in weights.items())


def test_export_job_with_options_and_logged_download(analyst_client, kgst_survey, kgst_structure, settings,
                                                     tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    three_respondents(kgst_survey, kgst_structure)
    response = analyst_client.post(f"/staff/befragungen/{kgst_survey.slug}/exporte/neu/", {
        "format": "xlsx", "publication": "on", "by": "typ", "filter": "land", "values": ["Bayern"]})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert job.publication and job.options["filter"] == {"variable": "land", "values": ["Bayern"]}
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    download = analyst_client.get(f"/staff/exporte/{job.pk}/herunterladen/")
    assert download.status_code == 200 and "veroeffentlichung" in download["Content-Disposition"]
    assert DownloadLog.objects.filter(job=job).count() == 1


def test_export_form_explains_bad_filter(analyst_client, kgst_survey):
    response = analyst_client.post(f"/staff/befragungen/{kgst_survey.slug}/exporte/neu/", {
        "format": "xlsx", "filter": "land", "values": ["Atlantis"]})
    assert response.status_code == 400
    assert "Atlantis" in response.content.decode()
    assert not ExportJob.objects.exists()


# --- representativeness and weights ---------------------------------------------------------


def test_chi_square_by_hand():
    # 30 and 20 respondents, register 50:50 → expected 25/25, chi² = 1 + 1 = 2, df 1
    result = chi_square([30, 20], [800, 800])
    assert result["chi2"] == pytest.approx(2.0)
    assert result["df"] == 1
    assert result["p_value"] == pytest.approx(math.erfc(math.sqrt(2.0 / 2)))  # P(χ²₁ > 2) = erfc(√(x/2))


def test_comparison_shares_and_points():
    table = comparison({"a": 600, "b": 400}, {"a": 30, "b": 20, "c": 0}, [("a", "A"), ("b", "B"), ("c", "C")])
    assert [r["code"] for r in table["rows"]] == ["a", "b"]
    assert table["rows"][0]["difference_points"] == pytest.approx(0.0)
    table = comparison({"a": 500, "b": 500}, {"a": 30, "b": 20}, [("a", "A"), ("b", "B")])
    assert table["rows"][0]["respondent_share"] == pytest.approx(0.6)
    assert table["rows"][0]["difference_points"] == pytest.approx(10.0)
    assert table["chi2"] == pytest.approx(2.0)


def test_raking_by_hand():
    """An independent sample table rakes to the product of the margin factors (computed by hand):
    Land A 60 % → 50 %: ×5/6, B 40 % → 50 %: ×5/4; class 1 50 % → 25 %: ×1/2, class 2 50 % → 75 %: ×3/2."""
    cells = {("A", "1"): 30.0, ("A", "2"): 30.0, ("B", "1"): 20.0, ("B", "2"): 20.0}
    result = rake(cells, {"A": 500, "B": 500}, {"1": 250, "2": 750})
    assert result.converged
    expected = {("A", "1"): 5 / 12, ("A", "2"): 5 / 4, ("B", "1"): 5 / 8, ("B", "2"): 15 / 8}
    for key, weight in expected.items():
        assert result.weights[key] == pytest.approx(weight, rel=1e-9)
    assert sum(cells[k] * w for k, w in result.weights.items()) == pytest.approx(100)


def test_raking_meets_both_margins_of_a_dependent_table():
    cells = {("A", "1"): 40.0, ("A", "2"): 10.0, ("B", "1"): 20.0, ("B", "2"): 30.0}
    result = rake(cells, {"A": 1, "B": 3}, {"1": 2, "2": 3})
    assert result.converged and result.iterations > 1
    w = result.weights
    assert cells[("A", "1")] * w[("A", "1")] + cells[("A", "2")] * w[("A", "2")] == pytest.approx(25)
    assert cells[("A", "1")] * w[("A", "1")] + cells[("B", "1")] * w[("B", "1")] == pytest.approx(40)


def test_raking_names_margins_without_respondents():
    result = rake({("A", "1"): 10.0}, {"A": 1, "B": 1}, {"1": 1})
    assert not result.converged
    assert result.problems == ["land=B"]


def test_representativeness_against_register(kgst_survey, kgst_structure, make_invitation):
    plans = make_plans(kgst_structure, 11, 40, 0.2)
    insert_plans(kgst_survey, kgst_structure, plans)
    make_invitation(kgst_survey, land="Bremen", einwohner=500_000)  # in the register, did not answer
    result = representativeness(kgst_survey)
    submitted = sum(p.status == "submitted" for p in plans)
    for variable in ("land", "groessenklasse", "typ"):
        assert result[variable]["respondents_total"] == submitted
        assert result[variable]["register_total"] == Member.objects.count() == len(plans) + 1
    bremen = next(r for r in result["land"]["rows"] if r["code"] == "Bremen")
    assert bremen["register"] == sum(p.member["land"] == "Bremen" for p in plans) + 1


# --- waves ----------------------------------------------------------------------------------


def second_wave(kgst_survey):
    data = copy.deepcopy(read_definition("surveys/definitions/kgst-social-media-2013.yaml"))
    data["slug"] = "kgst-social-media-2016"
    data["title"] = "Social Media 2016"
    data["pages"][-1]["questions"] = [q for q in data["pages"][-1]["questions"] if q["code"] != "H1_anmerkungen"]
    data["pages"][0]["questions"].append({"code": "A3_neu", "type": "single", "text": "Neue Frage",
                                          "options": [{"code": "1", "label": "Ja"}, {"code": "2", "label": "Nein"}]})
    return sync_survey(validate_definition(data)).survey


def test_wave_comparison_on_two_generated_waves(kgst_survey, kgst_structure):
    other = second_wave(kgst_survey)
    other_structure = get_structure(other)
    plans_a = make_plans(kgst_structure, 21, 45, 0.0)
    plans_b = make_plans(other_structure, 22, 35, 0.0)
    insert_plans(kgst_survey, kgst_structure, plans_a)
    insert_plans(other, other_structure, plans_b)
    for survey in (kgst_survey, other):
        survey.min_base = 1
        survey.save()
    assert waves.comparable_surveys(kgst_survey) == [other]
    result = waves.compare(kgst_survey, other)
    exp_a, exp_b = count_plans(kgst_structure, plans_a), count_plans(other_structure, plans_b)
    assert [q["code"] for q in result["only_first"]] == ["H1_anmerkungen"]
    assert [q["code"] for q in result["only_second"]] == ["A3_neu"]
    compared = 0
    for q in result["questions"]:
        for v in q["variables"]:
            ea, eb = exp_a[v["variable"]], exp_b[v["variable"]]
            assert (v["first_base"], v["second_base"]) == (ea["base"], eb["base"])
            for o in v["options"]:
                pa = ea["options"][o["code"]] / ea["base"] if ea["base"] else None
                pb = eb["options"][o["code"]] / eb["base"] if eb["base"] else None
                assert o["first"] == pytest.approx(pa) and o["second"] == pytest.approx(pb)
                if pa is not None and pb is not None:
                    assert o["difference_points"] == pytest.approx((pb - pa) * 100)
                    compared += 1
    assert compared > 50


def test_wave_page(analyst_client, kgst_survey, kgst_structure):
    other = second_wave(kgst_survey)
    three_respondents(kgst_survey, kgst_structure)
    url = f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/wellen/"
    page = analyst_client.get(url).content.decode()
    assert "kgst-social-media-2016" in page
    page = analyst_client.get(url, {"vergleich": other.slug}).content.decode()
    assert "Nur in Welle 1" in page and "H1_anmerkungen" in page and "A3_neu" in page
    bad = analyst_client.get(url, {"vergleich": "gibt-es-nicht"})
    assert bad.status_code == 400


def test_min_base_is_edited_by_staff_only(staff_client, kgst_survey):
    url = f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/mindestbasis/"
    staff_client.post(url, {"min_base": "10"})
    kgst_survey.refresh_from_db()
    assert kgst_survey.min_base == 10
    response = staff_client.post(url, {"min_base": "0"}, follow=True)
    kgst_survey.refresh_from_db()
    assert kgst_survey.min_base == 10
    assert "mindestens 1" in response.content.decode()


def test_analyst_cannot_edit_min_base(analyst_client, kgst_survey):
    response = analyst_client.post(f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/mindestbasis/",
                                   {"min_base": "1"})
    assert response.status_code == 403
    kgst_survey.refresh_from_db()
    assert kgst_survey.min_base == 5


def test_percent_and_points_are_rounded_not_cut():
    from exports.templatetags.export_tags import percent, points

    assert percent(4 / 24) == "16,7 %"
    assert points(4.0 - 6.0000001) == "−2,0"
    assert points(0.00001) == "±0,0"


@pytest.mark.parametrize("name", ["results", "crosstabs", "representativeness", "waves", "report", "free_texts",
                                  "exports"])
def test_every_results_page_marks_its_tab_in_the_survey_navigation(analyst_client, kgst_survey, name):
    from django.urls import reverse

    page = analyst_client.get(reverse(f"staff:{name}", args=[kgst_survey.slug])).content.decode()
    nav = page.split('aria-label="Bereiche dieser Befragung"', 1)[1].split("</nav>", 1)[0]
    current = [line for line in nav.splitlines() if 'aria-current="page"' in line]
    assert len(current) == 1 and "Ergebnisse und Exporte" in current[0], current
