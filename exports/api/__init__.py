"""The REST API under /api/v1/ (issue M): personal API keys (`keys`), their authentication and
throttling (`authentication`), who may see what (`access`, the one home of those decisions), problem
details (`problems`), `serializers`, `views`, `urls`; the staff page for keys (`staff`, `forms`)."""
