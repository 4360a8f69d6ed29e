"""The condition language of `show_if` on pages and questions.

A small tokenizer and a recursive-descent parser; expressions are never `eval`-ed.

Grammar (keywords are lower case; `not` binds tighter than `and`, `and` tighter than `or`)::

    expr     := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | primary
    primary  := "(" expr ")"
              | "answered" VAR
              | VAR ("=" | "!=" | "<" | "<=" | ">" | ">=") VALUE
              | VAR "contains" VALUE
              | VAR "in" "[" VALUE ("," VALUE)* "]"
    VALUE    := NUMBER | 'single quoted' | "double quoted"     (backslash escapes \\ \' \")

Semantics, on the answers mapping `dict[str, str | list[str]]` (see DESIGN / structure.py):
- an unanswered variable (missing, None, "" or []) makes every comparison, `contains` and `in` false;
- comparisons are numeric when both the answer and the literal are plain decimal numbers,
  otherwise they compare strings (a quoted literal is always a string);
- `contains` is true when a multiple choice answer (a list) holds the value; on a single value it means "equals";
- `in [..]` is true when the value (or, for a list, any chosen value) equals one of the literals;
- comparison operators on a list (a multiple choice answer) are false — use `contains`.

Hostile input is bounded: at most MAX_LENGTH characters and MAX_DEPTH nested parentheses/`not`s,
so parsing and evaluation never hit Python's recursion limit. Tokens are produced lazily, so
whichever limit is reached first is reported (10,000 opening parentheses: "too deeply nested").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

MAX_LENGTH = 2000
MAX_DEPTH = 50

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORDS = frozenset({"and", "or", "not", "contains", "in", "answered"})
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?\Z")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUM_TOKEN_RE = re.compile(r"-?\d+(?:\.\d+)?")

Answers = Mapping[str, "str | list[str] | None"]


class ConditionError(ValueError):
    """A condition that cannot be parsed or refers to something unknown.

    `position` is the 0-based character offset in `expr` where the problem was found.
    """

    def __init__(self, message: str, position: int = 0, expr: str = "") -> None:
        self.message = message
        self.position = position
        self.expr = expr
        super().__init__(f"at position {position}: {message}")


# --- AST -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str
    is_number: bool

    def source(self) -> str:
        if self.is_number:
            return self.value
        return "'" + self.value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Var:
    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    var: Var
    op: str
    value: Literal


@dataclass(frozen=True)
class Contains:
    var: Var
    value: Literal


@dataclass(frozen=True)
class In:
    var: Var
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Answered:
    var: Var


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Compare | Contains | In | Answered | Not | And | Or


# --- tokenizer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident, keyword, number, string, op, lparen, rparen, lbracket, rbracket, comma, end
    text: str
    position: int


def _too_long(expr: str) -> ConditionError:
    return ConditionError(f"condition is too long ({len(expr)} characters, at most {MAX_LENGTH})", MAX_LENGTH, expr)


def _tokenize(expr: str) -> Iterator[Token]:
    """Yield tokens lazily, so nesting errors surface before the whole input is read; input beyond
    MAX_LENGTH characters is refused as soon as the tokenizer reaches it (work stays bounded)."""
    i, n = 0, len(expr)
    while i < n:
        if i >= MAX_LENGTH:
            raise _too_long(expr)
        ch = expr[i]
        if ch in " \t\r\n":
            i += 1
        elif ch in "()[],":
            kind = {"(": "lparen", ")": "rparen", "[": "lbracket", "]": "rbracket", ",": "comma"}[ch]
            yield Token(kind, ch, i)
            i += 1
        elif ch in "<>!=":
            two = expr[i : i + 2]
            if two in ("<=", ">=", "!="):
                yield Token("op", two, i)
                i += 2
            elif ch == "!":
                raise ConditionError("unexpected '!' (did you mean '!='?)", i, expr)
            else:
                if two == "==":
                    raise ConditionError("unexpected '==' (use a single '=')", i, expr)
                yield Token("op", ch, i)
                i += 1
        elif ch in "'\"":
            token, i = _string_token(expr, i)
            yield token
        elif ch.isascii() and (ch.isdigit() or (ch == "-" and i + 1 < n and _ascii_digit(expr[i + 1]))):
            m = _NUM_TOKEN_RE.match(expr, i)
            assert m is not None
            end = m.end()
            if end < n and (expr[end].isalnum() or expr[end] in "_."):
                raise ConditionError(f"malformed number {expr[i:end + 1]!r}", i, expr)
            yield Token("number", m.group(), i)
            i = end
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _IDENT_RE.match(expr, i)
            assert m is not None
            word = m.group()
            yield Token("keyword" if word in KEYWORDS else "ident", word, i)
            i = m.end()
        else:
            raise ConditionError(f"unexpected character {ch!r}", i, expr)
    if n > MAX_LENGTH:
        raise _too_long(expr)
    yield Token("end", "", n)


def _string_token(expr: str, start: int) -> tuple[Token, int]:
    quote = expr[start]
    chars: list[str] = []
    i = start + 1
    while i < len(expr):
        if i >= MAX_LENGTH:
            raise _too_long(expr)
        ch = expr[i]
        if ch == "\\" and i + 1 < len(expr) and expr[i + 1] in ("\\", "'", '"'):
            chars.append(expr[i + 1])
            i += 2
        elif ch == quote:
            return Token("string", "".join(chars), start), i + 1
        else:
            chars.append(ch)
            i += 1
    raise ConditionError("unterminated string", start, expr)


# --- parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, expr: str, known: Mapping[str, str] | frozenset[str] | set[str] | None) -> None:
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.current = next(self.tokens)
        self.depth = 0
        self.known = known

    # helpers
    def peek(self) -> Token:
        return self.current

    def advance(self) -> Token:
        tok = self.current
        if tok.kind != "end":
            self.current = next(self.tokens)
        return tok

    def error(self, message: str, tok: Token | None = None) -> ConditionError:
        tok = tok or self.peek()
        return ConditionError(message, tok.position, self.expr)

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "keyword" and tok.text == word

    def enter(self, opener: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"condition is too deeply nested (more than {MAX_DEPTH} levels)", opener)

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty condition")
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected {_describe(tok)}; expected 'and', 'or' or the end", tok)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_kw("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.is_kw("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.is_kw("not"):
            self.enter(self.advance())
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "lparen":
            self.enter(self.advance())
            node = self.or_expr()
            self.depth -= 1
            if self.peek().kind != "rparen":
                raise self.error(f"expected ')' to close the '(' at position {tok.position}")
            self.advance()
            return node
        if tok.kind == "keyword" and tok.text == "answered":
            self.advance()
            answered = Answered(self.variable())
            self.check_kind(answered)
            return answered
        var = self.variable()
        op = self.peek()
        if op.kind == "op":
            self.advance()
            node: Node = Compare(var, op.text, self.value())
        elif op.kind == "keyword" and op.text == "contains":
            self.advance()
            node = Contains(var, self.value())
        elif op.kind == "keyword" and op.text == "in":
            self.advance()
            node = In(var, self.value_list())
        else:
            raise self.error(f"expected a comparison (=, !=, <, <=, >, >=, contains, in) after {var.name!r}", op)
        self.check_kind(node)
        return node

    def variable(self) -> Var:
        tok = self.peek()
        if tok.kind != "ident":
            raise self.error(f"expected a variable code, found {_describe(tok)}", tok)
        self.advance()
        if self.known is not None and tok.text not in self.known:
            raise self.error(f"unknown variable {tok.text!r}", tok)
        return Var(tok.text, tok.position)

    def value(self) -> Literal:
        tok = self.peek()
        if tok.kind == "number":
            self.advance()
            return Literal(tok.text, True)
        if tok.kind == "string":
            self.advance()
            return Literal(tok.text, False)
        raise self.error("expected a value", tok)

    def value_list(self) -> tuple[Literal, ...]:
        if self.peek().kind != "lbracket":
            raise self.error("expected '[' after 'in'")
        self.advance()
        values = [self.value()]
        while self.peek().kind == "comma":
            self.advance()
            values.append(self.value())
        if self.peek().kind != "rbracket":
            raise self.error("expected ',' or ']'")
        self.advance()
        return tuple(values)

    def check_kind(self, node: Node) -> None:
        """With `known` as a mapping variable → kind, reject operators that make no sense for the kind."""
        if not isinstance(self.known, Mapping):
            return
        var = node.var  # type: ignore[union-attr]
        kind = self.known.get(var.name)
        if isinstance(node, Contains) and kind != "multi":
            raise ConditionError(f"'contains' needs a multiple choice variable; {var.name!r} is {kind}",
                                 var.position, self.expr)
        if kind == "matrix":
            raise ConditionError(f"{var.name!r} is a matrix question: refer to one of its row codes",
                                 var.position, self.expr)
        if isinstance(node, Compare) and kind == "multi":
            raise ConditionError(f"{var.name!r} is multiple choice: use 'contains' instead of '{node.op}'",
                                 var.position, self.expr)


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the condition"
    return f"{tok.text!r}"


def parse(expr: str, known: Mapping[str, str] | set[str] | frozenset[str] | None = None) -> Node:
    """Parse a condition. `known`: the allowed variable codes (a set, or a mapping code → kind where
    kind "multi" marks multiple choice variables). Raises ConditionError with `.position`."""
    if not isinstance(expr, str):
        raise ConditionError(f"a condition must be text, not {type(expr).__name__}", 0, "")
    if known is None:
        return _parse_cached(expr)
    if not isinstance(known, Mapping):
        known = frozenset(known)
    return _Parser(expr, known).parse()


@lru_cache(maxsize=1024)
def _parse_cached(expr: str) -> Node:
    return _Parser(expr, None).parse()


# --- evaluation ----------------------------------------------------------------------------


def _is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and len(value) == 0)


def _equal(answer: str, lit: Literal) -> bool:
    if lit.is_number and _NUMBER_RE.match(answer.strip()):
        return Decimal(answer.strip()) == Decimal(lit.value)
    return answer == lit.value


def _compare(answer: str, op: str, lit: Literal) -> bool:
    if op == "=":
        return _equal(answer, lit)
    if op == "!=":
        return not _equal(answer, lit)
    left: Decimal | str
    right: Decimal | str
    if lit.is_number and _NUMBER_RE.match(answer.strip()):
        left, right = Decimal(answer.strip()), Decimal(lit.value)
    else:
        left, right = answer, lit.value
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _as_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _eval(node: Node, answers: Answers) -> bool:
    if isinstance(node, Or):
        return any(_eval(item, answers) for item in node.items)
    if isinstance(node, And):
        return all(_eval(item, answers) for item in node.items)
    if isinstance(node, Not):
        return not _eval(node.operand, answers)
    value = answers.get(node.var.name)
    if isinstance(node, Answered):
        return not _is_empty(value)
    if _is_empty(value):
        return False
    if isinstance(node, Contains):
        return any(_equal(v, node.value) for v in _as_list(value))
    if isinstance(node, In):
        return any(_equal(v, lit) for v in _as_list(value) for lit in node.values)
    if isinstance(value, list | tuple):
        return False
    return _compare(str(value), node.op, node.value)


def evaluate(expr_or_node: str | Node | None, answers: Answers) -> bool:
    """True when the condition holds for `answers`. An empty condition (None or "") is true."""
    if expr_or_node is None or (isinstance(expr_or_node, str) and not expr_or_node.strip()):
        return True
    node = parse(expr_or_node) if isinstance(expr_or_node, str) else expr_or_node
    return _eval(node, answers)


# --- introspection -------------------------------------------------------------------------


def _walk(node: Node) -> Iterator[Node]:
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, And | Or):
            stack.extend(reversed(current.items))
        elif isinstance(current, Not):
            stack.append(current.operand)


def tests(expr_or_node: str | Node) -> list[Compare | Contains | In | Answered]:
    """The leaf tests of a condition (comparisons, contains, in, answered)."""
    node = parse(expr_or_node) if isinstance(expr_or_node, str) else expr_or_node
    return [n for n in _walk(node) if not isinstance(n, And | Or | Not)]  # type: ignore[misc]


def references(expr_or_node: str | Node) -> list[Var]:
    """Every variable reference in source order, with its position."""
    node = parse(expr_or_node) if isinstance(expr_or_node, str) else expr_or_node
    refs = [n.var for n in _walk(node) if not isinstance(n, And | Or | Not)]
    return sorted(refs, key=lambda v: v.position)


def variables(expr: str | Node | None) -> set[str]:
    """The variable codes a condition refers to (an empty condition refers to none)."""
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        return set()
    return {var.name for var in references(expr)}


def to_source(node: Node) -> str:
    """Print a node back as condition text; `parse(to_source(n)) == n`."""
    if isinstance(node, Or | And):
        sep = " or " if isinstance(node, Or) else " and "
        return sep.join(_child(item) for item in node.items)
    if isinstance(node, Not):
        return "not " + _child(node.operand)
    if isinstance(node, Answered):
        return f"answered {node.var.name}"
    if isinstance(node, Contains):
        return f"{node.var.name} contains {node.value.source()}"
    if isinstance(node, In):
        return f"{node.var.name} in [{', '.join(v.source() for v in node.values)}]"
    return f"{node.var.name} {node.op} {node.value.source()}"


def _child(node: Node) -> str:
    text = to_source(node)
    return f"({text})" if isinstance(node, And | Or) else text


def to_data(node: Node) -> dict:
    """The node as plain JSON-able data, for the page script that shows follow-up questions.

    static/js/conditions.js evaluates this with the same rules as `_eval` (numeric equality
    when both sides are decimal numbers, lists for multiple choice), so the browser never
    parses condition text itself.
    """
    if isinstance(node, Or | And):
        return {"op": "or" if isinstance(node, Or) else "and", "items": [to_data(item) for item in node.items]}
    if isinstance(node, Not):
        return {"op": "not", "item": to_data(node.operand)}
    if isinstance(node, Answered):
        return {"op": "answered", "var": node.var.name}
    if isinstance(node, Contains):
        return {"op": "contains", "var": node.var.name, "values": [_literal_data(node.value)]}
    if isinstance(node, In):
        return {"op": "in", "var": node.var.name, "values": [_literal_data(v) for v in node.values]}
    return {"op": node.op, "var": node.var.name, "values": [_literal_data(node.value)]}


def _literal_data(literal: Literal) -> dict:
    return {"value": literal.value, "number": literal.is_number}


def _ascii_digit(ch: str) -> bool:
    """0-9 only: str.isdigit() is also true for "²" and other digits the number pattern does not take."""
    return ch.isascii() and ch.isdigit()
