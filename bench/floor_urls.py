"""The floor: a minimal Django view doing the database write of a page save, nothing else.

Validates a ten-field form and, in one transaction holding a lock on the Response row, replaces
ten Answer rows and bumps a version counter — the same tables and indexes a page save touches.
Served by the same gunicorn configuration as the app (settings module bench.floor_settings).
"""

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.http import require_http_methods

from responses.models import Answer, Response

CHOICES = [(str(i), str(i)) for i in range(1, 10)]


class FloorForm(forms.Form):
    f0 = forms.ChoiceField(choices=CHOICES)
    f1 = forms.ChoiceField(choices=CHOICES)
    f2 = forms.ChoiceField(choices=CHOICES)
    f3 = forms.ChoiceField(choices=CHOICES)
    f4 = forms.IntegerField(min_value=1, max_value=100_000)
    f5 = forms.CharField(max_length=500)
    f6 = forms.EmailField()
    f7 = forms.ChoiceField(choices=CHOICES)
    f8 = forms.ChoiceField(choices=CHOICES)
    f9 = forms.CharField(max_length=5000, widget=forms.Textarea)


@require_http_methods(["GET", "POST"])
def floor(request: HttpRequest, response_id: int, question_id: int) -> HttpResponse:
    if request.method == "GET":
        return HttpResponse(get_token(request), content_type="text/plain")
    form = FloorForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        Answer.objects.filter(response=response, question_id=question_id).delete()
        Answer.objects.bulk_create(
            Answer(response=response, question_id=question_id, variable=name, value=str(value))
            for name, value in form.cleaned_data.items()
        )
        response.page_versions["floor"] = response.page_versions.get("floor", 0) + 1
        response.save(update_fields=["page_versions", "updated_at"])
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/<int:response_id>/<int:question_id>/", floor)]
