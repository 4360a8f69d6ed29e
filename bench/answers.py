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

ROWS_PER_SAVE = sum(len(fields) for _code, fields in PAGES) / len(PAGES)

# The floor's ten fields (see bench/floor_urls.py) and valid values for them.
FLOOR_FIELDS: list[tuple[str, str]] = [
    ("f0", "1"), ("f1", "2"), ("f2", "3"), ("f3", "1"), ("f4", "850"), ("f5", "Digitalisierung"),
    ("f6", "digital@musterhausen.example"), ("f7", "2"), ("f8", "9"), ("f9", "Danke für die Befragung."),
]
