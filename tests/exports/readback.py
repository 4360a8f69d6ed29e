"""Reading a produced workbook back: result tables of the Ergebnisse sheet by their title cell."""

from openpyxl import load_workbook

SHEETS = ["Übersicht", "Codebuch", "Daten", "Ergebnisse", "Kreuztabellen", "Diagramme", "Wellen"]
BASE = "Basis (gültige Antworten)"
MISSING = "Fehlend (gezeigt, nicht beantwortet)"


def result_tables(path) -> dict:
    """{variable: {"title", "options": {code: (label, count, percent)}, "base", "missing", "formats"}}."""
    wb = load_workbook(path, read_only=True)
    ws = wb["Ergebnisse"]
    tables: dict = {}
    current = None
    for row in ws.iter_rows(min_row=2):
        cells = [c if c is not None and hasattr(c, "value") else None for c in row]
        cells += [None] * (4 - len(cells))
        values = [c.value if c is not None else None for c in cells[:4]]
        first = values[0]
        if isinstance(first, str) and " – " in first and values[1] is None and values[2] is None:
            code = first.split(" – ", 1)[0]
            current = tables[code] = {"title": first, "options": {}, "base": None, "missing": None, "formats": {}}
            continue
        if current is None or first is None:
            continue
        if first == BASE:
            current["base"] = values[2]
        elif first == MISSING:
            current["missing"] = values[2]
        elif current["base"] is None and values[1] is not None:
            current["options"][values[1]] = (first, values[2], values[3])
            if values[3] is not None:
                current["formats"][values[1]] = cells[3].number_format
        elif current["base"] is None and first in ("Anzahl (n)", "Mittelwert", "Median", "Minimum", "Maximum",
                                                   "Anzahl Antworten"):
            current["options"][first] = (first, values[2], None)
    wb.close()
    return tables
