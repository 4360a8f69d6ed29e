"""/odata/ (config/urls.py): one OData v4 service per survey."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:slug>/", views.service, name="odata-service"),
    path("<slug:slug>/$metadata", views.metadata, name="odata-metadata"),
    path("<slug:slug>/<str:name>/$count", views.entity_count, name="odata-count"),
    path("<slug:slug>/<str:name>", views.entity_set, name="odata-set"),
]
