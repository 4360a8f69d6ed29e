from django.apps import AppConfig


class RuecklaufConfig(AppConfig):
    """The project package as an app only so that its system checks are registered at start-up."""

    name = "config"
    label = "ruecklauf_config"
    verbose_name = "Rücklauf"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
