from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"

    def ready(self) -> None:
        # Imported here, as Django requires: both modules import models, which are not loaded when
        # this file is.
        from responses.signals import answers_changed

        from .tasks import on_answers_changed

        # exports listens to responses (never the reverse): changed answers plan a recomputation
        answers_changed.connect(on_answers_changed, dispatch_uid="exports.tasks.on_answers_changed")
