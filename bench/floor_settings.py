"""The app's settings with the floor view as the only URL (see bench/floor_urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
