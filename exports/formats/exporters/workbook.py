"""The Excel workbook (openpyxl, write-only: rows stream to disk, memory stays flat).

Sheets, in this order: Übersicht, Codebuch, Daten, Ergebnisse, Kreuztabellen, Diagramme, Wellen (the
comparison with the survey's other wave in time order, exports/analysis/waves.py; added last so that
the sheets before it keep their places).
Layout of a result table (DESIGN.md, binding): a cell with `<code> – <question text>`,
then one row per option (label, code, count, percent), a row for the base of valid answers
and a row for missing answers. Numbers are numbers; percentages are fractions with a
percent number format. Respondents' text never becomes a formula: every sheet is a
SafeWriteOnlyWorksheet (exports/formats/safe.py), whose append treats each value.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exports import storage
from exports.analysis import missing
from exports.analysis.datarows import Column

from ..rawdata import DataExporter, RawData
from ..safe import SafeWorkbook, clean_text

PERCENT = "0.0%"
DECIMAL = "#,##0.0"
INTEGER = "#,##0"
DATETIME = "DD.MM.YYYY HH:MM"
DATE = "DD.MM.YYYY"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
DASH = " – "
TYPE_LABELS = {
    "single": "Einfachauswahl", "multi": "Mehrfachauswahl (0/1 je Option)", "matrix": "Matrix (Zeile)",
    "number": "Ganze Zahl", "text": "Text", "other": "Text (Sonstiges)", "register": "Registerangabe",
    "meta": "Metadaten",
}
BASE_LABEL = "Basis (gültige Antworten)"
WEIGHTED_NOTE = ("Gewichtet (Raking auf Land × Größenklasse gegen das Mitgliederregister): Anzahl, Basis und "
                 "Fehlend sind Summen der Gewichte; Prozent gewichtet.")
UNWEIGHTED_BASE_LABEL = "Basis ungewichtet (Befragte)"
MISSING_LABEL = "Fehlend (gezeigt, nicht beantwortet)"
PROTECTED = "–"  # small-cell protection (exports/analysis/protection.py): no percentage below the minimum base
# the publication variant (protection.publishable_tables): tables only, small counts suppressed
PUBLICATION_NOTE = ("Veröffentlichungsfassung: nur Tabellen, keine Einzeldaten (keine Zeile je Antwort, keine "
                    "Register- und Zeitangaben, keine Freitexte). Jede Anzahl unter der Mindestbasis ist "
                    "unterdrückt (–), dazu so viele weitere, dass keine aus Summen errechnet werden kann.")


def _cell(ws: Any, value: Any, font: Font | None = None, fmt: str | None = None, wrap: bool = False) -> Any:
    cell = WriteOnlyCell(ws, value)
    if font:
        cell.font = font
    if fmt:
        cell.number_format = fmt
    if wrap:
        cell.alignment = WRAP
    return cell


def _widths(ws: Any, widths: Iterable[float]) -> None:
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width


def title_text(code: str, text: str) -> str:
    return f"{code}{DASH}{text}"


class ResultWriter:
    """Writes the Ergebnisse sheet and remembers where each table is (for the charts)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.row = 0
        self.locations: dict[str, tuple[int, int]] = {}  # variable → (first option row, last option row)

    def append(self, values: list[Any]) -> None:
        self.ws.append(values)
        self.row += 1

    def header(self, weighted: bool = False) -> None:
        ws = self.ws
        count = "Anzahl (gewichtet)" if weighted else "Anzahl"
        self.append([_cell(ws, h, BOLD) for h in ("Antwort", "Code", count, "Prozent")])
        if weighted:
            self.note(WEIGHTED_NOTE)

    def title(self, text: str) -> None:
        self.append([_cell(self.ws, text, TITLE)])

    def options(self, variable: str, options: list[dict[str, Any]], weighted: bool = False) -> None:
        first = self.row + 1
        for o in options:
            pct = PROTECTED if o.get("protected") else _pct(self.ws, o["percent"])
            count = _figure(self.ws, o["count"], weighted)
            self.append([o["label"], _code(o["code"]), count, pct])
        self.locations[variable] = (first, self.row)

    def base_missing(self, base: float, missing: float, unweighted: dict[str, Any] | None = None) -> None:
        """Base and missing; for a weighted table (`unweighted`: the table or matrix row) as sums of
        weights, followed by the unweighted base — the number of respondents behind it."""
        if unweighted is None:
            self.append([_cell(self.ws, BASE_LABEL, BOLD), None, PROTECTED if base is None else base])
            self.append([MISSING_LABEL, None, PROTECTED if missing is None else missing])
            return
        self.append([_cell(self.ws, f"{BASE_LABEL}, gewichtet", BOLD), None, _cell(self.ws, base, fmt=DECIMAL)])
        self.append([f"{MISSING_LABEL}, gewichtet", None, _cell(self.ws, missing, fmt=DECIMAL)])
        self.append([UNWEIGHTED_BASE_LABEL, None, unweighted["unweighted_base"]])

    def note(self, text: str) -> None:
        self.append([_cell(self.ws, text, Font(italic=True))])

    def blank(self) -> None:
        self.append([])

    def question(self, table: dict[str, Any]) -> None:
        kind = table["type"]
        weighted = bool(table.get("weighted"))
        if kind == "matrix":
            for row in table["rows"]:
                self.title(title_text(row["code"], f"{table['text']}{DASH}{row['label']}"))
                self.options(row["code"], row["options"], weighted)
                self.base_missing(row["base"], row["missing"], row if weighted else None)
                for key in ("protected_note", "suppressed_note"):
                    if row.get(key):
                        self.note(row[key])
                self._filter_note(table)
                self.blank()
            return
        self.title(title_text(table["code"], table["text"]))
        if kind in ("single", "multi"):
            self.options(table["code"], table["options"], weighted)
        elif kind == "number":
            stats = table["stats"]
            for label, key, fmt in (("Anzahl (n)", "n", INTEGER), ("Mittelwert", "mean", DECIMAL),
                                    ("Median", "median", DECIMAL), ("Minimum", "min", INTEGER),
                                    ("Maximum", "max", INTEGER)):
                self.append([label, None, _num(self.ws, stats[key], fmt)])
        else:
            self.append(["Anzahl Antworten", None, _figure(self.ws, table["answers"], False)])
        self.base_missing(table["base"], table["missing"], table if weighted else None)
        if "weighted" in table and not weighted:
            self.note("Nicht gewichtet (nur Auswahlfragen werden gewichtet).")
        if kind == "multi":
            self.note("Mehrfachnennungen: Prozent der Befragten, die die Frage beantwortet haben "
                      "(Summe kann über 100 % liegen).")
        for key in ("protected_note", "suppressed_note"):
            if table.get(key):
                self.note(table[key])
        for variable, count in table.get("other_texts", {}).items():
            self.note(f"Freitexte {variable}: {count}")
        self._filter_note(table)
        self.blank()

    def _filter_note(self, table: dict[str, Any]) -> None:
        if table.get("condition"):
            shown = "unter der Mindestbasis" if table["shown"] is None else table["shown"]
            self.note(f"Filter: gezeigt, wenn {table['condition']} (gezeigt: {shown})")


