"""What the tests and the benchmarks share: real servers on free loopback ports, generated data, and
clients that drive the app from outside. `tests/` and `bench/` import from here, never from each
other (import-linter contract `tests-bench-apart` in .importlinter).

    serve        free_port (the only one), fresh databases, manage.py, gunicorn and Celery processes
    servers      PrivatePostgres / PrivateRedis (throw-away servers) and the shared ones, wait_for
    imap_server  Dovecot: a real IMAP server, optionally with STARTTLS/IMAPS and its own CA
    smtp_sink    Sink: an aiosmtpd server that records mails and can refuse chosen recipients
    bounces      fill(): a bounce mail from bounce_mails/ about one outbox message
    answer_data  Plan, plan_answers, insert_plans, generate: answered responses written with COPY
    answers      valid answers for every page of the KGSt questionnaire
    client       a small keep-alive HTTP client (one per simulated respondent)
    drills       the app under gunicorn for a drill, the stored answers, a Respondent
    race         one link in two browsers saving the same page at once (race_rounds)
    pg_restart   PostgreSQL restarted while respondents save pages (run, report)
    editor       generated_definition of any size, question_post (the editor's form POST)

Modules that touch the ORM (answer_data, bounces, editor) import Django models at the top: import
them after Django is set up (pytest-django does that; a benchmark after django.setup()).
"""
