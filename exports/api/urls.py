"""/api/v1/ (config/urls.py): the REST API, its OpenAPI description and its documentation page."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import docs, problems, views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="api-schema"),
    path("docs/", docs.documentation, name="api-docs"),
    path("surveys/", views.SurveyList.as_view(), name="api-surveys"),
    path("surveys/<slug:slug>/", views.SurveyDetail.as_view(), name="api-survey"),
    path("surveys/<slug:slug>/definition/", views.Definition.as_view(), name="api-definition"),
    path("surveys/<slug:slug>/members/", views.Members.as_view(), name="api-members"),
    path("surveys/<slug:slug>/responses/", views.Responses.as_view(), name="api-responses"),
    path("surveys/<slug:slug>/results/", views.Results.as_view(), name="api-results"),
    path("surveys/<slug:slug>/crosstabs/", views.Crosstabs.as_view(), name="api-crosstabs"),
    path("surveys/<slug:slug>/exports/", views.ExportJobs.as_view(), name="api-exports"),
    path("exports/<int:pk>/", views.ExportJobDetail.as_view(), name="api-export"),
    path("exports/<int:pk>/file/", views.ExportJobFile.as_view(), name="api-export-file"),
    re_path(r"^.*$", problems.not_found),
]
