from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"

    def ready(self) -> None:
        from responses.signals import answers_changed

        from .jobs.refresh import on_answers_changed

        # exports listens to responses (never the reverse): changed answers plan a recomputation
        answers_changed.connect(on_answers_changed, dispatch_uid="exports.refresh")
