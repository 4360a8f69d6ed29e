"""Staff URLs of the surveys app (namespace "staff", see config/staff_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.survey_list, name="home"),
    path("befragungen/<slug:slug>/", views.survey_detail, name="survey_detail"),
    path("befragungen/<slug:slug>/feldphase/", views.survey_dates, name="survey_dates"),
    path("befragungen/<slug:slug>/status/<slug:action>/", views.survey_transition, name="survey_transition"),
]

# The survey's texts and its printable questionnaire (surveys/staff_texts_views.py).
from . import staff_texts_views  # noqa: E402

urlpatterns += [
    path("befragungen/<slug:slug>/texte/", staff_texts_views.survey_texts, name="survey_texts"),
    path("befragungen/<slug:slug>/druckfassung/", staff_texts_views.survey_printable, name="survey_printable"),
    path("befragungen/<slug:slug>/druckfassung.pdf", staff_texts_views.survey_printable_pdf,
         name="survey_printable_pdf"),
]
