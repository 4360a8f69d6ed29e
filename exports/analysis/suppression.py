"""Cell suppression: which counts of a table may not be published, so that none below the minimum base
can be read or computed back from the published ones.

A table is a set of *entries* (counts and their totals) tied by linear equations (the cells of a row
add up to the row total, ...). Each entry lies in one or two equations, so the table is a graph: an
equation is a node, an entry an edge between the equations it is part of (the node `OUTSIDE` where it
is part of one only). A suppressed entry can be computed back exactly when it is a *bridge* of the
graph of suppressed entries — not on a cycle: on a cycle, adding 1 to every other entry and taking 1
from the rest keeps every equation and every published figure, so the values are not determined.

1. primary suppression: every count with 0 < count < k;
2. secondary suppression: while a suppressed entry is a bridge, the cheapest path of published entries
   that closes a cycle through it is suppressed too (Dijkstra; cost = the count, so the smallest
   counts go first; totals only when no count closes the cycle, because a suppressed total costs
   every percentage of its line, and zeros last of all: the ±1 move must not take a zero below 0).

For a one-way table (options adding up to the base) this is the usual rule: if exactly one count is
suppressed, the next smallest is suppressed too. For a cross-tab with its margins it gives at least two
suppressed entries (or none) in every row and column, margins included, and no suppressed entry off a
cycle. Pure functions without Django: the property tests run them over random tables.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence
from itertools import count as counter

OUTSIDE = "outside"
TOTAL_COST = 1e9  # a total (base, row total) only when no count closes the cycle
ZERO_COST = 1e12  # a zero last of all: two zeros on a cycle block the ±1 move (and a zero row total fixes its row)
FIXED = float("inf")  # published elsewhere: never suppressed here

Node = Hashable
Edge = tuple[Node, Node]


def is_small(value: float, k: int) -> bool:
    """A count that may not be published: above zero and below the minimum base."""
    return 0 < value < k


def _connected(edges: Sequence[Edge], chosen: set[int], skip: int) -> set[Node]:
    """The nodes reachable from edge `skip`'s first end through the chosen edges other than `skip`."""
    start = edges[skip][0]
    adjacent: dict[Node, list[Node]] = {}
    for i in chosen:
        if i != skip:
            a, b = edges[i]
            adjacent.setdefault(a, []).append(b)
            adjacent.setdefault(b, []).append(a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in adjacent.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cheapest_path(edges: Sequence[Edge], costs: Sequence[float], chosen: set[int], skip: int,
                   sources: set[Node]) -> list[int]:
    """Entries (not yet chosen) on the cheapest path from `sources` to the other end of `skip`."""
    target = edges[skip][1]
    tie = counter()
    queue: list[tuple[float, int, Node]] = [(0.0, next(tie), node) for node in sources]
    best: dict[Node, float] = dict.fromkeys(sources, 0.0)
    came: dict[Node, tuple[Node, int]] = {}
    while queue:
        dist, _, node = heapq.heappop(queue)
        if node == target:
            break
        if dist > best.get(node, FIXED):
            continue
        for i, (a, b) in enumerate(edges):
            if i == skip or node not in (a, b) or (i not in chosen and costs[i] == FIXED):
                continue
            other = b if node == a else a
            step = dist + (0.0 if i in chosen else costs[i])
            if step < best.get(other, FIXED):
                best[other] = step
                came[other] = (node, i)
                heapq.heappush(queue, (step, next(tie), other))
    if target not in came:
        return []
    path, node = [], target
    while node not in sources:
        node, i = came[node]
        path.append(i)
    return [i for i in path if i not in chosen]


def suppress(values: Sequence[float], edges: Sequence[Edge], k: int, costs: Sequence[float] | None = None,
             already: Sequence[int] = ()) -> set[int]:
    """Indexes of the entries to suppress: every small one (and `already`), then every further entry
    needed so that no suppressed entry is a bridge. `costs` default to the values (zeros and totals
    made dear by the caller)."""
    costs = list(costs) if costs is not None else [ZERO_COST if v == 0 else float(v) for v in values]
    chosen = {i for i, v in enumerate(values) if is_small(v, k)} | set(already)
    changed = True
    while changed:
        changed = False
        for i in sorted(chosen):
            side = _connected(edges, chosen, i)
            if edges[i][1] in side:
                continue  # on a cycle already
            added = _cheapest_path(edges, costs, chosen, i, side)
            if added:
                chosen.update(added)
                changed = True
                break
    return chosen


def _cost(value: float, total: bool = False) -> float:
    base = TOTAL_COST if total else 0.0
    return base + (ZERO_COST if value == 0 else float(value))


def one_way(counts: Sequence[float], total: float, k: int, fixed: Sequence[bool] | None = None,
            already: Sequence[bool] | None = None) -> tuple[list[bool], bool]:
    """(suppressed per count, total suppressed) of counts that add up to `total`. A count marked
    `fixed` is published elsewhere and never chosen as a secondary; `already` are suppressed anyway."""
    n = len(counts)
    values = [*counts, total]
    edges: list[Edge] = [("sum", OUTSIDE)] * (n + 1)
    costs = [FIXED if fixed and fixed[i] else _cost(v) for i, v in enumerate(counts)] + [_cost(total, True)]
    chosen = suppress(values, edges, k, costs, [i for i in range(n) if already and already[i]])
    return [i in chosen for i in range(n)], n in chosen


def two_way(cells: Sequence[Sequence[float]], row_totals: Sequence[float], col_totals: Sequence[float],
            grand: float, k: int, fixed_rows: Sequence[bool] | None = None,
            already_rows: Sequence[bool] | None = None) -> tuple[list[list[bool]], list[bool], list[bool], bool]:
    """Suppression of a cross-tab with its margins: (per cell, per row total, per column total, grand
    total). Row totals marked `fixed_rows` are published elsewhere (the one-way table of the same
    variable) and not chosen as secondaries; `already_rows` are suppressed there and so here."""
    rows, cols = len(cells), len(col_totals)
    values: list[float] = []
    edges: list[Edge] = []
    costs: list[float] = []
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            values.append(v)
            edges.append((("row", i), ("col", j)))
            costs.append(_cost(v))
    for i, v in enumerate(row_totals):
        values.append(v)
        edges.append((("row", i), "row totals"))
        costs.append(FIXED if fixed_rows and fixed_rows[i] else _cost(v, True))
    for j, v in enumerate(col_totals):
        values.append(v)
        edges.append(("column totals", ("col", j)))
        costs.append(_cost(v, True))
    values.append(grand)
    edges.append(("column totals", "row totals"))
    costs.append(FIXED)  # the number of respondents is in the overview
    already = [rows * cols + i for i in range(rows) if already_rows and already_rows[i]]
    chosen = suppress(values, edges, k, costs, already)
    cell = [[i * cols + j in chosen for j in range(cols)] for i in range(rows)]
    row_s = [rows * cols + i in chosen for i in range(rows)]
    col_s = [rows * cols + rows + j in chosen for j in range(cols)]
    return cell, row_s, col_s, len(values) - 1 in chosen
