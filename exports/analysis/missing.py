"""Missing values as survey researchers code them: one scheme for every data file.

A numeric or coded variable of a question (single choice with numeric codes, the 0/1 columns of a
multiple choice, a matrix row, a number) that has no value gets a code saying why:

    -1  nicht gezeigt (Filter)  the question was not shown: its condition (or its page's) did not hold
    -9  keine Angabe            the question was shown but not answered

"Shown" is the questionnaire's own condition evaluation (SurveyStructure.visibility), the one the
web tables use for their base and missing rows. "weiß nicht" is an answer option of the KGSt
questionnaire (code 9) and counts in the base as in the web tables, so there is no separate -8.
Register variables, metadata and text variables keep an empty value.

How each format declares the codes: workbook and CSV carry them as numbers (explained in the
Codebuch sheet); SPSS declares them user-missing with value labels; Stata writes them as extended
missing values (-1 → .a, -9 → .b) with value labels; R gets NA with the reason in the attribute
`na_reason` (see exports/formats/exporters/rds.py).
"""

from __future__ import annotations

from typing import Any

NOT_SHOWN = -1
NO_ANSWER = -9
LABELS: dict[int, str] = {NOT_SHOWN: "nicht gezeigt (Filter)", NO_ANSWER: "keine Angabe"}
STATA_LETTERS: dict[int, str] = {NOT_SHOWN: "a", NO_ANSWER: "b"}
CODES = frozenset(LABELS)

CODEBOOK_NOTE = ("Fehlende Werte: -1 = nicht gezeigt (Filter: die Bedingung der Frage oder ihrer Seite traf nicht "
                 "zu), -9 = keine Angabe (gezeigt, nicht beantwortet). Gilt für Auswahl-, Mehrfachauswahl-, "
                 "Matrix- und Zahlvariablen in Daten, CSV, SPSS (benutzerdefiniert fehlend), Stata (.a/.b) und "
                 "R (NA, Grund im Attribut na_reason); Textvariablen bleiben leer. „weiß nicht“ ist eine "
                 "Antwortoption (Code 9) und zählt wie in den Ergebnistabellen zur Basis.")


def is_missing_code(value: Any) -> bool:
    """True for -1 and -9 as written into a coded column (int or float)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value in CODES
