"""Staff area figures at KGSt scale: dashboard, member list page, status counts, non-responder CSV.

Builds a register of N members (default 1,600; --members 16000 for headroom) in the database
given by DATABASE_URL (use a throwaway database: the data is deleted afterwards), invites 90 %,
lets 60 % open, 45 % start and 30 % submit over 60 days, then times each staff query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rl_bench DEBUG=1 \
        .venv/bin/python -m bench.staff_dashboard --members 1600
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from invitations.models import LAENDER, Invitation, Member
    from responses.dashboard import figures as dash
    from responses.dashboard.views import nonresponder_rows
    from responses.models import Response
    from surveys.models import Survey

    call_command("migrate", verbosity=0)
    Survey.objects.filter(slug="bench-staff").delete()
    Member.objects.filter(ags__startswith="99").delete()
    survey = Survey.objects.create(slug="bench-staff", title="Bench", status=Survey.Status.OPEN)
    rng = random.Random(1)
    members = Member.objects.bulk_create([
        Member(ags=f"99{i:06d}", name=f"Gemeinde {i}", land=rng.choice(LAENDER), typ="Gemeinde",
               einwohner=(e := rng.choice([3_000, 15_000, 40_000, 80_000, 150_000, 300_000, 600_000])),
               groessenklasse=1 + sum(e >= b for b in (10_000, 25_000, 50_000, 100_000, 200_000, 400_000)),
               email=f"r{i}@example.org")
        for i in range(args.members)
    ], batch_size=2000)
    invitations = Invitation.objects.bulk_create(
        [Invitation(survey=survey, member=m) for m in members if rng.random() < 0.9], batch_size=2000)
    now = timezone.now()
    opened, responses = [], []
    for inv in invitations:
        r = rng.random()
        if r < 0.6 / 0.9:
            opened.append(inv.pk)
        if r < 0.45 / 0.9:
            submitted = r < 0.3 / 0.9
            responses.append(Response(survey=survey, invitation=inv, status=Response.Status.SUBMITTED if submitted
                                      else Response.Status.STARTED,
                                      submitted_at=now - timedelta(days=rng.randint(0, 60)) if submitted else None))
    Invitation.objects.filter(pk__in=opened).update(first_opened_at=now)
    Response.objects.bulk_create(responses, batch_size=2000)

    def timed(label: str, fn) -> None:
        runs = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - start)
        print(f"{label:<42} median {statistics.median(runs) * 1000:8.1f} ms   "
              f"max {max(runs) * 1000:8.1f} ms   {len(queries)} queries")

    print(f"register {args.members} members, {len(invitations)} invited, {len(responses)} responses "
          f"({connection.vendor})")
    timed("dashboard.build (totals, Land, class, days)", lambda: dash.build(survey))
    timed("status_counts", lambda: dash.status_counts(survey))
    timed("member list page (50 rows, filter status)",
          lambda: list(dash.members_with_status(survey).filter(status=dash.MemberStatus.INVITED).order_by("ags")[:50]))
    timed("member list count (filter status)",
          lambda: dash.members_with_status(survey).filter(status=dash.MemberStatus.INVITED).count())
    timed("non-responder CSV rows", lambda: nonresponder_rows(survey, dash.members_with_status(survey)))

    Survey.objects.filter(pk=survey.pk).delete()
    Member.objects.filter(ags__startswith="99").delete()


if __name__ == "__main__":
    sys.exit(main())
