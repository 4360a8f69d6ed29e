"""Staff URLs of the exports app (namespace "staff", see config/staff_urls.py), each to the module of
its page: ergebnisse/ → results.py, its analyses (kreuztabellen/, repraesentativitaet/, wellen/,
bericht/) → analyses.py, freitexte/ → freetexts.py, exporte/ → exports.py; protokoll/ (the audit trail)
→ exports/audit/views.py."""

from django.urls import path

from ..audit import views as audit
from . import analyses, exports, freetexts, results

urlpatterns = [
    path("befragungen/<slug:slug>/ergebnisse/", results.results, name="results"),
    path("befragungen/<slug:slug>/ergebnisse/aktualisieren/", results.results_refresh, name="results_refresh"),
    path("befragungen/<slug:slug>/ergebnisse/stand/", results.results_status, name="results_status"),
    path("befragungen/<slug:slug>/ergebnisse/kreuztabellen/", analyses.crosstabs, name="crosstabs"),
    path("befragungen/<slug:slug>/ergebnisse/repraesentativitaet/", analyses.representativeness,
         name="representativeness"),
    path("befragungen/<slug:slug>/ergebnisse/wellen/", analyses.wave_comparison, name="waves"),
    path("befragungen/<slug:slug>/ergebnisse/bericht/", analyses.report, name="report"),
    path("befragungen/<slug:slug>/ergebnisse/mindestbasis/", results.min_base, name="min_base"),
    path("befragungen/<slug:slug>/ergebnisse/freitexte/", freetexts.free_texts, name="free_texts"),
    path("befragungen/<slug:slug>/ergebnisse/freitexte/<str:variable>/", freetexts.free_text_question,
         name="free_text_question"),
    path("befragungen/<slug:slug>/exporte/", exports.exports, name="exports"),
    path("befragungen/<slug:slug>/exporte/stand/", exports.exports_status, name="exports_status"),
    path("befragungen/<slug:slug>/exporte/neu/", exports.export_create, name="export_create"),
    path("exporte/<int:pk>/", exports.export_detail, name="export_detail"),
    path("exporte/<int:pk>/stand/", exports.export_status, name="export_status"),
    path("exporte/<int:pk>/wiederholen/", exports.export_retry, name="export_retry"),
    path("exporte/<int:pk>/herunterladen/", exports.export_download, name="export_download"),
    path("befragungen/<slug:slug>/protokoll/", audit.survey_audit, name="survey_audit"),
    path("befragungen/<slug:slug>/protokoll.csv", audit.survey_audit_csv, name="survey_audit_csv"),
]
