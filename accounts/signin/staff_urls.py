"""The names `staff:login` and `staff:logout` (LOGIN_URL, templates, redirect_to_login) for the same
pages as accounts.signin.urls, which the root URL conf serves first at the same addresses."""

from django.urls import path

from accounts.signin import urls, views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", urls.logout, name="logout"),
]
