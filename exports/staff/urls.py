"""Staff URLs of the exports app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("befragungen/<slug:slug>/ergebnisse/", views.results, name="results"),
    path("befragungen/<slug:slug>/ergebnisse/aktualisieren/", views.results_refresh, name="results_refresh"),
    path("befragungen/<slug:slug>/ergebnisse/stand/", views.results_status, name="results_status"),
    path("befragungen/<slug:slug>/ergebnisse/kreuztabellen/", views.crosstabs, name="crosstabs"),
    path("befragungen/<slug:slug>/ergebnisse/repraesentativitaet/", views.representativeness,
         name="representativeness"),
    path("befragungen/<slug:slug>/ergebnisse/wellen/", views.wave_comparison, name="waves"),
    path("befragungen/<slug:slug>/ergebnisse/bericht/", views.report, name="report"),
    path("befragungen/<slug:slug>/ergebnisse/mindestbasis/", views.min_base, name="min_base"),
    path("befragungen/<slug:slug>/ergebnisse/freitexte/", views.free_texts, name="free_texts"),
    path("befragungen/<slug:slug>/ergebnisse/freitexte/<str:variable>/", views.free_text_question,
         name="free_text_question"),
    path("befragungen/<slug:slug>/exporte/", views.exports, name="exports"),
    path("befragungen/<slug:slug>/exporte/stand/", views.exports_status, name="exports_status"),
    path("befragungen/<slug:slug>/exporte/neu/", views.export_create, name="export_create"),
    path("exporte/<int:pk>/", views.export_detail, name="export_detail"),
    path("exporte/<int:pk>/stand/", views.export_status, name="export_status"),
    path("exporte/<int:pk>/wiederholen/", views.export_retry, name="export_retry"),
    path("exporte/<int:pk>/herunterladen/", views.export_download, name="export_download"),
]
