"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

import pytest
from django.contrib.auth.models import User

from accounts import roles
from accounts.models import Role


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process unless a test starts a real worker (see tests/worker.py)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _fresh_login_limits():
    """Failed-login counters (allauth, in the cache) outlive a test by up to 15 minutes: every test
    starts without them, so a test of wrong passwords cannot lock out the next test's login."""
    from django.core.cache import cache
    from redis import RedisError

    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        return
    try:
        redis = client.get_client(write=True)
        for key in redis.scan_iter(match="*allauth:rl:*", count=1000):
            redis.delete(key)
    except RedisError:
        pass  # a test that stopped Redis on purpose


@pytest.fixture
def real_celery(settings, tmp_path):
    """Tasks go to the broker for a real worker (tests/worker.py starts one); files land in tmp_path."""
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True
    from tests.worker import purge_broker

    purge_broker()  # tasks no worker took would otherwise hold up the next test's outbox sweep


@pytest.fixture
def empty_cache():
    """Rate-limit counters and cached uploads live in the cache (Redis in tests): start and end empty.

    Not autouse everywhere: in tests with a real worker the broker shares that Redis database.
    """
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _user(username: str, role: str | None) -> User:
    """A user holding `role` on all surveys (accounts/roles.py); set up directly, not as an audited grant."""
    user = User.objects.create_user(username, f"{username}@example.org", "Test-Passwort-123")
    if role:
        Role.objects.create(user=user, role=role)
    return user


@pytest.fixture
def staff_user(db) -> User:
    """The former role "staff": owner of every survey."""
    return _user("staff", roles.OWNER)


@pytest.fixture
def analyst_user(db) -> User:
    """The former role "analyst": analyst of every survey."""
    return _user("analyst", roles.ANALYST)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def analyst_client(client, analyst_user):
    client.force_login(analyst_user)
    return client


KGST_DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"


@pytest.fixture
def kgst_survey(db):
    """The shipped KGSt questionnaire, loaded through `load_survey`, status open."""
    from django.core.management import call_command

    from surveys.models import Survey

    call_command("load_survey", KGST_DEFINITION, verbosity=0)
    survey = Survey.objects.get(slug="kgst-social-media-2013")
    survey.open()
    return survey


@pytest.fixture
def make_invitation(db):
    """make_invitation(survey, ags=..., **member_fields) → Invitation for a new register member."""
    from invitations.models import Invitation, Member

    counter = iter(range(10_000_000, 99_999_999))

    def make(survey, **fields):
        ags = fields.pop("ags", None) or str(next(counter))
        defaults = dict(name=f"Gemeinde {ags}", land="Nordrhein-Westfalen", typ="Gemeinde",
                        einwohner=12_000, email=f"rathaus-{ags}@example.org")
        defaults.update(fields)
        member, _ = Member.objects.get_or_create(ags=ags, defaults=defaults)
        return Invitation.objects.create(survey=survey, member=member)

    return make
