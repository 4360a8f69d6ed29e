"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process unless a test starts a real worker (see tests/worker.py)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def _user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "Test-Passwort-123")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def staff_user(db) -> User:
    return _user("staff", "staff")


@pytest.fixture
def analyst_user(db) -> User:
    return _user("analyst", "analyst")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def analyst_client(client, analyst_user):
    client.force_login(analyst_user)
    return client
