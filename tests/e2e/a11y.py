"""What axe-core cannot check by itself, measured in the browser from computed styles.

`audit_page` runs, on the page as it is:
- axe-core (WCAG 2.1 A/AA), 0 violations;
- non-text contrast (WCAG 1.4.11): every visible radio, checkbox, text field and select has a
  border of ≥ 3:1 against what surrounds it, in normal and in error state (error pages are
  audited like any other); the focus indicator of each kind of control is an outline of
  ≥ 2 px with ≥ 3:1 against the background;
- text contrast of every staff button and badge ≥ 4.5:1 (axe skips some of them, e.g. outline
  buttons over images or partly hidden ones);
- reflow (WCAG 1.4.10): no sideways scrolling at 320 CSS px and at 400 % zoom of 1280 × 1024
  (the same 320 × 256 CSS px layout viewport a browser at 400 % zoom uses);
- forced colours (Chromium's emulation of Windows high contrast): every control still visible;
- text spacing (WCAG 1.4.12, the bookmarklet's values): no control hidden, no text cut off,
  still no sideways scrolling.
Screenshots at 1280 px and 320 px go to $E2E_SCREENSHOTS (default test-artifacts/screenshots).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import check_accessibility

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.getenv("E2E_SCREENSHOTS") or ROOT / "test-artifacts" / "screenshots")

_HELPERS = r"""
const parse = (c) => {
  const m = c && c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
};
const lum = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) return c;
  }
  return {r: 255, g: 255, b: 255, a: 1};
};
const shown = (el) => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 2 && r.height > 2 && s.visibility !== "hidden" && !el.closest("[hidden]");
};
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  (el.name ? `[name=${el.name}]` : "") + (el.type ? `[type=${el.type}]` : "") +
  (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
const CONTROLS = 'input:not([type=hidden]):not([type=submit]):not([type=button]), textarea, select';
"""

CONTROL_CONTRAST_JS = "() => {" + _HELPERS + r"""
  const problems = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!shown(el) || el.disabled) continue;
    const s = getComputedStyle(el);
    if (s.appearance !== "none" && (el.type === "radio" || el.type === "checkbox")) continue;  // native look
    const width = parseFloat(s.borderTopWidth);
    const border = parse(s.borderTopColor);
    const around = background(el.parentElement);
    const r = border && width > 0 ? ratio(border, around) : 0;
    if (r < 3) {
      problems.push(`${describe(el)}: border ${s.borderTopColor} ${width}px is ${r.toFixed(2)}:1 (needs 3:1)`);
    }
  }
  const kinds = {};
  const focusable = document.querySelectorAll(CONTROLS + ', button, a[href], summary');
  for (const el of focusable) {
    if (!shown(el) || el.disabled) continue;
    const kind = el.tagName === "INPUT" ? "input-" + el.type : el.tagName.toLowerCase();
    if (kinds[kind]) continue;
    kinds[kind] = true;
    el.focus();
    if (document.activeElement !== el) { problems.push(`${describe(el)} cannot be focused`); continue; }
    const s = getComputedStyle(el);
    const colour = parse(s.outlineColor);
    const around = background(el.parentElement);
    const r = colour ? ratio(colour, around) : 0;
    if (s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 2 || r < 3) {
      const outline = `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
      problems.push(`focus on ${describe(el)}: outline ${outline} (${r.toFixed(2)}:1, needs 2px and 3:1)`);
    }
    el.blur();
  }
  for (const el of document.querySelectorAll('.btn, .badge, .page-link')) {
    if (!shown(el) || el.disabled || !el.textContent.trim()) continue;
    const s = getComputedStyle(el);
    const r = ratio(parse(s.color), background(el));
    const text = el.textContent.trim().slice(0, 40);
    if (r < 4.5) problems.push(`${describe(el)} "${text}": text ${r.toFixed(2)}:1 (needs 4.5:1)`);
  }
  return {problems, kinds: Object.keys(kinds)};
}"""

REFLOW_JS = "() => {" + _HELPERS + r"""
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return [];
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.closest(".table-responsive");
    if ((box && box !== el) || !shown(el)) continue;  // data tables may scroll inside their box
    const r = el.getBoundingClientRect();
    if (r.right > root.clientWidth + 1) wide.push(`${describe(el)} (right edge ${Math.round(r.right)}px)`);
    if (wide.length > 8) break;
  }
  return [`page is ${root.scrollWidth}px wide in a ${root.clientWidth}px viewport`, ...wide];
}"""

FORCED_COLOURS_JS = "() => {" + _HELPERS + r"""
  const problems = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (el.disabled || el.closest("[hidden]")) continue;
    const s = getComputedStyle(el);
    if (!shown(el)) { problems.push(`${describe(el)} is not visible`); continue; }
    if (s.appearance === "none") {
      const border = parse(s.borderTopColor), around = background(el.parentElement);
      if (!border || parseFloat(s.borderTopWidth) === 0 || ratio(border, around) < 3) {
        problems.push(`${describe(el)}: no native look and no visible border in forced colours`);
      }
    }
  }
  return problems;
}"""

# The text-spacing bookmarklet (Steve Faulkner), applied through the CSSOM: the page's CSP
# forbids injected <style> elements, and it should.
TEXT_SPACING_JS = "() => {" + _HELPERS + r"""
  for (const el of document.querySelectorAll("body, body *")) {
    el.style.setProperty("line-height", "1.5", "important");
    el.style.setProperty("letter-spacing", "0.12em", "important");
    el.style.setProperty("word-spacing", "0.16em", "important");
  }
  for (const p of document.querySelectorAll("p")) p.style.setProperty("margin-bottom", "2em", "important");
  const problems = [];
  for (const el of document.querySelectorAll(CONTROLS + ", button, .btn")) {
    if (el.disabled || el.closest("[hidden]")) continue;
    if (!shown(el)) problems.push(`${describe(el)} is hidden after text spacing`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || !el.textContent.trim() || el.closest(".table-responsive")) continue;
    const s = getComputedStyle(el);
    const clipsX = /hidden|clip/.test(s.overflowX), clipsY = /hidden|clip/.test(s.overflowY);
    if (el.clientWidth <= 1 || s.clip !== "auto" && s.position === "absolute") continue;  // visually hidden
    if ((clipsX && el.scrollWidth > el.clientWidth + 2) || (clipsY && el.scrollHeight > el.clientHeight + 2)) {
      problems.push(`${describe(el)} cuts its text off ("${el.textContent.trim().slice(0, 40)}")`);
    }
  }
  return problems;
}"""


def _fail(label: str, what: str, problems: list[str]) -> None:
    if problems:
        pytest.fail(f"{what} on {label}:\n- " + "\n- ".join(problems[:20]), pytrace=False)


_SCRATCH: dict[int, object] = {}  # one scratch page per browser context


def axe_on_copy(page, label: str) -> None:
    """axe-core on the DOM of a page rendered without JavaScript.

    axe needs timers, which never fire where page scripts are off; so the DOM as the server sent
    it (scripts removed, same stylesheets through <base>) is checked in a scratch page.
    """
    html = page.content()
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    base = re.match(r"https?://[^/]+", page.url).group(0)
    html = html.replace("<head>", f'<head><base href="{base}/">', 1)
    scratch = _SCRATCH.get(id(page.context))
    if scratch is None or scratch.is_closed():
        scratch = _SCRATCH[id(page.context)] = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    scratch.set_content(html, wait_until="load")
    # The stylesheets arrive after the first render, so Bootstrap's colour transitions would still be running
    # when axe measures contrast; the final colours are what the page shows.
    scratch.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    check_accessibility(scratch, label + " (without JavaScript)")


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def audit_page(page, label: str, *, js: bool = True, screenshots: bool = True, quick: bool = False,
               controls: set[str] | None = None) -> None:
    """Every check of the module docstring on the current page; the page is left reflowed and spaced.

    quick: only axe, control contrast and reflow at 320 px (for a second language of a page
      whose layout does not depend on JavaScript; the full set runs on the first).
    js: whether the page's context runs JavaScript (axe then runs on a copy, see axe_on_copy).
    controls: the page's control kinds seen by the focus check are added to this set (so a test
    can assert that every kind of control was covered somewhere).
    """
    page.set_viewport_size({"width": 1280, "height": 900})
    if js:
        check_accessibility(page, label)
    else:
        axe_on_copy(page, label)
    result = page.evaluate(CONTROL_CONTRAST_JS)
    _fail(label, "control contrast", result["problems"])
    if controls is not None:
        controls.update(result["kinds"])
    if screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{slug(label)}-1280.png", full_page=True)
    if quick:
        page.set_viewport_size({"width": 320, "height": 640})
        _fail(label, "reflow at 320 px", page.evaluate(REFLOW_JS))
        page.set_viewport_size({"width": 1280, "height": 900})
        return

    page.emulate_media(forced_colors="active")
    try:
        _fail(label, "forced colours", page.evaluate(FORCED_COLOURS_JS))
    finally:
        page.emulate_media(forced_colors="none")

    page.set_viewport_size({"width": 1280 // 4, "height": 1024 // 4})  # 400 % zoom
    _fail(label, "reflow at 400 % zoom", page.evaluate(REFLOW_JS))
    page.set_viewport_size({"width": 320, "height": 640})
    _fail(label, "reflow at 320 px", page.evaluate(REFLOW_JS))
    result = page.evaluate(CONTROL_CONTRAST_JS)  # the narrow layout (matrix) has its own borders
    _fail(label, "control contrast at 320 px", result["problems"])
    if screenshots:
        page.screenshot(path=SCREENSHOTS / f"{slug(label)}-320.png", full_page=True)

    _fail(label, "text spacing", page.evaluate(TEXT_SPACING_JS))
    _fail(label, "reflow at 320 px with text spacing", page.evaluate(REFLOW_JS))
    page.set_viewport_size({"width": 1280, "height": 900})
