"""Sortable staff lists: column headings are links with ?sortierung=<key> (or -<key> for
descending), so sorting works without JavaScript and survives paging and filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest


@dataclass
class Sorting:
    order_by: list[str]  # for QuerySet.order_by
    headers: dict[str, dict[str, Any]]  # key → label, url, current, aria_sort (staff/_sort_th.html)
    query: str  # "sortierung=…" for paging links, "" for the default order


def sort_headers(request: HttpRequest, sorts: dict[str, tuple[Any, str]], default: str, filters: str = "") -> Sorting:
    """sorts: key → (column label, model field). Unknown keys (hand-edited URLs) fall back to the default."""
    chosen = request.GET.get("sortierung", default)
    key = chosen.lstrip("-")
    if key not in sorts:
        chosen, key = default, default.lstrip("-")
    descending = chosen.startswith("-")
    headers = {}
    for name, (label, _field) in sorts.items():
        current = name == key
        target = f"-{name}" if current and not descending else name
        query = "&".join(q for q in (filters, urlencode({"sortierung": target})) if q)
        headers[name] = {"key": name, "label": label, "url": f"?{query}", "current": current,
                         "aria_sort": ("descending" if descending else "ascending") if current else ""}
    field = ("-" if descending else "") + sorts[key][1]
    return Sorting(order_by=[field], headers=headers,
                   query=urlencode({"sortierung": chosen}) if chosen != default else "")
