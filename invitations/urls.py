from django.urls import path

from . import views

app_name = "invitations"
urlpatterns = [
    path("abmelden/<str:token>/", views.optout, name="optout"),
]
