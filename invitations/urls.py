from django.urls import path

from . import views

app_name = "invitations"
urlpatterns = [
    path("abmelden/<str:token>/", views.optout, name="optout"),
    path("abmelden/<str:token>/ein-klick/", views.optout_one_click, name="optout_one_click"),
]
