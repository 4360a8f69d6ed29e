from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Survey
from .permissions import analyst_required


@analyst_required
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/staff/survey_list.html", {"surveys": Survey.objects.all()})
