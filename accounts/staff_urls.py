"""Staff URLs of the accounts app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from .passwords import views as passwords

urlpatterns = [
    # the one-time link of `manage.py grant` (passwords/)
    path("passwort/<str:uidb64>/<str:token>/", passwords.set_password, name="password_set"),
    path("passwort/gesetzt/", passwords.set_password_done, name="password_set_done"),
]
