"""What the automatic recomputation of the result tables adds to a respondent's page save.

    DEBUG=1 REDIS_URL=redis://127.0.0.1:6379/<n> .venv/bin/python -m bench.results_refresh

`exports.tasks.on_answers_changed` runs after every save that changed answers. While a
recomputation is planned (the normal case during a stream of submits) it is one `cache.add` that
finds the key. Measured next to the floor, a bare `cache.get` of the same key (one Redis round
trip) in the same run; prints both per call and their ratio (expected close to 1).
"""

from __future__ import annotations

import os
import time

import django

N = 3000


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.cache import cache

    from exports import tasks

    key = "results-refresh:999999999"
    cache.set(key, time.time() + 600, 600)
    try:
        best_planned = best_floor = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(N):
                tasks.on_answers_changed(None, survey_id=999999999)
            best_planned = min(best_planned, (time.perf_counter() - start) / N)
            start = time.perf_counter()
            for _ in range(N):
                cache.get(key)
            best_floor = min(best_floor, (time.perf_counter() - start) / N)
    finally:
        cache.delete(key)
    print(f"on_answers_changed while a recomputation is planned: {best_planned * 1e3:.3f} ms per save")
    print(f"floor, a bare cache.get (one Redis round trip):      {best_floor * 1e3:.3f} ms")
    print(f"ratio: {best_planned / best_floor:.2f}")


if __name__ == "__main__":
    main()
