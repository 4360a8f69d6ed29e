"""Public URLs of the surveys app (namespace "surveys")."""

from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("logo/<slug:slug>/<str:name>", views.logo, name="logo"),
]
