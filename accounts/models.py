"""Models of sign-in, roles and audit."""
