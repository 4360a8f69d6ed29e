"""The KGSt questionnaire written by hand as an XLSForm, the way an Excel user would write it.

Independent of surveys/xlsform/write.py: shared choice lists (ja_nein, ziele), `select one` with a
space, a field-list matrix with `${...}` conditions, other texts as separate text questions, the
exclusive option as an ODK constraint, e-mail by regex. `workbook_bytes()` gives the .xlsx.
"""

from __future__ import annotations

import io

from openpyxl import Workbook

SURVEY_HEADER = ["type", "name", "label::Deutsch (de)", "hint::Deutsch (de)", "required", "relevant",
                 "constraint", "appearance"]
MEHRFACH = "Mehrfachnennungen möglich."
SURVEY = [
    ["begin_group", "P1", "Angaben zur Person und Verwaltung",
     "Vielen Dank, dass Sie an der Befragung teilnehmen. Die Angaben zu Ihrer Kommune (Name, Bundesland, "
     "Größenklasse) liegen uns bereits vor.", "", "", "", "field-list"],
    ["select_one bereich", "A1_bereich", "In welchem Bereich Ihrer Verwaltung sind Sie tätig?"],
    ["text", "A1_bereich_6_text", "Welcher Bereich?", "", "", "selected(${A1_bereich}, '6')"],
    ["integer", "A2_beschaeftigte", "Wie viele Beschäftigte hat Ihre Verwaltung ungefähr?",
     "Bitte geben Sie eine ganze Zahl an.", "", "", ". >= 1 and . <= 100000"],
    ["end_group", "P1"],
    ["begin group", "P2", "Nutzung von Social Media"],
    ["select one ja_nein", "B1_nutzung", "Nutzt Ihre Kommune Social Media für interne und/oder externe Zwecke?",
     "", "yes"],
    ["select_multiple zweck", "B2_zweck", "Für welche Zwecke?", MEHRFACH, "yes", "${B1_nutzung} = '1'"],
    ["select_one dauer", "B3_dauer", "Seit wann nutzt Ihre Kommune Social Media?", "", "", "${B1_nutzung} = 1"],
    ["end group"],
    ["begin_group", "P3", "Interne Nutzung", "", "", "selected(${B2_zweck}, '1')"],
    ["begin_group", "C1", "Welche Social-Media-Instrumente setzt Ihre Verwaltung intern ein?", "", "", "", "",
     "table-list"],
    ["select_one einsatz", "C1_1", "Soziale Netzwerke (z. B. interne Netzwerke)"],
    ["select_one einsatz", "C1_2", "Partizipationsinstrumente zur Beschäftigtenbeteiligung"],
    ["select_one einsatz", "C1_3", "Wikis"],
    ["select_one einsatz", "C1_4", "Blogs"],
    ["select_one einsatz", "C1_5", "Microblogging"],
    ["select_one einsatz", "C1_6", "Content Communities (z. B. Video- und Fotoplattformen)"],
    ["end_group"],
    ["select_one ziele", "C2_ziele_intern", "Inwieweit wurden die mit dem internen Einsatz verfolgten Ziele erreicht?"],
    ["end_group"],
    ["begin_group", "P4", "Außenkommunikation", "", "", "selected(${B2_zweck}, '2')"],
    ["select_multiple extern", "D1_extern",
     "Welche Social-Media-Instrumente setzt Ihre Kommune in der Außenkommunikation ein?", MEHRFACH],
    ["text", "D1_extern_7_text", "Welche?", "", "", "selected(${D1_extern}, '7')"],
    ["select_one ziele", "D2_ziele_extern",
     "Inwieweit wurden die mit der Außenkommunikation verfolgten Ziele erreicht?"],
    ["select_one ja_nein", "D3_reaktionszeit_festgelegt",
     "Sind angestrebte Reaktionszeiten auf eingehende Kommentare schriftlich festgelegt?"],
    ["select_one reaktion", "D4_reaktionszeit",
     "Wie schnell reagiert Ihre Kommune in der Regel auf eingehende Kommentare?"],
    ["end_group"],
    ["begin_group", "P5", "Strategie und Organisation", "", "", "${B1_nutzung} = 1"],
    ["select_one strategie", "E1_strategie", "Verfügt Ihre Kommune über eine schriftliche Social-Media-Strategie?"],
    ["select_one strategie", "E2_richtlinie", "Gibt es eine Social-Media-Richtlinie für die Beschäftigten?"],
    ["select_one monitoring", "E3_monitoring", "Betreibt Ihre Kommune ein Social-Media-Monitoring?"],
    ["end_group"],
    ["begin_group", "P6", "Hemmnisse"],
    ["select_multiple hemmnisse", "F1_hemmnisse",
     "Welche Faktoren hemmen den Einsatz von Social Media in Ihrer Kommune?",
     "Mehrfachnennungen möglich. „Keine Hemmnisse“ kann nicht mit anderen Antworten kombiniert werden.", "", "",
     "not(selected(., '8') and count-selected(.) > 1)"],
    ["text", "F1_hemmnisse_7_text", "Welche?", "", "", "selected(${F1_hemmnisse}, '7')"],
    ["end_group"],
    ["begin_group", "P7", "Planung"],
    ["select_multiple ausbau", "G1_ausbau",
     "Welche Aktivitäten will Ihre Kommune in den nächsten zwei Jahren ausbauen?",
     "Mehrfachnennungen möglich. „Keine“ kann nicht mit anderen Antworten kombiniert werden.", "",
     "${B1_nutzung} = 1", "not(selected(., '6') and count-selected(.) > 1)"],
    ["select_one einfuehrung", "G2_einfuehrung", "Plant Ihre Kommune, Social Media einzusetzen?", "", "",
     "${B1_nutzung} = 2"],
    ["end_group"],
    ["begin_group", "P8", "Abschluss"],
    ["text", "H1_anmerkungen", "Haben Sie Anmerkungen zur Befragung oder zum Thema?", "", "", "",
     "string-length(.) <= 5000", "multiline"],
    ["select_one ja_nein", "H2_ergebnisse", "Möchten Sie die Ergebnisse der Befragung erhalten?"],
    ["text", "H3_email", "An welche E-Mail-Adresse dürfen wir die Ergebnisse senden?", "", "yes",
     "${H2_ergebnisse} = 1", r"regex(., '^[^@\s]+@[^@\s]+\.[a-z]+$')"],
    ["end_group"],
]

