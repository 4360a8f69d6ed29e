"""python manage.py create_api_key USERNAME [--survey SLUG] [--days N] [--name NAME]

Makes a read-only API key for the REST API (/api/v1/) and the OData feed (/odata/<slug>/) and prints
it once: only its hash is stored. The key never grants more than the user's role.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.api import access, keys
from surveys.models import Survey


class Command(BaseCommand):
    help = "Create a read-only API key for a user and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--survey", default=None, help="slug of the one survey the key is for (default: all "
                                                           "the user may see)")
        parser.add_argument("--days", type=int, default=settings.API_KEY_DEFAULT_DAYS,
                            help=f"days until it expires (1 to {settings.API_KEY_MAX_DAYS}, "
                                 f"default {settings.API_KEY_DEFAULT_DAYS})")
        parser.add_argument("--name", default="", help="what the key is for (default: 'command line')")

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is deactivated.")
        if not access.may_create_keys(user):
            raise CommandError(f"The user {username!r} has no role that lets them read any survey.")
        survey = None
        if options["survey"]:
            slug = str(options["survey"])
            survey = access.surveys_for(user).filter(slug=slug).first()
            if survey is None:
                known = Survey.objects.filter(slug=slug).exists()
                raise CommandError(f"The user {username!r} may not read the survey {slug!r}." if known
                                   else f"No survey {slug!r}.")
        days = int(str(options["days"]))
        if not 1 <= days <= settings.API_KEY_MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {settings.API_KEY_MAX_DAYS}.")
        made = keys.create_key(user, str(options["name"]) or "command line", survey, days)
        self.stderr.write(f"API key {made.key.prefix} for {username}"
                          f"{f' (survey {survey.slug})' if survey else ' (all surveys the user may see)'}, "
                          f"valid until {made.key.expires_at:%Y-%m-%d}. It is shown only now:")
        self.stdout.write(made.plain)
