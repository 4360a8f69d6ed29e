"""Loading questionnaires: a generated survey of 1,000 questions on 100 pages from YAML and from XLSForm,
next to the 20-question KGSt survey in the same run (the floor), plus the downloads written from the database.

For each file: parse + validate, then a first load (creates every row), a reload of the same file
(unchanged: one hash comparison), and a reload with one reworded question (an update). Wall time and
database queries per step; the ratio is against the KGSt figure of the same step. Target: loading the
1,000-question survey under 10 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rl_bench .venv/bin/python -m bench.survey_load

Use a throwaway database: the bench surveys are deleted and recreated.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KGST = Path(__file__).resolve().parents[1] / "surveys" / "definitions" / "kgst-social-media-2013.yaml"


def generated(pages: int = 100, per_page: int = 10, seed: int = 1) -> dict[str, Any]:
    """A valid definition of pages × per_page questions of every type, with conditions on earlier answers."""
    rng = random.Random(seed)
    kinds = ["single", "multi", "matrix", "number", "text", "textarea", "email", "date", "single", "multi"]
    singles: list[tuple[str, list[str]]] = []
    out_pages = []
    n = 0
    for p in range(1, pages + 1):
        questions = []
        for _ in range(per_page):
            n += 1
            kind = kinds[n % len(kinds)]
            code = f"Q{n:04d}"
            q: dict[str, Any] = {"code": code, "type": kind, "text": f"Frage {n}: Wie bewerten Sie Punkt {n}?",
                                 "help": "Bitte eine Antwort wählen." if n % 3 == 0 else ""}
            if kind in ("single", "multi", "matrix"):
                q["options"] = [{"code": str(c), "label": f"Antwort {c}"} for c in range(1, 6)]
                if kind == "multi":
                    q["options"].append({"code": "9", "label": "Keine", "exclusive": True})
                if kind == "single" and n % 4 == 0:
                    q["options"][-1]["other_text"] = True
            if kind == "matrix":
                q["rows"] = [{"code": f"{code}_{r}", "label": f"Aspekt {r}"} for r in range(1, 6)]
            if kind == "number":
                q.update(min=0, max=100_000)
            if kind == "textarea":
                q["max_length"] = 5000
            if singles and n % 5 == 0:
                ref, codes = rng.choice(singles)
                q["show_if"] = f"{ref} = {rng.choice(codes)}"
            if kind == "single":
                singles.append((code, [o["code"] for o in q["options"]]))
            questions.append({k: v for k, v in q.items() if v != ""})
        out_pages.append({"code": f"S{p:03d}", "title": f"Seite {p}", "questions": questions})
    return {"slug": "bench-1000", "title": "Bench: 1.000 Fragen auf 100 Seiten", "pages": out_pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--per-page", type=int, default=10)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys.definition.export import export_definition
    from surveys.definition.read import read_definition
    from surveys.definition.sync import load_definition_file
    from surveys.definition.validate import validate_definition
    from surveys.definition.write import dump_yaml
    from surveys.models import Survey
    from surveys.xlsform.write import write_xlsform

    call_command("migrate", verbosity=0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-survey-load-"))
    kgst = validate_definition(read_definition(KGST))
    kgst["slug"] = "bench-kgst"
    big = validate_definition(generated(args.pages, args.per_page))
    files = {}
    for label, data in (("KGSt (20 questions)", kgst), (f"generated ({args.pages * args.per_page} questions)", big)):
        yaml_path, xlsx_path = tmp / f"{data['slug']}.yaml", tmp / f"{data['slug']}.xlsx"
        yaml_path.write_text(dump_yaml(data), encoding="utf-8")
        xlsx_path.write_bytes(write_xlsform(data))
        files[f"{label}, YAML"] = (data, yaml_path)
        files[f"{label}, XLSForm"] = (data, xlsx_path)

    def measure(fn) -> tuple[float, int]:
        runs, queries = [], 0
        for _ in range(args.repeat):
            connection.queries_log.clear()  # the log keeps 9,000 queries; counting needs it not to overflow
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - start)
            queries = len(captured)
        return statistics.median(runs), queries

    results: dict[str, dict[str, tuple[float, int]]] = {}
    for label, (data, path) in files.items():
        slug = data["slug"]
        steps: dict[str, tuple[float, int]] = {}

        def fresh_load(path=path, slug=slug) -> None:
            Survey.objects.filter(slug=slug).delete()
            load_definition_file(path)

        reworded = path.with_name(f"reworded-{path.name}")

        def reword(path=path, slug=slug, reworded=reworded, data=data) -> None:
            survey = Survey.objects.get(slug=slug)
            changed = export_definition(survey)
            question = changed["pages"][-1]["questions"][-1]
            question["text"] = question["text"] + " (neu)" if not question["text"].endswith(" (neu)") else \
                question["text"][:-6]
            if path.suffix == ".xlsx":
                reworded.write_bytes(write_xlsform(changed))
            else:
                reworded.write_text(dump_yaml(changed), encoding="utf-8")
            load_definition_file(reworded)

        steps["parse + validate"] = measure(lambda path=path: validate_definition(read_definition(path)))
        steps["first load (create)"] = measure(fresh_load)
        steps["reload, unchanged"] = measure(lambda path=path: load_definition_file(path))
        steps["reload, one question reworded"] = measure(reword)
        survey = Survey.objects.get(slug=slug)
        if path.suffix == ".xlsx":
            steps["download (XLSForm)"] = measure(lambda survey=survey: write_xlsform(export_definition(survey)))
        else:
            steps["download (YAML)"] = measure(lambda survey=survey: dump_yaml(export_definition(survey)))
        results[label] = steps

    print(f"median of {args.repeat} runs; files in {tmp}")
    for label, steps in results.items():
        floor_label = "KGSt (20 questions)" + label[label.rindex(","):]
        print(f"\n{label}  ({files[label][1].stat().st_size / 1024:.0f} KiB)")
        for step, (seconds, queries) in steps.items():
            floor = results[floor_label][step][0]
            ratio = f"x{seconds / floor:6.1f} of KGSt" if label != floor_label else ""
            print(f"  {step:<32} {seconds * 1000:9.1f} ms  {queries:6d} queries  {ratio}")
    for slug in ("bench-kgst", "bench-1000"):
        Survey.objects.filter(slug=slug).delete()


if __name__ == "__main__":
    main()
