"""Staff URLs of the surveys app (namespace "staff", see config/staff_urls.py), each block in its room."""

from django.urls import path

from .access import views as access
from .definition import views as definition
from .editor import views as editor
from .staff import views as staff
from .texts import views as texts

_survey = "befragungen/<slug:slug>/"
_editor = _survey + "fragebogen/"

urlpatterns = [
    # The survey list and a survey's own staff pages: surveys/staff/.
    path("", staff.survey_list, name="home"),
    path(_survey, staff.survey_detail, name="survey_detail"),
    path(_survey + "feldphase/", staff.survey_dates, name="survey_dates"),
    path(_survey + "organisation/", staff.survey_branding, name="survey_branding"),
    path(_survey + "status/<slug:action>/", staff.survey_transition, name="survey_transition"),
    # New surveys, new waves, definition files up and down: surveys/definition/views.py.
    path("neue-befragung/", definition.survey_create, name="survey_create"),
    path("neue-befragung/hochladen/", definition.definition_upload, name="definition_upload"),
    path("neue-befragung/hochladen/<str:digest>/", definition.definition_preview, name="definition_preview"),
    path(_survey + "neue-welle/", definition.survey_copy, name="survey_copy"),
    path(_survey + "fragebogen.yaml", definition.definition_yaml, name="definition_yaml"),
    path(_survey + "fragebogen.xlsx", definition.definition_xlsform, name="definition_xlsform"),
    # The texts respondents read around the questions: surveys/texts/.
    path(_survey + "texte/", texts.survey_texts, name="survey_texts"),
    # The printable questionnaire (surveys/printable.py) for staff: surveys/staff/.
    path(_survey + "druckfassung/", staff.survey_printable, name="survey_printable"),
    path(_survey + "druckfassung.pdf", staff.survey_printable_pdf, name="survey_printable_pdf"),
    # Who holds which role, on one survey and on all: surveys/access/.
    path(_survey + "zugriff/", access.survey_access, name="survey_access"),
    path(_survey + "zugriff/entziehen/", access.survey_access_revoke, name="survey_access_revoke"),
    path("zugriff/", access.access, name="access"),
    path("zugriff/entziehen/", access.access_revoke, name="access_revoke"),
    # The questionnaire editor: surveys/editor/.
    path(_editor, editor.overview, name="editor"),
    path(_editor + "aenderungen/", editor.history, name="editor_history"),
    path(_editor + "pruefen/", editor.check, name="editor_check"),
    path(_editor + "seiten/neu/", editor.page_create, name="editor_page_create"),
    path(_editor + "seiten/<int:page_id>/", editor.page_detail, name="editor_page"),
    path(_editor + "seiten/<int:page_id>/bearbeiten/", editor.page_edit, name="editor_page_edit"),
    path(_editor + "seiten/<int:page_id>/verschieben/", editor.page_move, name="editor_page_move"),
    path(_editor + "seiten/<int:page_id>/loeschen/", editor.page_delete, name="editor_page_delete"),
    path(_editor + "seiten/<int:page_id>/fragen/neu/", editor.question_create, name="editor_question_create"),
    path(_editor + "fragen/<int:question_id>/", editor.question_edit, name="editor_question"),
    path(_editor + "fragen/<int:question_id>/verschieben/", editor.question_move, name="editor_question_move"),
    path(_editor + "fragen/<int:question_id>/loeschen/", editor.question_delete, name="editor_question_delete"),
]
