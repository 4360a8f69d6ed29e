"""The condition language: parsing, evaluation, errors and hostile input."""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.conditions import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Answered,
    Compare,
    ConditionError,
    Contains,
    In,
    Literal,
    Not,
    Or,
    Var,
    evaluate,
    parse,
    references,
    to_source,
    variables,
)

USER = {"B1_nutzung": "1", "B2_zweck": ["1", "2"], "B3_dauer": "3", "A2_beschaeftigte": "250",
        "A1_bereich": "6", "A1_bereich_6_text": "Kämmerei", "C1_1": "2"}


# --- ordinary expressions --------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "expected"), [
    ("B1_nutzung = 1", True),
    ("B1_nutzung = 2", False),
    ("B1_nutzung != 2", True),
    ("B1_nutzung != 1", False),
    ("B2_zweck contains 1", True),
    ("B2_zweck contains 3", False),
    ("B3_dauer in [2, 3]", True),
    ("B3_dauer in [1]", False),
    ("B2_zweck in [3, 2]", True),      # a multi answer: any chosen option
    ("answered B3_dauer", True),
    ("answered G2_einfuehrung", False),
    ("A2_beschaeftigte > 100", True),
    ("A2_beschaeftigte >= 250", True),
    ("A2_beschaeftigte < 250", False),
    ("A2_beschaeftigte <= 250.0", True),
    ("C1_1 = 2", True),
    ("A1_bereich_6_text = 'Kämmerei'", True),
    ('A1_bereich_6_text = "Kämmerei"', True),
    ("A1_bereich_6_text != 'Kasse'", True),
])
def test_ordinary(expr, expected):
    assert evaluate(expr, USER) is expected


def test_precedence_not_and_or():
    answers = {"a": "1", "b": "2", "c": "3"}
    # not binds tighter than and, and tighter than or
    assert parse("not a = 1 and b = 2") == And((Not(Compare(Var("a"), "=", Literal("1", True))),
                                                Compare(Var("b"), "=", Literal("2", True))))
    assert parse("a = 1 or b = 2 and c = 9") == Or((Compare(Var("a"), "=", Literal("1", True)),
                                                   And((Compare(Var("b"), "=", Literal("2", True)),
                                                        Compare(Var("c"), "=", Literal("9", True))))))
    assert evaluate("a = 1 or b = 2 and c = 9", answers) is True
    assert evaluate("(a = 1 or b = 2) and c = 9", answers) is False
    assert evaluate("not a = 1 or b = 2", answers) is True
    assert evaluate("not (a = 1 or b = 2)", answers) is False
    assert evaluate("not not a = 1", answers) is True


def test_parentheses_and_whitespace():
    assert evaluate("((B1_nutzung = 1))", USER)
    assert evaluate("\n( B1_nutzung=1 )\tand(B2_zweck contains 2)", USER)


def test_numeric_versus_string_comparison():
    assert evaluate("x = 1", {"x": "1.0"})          # numbers compare numerically
    assert evaluate("x = 01", {"x": "1"})
    assert not evaluate("x = '01'", {"x": "1"})     # a quoted literal is a string
    assert evaluate("x < 10", {"x": "9"})           # numeric: 9 < 10
    assert not evaluate("x < '10'", {"x": "9"})     # string: "9" > "10"
    assert evaluate("x > 5", {"x": "abc"}) is True  # answer not a number → string compare "abc" > "5"
    assert evaluate("x = -2.5", {"x": "-2.50"})
    assert not evaluate("x = 1", {"x": "1e0"})      # only plain decimals count as numbers
    assert not evaluate("x = 1", {"x": "NaN"})


def test_unanswered_makes_every_comparison_false():
    for value in (None, "", []):
        answers = {"x": value} if value is not None else {}
        for expr in ("x = 1", "x != 1", "x < 1", "x >= 1", "x contains 1", "x in [1, 2]", "answered x"):
            assert evaluate(expr, answers) is False, (expr, value)
        assert evaluate("not x = 1", answers) is True
        assert evaluate("not answered x", answers) is True


def test_list_answers_compare_false_except_contains_and_in():
    answers = {"m": ["1"]}
    assert not evaluate("m = 1", answers)
    assert not evaluate("m != 1", answers)
    assert evaluate("m contains 1", answers)
    assert evaluate("m in [1]", answers)


def test_contains_on_a_single_value_means_equals():
    assert evaluate("x contains 2", {"x": "2"})
    assert not evaluate("x contains 2", {"x": "23"})


