"""Staff URLs of the surveys app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import staff_views as views
from .definition import views as definition_views

urlpatterns = [
    path("", views.survey_list, name="home"),
    path("befragungen/<slug:slug>/", views.survey_detail, name="survey_detail"),
    path("befragungen/<slug:slug>/feldphase/", views.survey_dates, name="survey_dates"),
    path("befragungen/<slug:slug>/organisation/", views.survey_branding, name="survey_branding"),
    path("befragungen/<slug:slug>/status/<slug:action>/", views.survey_transition, name="survey_transition"),
    # Creating surveys and definition files (surveys/definition_views.py).
    path("neue-befragung/", definition_views.survey_create, name="survey_create"),
    path("neue-befragung/hochladen/", definition_views.definition_upload, name="definition_upload"),
    path("neue-befragung/hochladen/<str:digest>/", definition_views.definition_preview,
         name="definition_preview"),
    path("befragungen/<slug:slug>/neue-welle/", definition_views.survey_copy, name="survey_copy"),
    path("befragungen/<slug:slug>/fragebogen.yaml", definition_views.definition_yaml,
         name="definition_yaml"),
    path("befragungen/<slug:slug>/fragebogen.xlsx", definition_views.definition_xlsform,
         name="definition_xlsform"),
]

# The survey's texts and its printable questionnaire (surveys/staff_texts_views.py).
from .texts import views as texts_views  # noqa: E402

urlpatterns += [
    path("befragungen/<slug:slug>/texte/", texts_views.survey_texts, name="survey_texts"),
    path("befragungen/<slug:slug>/druckfassung/", views.survey_printable, name="survey_printable"),
    path("befragungen/<slug:slug>/druckfassung.pdf", views.survey_printable_pdf,
         name="survey_printable_pdf"),
]

from .editor import views as editor_views  # noqa: E402 - the editor's URLs follow the survey's own

_editor = "befragungen/<slug:slug>/fragebogen/"
urlpatterns += [
    path(_editor, editor_views.overview, name="editor"),
    path(_editor + "aenderungen/", editor_views.history, name="editor_history"),
    path(_editor + "pruefen/", editor_views.check, name="editor_check"),
    path(_editor + "seiten/neu/", editor_views.page_create, name="editor_page_create"),
    path(_editor + "seiten/<int:page_id>/", editor_views.page_detail, name="editor_page"),
    path(_editor + "seiten/<int:page_id>/bearbeiten/", editor_views.page_edit, name="editor_page_edit"),
    path(_editor + "seiten/<int:page_id>/verschieben/", editor_views.page_move, name="editor_page_move"),
    path(_editor + "seiten/<int:page_id>/loeschen/", editor_views.page_delete, name="editor_page_delete"),
    path(_editor + "seiten/<int:page_id>/fragen/neu/", editor_views.question_create, name="editor_question_create"),
    path(_editor + "fragen/<int:question_id>/", editor_views.question_edit, name="editor_question"),
    path(_editor + "fragen/<int:question_id>/verschieben/", editor_views.question_move, name="editor_question_move"),
    path(_editor + "fragen/<int:question_id>/loeschen/", editor_views.question_delete, name="editor_question_delete"),
]
