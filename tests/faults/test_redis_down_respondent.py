"""Redis (cache for the rate limit) unreachable: respondents can still answer and submit; wrong
links and codes are still refused (the limit fails open instead of locking people out).
The full drill with a real restart during sending and exports is bench/drills/redis_restart.py;
sending through a restarted Redis is tests/invitations/test_worker_sending.py::
test_redis_restarted_mid_batch_nothing_lost.
"""

import re

import pytest

from harness.serve import free_port

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WALK = [  # the non-user branch
    ("P1", {"A1_bereich": "3", "A2_beschaeftigte": "420"}),
    ("P2", {"B1_nutzung": "2"}),
    ("P6", {"F1_hemmnisse": "8"}),
    ("P7", {"G2_einfuehrung": "1"}),
    ("P8", {"H2_ergebnisse": "2"}),
]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: it must be unreachable
        cache.set("probe", 1)


def test_respondent_answers_and_submits_while_redis_is_down(client, kgst_survey, make_invitation, redis_down):
    from responses.models import Answer, Response

    invitation = make_invitation(kgst_survey)
    base = f"/s/{invitation.token}/"
    # a new respondent's link opens the welcome page, which leads to the first page
    assert client.get(base)["Location"] == f"{base}willkommen/"
    assert f'href="{base}seite/P1/"' in client.get(f"{base}willkommen/").content.decode()
    for page, fields in WALK:
        form = client.get(f"{base}seite/{page}/")
        assert form.status_code == 200
        version = re.search(r'name="_version" value="(\d+)"', form.content.decode()).group(1)
        reply = client.post(f"{base}seite/{page}/", {**fields, "_version": version, "aktion": "weiter"})
        assert reply.status_code == 302, reply.content.decode()[:500]
    assert client.get(f"{base}pruefen/").status_code == 200
    reply = client.post(f"{base}pruefen/", {"aktion": "absenden"})
    assert reply.status_code == 302 and reply["Location"] == f"{base}danke/"
    assert client.get(f"{base}danke/").status_code == 200
    response = Response.objects.get(invitation=invitation)
    assert response.is_submitted
    assert dict(Answer.objects.filter(response=response).values_list("variable", "value")) == {
        "A1_bereich": "3", "A2_beschaeftigte": "420", "B1_nutzung": "2", "F1_hemmnisse": "8",
        "G2_einfuehrung": "1", "H2_ergebnisse": "2"}


def test_wrong_links_and_codes_still_refused_while_redis_is_down(client, kgst_survey, redis_down):
    for _ in range(30):  # more than the allowance: with the counter unreachable nobody is locked out
        assert client.get("/s/" + "x" * 43 + "/").status_code == 404
    reply = client.post("/s/", {"code": "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-Z"})
    assert reply.status_code == 200 and "keine Befragung gefunden" in reply.content.decode()
