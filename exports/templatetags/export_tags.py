"""Template filters for result tables."""

from django import template
from django.utils.formats import number_format

from exports.staff import charts

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.5409 → "54,1 %" (localised); empty when there is no base."""
    if value is None:
        return ""
    return f"{number_format(round(value * 100, 1), 1)} %"  # round: number_format cuts digits off


@register.filter
def bar_width(value: float | None) -> str:
    if value is None:
        return "0"
    return f"{max(0.0, min(1.0, value)) * 100:.2f}"


@register.filter
def index(values: list | None, i: int) -> object:
    """values[i], or None when there is no such item (templates cannot subscript)."""
    try:
        return values[i] if values is not None else None
    except (IndexError, TypeError):
        return None


@register.filter
def points(value: float | None) -> str:
    """A difference in percentage points: +3,2 / −1,0; empty when unknown."""
    if value is None:
        return ""
    value = round(value, 1)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(round(abs(value), 1), 1)}"


@register.simple_tag
def bar_chart(options: list | None) -> dict:
    """The geometry of a frequency table's bar chart (exports/staff/charts.py) for exports/_chart.html."""
    return charts.bar_chart(options or [])
