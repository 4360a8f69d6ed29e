"""The respondent's URLs (see responses/respondent/views.py for the protocol)."""

from django.urls import path

from .respondent import start_views, views

app_name = "responses"
urlpatterns = [
    path("s/", views.access_code, name="access_code"),
    path("s/<str:token>/", views.entry, name="entry"),
    path("s/<str:token>/seite/<str:page_code>/", views.page, name="page"),
    path("s/<str:token>/pruefen/", views.review, name="review"),
    path("s/<str:token>/danke/", views.receipt, name="receipt"),
    path("s/<str:token>/gespeichert/", views.saved, name="saved"),
    path("s/<str:token>/willkommen/", start_views.welcome, name="welcome"),
    path("s/<str:token>/datenschutz/", start_views.privacy, name="privacy"),
    path("s/<str:token>/fragebogen/", start_views.printable, name="printable"),
    path("s/<str:token>/fragebogen.pdf", start_views.printable_pdf, name="printable_pdf"),
]
