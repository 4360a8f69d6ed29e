"""Questionnaire editor at size: every editor page and one question save, 1,000 questions vs the KGSt survey.

Generates a survey of 1,000 questions on 100 pages (`generated_definition`; every type, options,
matrix rows, conditions on earlier questions), loads it with surveys.definition.sync.sync_survey next to
the 20-question KGSt survey, and times each editor request in-process through Django's test client
(the whole request/response cycle with middleware, sessions and templates; no network) as a staff
user: median and max wall time over --repeat runs, and the number of queries. The KGSt survey is the
floor measured in the same run; the ratio shows what size costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rl_bench_editor .venv/bin/python -m bench.editor

Use a throwaway database (it is migrated, and both surveys are deleted afterwards). Targets: every
editor request under 200 ms for the 1,000-question survey; query counts equal for both surveys.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

KGST = "surveys/definitions/kgst-social-media-2013.yaml"
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--questions", type=int, default=1000, help="multiple of 10 (10 per page)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts import roles
    from harness.editor import generated_definition, question_post
    from surveys.definition.export import export_definition
    from surveys.definition.read import read_definition
    from surveys.definition.sync import sync_survey
    from surveys.definition.validate import validate_definition
    from surveys.models import Survey

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    Survey.objects.filter(slug__in=["bench-editor-kgst", "bench-editor-1000"]).delete()
    kgst_def = read_definition(KGST) | {"slug": "bench-editor-kgst"}
    started = time.perf_counter()
    kgst = sync_survey(validate_definition(kgst_def)).survey
    kgst_load = time.perf_counter() - started
    big_def = generated_definition("bench-editor-1000", args.questions // 10, 10)
    started = time.perf_counter()
    big = sync_survey(validate_definition(big_def)).survey
    big_load = time.perf_counter() - started
    user, _ = User.objects.get_or_create(username="bench-editor")
    roles.grant(user, roles.OWNER)
    client = Client()
    client.force_login(user)

    def requests(survey: Survey) -> list[tuple[str, str, dict | None]]:
        pages = list(survey.pages.order_by("position"))
        page = pages[len(pages) // 2]
        question = page.questions.order_by("position")[0]  # a single choice question in both surveys
        kw = {"slug": survey.slug}
        qdef = next(q for p in export_definition(survey)["pages"] for q in p["questions"]
                    if q["code"] == question.code)
        return [
            ("overview", reverse("staff:editor", kwargs=kw), None),
            ("page", reverse("staff:editor_page", kwargs=kw | {"page_id": page.pk}), None),
            ("page form", reverse("staff:editor_page_edit", kwargs=kw | {"page_id": page.pk}), None),
            ("new question", reverse("staff:editor_question_create", kwargs=kw | {"page_id": page.pk})
             + "?typ=single", None),
            ("question form", reverse("staff:editor_question", kwargs=kw | {"question_id": question.pk}), None),
            ("save question", reverse("staff:editor_question", kwargs=kw | {"question_id": question.pk}),
             qdef),
            ("history", reverse("staff:editor_history", kwargs=kw), None),  # after the saves: not empty
        ]

    def measure(survey: Survey) -> dict[str, tuple[float, float, int]]:
        out = {}
        for name, address, qdef in requests(survey):
            times, queries = [], 0
            for run in range(args.repeat):
                data = None
                if qdef is not None:  # a real change each time: the wording alternates
                    data = question_post(qdef | {"text": f"{qdef['text']} ({run})"}, survey.pages.get(
                        questions__code=qdef["code"]).pk)
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.post(address, data) if data else client.get(address)
                    times.append(time.perf_counter() - started)
                if response.status_code not in (200, 302):
                    sys.exit(f"{name}: HTTP {response.status_code}")
                queries = len(ctx.captured_queries)
            out[name] = (statistics.median(times), max(times), queries)
        return out

    measure(kgst)  # warm up templates, translations and the URL resolver
    small, large = measure(kgst), measure(big)
    print(f"load (sync_survey): KGSt 20 questions {kgst_load * 1000:.0f} ms, "
          f"generated {args.questions} questions {big_load * 1000:.0f} ms")
    print(f"{'request':<16}{'KGSt ms (med/max)':>20}{'q':>4}{f'{args.questions} q. ms (med/max)':>24}{'q':>4}"
          f"{'ratio':>7}")
    ok = True
    for name in small:
        (s_med, s_max, s_q), (l_med, l_max, l_q) = small[name], large[name]
        ok = ok and l_max < 0.2 and s_q == l_q
        print(f"{name:<16}{s_med * 1000:>12.1f} /{s_max * 1000:>6.1f}{s_q:>4}"
              f"{l_med * 1000:>16.1f} /{l_max * 1000:>6.1f}{l_q:>4}{l_med / s_med:>7.2f}")
    print("targets (every request < 200 ms at 1,000 questions, equal query counts):", "met" if ok else "NOT met")
    Survey.objects.filter(pk__in=[kgst.pk, big.pk]).delete()
    User.objects.filter(pk=user.pk).delete()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
