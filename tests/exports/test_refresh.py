"""Result tables recomputed by a REAL Celery worker after answers change, debounced per survey
(exports/jobs/refresh.py): a stream of submits gives one computation, a submit after the window another."""

import time

import pytest
from django.db import transaction

from exports.jobs import refresh
from exports.models import ResultSet
from invitations.models import Invitation
from responses.models import Response
from responses.respondent import services as respondent
from tests.worker import celery_worker, wait_for

WINDOW = 4  # seconds; settings.RESULTS_REFRESH_SECONDS is 60 outside the tests


def _reopen_all(survey) -> list[Invitation]:
    """Generated responses (written with COPY, no signal) as started again, so the test submits them."""
    Response.objects.filter(survey=survey).update(status=Response.Status.STARTED, submitted_at=None)
    return list(Invitation.objects.filter(survey=survey, response__isnull=False).order_by("pk"))


@pytest.mark.django_db(transaction=True)
def test_stream_of_submits_gives_one_computation_then_another_after_the_window(
        real_celery, kgst_survey, generated, settings, tmp_path):
    settings.RESULTS_REFRESH_SECONDS = WINDOW
    generated(30, seed=41, partial_share=0.0)
    invitations = _reopen_all(kgst_survey)
    log = tmp_path / "worker.log"
    with celery_worker(log=log):  # purges the broker's Redis db, and with it the cache keys
        first_submit = time.time()
        for invitation in invitations[:20]:
            assert respondent.submit(invitation).status == "submitted"
        assert Response.objects.filter(survey=kgst_survey, status="submitted").count() == 20
        assert refresh.planned_at(kgst_survey.pk) is not None  # the page can say "wird aktualisiert"
        assert wait_for(lambda: ResultSet.objects.filter(status="done").exists(), timeout=60), log.read_text()[-3000:]
        time.sleep(WINDOW + 2)  # a second computation would have come by now
        sets = list(ResultSet.objects.all())
        assert len(sets) == 1, [(s.pk, s.status, s.requested_at) for s in sets]
        first = sets[0]
        assert first.tables["respondents"] == 20 and not first.include_partial
        assert first.computed_at.timestamp() - first_submit >= WINDOW - 0.5  # after the window, not at once
        assert refresh.planned_at(kgst_survey.pk) is None

        later = time.time()
        for invitation in invitations[20:23]:
            respondent.submit(invitation)
        assert wait_for(lambda: ResultSet.objects.filter(status="done").count() == 2, timeout=60), \
            log.read_text()[-3000:]
        time.sleep(WINDOW + 2)
        assert ResultSet.objects.count() == 2
        second = ResultSet.objects.order_by("-pk").first()
        assert second.tables["respondents"] == 23
        assert second.computed_at.timestamp() - later >= WINDOW - 0.5
        assert second.tables["data_stamp"]["responses"] == 23


@pytest.mark.django_db(transaction=True)
def test_page_save_in_a_started_response_recomputes_only_the_tables_with_started_answers(
        kgst_survey, generated, settings, django_capture_on_commit_callbacks):
    """Eager Celery (the task runs at once): the task skips what did not change."""
    from django.core.cache import cache

    settings.RESULTS_REFRESH_SECONDS = WINDOW
    generated(12, seed=42, partial_share=0.0)
    invitations = _reopen_all(kgst_survey)
    for invitation in invitations[:6]:
        respondent.submit(invitation)
        cache.delete(f"results-refresh:{kgst_survey.pk}")  # no debounce here: every change runs the task
    assert ResultSet.objects.filter(include_partial=False, status="done").count() == 6
    ResultSet.objects.create(survey=kgst_survey, include_partial=True)  # somebody asked for them once
    cache.delete(f"results-refresh:{kgst_survey.pk}")
    page = kgst_survey.pages.order_by("position").first()
    question = page.questions.order_by("position").first()
    before = ResultSet.objects.count()
    respondent.save_page(invitations[10], page.code, _changed_answer(question), "speichern")
    made = ResultSet.objects.order_by("pk")[before:]
    assert [s.include_partial for s in made] == [True]  # the submitted-only tables had nothing new
    assert made[0].status == "done" and made[0].tables["data_stamp"]["responses"] == 12  # 6 submitted, 6 started


def _changed_answer(question) -> dict:
    option = question.options.order_by("-position").first()
    return {question.code: option.code, "_version": "0"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_save_plans_nothing_and_the_window_setting_zero_turns_it_off(
        kgst_survey, generated, settings):
    from django.core.cache import cache

    settings.RESULTS_REFRESH_SECONDS = WINDOW
    generated(3, seed=43, partial_share=0.0)
    invitations = _reopen_all(kgst_survey)
    cache.delete(f"results-refresh:{kgst_survey.pk}")
    with pytest.raises(RuntimeError), transaction.atomic():
        respondent.submit(invitations[0])
        raise RuntimeError("rolled back")
    assert refresh.planned_at(kgst_survey.pk) is None and not ResultSet.objects.exists()
    settings.RESULTS_REFRESH_SECONDS = 0
    respondent.submit(invitations[1])
    assert refresh.planned_at(kgst_survey.pk) is None and not ResultSet.objects.exists()


def test_respondent_submits_while_the_cache_is_down(kgst_survey, generated, settings, caplog,
                                                    django_capture_on_commit_callbacks):
    """The plan is made after the answers are committed; a cache that cannot be reached is logged and
    never reaches the respondent."""
    from harness.serve import free_port

    settings.RESULTS_REFRESH_SECONDS = WINDOW
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    generated(2, seed=44, partial_share=0.0)
    invitations = _reopen_all(kgst_survey)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert respondent.submit(invitations[0]).status == "submitted"
    assert len(callbacks) == 1 and "answers_changed receiver" in caplog.text  # it ran, and failed quietly
    assert Response.objects.get(invitation=invitations[0]).status == "submitted"
    assert not ResultSet.objects.exists()
