"""Conditions in plain words ("nur wenn B1_nutzung = „Ja“"), for people reading the questionnaire: the
printable questionnaire and the results report say when a page or question is asked.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from surveys import conditions
from surveys.structure import SurveyStructure

_OPS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _labels(structure: SurveyStructure, variable: str) -> Mapping[str, str]:
    question = structure.question_for_variable(variable)
    return {o.code: o.label for o in question.options} if question is not None else {}


def _value(structure: SurveyStructure, variable: str, literal: conditions.Literal) -> str:
    label = _labels(structure, variable).get(literal.value)
    return f"„{label}“" if label else literal.value


def _words(node: conditions.Node, structure: SurveyStructure, nested: bool = False) -> str:
    if isinstance(node, conditions.And | conditions.Or):
        joiner = _(" und ") if isinstance(node, conditions.And) else _(" oder ")
        text = joiner.join(_words(item, structure, nested=True) for item in node.items)
        return f"({text})" if nested else text
    if isinstance(node, conditions.Not):
        return _("nicht %(part)s") % {"part": _words(node.operand, structure, nested=True)}
    name = node.var.name
    if isinstance(node, conditions.Answered):
        return _("%(var)s beantwortet") % {"var": name}
    if isinstance(node, conditions.Contains):
        return _("bei %(var)s %(value)s gewählt") % {"var": name, "value": _value(structure, name, node.value)}
    if isinstance(node, conditions.In):
        values = _(" oder ").join(_value(structure, name, v) for v in node.values)
        return f"{name} = {values}"
    return f"{name} {_OPS[node.op]} {_value(structure, name, node.value)}"


def condition_in_words(condition_node: conditions.Node | None, structure: SurveyStructure) -> str:
    """"nur wenn B1_nutzung = „Ja“" for a condition; "" when there is none."""
    if condition_node is None:
        return ""
    return _("nur wenn %(condition)s") % {"condition": _words(condition_node, structure)}
