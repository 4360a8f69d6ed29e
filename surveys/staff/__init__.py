"""The survey list and a survey's own staff pages (/staff/, /staff/befragungen/<slug>/…): the survey page,
field period, organisation and logo, opening and closing, and the printable questionnaire. The survey's
other rooms have their own packages: definition/ (files, new surveys and waves), editor/, texts/.
"""
