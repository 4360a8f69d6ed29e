"""XLSForm workbooks (.xlsx, the spreadsheet format of ODK and KoboToolbox, https://xlsform.org) ↔ definitions.

- read.py: a workbook → the definition dict of surveys/definition/ (then validated and loaded like a YAML
  file); everything Rücklauf cannot do is refused with sheet, row, column and reason;
- write.py: a definition → a workbook of the same shape, so XLSForm → database → XLSForm gives the same workbook;
- expressions.py: `relevant` (XPath subset) ↔ the condition language, and the constraints understood;
- sheets.py: cells, headers and translated columns of a sheet; layout.py: the columns and fixed labels.
"""
