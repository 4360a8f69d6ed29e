"""Hostile posts against every respondent form: never a 500, never a value the definition forbids.

Hypothesis generates the posts (random and hostile keys and values, lists for scalars, NUL
bytes, huge values, unknown codes, SQL/HTML snippets); after every post the stored answers are
checked with `assert_answers_allowed`.
"""

import os
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responses.models import Answer, Response
from surveys.structure import get_structure
from tests.responses.helpers import Flow
from tests.responses.test_flow import USER, walk

from .strategies import HOSTILE, form, scalar
from .validator import assert_answers_allowed

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=int(os.getenv("FUZZ_EXAMPLES", "50")), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
OK = {200, 302, 400, 404, 429}
ACTIONS = st.one_of(st.sampled_from(["weiter", "zurueck", "speichern", "", "absenden"]), st.text(max_size=10))


def page_post(flow: Flow, structure, code: str):
    page = structure.page(code)
    names = [n for q in page.questions for n in q.variables]
    codes = sorted({o.code for q in page.questions for o in q.options})
    return form(names, codes, extra={"aktion": ACTIONS})


def current_version(invitation, code: str) -> int:
    return int(Response.objects.get(invitation=invitation).page_versions.get(code, 0))


def run_page_fuzz(flow: Flow, code: str, data_strategy) -> None:
    structure = get_structure(flow.invitation.survey)
    response = Response.objects.get(invitation=flow.invitation)
    posts = [0]

    @FUZZ
    @given(data=data_strategy, version=st.one_of(st.none(), scalar()), raw=st.booleans())
    def check(data, version, raw):
        payload = dict(data)
        payload["_version"] = str(current_version(flow.invitation, code)) if version is None else version
        if raw and not any(isinstance(v, list) for v in payload.values()):
            body = "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in payload.items()).encode()
            body += b"&A1_bereich=%ff%fe&%00=%00"  # invalid UTF-8 and NUL in a raw body
            result = flow.client.post(flow.page_url(code), body, content_type="application/x-www-form-urlencoded")
        else:
            result = flow.client.post(flow.page_url(code), payload)
        posts[0] += 1
        assert result.status_code in OK, (result.status_code, payload)
        assert_answers_allowed(response)

    check()
    assert posts[0] >= FUZZ.max_examples
    assert structure.page(code)  # the page existed all along


KGST_PAGES = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]


@pytest.mark.parametrize("code", KGST_PAGES)
def test_fuzz_kgst_page(code, kgst_survey, make_invitation):
    flow = Flow(Client(), make_invitation(kgst_survey))
    walk(flow, USER)  # every page reachable, everything answered, not submitted
    structure = get_structure(kgst_survey)
    run_page_fuzz(flow, code, page_post(flow, structure, code))
    # The page is still usable afterwards: a valid save works.
    answers = dict(USER)[code]
    result = flow.post(code, answers, "speichern")
    assert result.status_code == 302


@pytest.mark.parametrize("code", ["S1", "S2"])
def test_fuzz_every_question_type(code, hostile_survey, make_invitation):
    flow = Flow(Client(), make_invitation(hostile_survey))
    flow.open()
    assert flow.weiter("S1", {"X1_wahl": "1", "X2_mehr": ["a"], "X3_1": "1", "X3_2": "2"}).status_code == 302
    structure = get_structure(hostile_survey)
    run_page_fuzz(flow, code, page_post(flow, structure, code))


def test_fuzz_submitted_response_is_read_only(kgst_survey, make_invitation):
    flow = Flow(Client(), make_invitation(kgst_survey))
    walk(flow, USER)
    assert flow.submit().status_code == 302
    before = sorted(Answer.objects.filter(response__invitation=flow.invitation).values_list("variable", "value"))
    structure = get_structure(kgst_survey)
    names = [n for q in structure.questions for n in q.variables]
    response = Response.objects.get(invitation=flow.invitation)

    @FUZZ
    @given(page=st.one_of(st.sampled_from(KGST_PAGES), st.text(min_size=1, max_size=12)),
           data=form(names, ["1", "2", "3", "8"], extra={"aktion": ACTIONS}))
    def check(page, data):
        url = flow.url(f"seite/{quote(page, safe='')}/")
        result = flow.client.post(url, data)
        assert result.status_code in OK
        review = flow.client.post(flow.url("pruefen/"), data)
        assert review.status_code in OK

    check()
    after = sorted(Answer.objects.filter(response__invitation=flow.invitation).values_list("variable", "value"))
    assert after == before
    assert_answers_allowed(response)


def test_fuzz_review_submit(kgst_survey, make_invitation):
    """Random posts to the review page of started responses, complete or not."""
    structure = get_structure(kgst_survey)
    names = [n for q in structure.questions for n in q.variables]
    flows = []
    for upto in (1, 5, None):  # P1 only: the required B1_nutzung is missing
        flow = Flow(Client(), make_invitation(kgst_survey))
        walk(flow, USER, upto=upto)
        flows.append(flow)

    @FUZZ
    @given(which=st.integers(0, 2), data=form(names, ["1", "2"], extra={"aktion": ACTIONS}))
    def check(which, data):
        flow = flows[which]
        result = flow.client.post(flow.url("pruefen/"), data)
        assert result.status_code in OK
        assert_answers_allowed(Response.objects.get(invitation=flow.invitation))

    check()
    statuses = [Response.objects.get(invitation=f.invitation).status for f in flows]
    assert statuses[0] == "started"  # an incomplete response cannot be submitted


def test_fuzz_access_code_form(kgst_survey, make_invitation):
    from django.core.cache import cache

    invitation = make_invitation(kgst_survey)
    client = Client()
    hits = [0]

    @FUZZ
    @given(data=form(["code"], [invitation.access_code, invitation.access_code_display, invitation.token]),
           address=st.integers(1, 250))
    def check(data, address):
        cache.clear()
        result = Client(REMOTE_ADDR=f"198.51.100.{address}").post("/s/", data)
        assert result.status_code in OK, (result.status_code, data)
        if result.status_code == 302:
            hits[0] += 1
            assert result["Location"] == f"/s/{invitation.token}/"

    check()
    assert client.post("/s/", {"code": invitation.access_code_display.lower()}).status_code == 302


def test_fuzz_token_and_page_paths(kgst_survey, make_invitation):
    from django.core.cache import cache

    invitation = make_invitation(kgst_survey)

    @FUZZ
    @given(token=st.one_of(st.text(min_size=1, max_size=80), st.sampled_from(HOSTILE[:40]).filter(bool),
                           st.just(invitation.token)),
           page=st.one_of(st.text(min_size=1, max_size=20), st.sampled_from(KGST_PAGES)),
           tail=st.sampled_from(["", "seite/{page}/", "pruefen/", "danke/", "gespeichert/"]),
           method=st.sampled_from(["get", "post", "head", "put", "delete"]))
    def check(token, page, tail, method):
        cache.clear()
        path = f"/s/{quote(token, safe='')}/" + tail.format(page=quote(page, safe=""))
        result = getattr(Client(), method)(path)
        assert result.status_code in OK | {405}, (path, result.status_code)
        optout = getattr(Client(), method)(f"/abmelden/{quote(token, safe='')}/")
        assert optout.status_code in OK | {405}, (token, optout.status_code)

    check()


def test_fuzz_optout_confirm(kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey)
    client = Client()

    @FUZZ
    @given(data=form(["confirm", "token", "opted_out_at"], [invitation.token]))
    def check(data):
        result = client.post(f"/abmelden/{invitation.token}/", data)
        assert result.status_code == 200

    check()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
