"""Staff URLs of the API room (namespace "staff", included by config/staff_urls.py)."""

from django.urls import path

from . import staff

urlpatterns = [
    path("api-schluessel/", staff.api_keys, name="api_keys"),
    path("api-schluessel/<int:pk>/widerrufen/", staff.api_key_revoke, name="api_key_revoke"),
]
