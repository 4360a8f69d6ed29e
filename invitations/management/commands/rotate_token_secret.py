"""Re-key every invitation's link and access code under the current TOKEN_SECRET.

After a rotation (new secret in TOKEN_SECRET, old one in TOKEN_SECRET_FALLBACKS) the links keep
working through the fallback; this command re-encrypts and re-hashes each row under the new secret,
so that the fallback can then be removed. The links themselves do not change. Safe to run again
and while the app serves (each row is updated on its own; a row is locked while it changes).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from invitations import credentials
from invitations.credentials import ACCESS_CODE, TOKEN
from invitations.models import Invitation


class Command(BaseCommand):
    help = "Re-encrypt and re-hash all personal links and access codes under the current TOKEN_SECRET."

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        rekeyed = current = 0
        for pk in Invitation.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                invitation = Invitation.objects.select_for_update().get(pk=pk)
                if credentials.is_current(invitation.token_encrypted, invitation.token_hash, TOKEN) and \
                        credentials.is_current(invitation.access_code_encrypted, invitation.access_code_hash,
                                               ACCESS_CODE):
                    current += 1
                    continue
                try:
                    token, code = invitation.token, invitation.access_code
                except ValueError as exc:
                    raise CommandError(f"Invitation {pk}: {exc}") from None
                Invitation.objects.filter(pk=pk).update(
                    token_hash=credentials.stored_hash(TOKEN, token), token_encrypted=credentials.encrypt(token),
                    access_code_hash=credentials.stored_hash(ACCESS_CODE, code),
                    access_code_encrypted=credentials.encrypt(code),
                )
                rekeyed += 1
        self.stdout.write(f"Re-keyed {rekeyed} invitation(s); {current} already used the current secret. "
                          "TOKEN_SECRET_FALLBACKS can now be emptied.")
