"""Survey list and detail, field period and lifecycle transitions draft → open → closed ⇄ open."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Survey
from surveys.staff.views import SURVEYS_PER_PAGE

from .conftest import make_survey

pytestmark = pytest.mark.django_db


def _transition(client, survey, action, data=None):
    return client.post(reverse("staff:survey_transition", args=[survey.slug, action]), data or {})


def test_list_and_detail(staff_client, analyst_user, survey):
    html = staff_client.get(reverse("staff:home")).content.decode()
    assert survey.title in html and reverse("staff:survey_detail", args=[survey.slug]) in html
    detail = staff_client.get(reverse("staff:survey_detail", args=[survey.slug])).content.decode()
    assert "Einladungen versenden" in detail and "Befragung schließen" in detail
    staff_client.force_login(analyst_user)  # the fixtures share one client: switch user
    read_only = staff_client.get(reverse("staff:survey_detail", args=[survey.slug])).content.decode()
    assert "Einladungen versenden" not in read_only and "Befragung schließen" not in read_only


def test_draft_open_close_reopen(staff_client, db):
    survey = make_survey(slug="lebenslauf", status="draft")
    confirm = staff_client.get(reverse("staff:survey_transition", args=[survey.slug, "oeffnen"]))
    assert "persönlichen Links" in confirm.content.decode()  # the confirmation text
    survey.refresh_from_db()
    assert survey.status == "draft"  # GET changes nothing

    assert _transition(staff_client, survey, "oeffnen").status_code == 302
    survey.refresh_from_db()
    assert survey.status == "open" and survey.opened_at is not None
    first_opened = survey.opened_at

    _transition(staff_client, survey, "schliessen")
    survey.refresh_from_db()
    assert survey.status == "closed" and survey.closed_at is not None

    _transition(staff_client, survey, "wieder-oeffnen")
    survey.refresh_from_db()
    assert survey.status == "open" and survey.closed_at is None and survey.opened_at == first_opened


@pytest.mark.parametrize(("status", "action"), [
    ("draft", "schliessen"), ("draft", "wieder-oeffnen"), ("open", "oeffnen"), ("open", "wieder-oeffnen"),
    ("closed", "schliessen"), ("closed", "oeffnen"),
])
def test_impossible_transitions_change_nothing(staff_client, db, status, action):
    survey = make_survey(slug="x", status=status)
    response = _transition(staff_client, survey, action)
    assert response.status_code == 302
    assert Survey.objects.get(pk=survey.pk).status == status
    follow = staff_client.get(response["Location"])
    assert "nicht möglich" in follow.content.decode()


def test_reopen_after_deadline_needs_new_deadline(staff_client, db):
    past = timezone.localdate() - timedelta(days=3)
    survey = make_survey(slug="spaet", status="closed", closes_on=past)
    response = _transition(staff_client, survey, "wieder-oeffnen")
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == "closed"
    response = _transition(staff_client, survey, "wieder-oeffnen", {"closes_on": past.isoformat()})
    assert "Vergangenheit" in response.content.decode()
    new = timezone.localdate() + timedelta(days=14)
    _transition(staff_client, survey, "wieder-oeffnen", {"closes_on": new.isoformat()})
    survey.refresh_from_db()
    assert survey.status == "open" and survey.closes_on == new


def test_field_period_form(staff_client, survey):
    url = reverse("staff:survey_dates", args=[survey.slug])
    assert staff_client.get(url).status_code == 200
    bad = staff_client.post(url, {"opens_on": "2025-06-10", "closes_on": "2025-06-01"})
    assert bad.status_code == 200 and "nicht vor ihrem Beginn" in bad.content.decode()
    garbage = staff_client.post(url, {"opens_on": "morgen", "closes_on": ""})
    assert garbage.status_code == 200 and 'id="error-summary"' in garbage.content.decode()
    survey.refresh_from_db()
    assert survey.opens_on is None
    ok = staff_client.post(url, {"opens_on": "2025-06-01", "closes_on": "2025-06-30"})
    assert ok.status_code == 302
    survey.refresh_from_db()
    assert (survey.opens_on, survey.closes_on) == (date(2025, 6, 1), date(2025, 6, 30))


def test_open_survey_past_deadline_is_flagged(staff_client, db):
    survey = make_survey(slug="alt", status="open", closes_on=timezone.localdate() - timedelta(days=1))
    html = staff_client.get(reverse("staff:survey_detail", args=[survey.slug])).content.decode()
    assert "Ende der Feldphase liegt in der Vergangenheit" in html
    survey.closes_on = timezone.localdate()
    survey.save()
    html = staff_client.get(reverse("staff:survey_detail", args=[survey.slug])).content.decode()
    assert "Ende der Feldphase liegt in der Vergangenheit" not in html


def test_survey_list_is_paged_and_sortable(staff_client, db):
    """The start page lists the newest survey first, 25 a page; headings sort (again for descending), paging
    keeps the order, hand-edited values fall back to the default."""
    now = timezone.now()
    count = SURVEYS_PER_PAGE + 3
    for n in range(count):
        Survey.objects.create(slug=f"welle-{n:02d}", title=f"Welle {(count - n) % 7} – {n:02d}",
                              opens_on=date(2020, 1, 1) + timedelta(days=(n * 37) % 300))
        Survey.objects.filter(slug=f"welle-{n:02d}").update(created_at=now - timedelta(days=count - n))
    url = reverse("staff:home")
    first = staff_client.get(url)
    newest_first = [f"welle-{n:02d}" for n in reversed(range(count))]
    assert [s.slug for s in first.context["surveys"]] == newest_first[:SURVEYS_PER_PAGE]
    html = first.content.decode()
    assert f"{count} Befragungen, Seite 1 von 2." in html
    assert 'aria-sort="descending"' in html and 'href="?sortierung=titel"' in html
    assert 'aria-label="Seiten der Befragungsliste"' in html and 'href="?seite=2"' in html
    assert [s.slug for s in staff_client.get(url + "?seite=2").context["surveys"]] == newest_first[SURVEYS_PER_PAGE:]

    all_surveys = list(Survey.objects.all())
    by_title = staff_client.get(url + "?sortierung=titel")
    assert [s.title for s in by_title.context["surveys"]] == sorted(s.title for s in all_surveys)[:SURVEYS_PER_PAGE]
    assert 'href="?sortierung=-titel"' in by_title.content.decode()  # the same heading again: descending
    assert 'href="?sortierung=titel&amp;seite=2"' in by_title.content.decode()
    by_period = staff_client.get(url + "?sortierung=-feldphase&seite=2").context["surveys"]
    assert [s.opens_on for s in by_period] == sorted((s.opens_on for s in all_surveys), reverse=True)[SURVEYS_PER_PAGE:]
    assert staff_client.get(url + "?sortierung=passwort&seite=-1").status_code == 200
