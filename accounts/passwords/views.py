"""/staff/passwort/<uidb64>/<token>/: Django's password reset confirmation as "set your password".

The token (django.contrib.auth.tokens) is valid once: setting the password changes the hash it is
made from. It expires after PASSWORD_RESET_TIMEOUT. The person logs in afterwards as usual.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.generic import TemplateView

set_password = auth_views.PasswordResetConfirmView.as_view(
    template_name="staff/password_set.html", success_url=reverse_lazy("staff:password_set_done"))
set_password_done = TemplateView.as_view(template_name="staff/password_set_done.html")


def set_password_link(user: AbstractBaseUser) -> str:
    """The absolute one-time link for `user` to set a password (SITE_URL + /staff/passwort/…)."""
    path = reverse("staff:password_set", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                                default_token_generator.make_token(user)])
    return settings.SITE_URL.rstrip("/") + path
