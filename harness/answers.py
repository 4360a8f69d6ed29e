"""Valid answers for the KGSt questionnaire, user branch (every page P1..P8 is shown)."""

PAGES: list[tuple[str, list[tuple[str, str]]]] = [
    ("P1", [("A1_bereich", "6"), ("A1_bereich_6_text", "Digitalisierung"), ("A2_beschaeftigte", "850")]),
    ("P2", [("B1_nutzung", "1"), ("B2_zweck", "1"), ("B2_zweck", "2"), ("B3_dauer", "3")]),
    ("P3", [("C1_1", "1"), ("C1_2", "2"), ("C1_3", "3"), ("C1_4", "1"), ("C1_5", "2"), ("C1_6", "1"),
            ("C2_ziele_intern", "3")]),
    ("P4", [("D1_extern", "1"), ("D1_extern", "3"), ("D1_extern", "7"), ("D1_extern_7_text", "Mastodon"),
            ("D2_ziele_extern", "2"), ("D3_reaktionszeit_festgelegt", "1"), ("D4_reaktionszeit", "1")]),
    ("P5", [("E1_strategie", "1"), ("E2_richtlinie", "2"), ("E3_monitoring", "3")]),
    ("P6", [("F1_hemmnisse", "2"), ("F1_hemmnisse", "3"), ("F1_hemmnisse", "7"),
            ("F1_hemmnisse_7_text", "Fehlende Schulungen")]),
    ("P7", [("G1_ausbau", "1"), ("G1_ausbau", "2")]),
    ("P8", [("H1_anmerkungen", "Danke für die Befragung."), ("H2_ergebnisse", "1"),
            ("H3_email", "digital@musterhausen.example")]),
]

# One answer per page changes from walk to walk, so every save really writes: a save that
# changes nothing keeps the page's version and touches no answer rows (responses/respondent/services.py).
VARYING: dict[str, tuple[str, list[str]]] = {
    "P1": ("A2_beschaeftigte", [str(n) for n in range(100, 110)]),
    "P2": ("B3_dauer", ["1", "2", "3"]),
    "P3": ("C2_ziele_intern", ["1", "2", "3", "4", "9"]),
    "P4": ("D1_extern_7_text", [f"Mastodon {n}" for n in range(10)]),
    "P5": ("E3_monitoring", ["1", "2", "3", "4"]),
    "P6": ("F1_hemmnisse_7_text", [f"Fehlende Schulungen ({n})" for n in range(10)]),
    "P7": ("G1_ausbau", ["1", "3", "4", "5"]),
    "P8": ("H1_anmerkungen", [f"Danke für die Befragung. Runde {n}" for n in range(10)]),
}


def answers_for(index: int, walk: int) -> list[tuple[str, str]]:
    """The fields of page PAGES[index] in walk number `walk` (differs from the previous walk)."""
    code, fields = PAGES[index]
    name, values = VARYING[code]
    value = values[walk % len(values)]
    result, replaced = [], False
    for field_name, field_value in fields:
        if field_name == name and not replaced:
            result.append((field_name, value))
            replaced = True
        else:
            result.append((field_name, field_value))
    return result


ROWS_PER_SAVE = sum(len(fields) for _code, fields in PAGES) / len(PAGES)

# The floor's ten fields (see bench/floor_urls.py) and valid values for them.
FLOOR_FIELDS: list[tuple[str, str]] = [
    ("f0", "1"), ("f1", "2"), ("f2", "3"), ("f3", "1"), ("f4", "850"), ("f5", "Digitalisierung"),
    ("f6", "digital@musterhausen.example"), ("f7", "2"), ("f8", "9"), ("f9", "Danke für die Befragung."),
]
