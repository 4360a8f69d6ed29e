"""Template filters for result tables."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.5409 → "54,1 %" (localised); empty when there is no base."""
    if value is None:
        return ""
    return f"{number_format(value * 100, 1)} %"


@register.filter
def bar_width(value: float | None) -> str:
    if value is None:
        return "0"
    return f"{max(0.0, min(1.0, value)) * 100:.2f}"
