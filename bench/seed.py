"""Fill the benchmark database: N invitations for page saves, N started responses for the floor.

Run as `python -m bench.seed N` with DATABASE_URL pointing at the benchmark database, after
migrate and load_survey; prints JSON {"tokens": [...], "floor": [[response_id, question_id], ...]}.
"""

import json
import os
import sys


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from invitations.models import Invitation, Member
    from responses.models import Response
    from surveys.models import Question, Survey

    survey = Survey.objects.get(slug="kgst-social-media-2013")
    survey.open()
    question_id = Question.objects.get(survey=survey, code="C1").pk
    members = Member.objects.bulk_create(
        Member(ags=f"{9_000_000 + i:08d}", name=f"Benchgemeinde {i}", land="Hessen", typ="Gemeinde",
               einwohner=5_000, groessenklasse=1, email=f"bench{i}@example.org")
        for i in range(2 * count)
    )
    invitations = Invitation.objects.bulk_create(Invitation(survey=survey, member=m) for m in members)
    tokens = [inv.token for inv in invitations[:count]]
    floor = [
        [Response.objects.create(survey=survey, invitation=inv).pk, question_id] for inv in invitations[count:]
    ]
    json.dump({"tokens": tokens, "floor": floor}, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]))
