"""Compare what the simulated respondents entered with what the export contains, keyed by AGS.

    python -m bench.load.check_export RECORDS.jsonl RESULTS.xlsx PARTIAL.xlsx [--database-url URL]

RESULTS.xlsx: `manage.py export_results SLUG --out RESULTS.xlsx` (submitted responses only);
PARTIAL.xlsx: the same with `--include-partial`. Both are read back from the "Daten" sheet (one
header row of variable codes, one row per response).

Checks, per respondent record (see locustfile.py):
- submitted respondents: exactly one row with their AGS in RESULTS, with the register name of
  their municipality, and every variable column equal to what they last saved per page (a value
  they never gave must be empty, a multiple choice is one 0/1 column per option);
- respondents who did not submit: no row in RESULTS, exactly one row in PARTIAL with the answers
  the server confirmed (a page save that got no answer may be either state);
- no row whose AGS belongs to nobody, no AGS twice;
- with --database-url: no duplicated rows in responses_answer (same response and variable twice,
  except one row per chosen option of a multiple choice).
Prints a summary; exit status 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from openpyxl import load_workbook

MULTI = ("B2_zweck", "D1_extern", "F1_hemmnisse", "G1_ausbau")
FIRST_VARIABLE_COLUMN = 9  # ags, name, land, typ, einwohner, groessenklasse, status, started_at, submitted_at


def read_data_sheet(path: str) -> tuple[list[str], list[list[Any]]]:
    workbook = load_workbook(path, read_only=True)
    rows = workbook["Daten"].iter_rows(values_only=True)
    header = [str(c) for c in next(rows)]
    data = [list(r) for r in rows if r and r[0] is not None]
    workbook.close()
    return header, data


def normalise_text(value: str) -> str:
    """What the app stores for a posted text: CRLF/CR → LF, surrounding whitespace stripped."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def expected_cell(code: str, answers: dict[str, Any]) -> Any:
    for question in MULTI:
        if code.startswith(question + "_") and code[len(question) + 1:].isdigit():
            chosen = answers.get(question) or []
            return None if not chosen else (1 if code[len(question) + 1:] in chosen else 0)
    value = answers.get(code)
    return None if value is None else normalise_text(str(value))


def actual_cell(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1) else str(value)


def flatten(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for page_answers in pages.values():
        answers.update(page_answers)
    return answers


def candidates(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every acceptable final state: confirmed pages, with each unconfirmed save applied or not."""
    states = [dict(record["pages"])]
    for page, answers in record.get("pending", {}).items():
        states += [{**state, page: answers} for state in states]
    return [flatten(state) for state in states]


def compare_row(header: list[str], row: list[Any], record: dict[str, Any]) -> list[str]:
    problems = []
    got = dict(zip(header, row, strict=False))
    if got.get("name") != record["name"]:
        problems.append(f"name {got.get('name')!r} != {record['name']!r}")
    best: list[str] | None = None
    for answers in candidates(record):
        diffs = []
        for code in header[FIRST_VARIABLE_COLUMN:]:
            want = expected_cell(code, answers)
            have = actual_cell(got.get(code))
            if want is not None and not isinstance(want, int) and have is not None:
                have = str(have)
            if want != have:
                diffs.append(f"{code}: export {have!r}, entered {want!r}")
        if best is None or len(diffs) < len(best):
            best = diffs
        if not diffs:
            break
    return problems + (best or [])


def check(records_path: str, results_path: str, partial_path: str, database_url: str = "") -> bool:
    records = [json.loads(line) for line in open(records_path, encoding="utf-8") if line.strip()]
    by_ags: dict[str, dict[str, Any]] = {}
    reused = [r["ags"] for r in records if r["ags"] in by_ags or by_ags.setdefault(r["ags"], r) is not r]
    header, results = read_data_sheet(results_path)
    p_header, partial = read_data_sheet(partial_path)
    result_rows = {str(r[0]): r for r in results}
    partial_rows = {str(r[0]): r for r in partial}
    dup_results = [a for a, n in Counter(str(r[0]) for r in results).items() if n > 1]
    dup_partial = [a for a, n in Counter(str(r[0]) for r in partial).items() if n > 1]
    strangers = sorted(set(partial_rows) - set(by_ags))
    statuses = Counter(r["status"] for r in records)
    problems: dict[str, list[str]] = {}
    compared_answers = 0
    for ags, record in by_ags.items():
        if record["status"] == "submitted":
            row = result_rows.get(ags)
            issues = ["missing in the export"] if row is None else compare_row(header, row, record)
        else:
            issues = []
            if ags in result_rows and not record.get("submit_pending"):
                issues.append("not submitted, but in the export of submitted responses")
            row = partial_rows.get(ags)
            if row is None and not record.get("opened") and not record["pages"]:
                pass  # the run ended before its first request came back: it may never have reached the server
            elif row is None:
                issues.append("missing in the export with partial responses")
            else:
                issues += compare_row(p_header, row, record)
        compared_answers += sum(len(v) if isinstance(v, list) else 1 for v in flatten(record["pages"]).values())
        if issues:
            problems[ags] = issues
    errors = Counter(r["error"].split(":")[0] for r in records if r.get("error"))
    crashes = [r for r in records if r.get("crash")]

    print(f"respondents recorded:       {len(records)} ({dict(statuses)})")
    print(f"respondents with an error:  {sum(errors.values())} {dict(errors) if errors else ''}")
    print(f"rows in export (submitted): {len(results)}; with partial: {len(partial)}")
    print(f"answers compared:           {compared_answers}")
    print(f"AGS used by two respondents: {len(reused)}; AGS twice in export: {len(dup_results) + len(dup_partial)}; "
          f"rows of no respondent: {len(strangers)}")
    if crashes:
        print(f"respondents whose simulation crashed (a bug in the load test): {len(crashes)}, "
              f"e.g. {crashes[0]['crash'][:200]}")
    ok = not (crashes or reused or dup_results or dup_partial or strangers or problems)
    if database_url:
        duplicates = duplicated_answer_rows(database_url)
        print(f"duplicated answer rows in PostgreSQL: {duplicates}")
        ok = ok and duplicates == 0
    print(f"respondents whose export row differs from what they entered: {len(problems)}")
    for ags, issues in list(problems.items())[:10]:
        print(f"  AGS {ags} ({by_ags[ags]['status']}): " + "; ".join(issues[:5]))
    print("COMPARISON: " + ("OK — no answer lost, none duplicated, none attributed to the wrong municipality"
                            if ok else "FAILED"))
    return ok


DUPLICATED_ANSWERS = """
SELECT count(*) FROM (
    SELECT {A.response}, {A.variable} FROM {A}
    WHERE {A.variable} <> ALL(%s)
    GROUP BY {A.response}, {A.variable} HAVING count(*) > 1
    UNION ALL
    SELECT {A.response}, {A.variable} FROM {A}
    GROUP BY {A.response}, {A.variable}, {A.value} HAVING count(*) > 1
) AS d"""


def duplicated_answer_rows(database_url: str) -> int:
    """Answer rows twice for one variable (single-valued) or twice with the same value (multiple choice)."""
    import psycopg

    from harness.serve import django_here

    django_here(database_url)  # for the table and column names only
    from exports.analysis.rawsql import sql
    from responses.models import Answer

    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql(DUPLICATED_ANSWERS, A=Answer), [list(MULTI)]).fetchone()
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records")
    parser.add_argument("results")
    parser.add_argument("partial")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sys.exit(0 if check(args.records, args.results, args.partial, args.database_url) else 1)


if __name__ == "__main__":
    main()
