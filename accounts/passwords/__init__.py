"""Setting a password from the one-time link `python manage.py grant` prints (/staff/passwort/…)."""
