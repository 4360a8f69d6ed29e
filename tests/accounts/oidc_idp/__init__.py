"""A small OpenID Connect provider for the single sign-on tests, run as its own process (gunicorn).

Built from django-oauth-toolkit's OIDC support: LemonLDAP::NG is in Debian (apt-cache shows
2.16.1) but not installed here, and running it needs a web server, its FastCGI portal and a
generated configuration; this provider speaks the same protocol (discovery, authorization code
with PKCE, RS256-signed ID token, userinfo, JWKS) and puts the user's groups into a `groups` claim.
Its database is SQLite in the test's temporary folder: it is the identity provider, not the app.
"""
