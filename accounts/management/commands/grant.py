"""python manage.py grant USERNAME ROLE [SLUG] [--revoke] [--password-env VAR]

Gives USERNAME the role on the survey SLUG (without SLUG: on every survey), creating the account if
it is missing. A new account gets its password from the environment variable named by
--password-env, or else a one-time link to set one is printed. --revoke takes the role away.
Every refusal (unknown role, survey or user, empty variable) changes nothing and exits with 1.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import roles
from accounts.passwords.views import set_password_link


class Command(BaseCommand):
    help = "Grant (or with --revoke take away) a staff role on one survey or, without SLUG, on all surveys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", help=f"one of: {', '.join(roles.ROLE_NAMES)}")
        parser.add_argument("slug", nargs="?", help="the survey; without it the role holds for all surveys")
        parser.add_argument("--revoke", action="store_true", help="take the role away instead")
        parser.add_argument("--password-env", metavar="VAR",
                            help="set the password from this environment variable (otherwise a new account "
                                 "gets a one-time link to set it)")

    def handle(self, *args: Any, username: str, role: str, slug: str | None, revoke: bool,
               password_env: str | None, **options: Any) -> None:
        try:
            roles.check_role(role)
        except roles.RoleError as exc:
            raise CommandError(str(exc)) from None
        survey = None
        if slug:
            # accounts refers to surveys by label only (the layers in .importlinter)
            survey = apps.get_model("surveys", "Survey").objects.filter(slug=slug).first()
            if survey is None:
                raise CommandError(f"unknown survey {slug!r}: no survey has this slug; nothing changed")
        scope = f"survey {slug}" if slug else "all surveys"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if revoke:
            if user is None:
                raise CommandError(f"unknown user {username!r}; nothing changed")
            if roles.revoke(user, role, survey):
                self.stdout.write(f"{username} no longer has role {role} on {scope}")
            else:
                self.stdout.write(f"{username} did not have role {role} on {scope}; nothing changed")
            return
        password = self._password(password_env, user or User(username=username))
        with transaction.atomic():
            created = user is None
            if created:
                user = User.objects.create_user(username)  # unusable password until one is set
            assert user is not None
            if password is not None:
                user.set_password(password)
                user.save(update_fields=["password"])
            roles.grant(user, role, survey)
        self.stdout.write(f"{username} has role {role} on {scope}" + (" (new account)" if created else ""))
        if password is None and not user.has_usable_password():
            self.stdout.write(f"one-time link to set the password: {set_password_link(user)}")

    def _password(self, variable: str | None, user: Any) -> str | None:
        if variable is None:
            return None
        value = os.environ.get(variable, "")
        if not value:
            raise CommandError(f"environment variable {variable} is empty or not set; nothing changed")
        try:
            validate_password(value, user)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages) + "; nothing changed") from None
        return value
