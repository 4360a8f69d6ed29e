"""Printable questionnaire: WeasyPrint render time of the KGSt survey, next to a one-line PDF (floor).

The floor renders a PDF of one heading with the same stylesheet, so the ratio shows what the
questionnaire itself costs; "cached" is the second download, served from the cache.

    DATABASE_URL=sqlite:////tmp/rl_pdf.sqlite3 RUECKLAUF_TESTING=1 .venv/bin/python -m bench.printable_pdf
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from weasyprint import CSS, HTML

    from surveys import printable
    from surveys.models import Survey

    call_command("migrate", verbosity=0)
    call_command("load_survey", "surveys/definitions/kgst-social-media-2013.yaml", verbosity=0)
    survey = Survey.objects.get(slug="kgst-social-media-2013")
    css = [CSS(filename=path) for path in printable._stylesheets()]

    def timed(fn) -> list[float]:
        fn()  # warm-up: fonts and stylesheet parsing
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return times

    floor = timed(lambda: HTML(string="<h1>Fragebogen</h1>").write_pdf(stylesheets=css))
    render = timed(lambda: printable._render_pdf(survey))
    cache.delete(printable._cache_key(survey))
    printable.pdf_bytes(survey)
    cached = timed(lambda: printable.pdf_bytes(survey))
    f, r, c = (statistics.median(x) for x in (floor, render, cached))
    print(f"floor (one-line PDF)        median {f * 1000:8.1f} ms")
    print(f"KGSt questionnaire (render) median {r * 1000:8.1f} ms   ratio to floor {r / f:5.1f}")
    print(f"KGSt questionnaire (cached) median {c * 1000:8.1f} ms   ratio to floor {c / f:5.2f}")


if __name__ == "__main__":
    main()
