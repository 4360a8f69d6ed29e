"""`seed_demo`: the demo data of `make run`."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import roles
from invitations.models import Invitation, Member
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_logins_and_links(settings):
    settings.DEBUG = True
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    counts = (Member.objects.count(), Invitation.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=second)
    assert (Member.objects.count(), Invitation.objects.count(), User.objects.count()) == counts
    assert counts[0] >= 12 and counts[1] == counts[0]
    assert len({m.land for m in Member.objects.all()}) >= 8
    assert len({m.groessenklasse for m in Member.objects.all()}) == 7
    assert Survey.objects.get(slug="kgst-social-media-2013").status == "open"
    # the two global groups became roles on all surveys (accounts/roles.py)
    assert roles.has(User.objects.get(username="kgst"), "manage")
    analyst = User.objects.get(username="analyse")
    assert roles.has(analyst, "results") and not roles.has(analyst, "manage")
    out = second.getvalue()
    assert "http://127.0.0.1:8000/staff/" in out and "kgst" in out
    links = [line for line in out.splitlines() if "/s/" in line and "  code " in line]
    assert len(links) == 3


def test_the_demo_can_invite_whatever_the_date(settings):
    """The 2013 deadline lies in the past; the demo's field period runs from today, so invitations go out."""
    from django.utils import timezone

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    survey = Survey.objects.get(slug="kgst-social-media-2013")
    assert survey.closes_on > timezone.localdate()
    call_command("send_invitations", survey.slug, stdout=StringIO())
    assert Invitation.objects.filter(survey=survey, messages__step="invitation").count() == 12


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(username="kgst").exists()


def test_demo_login_works(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    from responses.management.commands.seed_demo import DEMO_PASSWORD

    assert client.login(username="kgst", password=DEMO_PASSWORD)
    assert client.get("/staff/").status_code == 200
