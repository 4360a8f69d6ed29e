"""python manage.py export_member_data AGS [--out FILE.json]

Everything Rücklauf stores about one member (Art. 15 DSGVO) as JSON: register data,
invitations, messages sent, response status and answers (see exports/privacy.py).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.privacy import member_data
from invitations.models import Member


class Command(BaseCommand):
    help = "Write everything stored about one member (by AGS) as JSON, for a request under Art. 15 GDPR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ags", help="the member's AGS (Amtlicher Gemeindeschlüssel), e.g. 05315000")
        parser.add_argument("--out", default=None, help="output file (default: standard output)")

    def handle(self, *args: object, **options: object) -> None:
        ags = str(options["ags"]).strip()
        try:
            data = member_data(ags)
        except Member.DoesNotExist:
            raise CommandError(f"No member with AGS {ags!r} in the register.") from None
        text = json.dumps(data, ensure_ascii=False, indent=2)
        out = options["out"]
        if not out:
            self.stdout.write(text)
            return
        path = Path(str(out))
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write to {path}: {exc.strerror or exc}.") from exc
        invitations = len(data["invitations"])
        self.stderr.write(f"Wrote {path}: member {ags}, {invitations} invitation(s).")
