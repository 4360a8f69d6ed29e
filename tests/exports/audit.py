"""An attacker's audit of a published table: for every suppressed entry, the smallest and the largest
value it can take given the published entries and the table's equations (linear programming with
scipy). A suppressed entry is protected when these differ: the equations of a table with its margins
are totally unimodular, so both ends are whole numbers and at least two counts fit."""

from __future__ import annotations

from collections.abc import Sequence

from scipy.optimize import linprog


def ranges(values: Sequence[float], hidden: Sequence[bool],
           equations: Sequence[Sequence[tuple[int, float]]]) -> dict[int, tuple[float, float]]:
    """{suppressed entry: (min, max)} over all non-negative solutions of `equations` (each a list of
    (entry, coefficient) summing to zero) in which the published entries keep their values."""
    unknown = [i for i, off in enumerate(hidden) if off]
    column = {entry: j for j, entry in enumerate(unknown)}
    a_eq, b_eq = [], []
    for equation in equations:
        row = [0.0] * len(unknown)
        constant = 0.0
        for entry, coefficient in equation:
            if entry in column:
                row[column[entry]] += coefficient
            else:
                constant -= coefficient * values[entry]
        if any(row):
            a_eq.append(row)
            b_eq.append(constant)
    out = {}
    for entry, j in column.items():
        objective = [0.0] * len(unknown)
        ends = []
        for sign in (1.0, -1.0):
            objective[j] = sign
            result = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
            if result.status == 3:  # unbounded: certainly not determined
                ends.append(float("inf") * -sign)
            else:
                assert result.status == 0, result.message
                ends.append(sign * result.fun)
        out[entry] = (ends[0], ends[1])
    return out


def determined(values: Sequence[float], hidden: Sequence[bool],
               equations: Sequence[Sequence[tuple[int, float]]]) -> list[int]:
    """The suppressed entries whose value the published ones give away."""
    return [entry for entry, (low, high) in ranges(values, hidden, equations).items() if high - low < 0.5]


def one_way_equations(n: int) -> list[list[tuple[int, float]]]:
    """Entries 0..n-1 are counts, entry n their total."""
    return [[*((i, 1.0) for i in range(n)), (n, -1.0)]]


def two_way_layout(cells: Sequence[Sequence[float]]) -> tuple[list[float], list[list[tuple[int, float]]]]:
    """The entries of a cross-tab with margins (cells row by row, row totals, column totals, grand
    total) and its equations."""
    rows, cols = len(cells), len(cells[0])
    row_totals = [sum(r) for r in cells]
    col_totals = [sum(cells[i][j] for i in range(rows)) for j in range(cols)]
    values = [v for r in cells for v in r] + row_totals + col_totals + [sum(row_totals)]
    rt, ct, grand = rows * cols, rows * cols + rows, rows * cols + rows + cols
    equations = [[*((i * cols + j, 1.0) for j in range(cols)), (rt + i, -1.0)] for i in range(rows)]
    equations += [[*((i * cols + j, 1.0) for i in range(rows)), (ct + j, -1.0)] for j in range(cols)]
    equations.append([*((rt + i, 1.0) for i in range(rows)), (grand, -1.0)])
    equations.append([*((ct + j, 1.0) for j in range(cols)), (grand, -1.0)])
    return values, equations
