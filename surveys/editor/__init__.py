"""The questionnaire editor in the staff area (/staff/befragungen/<slug>/fragebogen/…).

- views.py: the pages — overview, a page, a question, moves, deletions, the change history, and the live
  check the editor's script asks while a code or condition is typed;
- forms.py: the forms of a page's settings, a question, and its options and matrix rows;
- services.py: the changes themselves, one function each, checked, recorded and in one transaction;
- checks.py: what a change may break (codes, conditions, answers), checked on just the part it can affect.
"""