def _code(code: str) -> int | str:
    return int(code) if code.isascii() and code.isdigit() else code


def _pct(ws: Any, value: float | None) -> Any:
    if value is None:
        return None
    return _cell(ws, value, fmt=PERCENT)


def _figure(ws: Any, value: float | None, weighted: bool) -> Any:
    """A count, base or missing figure: a sum of weights gets one decimal (never 5.999999999999999
    in "General"), a plain count stays a whole number, a suppressed one (None) is a dash."""
    if value is None:
        return PROTECTED
    if not weighted:
        return value
    return _cell(ws, value, fmt=DECIMAL)


def _num(ws: Any, value: float | None, fmt: str) -> Any:
    if value is None:
        return None
    if fmt == INTEGER and float(value).is_integer():
        value = int(value)
    return _cell(ws, value, fmt=fmt)


def write_overview(ws: Any, survey: Any, tables: dict[str, Any]) -> None:
    ov = tables["overview"]
    _widths(ws, (34, 60))
    ws.append([_cell(ws, "Übersicht", TITLE)])
    rows: list[tuple[str, Any, str | None]] = [
        ("Befragung", survey.title, None),
        ("Kennung", survey.slug, None),
        ("Veranstalter", survey.organisers, None),
        ("Feldzeit von", survey.opens_on, DATE),
        ("Feldzeit bis", survey.closes_on, DATE),
        ("Eingeladen", ov["invited"], INTEGER),
        ("Abgeschickt", ov["submitted"], INTEGER),
        ("Begonnen, nicht abgeschickt", ov["partial"], INTEGER),
        ("Rücklaufquote (abgeschickt / eingeladen)", ov["response_rate"], PERCENT),
        ("Ausgewertet", "abgeschickte und begonnene Antworten" if tables["include_partial"]
         else "nur abgeschickte Antworten", None),
        ("Befragte in den Auswertungen", tables["respondents"], INTEGER),
        ("Datenstand", _naive(ov["as_of"]), DATETIME),
    ]
    if tables.get("publication"):
        rows.append(("Fassung", PUBLICATION_NOTE, None))
    if "weighting" in tables:
        rows.append(("Ergebnistabellen", "gewichtet (Raking auf Land × Größenklasse gegen das Mitgliederregister); "
                     "ungewichtete Basis je Tabelle", None))
    for label, value, fmt in rows:
        ws.append([_cell(ws, label, BOLD), _cell(ws, value, fmt=fmt) if value not in (None, "") else None])
    ws.append([])
    for text in (
        "Blätter: Codebuch (Variablen und Wertelabels), Daten (eine Zeile je Antwort), Ergebnisse "
        "(Häufigkeiten), Kreuztabellen (nach Land und Größenklasse), Diagramme, Wellen (Vergleich mit der anderen "
        "Welle: ältere zuerst, Differenz = neuere − ältere, geänderte Wortlaute markiert).",
        "Prozentwerte beziehen sich auf die gültigen Antworten derjenigen, denen die Frage gezeigt wurde (Basis); "
        "fehlende Antworten sind getrennt ausgewiesen.",
    ):
        ws.append([None, _cell(ws, text, wrap=True)])


