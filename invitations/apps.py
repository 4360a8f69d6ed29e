from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "invitations"

    def ready(self) -> None:
        # Imported here, once the models are loaded (Django's place for registrations): the production
        # check of the bounce mailbox, and the Celery tasks, which outbox/enqueue.py addresses by name
        # (in-process "eager" runs find only registered tasks).
        from . import checks, tasks  # noqa: F401