def test_empty_condition_is_true():
    assert evaluate("", {}) is True
    assert evaluate(None, {}) is True
    assert evaluate("   ", {}) is True


def test_string_escapes_and_unicode():
    assert evaluate(r"t = 'O\'Brien'", {"t": "O'Brien"})
    assert evaluate(r't = "a\\b"', {"t": "a\\b"})
    assert evaluate("t = 'Grüße ☃ 日本'", {"t": "Grüße ☃ 日本"})
    assert parse("t = 'x y'") == Compare(Var("t"), "=", Literal("x y", False))


def test_variables_and_references():
    assert variables("B1_nutzung = 1 and (B2_zweck contains 2 or not answered H3_email)") == {
        "B1_nutzung", "B2_zweck", "H3_email"}
    assert variables("") == set() and variables(None) == set()
    refs = references("a = 1 or b = 2")
    assert [(r.name, r.position) for r in refs] == [("a", 0), ("b", 9)]


def test_known_codes():
    parse("B1_nutzung = 1", known={"B1_nutzung"})
    with pytest.raises(ConditionError) as exc:
        parse("B1_nutzung = 1 and X9 = 2", known={"B1_nutzung"})
    assert exc.value.position == 19
    assert "unknown variable 'X9'" in exc.value.message


def test_known_kinds():
    kinds = {"B1_nutzung": "single", "B2_zweck": "multi", "C1": "matrix", "C1_1": "row"}
    parse("B2_zweck contains 1 and B1_nutzung = 1 and C1_1 in [1, 2]", known=kinds)
    with pytest.raises(ConditionError, match="'contains' needs a multiple choice variable"):
        parse("B1_nutzung contains 1", known=kinds)
    with pytest.raises(ConditionError, match="use 'contains' instead of '='"):
        parse("B2_zweck = 1", known=kinds)
    with pytest.raises(ConditionError, match="matrix question"):
        parse("answered C1", known=kinds)


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "position", "message"), [
    ("B1_nutzung = = 1", 13, "expected a value"),
    ("B1_nutzung == 1", 11, "use a single '='"),
    ("B1_nutzung", 10, "expected a comparison"),
    ("B1_nutzung = 1 and", 18, "expected a variable code"),
    ("(B1_nutzung = 1", 15, "expected ')'"),
    ("B1_nutzung = 1)", 14, "unexpected ')'"),
    ("B1_nutzung in 1", 14, "expected '['"),
    ("B1_nutzung in [1 2]", 17, "expected ',' or ']'"),
    ("B1_nutzung in []", 15, "expected a value"),
    ("x = 'open", 4, "unterminated string"),
    ("", 0, "empty condition"),
    ("   ", 3, "empty condition"),
    ("x ! 1", 2, "unexpected '!'"),
    ("x = 1abc", 4, "malformed number"),
    ("x = 1.2.3", 4, "malformed number"),
    ("x = y", 4, "expected a value"),
    ("and = 1", 0, "expected a variable code"),
    ("x = 1 x = 2", 6, "unexpected 'x'"),
    ("x = 1; drop table", 5, "unexpected character ';'"),
    ("__import__('os')", 10, "expected a comparison"),
    ("__import__('os').system('rm -rf /') = 1", 10, "expected a comparison"),
    ("x = 1 or os.system('id')", 11, "unexpected character '.'"),
    ("x = {1}", 4, "unexpected character '{'"),
    ("Größe = 1", 2, "unexpected character 'ö'"),
    ("x = 1 \x00", 6, "unexpected character '\\x00'"),
    ("x\u200b = 1", 1, "unexpected character '\\u200b'"),
])
def test_errors_have_position_and_message(expr, position, message):
    with pytest.raises(ConditionError) as exc:
        parse(expr)
    assert exc.value.position == position, exc.value
    assert message in exc.value.message
    assert str(exc.value).startswith(f"at position {position}: ")


def test_not_a_string():
    with pytest.raises(ConditionError, match="must be text"):
        parse(b"x = 1")  # type: ignore[arg-type]
    with pytest.raises(ConditionError):
        parse(None)  # type: ignore[arg-type]


# --- hostile input ---------------------------------------------------------------------------

def test_deep_parentheses_raise_condition_error_not_recursion_error():
    limit = sys.getrecursionlimit()
    for expr in ("(" * 10_000 + "x = 1" + ")" * 10_000, "(" * 900 + "x = 1" + ")" * 900):
        with pytest.raises(ConditionError, match="too deeply nested") as exc:
            parse(expr)
        assert exc.value.position == MAX_DEPTH  # the first "(" beyond the limit
    assert sys.getrecursionlimit() == limit