def _naive(iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def write_codebook(ws: Any, cols: list[Column]) -> None:
    _widths(ws, (24, 70, 22, 34, 70))
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, h, BOLD) for h in ("Variable", "Frage", "Typ", "Bedingung", "Wertelabels")])
    for c in cols:
        values = {**c.value_labels, **(missing.LABELS if c.has_missing_codes else {})}
        labels = "; ".join(f"{k} = {v}" for k, v in values.items())
        ws.append([c.code, c.label, TYPE_LABELS.get(c.kind, c.kind), c.condition or None, labels or None])
    ws.append([])
    ws.append([_cell(ws, "Fehlende Werte", BOLD), _cell(ws, missing.CODEBOOK_NOTE, wrap=True)])


def write_data(ws: Any, cols: list[Column], rows: Iterable[list[Any]], note: str = "") -> int:
    """The Daten sheet; returns the number of data rows written. With a `note` (the publication
    variant) the header is followed by the note instead of rows."""
    _widths(ws, (c.width for c in cols))
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, c.code, BOLD) for c in cols])
    if note:
        ws.append([])
        ws.append([_cell(ws, note, Font(italic=True))])
        return 0
    count = 0
    append = ws.append
    for row in rows:
        append(row)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"
    return count


def write_results(ws: Any, tables: dict[str, Any]) -> ResultWriter:
    _widths(ws, (60, 8, 10, 10))
    ws.freeze_panes = "A2"
    writer = ResultWriter(ws)
    writer.header(weighted="weighting" in tables)
    for table in tables["questions"]:
        writer.question(table)
    return writer


