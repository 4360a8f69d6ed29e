"""A small SAML 2.0 identity provider for the tests (pysaml2's `Server` behind a WSGI app)."""
