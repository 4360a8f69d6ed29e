from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "invitations"

    def ready(self) -> None:
        # Imported here, once the models are loaded (Django's place for registrations): the production
        # check of the bounce mailbox.
        from . import checks  # noqa: F401
