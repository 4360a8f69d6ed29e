"""Server-rendered bar charts (SVG) of a frequency table: the geometry, computed once in Python so
the template only draws it (templates cannot do arithmetic).

The SVG has no viewBox: text keeps its size at any width while the bars are percentages of the
chart's width, so a chart fits 320 px as well as a wide column. Each option is a line of text —
its percentage first (so the value never depends on reading a bar or a colour), then its label,
wrapped onto further lines — and a bar below it. The bar colour (#0a58ca) has 6.3:1 against the
white page and 5.4:1 against its light track. Protected percentages (small-cell protection) get
a dash and no bar (–† where the count is suppressed under the publication rules). Screen readers
get the chart as one image with a name; its numbers are in the table beside it.
"""

from __future__ import annotations

import textwrap
from typing import Any

from django.utils.formats import number_format

LINE = 17  # px between text baselines (font size 13 px)
BAR = 12
GAP = 9  # between one option's bar and the next option's text
WRAP = 34  # characters per line: fits 290 px (a 320 px screen) in the page's font


def percent_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{number_format(round(value * 100, 1), 1)} %"


def bar_chart(options: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows of a chart: text lines with their baselines, the bar's y and width (percent of the chart)."""
    y = 0
    rows = []
    for option in options:
        protected = bool(option.get("protected"))
        value = option.get("percent")
        # † a suppressed count (publication rules), * a protected percentage, as in the tables
        head = "–†" if option.get("suppressed") else "–*" if protected else (
            percent_text(value) if value is not None else "–")
        lines = textwrap.wrap(str(option.get("label", "")), WRAP - len(head) - 1) or [""]
        first, rest = lines[0], textwrap.wrap(" ".join(lines[1:]), WRAP) if len(lines) > 1 else []
        baselines = []
        for _ in range(1 + len(rest)):
            y += LINE
            baselines.append(y)
        bar_y = y + 5
        width = 0.0 if protected or value is None else max(0.0, min(1.0, float(value))) * 100
        rows.append({"head": head, "first": first, "rest": list(zip(baselines[1:], rest, strict=True)),
                     "baseline": baselines[0], "bar_y": bar_y, "width": f"{width:.2f}",
                     "drawn": width > 0, "protected": protected})
        y = bar_y + BAR + GAP
    return {"rows": rows, "height": max(y - GAP + 2, 1), "bar": BAR}
