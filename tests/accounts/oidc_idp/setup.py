"""Create the provider's tables, one client and its users: `python -m tests.accounts.oidc_idp.setup JSON`
with {"client_id", "client_secret", "redirect_uri", "users": [{"username", "password", "email", "groups"}]}."""

import json
import os
import sys

import django


def main(spec: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.accounts.oidc_idp.settings")
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0)
    for person in spec["users"]:
        user = User.objects.create_user(person["username"], person["email"], person["password"])
        for name in person["groups"]:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    get_application_model().objects.create(
        name="Rücklauf", client_id=spec["client_id"], client_secret=spec["client_secret"],
        client_type="confidential", authorization_grant_type="authorization-code",
        redirect_uris=spec["redirect_uri"], skip_authorization=True, algorithm="RS256")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