ZIELE = ["vollständig", "überwiegend", "teilweise", "gar nicht"]
CHOICES = (
    [["bereich", str(i), label] for i, label in enumerate(
        ["Verwaltungsführung / Büro der Hauptverwaltungsbeamtin bzw. des Hauptverwaltungsbeamten",
         "Presse- und Öffentlichkeitsarbeit", "IT / Organisation", "Personal", "Bürgerservice", "Sonstiges"], 1)]
    + [["ja_nein", 1, "Ja"], ["ja_nein", 2, "Nein"]]  # numbers, as Excel stores a typed 1
    + [["zweck", "1", "Intern (innerhalb der Verwaltung)"], ["zweck", "2", "Extern (Außenkommunikation)"]]
    + [["dauer", str(i), label] for i, label in enumerate(
        ["seit weniger als 12 Monaten", "seit 12 bis 24 Monaten", "seit mehr als 24 Monaten"], 1)]
    + [["einsatz", str(i), label] for i, label in enumerate(["im Einsatz", "geplant", "nicht geplant"], 1)]
    + [["ziele", str(i), label] for i, label in enumerate(ZIELE, 1)] + [["ziele", "9", "kann ich nicht beurteilen"]]
    + [["extern", str(i), label] for i, label in enumerate(
        ["Soziale Netzwerke (z. B. Facebook, Google+)", "Microblogging (z. B. Twitter)",
         "Content Communities (z. B. Flickr, YouTube)",
         "Partizipationsinstrumente (z. B. Bürgerhaushalt, Ideenplattform)", "Blogs", "Wikis", "Sonstige"], 1)]
    + [["reaktion", str(i), label] for i, label in enumerate(
        ["innerhalb weniger Minuten", "innerhalb weniger Stunden", "innerhalb weniger Tage", "gar nicht"], 1)]
    + [["strategie", str(i), label] for i, label in enumerate(["Ja", "In Planung", "Nein"], 1)]
    + [["monitoring", str(i), label] for i, label in enumerate(
        ["Nein, kein Monitoring", "Ja, manuell", "Ja, teilautomatisiert", "Ja, automatisiert"], 1)]
    + [["hemmnisse", str(i), label] for i, label in enumerate(
        ["Ungeklärte Sicherheitsfragen", "Ungeklärte Rechtsfragen (z. B. Datenschutz)",
         "Fehlende personelle Ressourcen", "Fehlende finanzielle Mittel", "Nutzen nicht erkennbar",
         "Fehlende Unterstützung der Verwaltungsführung", "Sonstige", "Keine Hemmnisse"], 1)]
    + [["ausbau", str(i), label] for i, label in enumerate(
        ["Außenkommunikation in sozialen Netzwerken", "Partizipationsinstrumente", "Content Communities",
         "Microblogging", "Interne Netzwerke", "Keine"], 1)]
    + [["einfuehrung", "1", "Ja, in den nächsten 12 Monaten"], ["einfuehrung", "2", "Ja, später"],
       ["einfuehrung", "3", "Nein"], ["einfuehrung", "9", "weiß nicht"]]
)
SETTINGS = {
    "form_title": "Wie nutzen Kommunen Social Media?",
    "form_id": "kgst-social-media-2013",
    "default_language": "Deutsch (de)",
    "version": "2013-05-28",
    "intro": "Die KGSt, Cassini Consulting und das Institut für Informationsmanagement Bremen (ifib) befragen die "
             "Mitgliedskommunen der KGSt zu ihrem Einsatz von Social Media. Die Beantwortung dauert etwa zehn "
             "Minuten. Sie können jederzeit unterbrechen und später mit Ihrem persönlichen Link fortfahren.",
    "organisers": "KGSt (Köln), Cassini Consulting (Berlin), Institut für Informationsmanagement Bremen (ifib)",
    "contact_email": "befragung@kgst.de",
    "opens": "2013-06-03",
    "closes": "2013-08-30",
}


def workbook(survey=SURVEY, choices=CHOICES, settings=SETTINGS, survey_header=SURVEY_HEADER) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(survey_header)
    for row in survey:
        sheet.append(row)
    if choices is not None:
        sheet = book.create_sheet("choices")
        sheet.append(["list_name", "name", "label::Deutsch (de)"])
        for row in choices:
            sheet.append(row)
    if settings is not None:
        sheet = book.create_sheet("settings")
        sheet.append(list(settings))
        sheet.append(list(settings.values()))
    return book


def workbook_bytes(**kwargs) -> bytes:
    buffer = io.BytesIO()
    workbook(**kwargs).save(buffer)
    return buffer.getvalue()
