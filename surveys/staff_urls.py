"""Staff URLs of the surveys app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.survey_list, name="home"),
    path("befragungen/<slug:slug>/", views.survey_detail, name="survey_detail"),
    path("befragungen/<slug:slug>/feldphase/", views.survey_dates, name="survey_dates"),
    path("befragungen/<slug:slug>/status/<slug:action>/", views.survey_transition, name="survey_transition"),
]

from . import staff_editor_views as editor_views  # noqa: E402 - the editor's URLs follow the survey's own

_editor = "befragungen/<slug:slug>/fragebogen/"
urlpatterns += [
    path(_editor, editor_views.overview, name="editor"),
    path(_editor + "aenderungen/", editor_views.history, name="editor_history"),
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
