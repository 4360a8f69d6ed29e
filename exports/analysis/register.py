"""The register variables: the member register's columns that tables are split, filtered, compared
and weighted by (cross-tabs, representativeness, weights), with their German labels and value codes."""

from __future__ import annotations

from invitations.models import GROESSENKLASSEN, LAENDER, TYPEN

REGISTER_VARIABLES = ("land", "groessenklasse", "typ")
REGISTER_LABELS = {"land": "Bundesland", "groessenklasse": "Größenklasse", "typ": "Typ der Kommune"}


def register_values(code: str) -> tuple[tuple[str, str], ...]:
    """(value code, label) of a register variable, in the register's order."""
    if code == "land":
        return tuple((v, v) for v in LAENDER)
    if code == "typ":
        return tuple((v, v) for v in TYPEN)
    return tuple((str(k), f"{k}: {v}") for k, v in sorted(GROESSENKLASSEN.items()))