def test_deep_not_chain():
    with pytest.raises(ConditionError, match="too deeply nested"):
        parse("not " * 400 + "x = 1")


def test_nesting_up_to_the_limit_works():
    expr = "(" * MAX_DEPTH + "x = 1" + ")" * MAX_DEPTH
    assert evaluate(expr, {"x": "1"})
    assert evaluate("not " * MAX_DEPTH + "x = 1", {"x": "1"}) is (MAX_DEPTH % 2 == 0)


def test_ten_thousand_deep_under_a_raised_length_limit(monkeypatch):
    """The depth limit, not the length limit, stops 10,000 levels (and never a RecursionError)."""
    import surveys.conditions as c

    monkeypatch.setattr(c, "MAX_LENGTH", 100_000)
    limit = sys.getrecursionlimit()
    with pytest.raises(ConditionError, match="too deeply nested"):
        c.parse("(" * 10_000 + "x = 1" + ")" * 10_000)
    with pytest.raises(ConditionError, match="too deeply nested"):
        c.parse("not " * 10_000 + "x = 1")
    assert sys.getrecursionlimit() == limit


def test_huge_input_is_refused_by_length():
    expr = " or ".join(["x = 1"] * 1000)
    assert len(expr) > MAX_LENGTH
    with pytest.raises(ConditionError, match="too long"):
        parse(expr)
    with pytest.raises(ConditionError, match="too long"):
        parse("x = '" + "a" * 5_000_000 + "'")


def test_long_flat_chains_within_the_limit_work():
    expr = " or ".join(f"x = {i}" for i in range(150))
    assert len(expr) <= MAX_LENGTH
    assert evaluate(expr, {"x": "149"})
    assert not evaluate(expr, {"x": "150"})


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_never_raises_anything_but_condition_error(text):
    try:
        node = parse(text)
    except ConditionError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        evaluate(node, {})


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_garbage_bytes_decoded_never_crash(data):
    try:
        parse(data.decode("latin-1"))
    except ConditionError:
        pass


# --- property: printed ASTs re-parse to the same meaning -------------------------------------

VARS = ["a", "b", "m", "t_1"]
number_lits = st.integers(-5, 12).map(lambda i: Literal(str(i), True))
string_lits = st.text(alphabet="ab1 '\"\\ü", max_size=4).map(lambda s: Literal(s, False))
literals = st.one_of(number_lits, string_lits)
var_nodes = st.sampled_from(VARS).map(Var)
leaves = st.one_of(
    st.builds(Compare, var_nodes, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), literals),
    st.builds(Contains, var_nodes, literals),
    st.builds(In, var_nodes, st.lists(literals, min_size=1, max_size=3).map(tuple)),
    st.builds(Answered, var_nodes),
)
nodes = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
    ),
    max_leaves=12,
)
values = st.one_of(
    st.none(), st.just(""), st.integers(-6, 13).map(str), st.sampled_from(["a", "b1", "ü", "'", "10", "2.0"]),
    st.lists(st.integers(0, 4).map(str), max_size=3),
)
answer_sets = st.fixed_dictionaries({v: values for v in VARS})


@given(nodes, answer_sets)
@settings(max_examples=400, deadline=None)
def test_printed_ast_reparses_and_evaluates_the_same(node, answers):
    text = to_source(node)
    reparsed = parse(text)
    assert reparsed == node
    assert evaluate(reparsed, answers) == evaluate(node, answers)


def test_to_data_is_plain_json_for_the_page_script():
    """static/js/conditions.js reads this shape; every node kind and literal type appears once."""
    import json

    from surveys.conditions import parse, to_data

    node = parse("not (B1 = 1 or answered B2) and B3 contains 'x' and B4 in [1, 'a'] and B5 >= 2.5")
    data = json.loads(json.dumps(to_data(node)))
    assert data == {"op": "and", "items": [
        {"op": "not", "item": {"op": "or", "items": [
            {"op": "=", "var": "B1", "values": [{"value": "1", "number": True}]},
            {"op": "answered", "var": "B2"}]}},
        {"op": "contains", "var": "B3", "values": [{"value": "x", "number": False}]},
        {"op": "in", "var": "B4", "values": [{"value": "1", "number": True}, {"value": "a", "number": False}]},
        {"op": ">=", "var": "B5", "values": [{"value": "2.5", "number": True}]},
    ]}
