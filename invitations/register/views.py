"""Staff views of the member register (`field` from a role on all surveys): upload, check, apply; the template.

The uploaded file is checked completely (check.py); its bytes and the check are kept server-side in
the shared cache under their sha256, bound to the uploading user (surveys/uploads.py), and only a
confirmation POST applies them (apply.py) — nothing the client sends besides the key is trusted.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from surveys.permissions import global_permission
from surveys.uploads import Uploads

from ..models import Member
from .apply import apply_register
from .check import RegisterCheck, check_register, with_current_members
from .forms import RegisterConfirmForm, RegisterUploadForm, max_upload_bytes
from .template import template_csv, template_xlsx

UPLOADS = Uploads("register")
PREVIEW_ROWS = 20
MAX_PROBLEMS_SHOWN = 300
# Multipart overhead allowed on top of the file size limit before the body is even read.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


_store_upload = UPLOADS.store  # (user_id, filename, data) → key; tests stage uploads with it


def _register_summary() -> dict[str, object]:
    return Member.objects.aggregate(
        count=Count("id"), bounced=Count("id", filter=Q(email_bounced=True)), latest=Max("updated_at"),
    )


@global_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def register_upload(request: HttpRequest) -> HttpResponse:
    form = RegisterUploadForm()
    if request.method == "POST":
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > max_upload_bytes() + UPLOAD_ENVELOPE_BYTES
        if too_large:
            form = RegisterUploadForm(data={})
            form.is_valid()
            form.errors.clear()
            form.add_error("file", _("Die Datei ist zu groß. Erlaubt sind höchstens %(limit)s MB.")
                           % {"limit": f"{max_upload_bytes() / 1024 / 1024:.0f}"})
        else:
            form = RegisterUploadForm(request.POST, request.FILES)
            if form.is_valid():
                key = UPLOADS.store_or_say_why(request, form.cleaned_data["file"].name, form.read())
                if key:
                    return redirect("staff:register_preview", key=key)
    status = 400 if form.errors else 200
    return render(request, "invitations/staff/register_upload.html",
                  {"form": form, "summary": _register_summary(), "max_bytes": max_upload_bytes()}, status=status)


TEMPLATE_TYPES = {
    "csv": ("text/csv; charset=utf-8", template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
}


@global_permission("field")
@require_safe
def register_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """An empty register with the expected header and one example row, as CSV or XLSX."""
    if fmt not in TEMPLATE_TYPES:
        raise Http404
    content_type, build = TEMPLATE_TYPES[fmt]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="register-vorlage.{fmt}"'
    return response


def _preview_context(check: RegisterCheck, key: str, form: RegisterConfirmForm) -> dict[str, object]:
    return {
        "check": check, "key": key, "form": form,
        "preview_rows": check.rows[:PREVIEW_ROWS],
        "problems": check.problems[:MAX_PROBLEMS_SHOWN],
        "more_problems": max(0, len(check.problems) - MAX_PROBLEMS_SHOWN),
        "can_skip": not check.is_clean and not check.has_fatal and bool(check.rows),
        "can_apply": check.is_clean and bool(check.rows),
    }


@global_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def register_preview(request: HttpRequest, key: str) -> HttpResponse:
    stored = UPLOADS.load(request.user.pk, key)
    if stored is None:
        messages.error(request, _("Die hochgeladene Datei ist nicht mehr vorhanden (nach einer Stunde wird sie "
                                  "verworfen). Bitte laden Sie sie erneut hoch."))
        return redirect("staff:register_upload")
    # The file is read once per upload; which rows are new is looked up again on every view and before applying.
    check = with_current_members(UPLOADS.parsed(request.user.pk, key,
                                                lambda: check_register(stored.data, stored.filename)))
    form = RegisterConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        skip = form.cleaned_data["skip_invalid"]
        if check.has_fatal or not check.rows:
            messages.error(request, _("Die Datei enthält Fehler und wurde nicht übernommen. Es wurde nichts "
                                      "gespeichert."))
        elif not check.is_clean and not skip:
            form.add_error("skip_invalid", _("Bitte bestätigen Sie, dass die fehlerhaften Zeilen übersprungen "
                                             "werden sollen. Es wurde nichts gespeichert."))
        else:
            result = apply_register(check, skip_invalid=skip)
            UPLOADS.discard(request.user.pk, key)
            messages.success(request, _(
                "Register übernommen: %(created)d neu, %(updated)d aktualisiert, %(unchanged)d unverändert, "
                "%(skipped)d fehlerhafte Zeilen übersprungen."
            ) % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                 "skipped": result.skipped})
            return redirect("staff:register_upload")
    return render(request, "invitations/staff/register_preview.html", _preview_context(check, key, form),
                  status=400 if form.errors else 200)