def write_crosstabs(ws: Any, tables: dict[str, Any]) -> None:
    width = max((len(x["columns"]) for x in tables["crosstabs"]), default=1)
    _widths(ws, (50, 8, *([14] * width)))
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, "Kreuztabellen: Anzahl, Spaltenprozent und Basis je Spalte", TITLE)])
    if tables.get("crosstab_title"):
        ws.append([_cell(ws, f"Gewählt: {tables['crosstab_title']}", BOLD)])
    by_label = {"land": "nach Land", "groessenklasse": "nach Größenklasse"}
    weighted = bool(tables.get("weighted"))
    for x in tables["crosstabs"]:
        by = by_label.get(x["by"]) or tables.get("crosstab_title", x["by"])
        ws.append([_cell(ws, title_text(x["variable"], f"{x['text']}{DASH}{by}"), TITLE)])
        ws.append([_cell(ws, h, BOLD) for h in ("Anzahl", "Code", *[c["label"] for c in x["columns"]])])
        for r in x["rows"]:
            ws.append([r["label"], _code(r["code"]), *[_figure(ws, v, weighted) for v in r["counts"]]])
        ws.append([_cell(ws, "Spaltenprozent", BOLD)])
        for r in x["rows"]:
            protected = x.get("protected") or [False] * len(r["percents"])
            hidden = r.get("suppressed") or [False] * len(r["percents"])
            ws.append([r["label"], _code(r["code"]),
                       *[PROTECTED if s or h else _pct(ws, p)
                         for p, s, h in zip(r["percents"], protected, hidden, strict=True)]])
        ws.append([_cell(ws, BASE_LABEL, BOLD), None, *[_figure(ws, v, weighted) for v in x["bases"]]])
        if "missing" in x:
            ws.append([MISSING_LABEL, None, *[_figure(ws, v, weighted) for v in x["missing"]]])
        for note in x.get("protected_notes", []):
            ws.append([_cell(ws, note, Font(italic=True))])
        ws.append([])


def write_charts(ws: Any, results: ResultWriter, res_ws: Any, tables: dict[str, Any]) -> None:
    """A bar chart per choice question; data from Ergebnisse (single/multi) or a small grid here (matrix)."""
    _widths(ws, (40, 12, 12, 12, 12, 12))
    suffix = " (gewichtet)" if "weighting" in tables else ""
    ws.append([_cell(ws, f"Diagramme: Prozent der gültigen Antworten je Frage{suffix}", TITLE)])
    row = 1
    for table in tables["questions"]:
        if table["type"] not in ("single", "multi", "matrix"):
            continue
        ws.append([_cell(ws, title_text(table["code"], table["text"]), BOLD)])
        row += 1
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = _short(title_text(table["code"], table["text"]), 90 - len(suffix)) + suffix
        chart.y_axis.number_format = "0%"
        chart.y_axis.title = "Prozent"
        chart.height, chart.width = 8, 18
        if table["type"] == "matrix":
            options = table["rows"][0]["options"] if table["rows"] else []
            ws.append([None, *[_cell(ws, o["label"], BOLD) for o in options]])
            first = row + 1
            for r in table["rows"]:
                ws.append([r["label"], *[_pct(ws, o["percent"]) for o in r["options"]]])
            last = first + len(table["rows"])
            data = Reference(ws, min_col=2, max_col=1 + len(options), min_row=first, max_row=last)
            cats = Reference(ws, min_col=1, min_row=first + 1, max_row=last)
            chart.grouping = "percentStacked"
            chart.overlap = 100
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(cats)
            row = last
        else:
            lo, hi = results.locations[table["code"]]
            chart.add_data(Reference(res_ws, min_col=4, min_row=lo, max_row=hi), titles_from_data=False)
            chart.set_categories(Reference(res_ws, min_col=1, min_row=lo, max_row=hi))
            chart.legend = None
        ws.add_chart(chart, f"H{row}")
        for _ in range(16):
            ws.append([])
        row += 16


POINTS = "+0.0;-0.0;0.0"


def wording_notes(question: dict[str, Any], first_name: str, second_name: str) -> list[str]:
    """The rewording flags of a compared question: between the waves, and during either field phase."""
    notes = []
    changed = question.get("changed")
    if changed:
        if changed["text_changed"]:
            notes.append(f"Wortlaut geändert zwischen den Wellen: Frage in {first_name} „{changed['first_text']}“, "
                         f"in {second_name} „{changed['second_text']}“.")
        notes.extend(f"Antwort {lab['code']} in {first_name} „{lab['first']}“, in {second_name} „{lab['second']}“."
                     for lab in changed["labels"])
    for change in question.get("field_changes", []):
        wave = first_name if change["wave"] == "first" else second_name
        when = _naive(change["at"]).strftime("%d.%m.%Y")
        if change["text_changed"]:
            notes.append(f"Während der Feldphase von {wave} am {when} geändert: Frage vorher „{change['first_text']}“, "
                         f"nachher „{change['second_text']}“.")
        notes.extend(f"Während der Feldphase von {wave} am {when} geändert: Antwort {lab['code']} vorher "
                     f"„{lab['first']}“, nachher „{lab['second']}“." for lab in change["labels"])
    return notes


