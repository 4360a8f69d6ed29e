"""Reading a produced workbook back: result tables of the Ergebnisse sheet by their title cell."""

from openpyxl import load_workbook

SHEETS = ["Übersicht", "Codebuch", "Daten", "Ergebnisse", "Kreuztabellen", "Diagramme"]
BASE = "Basis (gültige Antworten)"
MISSING = "Fehlend (gezeigt, nicht beantwortet)"


def result_tables(path) -> dict:
    """{variable: {"title", "options": {code: (label, count, percent)}, "base", "missing", "formats"}}."""
    wb = load_workbook(path, read_only=True)
    ws = wb["Ergebnisse"]
    tables: dict = {}
    current = None
    for row in ws.iter_rows(min_row=2):
        cells = list(row) + [None] * 4
        first = cells[0].value if cells[0] is not None else None
        if isinstance(first, str) and " – " in first and (cells[1] is None or cells[1].value is None) \
                and (cells[2] is None or cells[2].value is None):
            code = first.split(" – ", 1)[0]
            current = tables[code] = {"title": first, "options": {}, "base": None, "missing": None, "formats": {}}
            continue
        if current is None or first is None:
            continue
        if first == BASE:
            current["base"] = cells[2].value
        elif first == MISSING:
            current["missing"] = cells[2].value
        elif current["base"] is None and cells[1] is not None and cells[1].value is not None:
            pct = cells[3].value if cells[3] is not None else None
            current["options"][cells[1].value] = (first, cells[2].value, pct)
            if cells[3] is not None:
                current["formats"][cells[1].value] = cells[3].number_format
        elif current["base"] is None and first in ("Anzahl (n)", "Mittelwert", "Median", "Minimum", "Maximum",
                                                   "Anzahl Antworten"):
            current["options"][first] = (first, cells[2].value, None)
    wb.close()
    return tables
