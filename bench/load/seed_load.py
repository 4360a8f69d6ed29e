"""Seed the load-test database: open the KGSt survey, N members with distinct AGS, one invitation each.

Run as `python -m bench.load.seed_load N OUT.json` (DATABASE_URL set, after migrate and load_survey).
Writes [{"token", "ags", "name"}, ...] to OUT.json and prints the count.
"""

import json
import os
import random
import sys


def main(count: int, out: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from invitations.models import LAENDER, TYPEN, Invitation, Member, groessenklasse
    from surveys.models import Survey

    survey = Survey.objects.get(slug="kgst-social-media-2013")
    survey.open()
    rng = random.Random(1600)
    members = []
    for i in range(count):
        einwohner = rng.choice([3_000, 12_000, 30_000, 70_000, 150_000, 300_000, 600_000]) + rng.randint(0, 999)
        members.append(Member(
            ags=f"{1_000_000 + i * 7:08d}", name=f"Lastgemeinde {i:05d}", land=LAENDER[i % len(LAENDER)],
            typ=TYPEN[i % len(TYPEN)], einwohner=einwohner, groessenklasse=groessenklasse(einwohner),
            email=f"rathaus{i}@last{i % 50}.example",
        ))
    members = Member.objects.bulk_create(members, batch_size=1000)
    invitations = Invitation.objects.bulk_create((Invitation(survey=survey, member=m) for m in members),
                                                 batch_size=1000)
    pool = [{"token": inv.token, "ags": m.ags, "name": m.name} for inv, m in zip(invitations, members, strict=True)]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(pool, handle)
    print(len(pool))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
