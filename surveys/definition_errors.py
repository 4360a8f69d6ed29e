"""What can be wrong with a definition file, said in English and German.

Shared by the definition room (surveys/definition/) and the XLSForm room (surveys/xlsform/), which both
report problems and import this module; neither imports the other for it, so their imports point one way
(definition → xlsform → this module).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# read_xlsform marks its dicts so that validation reports problems by sheet and row, not by JSON path.
XLSFORM_MARK = "_xlsform_rows"


class Message(str):
    """A validation message: English as the string itself (load_survey, logs, every existing caller), German
    via `message()` (the staff area's upload report) — the way Refusal and ConditionProblem work."""

    german: Any
    params: dict[str, Any]

    def __new__(cls, english: str, german: Any, **params: Any) -> Message:
        obj = super().__new__(cls, english)
        obj.german, obj.params = german, params
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str, Any], dict[str, Any]]:
        """Kept in the cache with an upload's report (surveys/uploads.py): pickle passes both languages."""
        return (str(self), self.german), self.params

    def message(self) -> str:
        return str(self.german) % {k: german(v) for k, v in self.params.items()}

    def at(self, english: str, where: Any) -> Message:
        """The message with its place in front ("pages[0].questions[1] (A1): …")."""
        return Message(f"{english}: {self}", _("%(where)s: %(problem)s"), where=where, problem=self)


def german(value: Any) -> Any:
    """The German text of a Message (or of a place), anything else as it is: a message not translated
    (none is known; a plain str from elsewhere) stays English, and the report marks it so (lang="en")."""
    return value.message() if isinstance(value, Message) else value


class DefinitionError(Exception):
    """The definition file is unreadable or invalid; `errors` lists every problem found."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


class DefinitionRefused(DefinitionError):
    """The definition is valid but would alter or remove variables that already have answers."""
