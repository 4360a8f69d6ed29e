"""Staff sign-in through django-allauth: the login at /staff/login/, login throttling, the second
factor (TOTP with recovery codes) and how long a staff session lasts.

allauth does the work; this room holds what Rücklauf adds: the German staff pages, a 429 with
Retry-After for a throttled login, the audit entries, the enforced second factor and the session limits.
"""
