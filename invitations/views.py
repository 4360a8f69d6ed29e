"""Public opt-out page: a GET shows a confirm button, only the POST (CSRF-protected) opts out.

Mail scanners and link previews open links with GET, so a GET must never change anything.
Opting out stops reminders; the personal link keeps working.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .models import Invitation


@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("survey").filter(token=token).first()
    if invitation is None or len(token) > 64:
        raise Http404
    if request.method == "POST" and invitation.opted_out_at is None:
        Invitation.objects.filter(pk=invitation.pk, opted_out_at__isnull=True).update(opted_out_at=timezone.now())
        invitation.refresh_from_db(fields=["opted_out_at"])
    context = {"invitation": invitation, "survey": invitation.survey, "done": invitation.opted_out_at is not None}
    response = render(request, "invitations/optout.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response
