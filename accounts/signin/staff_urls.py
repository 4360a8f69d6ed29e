"""The names `staff:login` and `staff:logout` (LOGIN_URL, templates, redirect_to_login) for the same
pages as accounts.signin.urls, which the root URL conf serves first at the same addresses."""

from allauth.account import views as account_views
from django.urls import path

from accounts.signin import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
]
