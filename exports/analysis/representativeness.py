"""Respondents against the full member register, and weights by raking on Land × size class.

Counts come from two GROUP BY queries (register and respondents); the chi-square goodness-of-fit
test is scipy's. Raking (iterative proportional fitting) runs on the Land × size class table of
respondents — at most 16 × 7 cells, so a few dozen iterations in Python cost microseconds — and
gives one weight per cell: every respondent of a cell gets the same weight, the weights average
1 over the respondents, and the weighted Land and size class distributions equal the register's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from invitations.models import Member
from responses.models import Response
from surveys.models import Survey

from .aggregation import snapshot, statuses
from .register import REGISTER_LABELS, REGISTER_VARIABLES, register_values

TOLERANCE = 1e-10
MAX_ITERATIONS = 1000


# One GROUP BY per side over (land, size class, typ) — at most 16 × 7 × 4 rows — from which every
# margin and the raking cells are summed in Python.
_KEYS = ("land", "groessenklasse", "typ")


def register_cells() -> dict[tuple[str, str, str], int]:
    rows = Member.objects.values_list(*_KEYS).annotate(n=Count("id")).order_by()
    return {(land, str(gk), typ): n for land, gk, typ, n in rows}


def respondent_cells(survey: Survey, include_partial: bool = False) -> dict[tuple[str, str, str], int]:
    rows = (Response.objects.filter(survey=survey, status__in=statuses(include_partial))
            .values_list(*[f"invitation__member__{k}" for k in _KEYS]).annotate(n=Count("id")).order_by())
    return {(land, str(gk), typ): n for land, gk, typ, n in rows}


def margin(cells: dict[tuple[str, str, str], int], *variables: str) -> dict[Any, int]:
    """Sum of the cells by one variable (key: its code) or several (key: tuple of codes)."""
    idx = [_KEYS.index(v) for v in variables]
    out: dict[Any, int] = {}
    for key, n in cells.items():
        k = key[idx[0]] if len(idx) == 1 else tuple(key[i] for i in idx)
        out[k] = out.get(k, 0) + n
    return out


def comparison(register: dict[str, int], respondents: dict[str, int],
               order: list[tuple[str, str]]) -> dict[str, Any]:
    """Counts, shares, difference in points and the chi-square goodness-of-fit test of one variable."""
    total_reg = sum(register.values())
    total_resp = sum(respondents.values())
    rows = []
    for code, label in order:
        reg, resp = register.get(code, 0), respondents.get(code, 0)
        if not reg and not resp:
            continue
        reg_share = reg / total_reg if total_reg else None
        resp_share = resp / total_resp if total_resp else None
        diff = (resp_share - reg_share) * 100 if reg_share is not None and resp_share is not None else None
        rows.append({"code": code, "label": label, "register": reg, "register_share": reg_share,
                     "respondents": resp, "respondent_share": resp_share, "difference_points": diff})
    test = chi_square([r["respondents"] for r in rows], [r["register"] for r in rows])
    return {"rows": rows, "register_total": total_reg, "respondents_total": total_resp, **test}


def chi_square(observed: list[int], register: list[int]) -> dict[str, Any]:
    """Goodness of fit of the respondents to the register shares (categories with members only)."""
    pairs = [(o, r) for o, r in zip(observed, register, strict=True) if r > 0]
    n, total = sum(o for o, _ in pairs), sum(r for _, r in pairs)
    if len(pairs) < 2 or n == 0:
        return {"chi2": None, "df": None, "p_value": None, "small_expected": 0}
    expected = [n * r / total for _, r in pairs]
    # Imported here, not at the top: scipy.stats' import costs about as much as the whole Django start,
    # and the cross-tabs and weights, which import this module in every web process, never need it.
    from scipy import stats

    result = stats.chisquare([o for o, _ in pairs], expected)
    return {"chi2": float(result.statistic), "df": len(pairs) - 1, "p_value": float(result.pvalue),
            "small_expected": sum(1 for e in expected if e < 5)}


def representativeness(survey: Survey, include_partial: bool = False) -> dict[str, Any]:
    """One comparison per register variable (land, groessenklasse, typ)."""
    with snapshot():
        register, respondents = register_cells(), respondent_cells(survey, include_partial)
    return {variable: {"label": REGISTER_LABELS[variable],
                       **comparison(margin(register, variable), margin(respondents, variable),
                                    list(register_values(variable)))}
            for variable in REGISTER_VARIABLES}


@dataclass
class Raking:
    """Weights per (land, size class) cell; `converged` False names the margins that cannot be met."""

    weights: dict[tuple[str, str], float] = field(default_factory=dict)
    converged: bool = True
    iterations: int = 0
    problems: list[str] = field(default_factory=list)
    max_deviation: float = 0.0


def rake(cells: dict[tuple[str, str], float], row_targets: dict[str, float], col_targets: dict[str, float],
         tolerance: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS) -> Raking:
    """Iterative proportional fitting of cell counts to two margins (targets as shares or totals).

    Targets are rescaled to the respondents' total, so the weights average 1. Margins that no
    respondent falls into are reported (they cannot be met) and left out of the fitting.
    """
    n = sum(cells.values())
    result = Raking()
    if n == 0:
        result.converged = False
        result.problems.append("no respondents")
        return result
    rows = {r for r, _ in cells}
    cols = {c for _, c in cells}
    for name, targets, present in (("land", row_targets, rows), ("groessenklasse", col_targets, cols)):
        for code, target in targets.items():
            if target > 0 and code not in present:
                result.problems.append(f"{name}={code}")
    rt = _scaled({k: v for k, v in row_targets.items() if k in rows}, n)
    ct = _scaled({k: v for k, v in col_targets.items() if k in cols}, n)
    fitted = dict(cells)
    for iteration in range(1, max_iterations + 1):
        for margin, index in ((rt, 0), (ct, 1)):
            sums: dict[str, float] = {}
            for key, value in fitted.items():
                sums[key[index]] = sums.get(key[index], 0.0) + value
            for key in fitted:
                total = sums[key[index]]
                fitted[key] = fitted[key] * margin.get(key[index], 0.0) / total if total else 0.0
        deviation = _deviation(fitted, rt, ct)
        result.iterations = iteration
        result.max_deviation = deviation
        if deviation < tolerance * n:
            break
    else:
        result.converged = False
    result.converged = result.converged and not result.problems
    result.weights = {key: fitted[key] / cells[key] for key in cells if cells[key]}
    return result


def _scaled(targets: dict[str, float], n: float) -> dict[str, float]:
    total = sum(targets.values())
    return {k: v * n / total for k, v in targets.items()} if total else {}


def _deviation(fitted: dict[tuple[str, str], float], rt: dict[str, float], ct: dict[str, float]) -> float:
    worst = 0.0
    for margin, index in ((rt, 0), (ct, 1)):
        sums: dict[str, float] = {}
        for key, value in fitted.items():
            sums[key[index]] = sums.get(key[index], 0.0) + value
        for code, target in margin.items():
            worst = max(worst, abs(sums.get(code, 0.0) - target))
    return worst


def rake_weights(survey: Survey, include_partial: bool = False,
                 cells: tuple[dict, dict] | None = None) -> Raking:
    """Weights of the survey's respondents on Land × size class against the member register
    (`cells`: register and respondent cells already read in the caller's snapshot)."""
    register, respondents = cells or (register_cells(), respondent_cells(survey, include_partial))
    table = {k: float(n) for k, n in margin(respondents, "land", "groessenklasse").items()}
    return rake(table, {k: float(v) for k, v in margin(register, "land").items()},
                {k: float(v) for k, v in margin(register, "groessenklasse").items()})


def representativeness_and_weights(survey: Survey, include_partial: bool = False) -> tuple[dict[str, Any], Raking]:
    """Both from one read of the register and the respondents."""
    with snapshot():
        cells = register_cells(), respondent_cells(survey, include_partial)
    register, respondents = cells
    tables = {variable: {"label": REGISTER_LABELS[variable],
                         **comparison(margin(register, variable), margin(respondents, variable),
                                      list(register_values(variable)))}
              for variable in REGISTER_VARIABLES}
    return tables, rake_weights(survey, include_partial, cells)
