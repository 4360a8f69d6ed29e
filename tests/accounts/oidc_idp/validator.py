from oauth2_provider.oauth2_validators import OAuth2Validator


class GroupsValidator(OAuth2Validator):
    """User name, e-mail and the Django groups as `groups`, in the ID token and from userinfo."""

    oidc_claim_scope = None  # every claim for every scope: the test provider has one client

    def get_additional_claims(self, request):
        user = request.user
        return {"preferred_username": user.username, "email": user.email, "name": user.get_full_name(),
                "groups": sorted(group.name for group in user.groups.all())}
