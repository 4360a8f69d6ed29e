"""Fixtures for the staff area tests: a small survey and a hand-made register with known figures.

The dataset (survey "feld", status open):

| member | Land    | einwohner | class | invitation / response                      | status          |
|--------|---------|-----------|-------|--------------------------------------------|-----------------|
| m1     | NRW     | 5,000     | 1     | invited                                    | eingeladen      |
| m2     | NRW     | 12,000    | 2     | invited, opened                            | geoeffnet       |
| m3     | NRW     | 30,000    | 3     | opened, response started                   | begonnen        |
| m4     | NRW     | 150,000   | 5     | opened, submitted 2024-05-02 10:00 Berlin  | abgeschickt     |
| m5     | NRW     | 5,000     | 1     | invited, last message bounced              | unzustellbar    |
| b1     | Bayern  | 8,000     | 1     | opened, submitted 2024-05-03 00:30 Berlin  | abgeschickt     |
| b2     | Bayern  | 60,000    | 4     | —                                          | nicht_eingeladen|
| b3     | Bayern  | 500,000   | 7     | invited, opted out                         | abgemeldet      |
| h1     | Hessen  | 20,000    | 2     | — (but submitted in ANOTHER survey)        | nicht_eingeladen|
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _clear_cache(empty_cache):
    """Every test here starts with an empty cache (rate limits, uploads)."""


def make_survey(slug: str = "feld", status: str | None = None, **fields):
    from surveys.models import Page, Question, Survey

    survey = Survey.objects.create(slug=slug, title=f"Befragung {slug}", status=status or Survey.Status.OPEN,
                                   **fields)
    page = Page.objects.create(survey=survey, code="P1", position=1, title="Seite 1")
    Question.objects.create(survey=survey, page=page, code="A1_bereich", position=1, type="single", text="Bereich?")
    return survey


@pytest.fixture
def survey(db):
    return make_survey()


def _member(ags, name, land, einwohner, **extra):
    from invitations.models import Member

    return Member.objects.create(ags=ags, name=name, land=land, typ="Gemeinde", einwohner=einwohner,
                                 email=f"rathaus-{ags}@example.org", **extra)


def _respond(invitation, submitted_at=None):
    from responses.models import Answer, Response

    response = Response.objects.create(
        survey=invitation.survey, invitation=invitation,
        status=Response.Status.SUBMITTED if submitted_at else Response.Status.STARTED, submitted_at=submitted_at,
    )
    question = invitation.survey.questions.get(code="A1_bereich")
    Answer.objects.create(response=response, question=question, variable="A1_bereich", value="1")
    return response


@pytest.fixture
def dataset(survey):
    from invitations.models import Invitation, OutboxMessage

    opened = datetime(2024, 5, 1, 9, 0, tzinfo=BERLIN)
    m = SimpleNamespace()
    m.m1 = _member("05111001", "Musterstadt", "Nordrhein-Westfalen", 5_000)
    m.m2 = _member("05111002", "Beispielheim", "Nordrhein-Westfalen", 12_000)
    m.m3 = _member("05111003", "Probedorf", "Nordrhein-Westfalen", 30_000)
    m.m4 = _member("05111004", "Großstadt", "Nordrhein-Westfalen", 150_000)
    m.m5 = _member("05111005", "Funkloch", "Nordrhein-Westfalen", 5_000)
    m.b1 = _member("09111001", "Bergdorf", "Bayern", 8_000)
    m.b2 = _member("09111002", "Talstadt", "Bayern", 60_000)
    m.b3 = _member("09111003", "Metropole", "Bayern", 500_000)
    m.h1 = _member("06111001", "Hessendorf", "Hessen", 20_000)

    inv = SimpleNamespace()
    for key in ("m1", "m2", "m3", "m4", "m5", "b1", "b3"):
        setattr(inv, key, Invitation.objects.create(survey=survey, member=getattr(m, key)))
    for key in ("m2", "m3", "m4", "b1"):
        Invitation.objects.filter(pk=getattr(inv, key).pk).update(first_opened_at=opened)
    Invitation.objects.filter(pk=inv.b3.pk).update(opted_out_at=opened)
    _respond(inv.m3)
    _respond(inv.m4, datetime(2024, 5, 2, 10, 0, tzinfo=BERLIN))
    _respond(inv.b1, datetime(2024, 5, 3, 0, 30, tzinfo=BERLIN))  # 2 May 22:30 UTC: counts on 3 May
    for key in ("m1", "m2", "m3", "m4", "b1", "b3"):
        OutboxMessage.objects.create(invitation=getattr(inv, key), step="invitation", to_email="x@example.org",
                                     subject="Einladung", body_text="...", status=OutboxMessage.Status.SENT)
    OutboxMessage.objects.create(invitation=inv.m5, step="invitation", to_email=m.m5.email, subject="Einladung",
                                 body_text="...", status=OutboxMessage.Status.BOUNCED, error="550 mailbox unknown")

    other = make_survey(slug="andere")
    other_inv = Invitation.objects.create(survey=other, member=m.h1)
    Invitation.objects.filter(pk=other_inv.pk).update(first_opened_at=opened)
    _respond(other_inv, datetime(2024, 5, 2, 12, 0, tzinfo=BERLIN))
    return SimpleNamespace(survey=survey, other=other, members=m, invitations=inv)
