"""Public opt-out page: a GET shows a confirm button, only the POST (CSRF-protected) opts out.

Mail scanners and link previews open links with GET, so a GET must never change anything.
Opting out stops reminders; the personal link keeps working.

The List-Unsubscribe header points at `…/ein-klick/`: RFC 8058 one-click, a POST from the mail
provider with the body "List-Unsubscribe=One-Click". It has no CSRF token (the provider's server
sends it), so that URL is CSRF-exempt but accepts nothing else; the opt-out token in the path
is the authorisation and is checked (and rate-limited) by the same code as the page.

The links carry a token of their own that only opts out (credentials.optout_token); links in mails
sent before carry the questionnaire token and keep working.
"""

import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import credentials, ratelimit
from .models import Invitation

TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_\-]{16,64}")


@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest, token: str) -> HttpResponse:
    # Check the shape first: a NUL byte in the path would make PostgreSQL refuse the query (500).
    invitation = None
    invitations = Invitation.objects.select_related("survey")
    if (pk := credentials.optout_invitation_pk(token)) is not None:
        invitation = invitations.filter(pk=pk).first()
    elif TOKEN_FORMAT.fullmatch(token):  # the questionnaire token, in mails sent before opt-out tokens
        invitation = invitations.by_token(token).first()
    if invitation is None:
        if ratelimit.refuse_miss(request):
            return ratelimit.too_many(request)
        raise Http404
    if ratelimit.refuse_valid(request, token):
        return ratelimit.too_many(request)
    if request.method == "POST" and invitation.opted_out_at is None:
        Invitation.objects.filter(pk=invitation.pk, opted_out_at__isnull=True).update(opted_out_at=timezone.now())
        invitation.refresh_from_db(fields=["opted_out_at"])
    # Through its own token the page shows no questionnaire link: whoever followed it may not be the member.
    context = {"invitation": invitation, "survey": invitation.survey, "done": invitation.opted_out_at is not None,
               "show_link": pk is None}
    response = render(request, "invitations/optout.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


ONE_CLICK_SUFFIX = "ein-klick/"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def optout_one_click(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":  # a client that opens the header's link in a browser: the normal page
        page = optout(request, token)  # same token check and rate limit (404/429)
        return redirect(request.path.removesuffix(ONE_CLICK_SUFFIX)) if page.status_code == 200 else page
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponseBadRequest("expected the body List-Unsubscribe=One-Click (RFC 8058)",
                                      content_type="text/plain")
    return optout(request, token)
