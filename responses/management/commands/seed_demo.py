"""Demo data for `make run`: a small member register, invitations, a staff and an analyst login.

Idempotent: members are matched by AGS, invitations by (survey, member), users by name;
running it again creates nothing new. Development only (DEBUG=1): the demo logins use a
fixed, printed password.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import roles
from invitations.models import Invitation, Member
from surveys.models import Survey

SLUG = "kgst-social-media-2013"
DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"
DEMO_PASSWORD = "Demo-Ruecklauf-2013"
DEMO_FIELD_DAYS = 42
# Roles on all surveys (accounts/roles.py).
USERS = [("kgst", roles.OWNER, "KGSt", "Befragungsteam"), ("analyse", roles.ANALYST, "Analyse", "Team")]

# (ags, name, land, typ, einwohner) — fictitious municipalities, one per size class and across Länder.
MEMBERS = [
    ("01999001", "Gemeinde Nordstrand-Süd", "Schleswig-Holstein", "Gemeinde", 4_800),
    ("03999002", "Stadt Heidewald", "Niedersachsen", "Stadt", 18_500),
    ("05999003", "Stadt Rheinfeld", "Nordrhein-Westfalen", "Stadt", 42_000),
    ("05999004", "Stadt Ruhrhafen", "Nordrhein-Westfalen", "kreisfreie Stadt", 310_000),
    ("06999005", "Stadt Taunusbrunn", "Hessen", "Stadt", 76_000),
    ("07999006", "Gemeinde Moselberg", "Rheinland-Pfalz", "Gemeinde", 2_300),
    ("08999007", "Stadt Neckarau", "Baden-Württemberg", "Stadt", 128_000),
    ("09999008", "Isarstadt", "Bayern", "kreisfreie Stadt", 520_000),
    ("09999", "Landkreis Alpenvorland", "Bayern", "Landkreis", 190_000),
    ("12999010", "Stadt Havelsee", "Brandenburg", "Stadt", 9_600),
    ("14999011", "Stadt Elbtal", "Sachsen", "Stadt", 33_000),
    ("16999012", "Gemeinde Thüringer Höhe", "Thüringen", "Gemeinde", 12_400),
]


def _email(name: str) -> str:
    slug = name.split(" ", 1)[-1].lower()
    for old, new in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), (" ", "-")):
        slug = slug.replace(old, new)
    return f"rathaus@{slug}.example"


class Command(BaseCommand):
    help = "Create demo members, invitations and logins for local development (DEBUG=1 only). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates logins with a fixed password and is for development only; "
                               "run it with DEBUG=1.")
        survey = Survey.objects.filter(slug=SLUG).first()
        if survey is None:
            call_command("load_survey", DEFINITION, verbosity=0)
            survey = Survey.objects.get(slug=SLUG)
        with transaction.atomic():
            created_members, invitations = self._register(survey)
            users = [self._user(*spec) for spec in USERS]
        if survey.closes_on and survey.closes_on < timezone.localdate():
            # The 2013 questionnaire's deadline lies in the past; the demo must be able to invite.
            survey.closes_on = timezone.localdate() + datetime.timedelta(days=DEMO_FIELD_DAYS)
            survey.save(update_fields=["closes_on", "updated_at"])
            self.stdout.write(f"Demo field period of {SLUG} now ends on {survey.closes_on:%Y-%m-%d}.")
        if survey.status == Survey.Status.DRAFT:
            survey.open()
            self.stdout.write(f"Opened the survey {SLUG}.")
        self._report(created_members, invitations, users)

    def _register(self, survey: Survey) -> tuple[int, list[Invitation]]:
        created = 0
        invitations = []
        for ags, name, land, typ, einwohner in MEMBERS:
            member, was_created = Member.objects.get_or_create(
                ags=ags,
                defaults={"name": name, "land": land, "typ": typ, "einwohner": einwohner, "email": _email(name),
                          "ansprechpartner": "Demo-Ansprechperson"},
            )
            created += was_created
            invitation, _ = Invitation.objects.get_or_create(survey=survey, member=member)
            invitations.append(invitation)
        return created, invitations

    def _user(self, username: str, role: str, first: str, last: str) -> tuple[str, bool]:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        roles.grant(user, role)
        return username, created

    def _report(self, created_members: int, invitations: list[Invitation], users: list[tuple[str, bool]]) -> None:
        write = self.stdout.write
        write(f"Demo register: {len(invitations)} members ({created_members} new), "
              f"{len(invitations)} invitations.")
        write("")
        write(f"Staff area: {settings.SITE_URL}/staff/")
        for username, created in users:
            note = "" if created else " (existing user; password unchanged since it was created)"
            write(f"  login {username!r} password {DEMO_PASSWORD!r}{note}")
        write("")
        write("Personal links (or enter the access code at " f"{settings.SITE_URL}/s/):")
        for invitation in invitations[:3]:
            write(f"  {invitation.member.name}: {invitation.link()}  code {invitation.access_code_display}")
