"""The hot-path SQL (responses/respondent/queries.py) gives what the ORM gives, on the real PostgreSQL."""

import datetime

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from invitations.models import Invitation
from responses.models import Answer, Response
from responses.respondent import queries
from surveys.models import Question


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            if f.attname not in instance.get_deferred_fields()}


@pytest.fixture
def started(invitation):
    response = Response.objects.create(invitation=invitation, survey=invitation.survey, current_page="P2",
                                       page_versions={"P1": 3, "P2": 1})
    a1 = Question.objects.get(survey=invitation.survey, code="A1_bereich")
    Answer.objects.create(response=response, question=a1, variable="A1_bereich", value="6")
    Answer.objects.create(response=response, question=a1, variable="A1_bereich_6_text", value="Digitales ü ;=")
    return response


def test_token_lookup_builds_what_select_related_builds(started, invitation, django_assert_num_queries):
    when = datetime.datetime(2013, 5, 2, 9, 30, tzinfo=datetime.UTC)
    Response.objects.filter(pk=started.pk).update(submitted_at=when)
    Invitation.objects.filter(pk=invitation.pk).update(first_opened_at=when)
    orm = Invitation.objects.select_related("survey", "member", "response").by_token(invitation.token).get()
    with django_assert_num_queries(1):
        fast = queries.invitation_by_token(invitation.token)
        for mine, theirs in [(fast, orm), (fast.member, orm.member), (fast.response, orm.response),
                             (fast.survey, orm.survey)]:
            loaded = _fields(mine)
            assert loaded == {k: v for k, v in _fields(theirs).items() if k in loaded}
            assert not mine._state.adding and mine._state.db == "default"
        assert fast.response.page_versions == {"P1": 3, "P2": 1}
        assert fast.response.submitted_at == orm.response.submitted_at and fast.response.submitted_at.tzinfo
        assert fast.first_opened_at == orm.first_opened_at
        assert fast.response.invitation is fast
        assert fast.survey.status == "open" and fast.survey.opens_on == orm.survey.opens_on
        assert {"definition", "intro", "created_at"} <= fast.survey.get_deferred_fields()
        assert fast.response.get_deferred_fields() == {"started_at", "updated_at"}
    # deferred fields still load on demand
    assert fast.survey.intro == orm.survey.intro
    assert fast.response.started_at == orm.response.started_at and fast.created_at == orm.created_at


def test_token_lookup_without_response_knows_there_is_none(invitation, django_assert_num_queries):
    fast = queries.invitation_by_token(invitation.token)
    with django_assert_num_queries(0), pytest.raises(Response.DoesNotExist):
        fast.response  # noqa: B018 - the cached "none yet", as select_related would leave it


@pytest.mark.parametrize("token", ["", "x" * 43, "' OR 1=1 --", "%s", "\\x00"])
def test_unknown_tokens_find_nothing(invitation, token):
    assert queries.invitation_by_token(token) is None


def test_lock_response_reads_the_stored_row(started, invitation):
    Response.objects.filter(pk=started.pk).update(current_page="P5", page_versions={"P5": 9})
    with transaction.atomic():
        locked = queries.lock_response(invitation.pk)
    assert model_to_dict(locked) == model_to_dict(Response.objects.get(pk=started.pk))  # loads the deferred
    assert locked.current_page == "P5" and locked.page_versions == {"P5": 9}


def test_lock_response_without_response_raises(invitation):
    with transaction.atomic(), pytest.raises(Response.DoesNotExist):
        queries.lock_response(invitation.pk)


def test_answers_are_read_replaced_and_the_response_saved(started):
    assert queries.answer_rows(started.pk) == [("A1_bereich", "6"), ("A1_bereich_6_text", "Digitales ü ;=")]
    a1 = Question.objects.get(survey=started.survey, code="A1_bereich")
    a2 = Question.objects.get(survey=started.survey, code="A2_beschaeftigte")
    queries.delete_answers(started.pk, [a1.pk, a2.pk])
    queries.delete_answers(started.pk, [])
    queries.insert_answers(started.pk, [(a1.pk, "A1_bereich", "2"), (a2.pk, "A2_beschaeftigte", "17")])
    queries.insert_answers(started.pk, [])
    assert queries.answer_rows(started.pk) == [("A1_bereich", "2"), ("A2_beschaeftigte", "17")]
    assert set(Answer.objects.values_list("question_id", "variable")) == {(a1.pk, "A1_bereich"),
                                                                          (a2.pk, "A2_beschaeftigte")}
    before = Response.objects.get(pk=started.pk).updated_at
    started.page_versions = {"P1": 4, "P2": 1, "x": {"nested": ["ä"]}}
    started.current_page = "P3"
    started.status = "submitted"  # not among the saved fields: must stay as stored
    queries.save_fields(started, ["page_versions", "current_page", "updated_at"])
    stored = Response.objects.get(pk=started.pk)
    assert stored.page_versions == {"P1": 4, "P2": 1, "x": {"nested": ["ä"]}}
    assert stored.current_page == "P3" and stored.status == "started"
    assert stored.updated_at > before


def _statements(captured) -> list[str]:
    return [q["sql"].split()[0] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_query_budget_of_a_page_save(flow):
    """A started respondent's save is seven statements (the last INSERT records the save in the
    response's history) and the page it leads to two: nothing deferred is loaded behind the hot
    path's back (each would be one more query per request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flow.open()
    flow.post("P1", {"A1_bereich": "2", "A2_beschaeftigte": "10"})
    version = flow.version("P1")
    with CaptureQueriesContext(connection) as post:
        reply = flow.post("P1", {"A1_bereich": "3", "A2_beschaeftigte": "11"}, version=version)
    assert reply.status_code == 302
    with CaptureQueriesContext(connection) as get:
        assert flow.client.get(reply["Location"]).status_code == 200
    # token, lock, answers; delete, insert answers, insert the history event; update the response
    assert _statements(post) == ["SELECT", "SELECT", "SELECT", "DELETE", "INSERT", "INSERT", "UPDATE"]
    assert _statements(get) == ["SELECT", "SELECT"]  # token, answers


def test_insert_event_writes_what_the_orm_reads(started):
    from django.utils import timezone

    from responses.models import ResponseEvent

    when = timezone.now()
    queries.insert_event(started.pk, ResponseEvent.Kind.SAVED, when, "P2")
    event = ResponseEvent.objects.get(response=started)
    assert (event.kind, event.at, event.page_code, event.by, event.reason) == ("saved", when, "P2", None, "")
