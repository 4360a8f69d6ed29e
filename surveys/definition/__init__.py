"""Survey definition files: read, validate, load them into the Survey tables, and write them back.

A definition (YAML or JSON; format in surveys/schema.json, example in surveys/definitions/; or an
XLSForm workbook, surveys/xlsform/) is
1. read (read.py, `read_definition` / `parse_definition`),
2. normalised and validated (validate.py, `validate_definition`): JSON schema first (schema.py), then
   the rules a schema cannot express well — unique codes and variables, options/rows/limits only where
   the type takes them, conditions that parse and refer only to questions asked before them
   (condition_checks.py),
3. loaded in one transaction (sync.py, `sync_survey`), in place by code so ids stay stable. A change
   that would alter or remove a variable that already has answers is refused (refusals.py,
   `DefinitionRefused`); wording and labels may always change, and questions may always be added.

Loading the same definition twice writes nothing ("unchanged"): the sha256 of the normalised
definition is stored in Survey.definition_hash.

Back out: export.py reads the tables into a definition in canonical form (canonical.py: key order,
the choice types, the variables a question produces), write.py writes it as YAML, and waves.py copies
a survey as a new wave through the same path. views.py and forms.py are the staff pages around it:
a new survey, a new wave, the upload with its report, the YAML and XLSForm downloads.
"""