def write_waves(ws: Any, result: dict[str, Any] | None) -> None:
    """The Wellen sheet: the older wave first, difference = later − earlier (percentage points),
    each reworded question flagged with both wordings above its table."""
    _widths(ws, (50, 8, 22, 22, 16))
    ws.append([_cell(ws, "Wellenvergleich", TITLE)])
    if result is None:
        ws.append(["Keine andere Welle dieser Befragung (keine andere Befragung mit denselben Fragecodes)."])
        return
    first, second = result["first_name"], result["second_name"]
    ws.append([_cell(ws, f"Ältere Welle: {first} ({result['first_respondents']} Befragte); neuere Welle: {second} "
                         f"({result['second_respondents']} Befragte). Differenz = neuere − ältere Welle in "
                         "Prozentpunkten.", wrap=True)])
    for q in result["questions"]:
        ws.append([])
        ws.append([_cell(ws, title_text(q["code"], q["text"]), TITLE)])
        for note in wording_notes(q, first, second):
            ws.append([_cell(ws, note, Font(italic=True, color="9C0006"))])
        for v in q["variables"]:
            if v["label"]:
                ws.append([_cell(ws, f"{v['variable']}: {v['label']}", BOLD)])
            ws.append([_cell(ws, h, BOLD) for h in ("Antwort", "Code", first, second, "Differenz (Punkte)")])
            for o in v["options"]:
                diff = o["difference_points"]
                ws.append([o["label"], _code(o["code"]), _pct(ws, o["first"]) if o["first"] is not None else PROTECTED,
                           _pct(ws, o["second"]) if o["second"] is not None else PROTECTED,
                           _cell(ws, diff, fmt=POINTS) if diff is not None else None])
            ws.append([_cell(ws, BASE_LABEL, BOLD), None, _figure(ws, v["first_base"], False),
                       _figure(ws, v["second_base"], False)])


def _short(text: str, limit: int = 90) -> str:
    text = clean_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_workbook(path: Path | str, survey: Any, tables: dict[str, Any], cols: list[Column],
                   rows: Iterable[list[Any]], on_saving: Callable[[], None] | None = None,
                   temp_dir: str | None = None) -> int:
    """Write the whole workbook to `path` (sheets stream through files in `temp_dir`); returns the
    number of data rows."""
    wb = SafeWorkbook(temp_dir)
    sheets = {name: wb.create_sheet(name) for name in
              ("Übersicht", "Codebuch", "Daten", "Ergebnisse", "Kreuztabellen", "Diagramme", "Wellen")}
    write_overview(sheets["Übersicht"], survey, tables)
    write_codebook(sheets["Codebuch"], cols)
    count = write_data(sheets["Daten"], cols, rows, PUBLICATION_NOTE if tables.get("publication") else "")
    results = write_results(sheets["Ergebnisse"], tables)
    write_crosstabs(sheets["Kreuztabellen"], tables)
    write_charts(sheets["Diagramme"], results, sheets["Ergebnisse"], tables)
    write_waves(sheets["Wellen"], tables.get("waves"))
    if on_saving:
        on_saving()
    wb.save(str(path))
    return count


class WorkbookExporter(DataExporter):
    identifier = "xlsx"
    extensions = (".xlsx",)
    verbose_name = gettext_lazy("Excel-Arbeitsmappe (.xlsx)")
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    position = 10
    with_tables = True
    publishable = True

    def write(self, path: Path | str, data: RawData) -> int:
        # the sheets stream through a directory the sweep finds if this process is killed
        with tempfile.TemporaryDirectory(prefix=storage.TEMP_PREFIX, dir=storage.ensure_directory()) as temp_dir:
            return write_workbook(path, data.survey, data.tables, data.cols, data.rows,
                                  on_saving=lambda: data.progress(92), temp_dir=temp_dir)
