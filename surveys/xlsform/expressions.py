"""XLSForm expressions: `relevant` (an XPath subset) ↔ the condition language, and the `constraint`s
Rücklauf understands (number limits, text length, an e-mail regex, exclusive options).

A second small parser beside surveys/conditions.py, because XPath has its own syntax (`${x}`,
`selected(...)`, quotes); it builds the same nodes, so what it accepts means exactly what a
condition of a YAML definition means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from surveys import conditions
from surveys.definition_errors import Message

# --- relevant: XPath subset → condition language -------------------------------------------

_XPATH_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<var>\$\{(?P<name>[^}]*)\})
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_:.-]*)
  | (?P<dot>\.)
""", re.VERBOSE)
_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")


class XPathError(ValueError):
    """`message` is a Message (English string, German via message()); `position` 0-based."""

    def __init__(self, message: str, position: int) -> None:
        self.message, self.position = message, position
        super().__init__(f"at position {position}: {message}")


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _xpath_tokens(expr: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(expr):
        match = _XPATH_TOKEN.match(expr, pos)
        if match is None:
            raise XPathError(Message(f"unexpected character {expr[pos]!r}", _("unerwartetes Zeichen „%(char)s“"),
                                     char=expr[pos]), pos)
        kind = match.lastgroup or ""
        if kind == "name":
            kind = "var"
        if kind != "space":
            text = match.group("name") if kind == "var" else match.group(0)
            tokens.append(_Tok(kind, text, pos))
        pos = match.end()
    tokens.append(_Tok("end", "", len(expr)))
    return tokens


def _found(tok: _Tok) -> Message:
    """What the parser found, for its messages: the token quoted, or the end of the expression."""
    if tok.kind == "end":
        return Message("the end of the expression", _("das Ende des Ausdrucks"))
    return Message(repr(tok.text), _("„%(text)s“"), text=tok.text)


class _XPathParser:
    def __init__(self, expr: str) -> None:
        self.tokens = _xpath_tokens(expr)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self, kind: str, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            wanted = repr(text) if text else {"var": "a question reference ${name}", "end": "the end"}.get(kind, kind)
            gewollt = f"„{text}“" if text else {"var": _("ein Verweis auf eine Frage ${name}"),
                                                "end": _("das Ende")}.get(kind, kind)
            raise XPathError(Message(f"expected {wanted}, found {_found(tok)}",
                                     _("erwartet wurde %(wanted)s, gefunden %(found)s"), wanted=gewollt,
                                     found=_found(tok)), tok.pos)
        self.i += 1
        return tok

    def parse(self) -> conditions.Node:
        node = self.or_expr()
        self.take("end")
        return node

    def or_expr(self) -> conditions.Node:
        items = [self.and_expr()]
        while self.peek().kind == "word" and self.peek().text == "or":
            self.i += 1
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else conditions.Or(tuple(items))

    def and_expr(self) -> conditions.Node:
        items = [self.unary()]
        while self.peek().kind == "word" and self.peek().text == "and":
            self.i += 1
            items.append(self.unary())
        return items[0] if len(items) == 1 else conditions.And(tuple(items))

    def unary(self) -> conditions.Node:
        tok = self.peek()
        self.depth += 1
        if self.depth > conditions.MAX_DEPTH:
            raise XPathError(Message("the expression is too deeply nested",
                                     _("der Ausdruck ist zu tief verschachtelt")), tok.pos)
        try:
            if tok.kind == "punct" and tok.text == "(":
                self.i += 1
                node = self.or_expr()
                self.take("punct", ")")
                return node
            if tok.kind == "word":
                return self.function(tok)
            if tok.kind == "var":
                return self.comparison()
            raise XPathError(Message(f"expected a comparison such as ${{x}} = 'v', found {_found(tok)}",
                                     _("erwartet wurde ein Vergleich wie ${x} = 'v', gefunden %(found)s"),
                                     found=_found(tok)), tok.pos)
        finally:
            self.depth -= 1

    def function(self, tok: _Tok) -> conditions.Node:
        self.i += 1
        if tok.text not in ("not", "selected"):
            if self.peek().kind == "punct" and self.peek().text == "(":
                raise XPathError(Message(f"function {tok.text}() is not supported (only selected() and not())",
                                         _("die Funktion %(name)s() wird nicht unterstützt (nur selected() und not())"),
                                         name=tok.text), tok.pos)
            raise XPathError(Message(f"{tok.text!r} is not supported here",
                                     _("„%(word)s“ wird hier nicht unterstützt"), word=tok.text), tok.pos)
        self.take("punct", "(")
        if tok.text == "not":
            node = self.or_expr()
            self.take("punct", ")")
            return conditions.Not(node)
        var = self.take("var")
        self.take("punct", ",")
        value = self.literal()
        self.take("punct", ")")
        return conditions.Contains(conditions.Var(var.text, var.pos), value)

    def literal(self) -> conditions.Literal:
        tok = self.peek()
        if tok.kind == "number":
            self.i += 1
            return conditions.Literal(tok.text, True)
        if tok.kind == "string":
            self.i += 1
            value = tok.text[1:-1]
            return conditions.Literal(value, bool(_CANONICAL_INT.match(value)))
        raise XPathError(Message(f"expected a value such as '1' or 42, found {_found(tok)}",
                                 _("erwartet wurde ein Wert wie '1' oder 42, gefunden %(found)s"), found=_found(tok)),
                         tok.pos)

    def comparison(self) -> conditions.Node:
        var = self.take("var")
        op = self.peek()
        if op.kind != "op":
            raise XPathError(Message(f"expected a comparison operator (=, !=, <, <=, >, >=) after ${{{var.text}}}, "
                                     f"found {_found(op)}",
                                     _("erwartet wurde ein Vergleichsoperator (=, !=, <, <=, >, >=) nach ${%(name)s}, "
                                       "gefunden %(found)s"), name=var.text, found=_found(op)), op.pos)
        self.i += 1
        value = self.literal()
        target = conditions.Var(var.text, var.pos)
        if value.value == "" and not value.is_number and op.text in ("=", "!="):
            answered = conditions.Answered(target)
            return answered if op.text == "!=" else conditions.Not(answered)
        return conditions.Compare(target, op.text, value)


def xpath_to_condition(expr: str) -> str:
    """The condition-language text of an XLSForm `relevant` expression; XPathError if outside the subset."""
    return conditions.to_source(_XPathParser(expr).parse())


def _xpath_literal(lit: conditions.Literal) -> str:
    # '1' is written as 1, as read_xlsform reads it back: for option codes both mean the same.
    if lit.is_number or _CANONICAL_INT.match(lit.value):
        return lit.value
    if "'" not in lit.value:
        return f"'{lit.value}'"
    if '"' not in lit.value:
        return f'"{lit.value}"'
    raise ValueError(f"the value {lit.value!r} contains both kinds of quotes and cannot be written in XPath")


def condition_to_xpath(expr: str) -> str:
    """An XLSForm `relevant` expression for a condition of the condition language."""
    return _to_xpath(conditions.parse(expr))


def _to_xpath(node: conditions.Node, inner: bool = False) -> str:
    if isinstance(node, conditions.Or | conditions.And):
        sep = " or " if isinstance(node, conditions.Or) else " and "
        text = sep.join(_to_xpath(item, True) for item in node.items)
        return f"({text})" if inner else text
    if isinstance(node, conditions.Not):
        return f"not({_to_xpath(node.operand)})"
    if isinstance(node, conditions.Answered):
        return f"${{{node.var.name}}} != ''"
    if isinstance(node, conditions.Contains):
        return f"selected(${{{node.var.name}}}, '{node.value.value}')"
    if isinstance(node, conditions.In):
        text = " or ".join(f"selected(${{{node.var.name}}}, '{v.value}')" for v in node.values)
        return f"({text})" if inner and len(node.values) > 1 else text
    return f"${{{node.var.name}}} {node.op} {_xpath_literal(node.value)}"


# --- constraints ---------------------------------------------------------------------------

_LIMIT = re.compile(r"\.\s*(>=|<=|>|<)\s*(-?\d+)\Z")
LENGTH_CONSTRAINT = re.compile(r"string-length\(\s*\.\s*\)\s*(<=|<)\s*(\d+)\Z")
_EXCLUSIVE = re.compile(r"not\(\s*selected\(\s*\.\s*,\s*'([^']*)'\s*\)\s+and\s+count-selected\(\s*\.\s*\)\s*>\s*1\s*\)")
REGEX_CONSTRAINT = re.compile(r"regex\(\s*\.\s*,\s*'([^']*)'\s*\)\Z")


def _split_and(expr: str) -> list[str]:
    """Split at top-level ` and ` (outside parentheses and quotes)."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and expr.startswith(" and ", i):
            parts.append(expr[start:i].strip())
            start = i = i + 5
            continue
        i += 1
    parts.append(expr[start:].strip())
    return parts


def number_limits(expr: str) -> dict[str, int]:
    limits: dict[str, int] = {}
    for part in _split_and(expr):
        match = _LIMIT.match(part)
        if match is None:
            raise ValueError(Message(f"{part!r} is not a number limit such as '. >= 1' or '. <= 100'",
                                     _("„%(part)s“ ist keine Zahlengrenze wie „. >= 1“ oder „. <= 100“."), part=part))
        op, number = match.group(1), int(match.group(2))
        key = "min" if op.startswith(">") else "max"
        if key in limits:
            raise ValueError(Message(f"two limits for the {'minimum' if key == 'min' else 'maximum'}",
                                     _("zwei Grenzen für den kleinsten Wert") if key == "min" else
                                     _("zwei Grenzen für den größten Wert")))
        limits[key] = number + (1 if op == ">" else -1 if op == "<" else 0)
    return limits


def exclusive_codes(expr: str) -> list[str]:
    codes = []
    for part in _split_and(expr):
        match = _EXCLUSIVE.fullmatch(part)
        if match is None:
            raise ValueError(Message(f"{part!r} is not supported; on select_multiple only "
                                     "not(selected(., 'code') and count-selected(.) > 1) (an exclusive option) is",
                                     _("„%(part)s“ wird nicht unterstützt; bei select_multiple nur "
                                       "not(selected(., 'code') and count-selected(.) > 1) (eine exklusive Option)."),
                                     part=part))
        codes.append(match.group(1))
    return codes
