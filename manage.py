#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings: a missing SECRET_KEY is one sentence, no traceback
    except ImproperlyConfigured as exc:
        sys.exit(f"Error: {exc}")
    execute_from_command_line(sys.argv)
