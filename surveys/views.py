"""Public views of the surveys app: what respondents' pages and e-mails load without logging in."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from .models import Survey


@require_safe
def logo(request: HttpRequest, slug: str, name: str) -> FileResponse:
    """The survey's logo for respondent pages and e-mails (public, like the pages that show it).

    The name carries a hash of the content, so the file may be cached for a long time.
    """
    survey = get_object_or_404(Survey, slug=slug)
    if not survey.logo or survey.logo.name.rsplit("/", 1)[-1] != name:
        raise Http404
    try:
        handle = survey.logo.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
