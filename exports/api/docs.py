"""/api/v1/docs/: the API's documentation as a plain staff page, rendered on the server from the
OpenAPI description (drf-spectacular). No Swagger UI or Redoc: their scripts and inline styles need a
looser CSP, and a server-rendered page is accessible, works without JavaScript and loads nothing
from elsewhere. The machine-readable description is /api/v1/schema/."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

from . import access

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    return schema.get("format") or schema.get("type") or "object"


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations of an OpenAPI description, flattened for the template."""
    out = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses, errors = [], []
            for code, response in op.get("responses", {}).items():
                kinds = [f"{ctype}: {_schema_name(body.get('schema', {}))}"
                         for ctype, body in response.get("content", {}).items()]
                if code.startswith(("4", "5")):
                    errors.append(code)  # all of them problem details: one line on the page
                    continue
                responses.append({"code": code, "description": response.get("description", ""), "body": kinds})
            out.append({
                "id": op.get("operationId", f"{method}{path}"), "method": method.upper(), "path": path,
                "description": op.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": _schema_name(p.get("schema", {})),
                                "enum": p.get("schema", {}).get("enum"), "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "request": [f"{ctype}: {_schema_name(body.get('schema', {}))}"
                            for ctype, body in op.get("requestBody", {}).get("content", {}).items()],
                "responses": responses, "errors": errors,
            })
    return out


@require_GET
@login_required(login_url="staff:login")
def documentation(request: HttpRequest) -> HttpResponse:
    if not access.may_create_keys(request.user):
        raise PermissionDenied
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(request, "exports/api_docs.html", {
        "info": schema["info"], "operations": operations(schema),
        "components": sorted(schema.get("components", {}).get("schemas", {}).items()),
    })
