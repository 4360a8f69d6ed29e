"""The respondent flow under /s/: access code, personal link, welcome page, questionnaire pages, review,
submission and receipt (views), what they do to a Response (services) and its hot-path SQL (queries)."""
