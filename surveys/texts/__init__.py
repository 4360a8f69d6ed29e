"""What respondents read around the questions (/staff/befragungen/<slug>/texte/).

- views.py, forms.py: the staff page "Texte der Befragung" (title, welcome and closing texts, organisers,
  contact, privacy notice, field period, sender), read by analysts, changed by staff, every change recorded;
- privacy.py: the privacy notice respondents see, the survey's own or the one built from its texts;
- in_words.py: conditions in plain words, for the printable questionnaire and the results report.
"""
