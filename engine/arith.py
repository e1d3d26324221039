"""Printed arithmetic: how explanations write their numbers, and the check that they add up.

Every explanation line reads ``lhs = symbolic = numeric = result``. The numeric part is a Python
expression of numbers and a few functions (``FUNCTIONS``); evaluated exactly as printed, it
equals the printed result to within half a unit in the result's last significant digit, so a
student with a calculator gets the stated number. ``equation`` writes ``numeric = result`` with
the fewest digits for which that holds: operands start at 4 significant digits and get more only
where terms cancel or a change is small.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Callable

TERM_DIGITS = 4  # operands start short and get digits only where the arithmetic needs them
RESULT_DIGITS = 6  # the value an explanation arrives at
FULL = 17  # every digit: the shortest text that reads back as the same float64

FUNCTIONS = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt, "max": max, "min": min,
             "step": lambda z: 1 if z >= 0 else 0}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def num(x, digits: int = TERM_DIGITS) -> str:
    """``x`` to ``digits`` significant digits (FULL: every digit it has)."""
    x = float(x)
    return repr(x) if digits >= FULL else f"{x:.{digits}g}"


def opnd(x, digits: int = TERM_DIGITS) -> str:
    """A number that follows an operator or is raised to a power: negatives in parentheses."""
    return _operand(num(x, digits))


def exact(x) -> str:
    """Every digit, so that Python reads back the same float: 1 for 1.0, else the shortest repr."""
    v = float(x)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else num(v, FULL)


def exact_opnd(x) -> str:
    """``exact`` for a number that follows an operator: negatives in parentheses."""
    return _operand(exact(x))


def _operand(s: str) -> str:
    return f"({s})" if s.startswith("-") else s


def evaluate(expr: str) -> float:
    """The value of a numeric expression as printed; nan if it is not one (e.g. it holds inf)."""
    try:
        return float(_value(ast.parse(expr, mode="eval").body))
    except (SyntaxError, ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError):
        return math.nan


def _value(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return FUNCTIONS[node.func.id](*(_value(a) for a in node.args))
    raise ValueError(f"not a numeric expression: {ast.dump(node)}")


def _agrees(x: float, value: float, digits: int) -> bool:
    """Does ``x`` round to what ``value`` prints as with ``digits`` significant digits?

    Judged by the digits asked for, not by the printed text, whose trailing zeros are dropped
    (0.500000 prints as 0.5 and must not accept 0.54)."""
    stated = float(num(value, digits))
    if not math.isfinite(stated):  # a diverged value: nothing to agree with
        return False
    if stated == 0.0:
        return x == 0.0
    half = 0.5 * 10.0 ** (math.floor(math.log10(abs(stated))) - digits + 1)
    return abs(x - stated) <= half


def equation(build: Callable[[int], str], value, digits: int = RESULT_DIGITS, start: int = TERM_DIGITS) -> str:
    """``"numeric = result"``: ``build(d)`` writes the numeric expression with operands at ``d``
    significant digits; ``value`` is the recorded result, printed with ``digits`` digits.

    Operands get digits (from ``start``) until the expression evaluates to the printed result.
    The recorded value comes from the engine's own arithmetic (float32, or a different order of
    operations); where it and the exact evaluation of the expression part before ``digits``
    significant digits, the result shows only the digits they share.
    """
    value = float(value)
    exact = evaluate(build(FULL))
    if math.isfinite(exact) and math.isfinite(value):
        shared = next((r for r in range(digits, 0, -1) if _agrees(exact, value, r)), digits)
        digits, start = shared, min(start, shared)
    for d in range(start, FULL + 1):
        expr = build(d)
        if _agrees(evaluate(expr), value, digits):
            return f"{expr} = {num(value, digits)}"
    return f"{build(FULL)} = {num(value, digits)}"


def digits_to_show(value: float, change: float, visible: int = 3) -> int:
    """Significant digits for ``value`` that show ``visible`` digits of a ``change`` made to it."""
    if not (change and value and math.isfinite(change) and math.isfinite(value)):
        return RESULT_DIGITS
    need = math.floor(math.log10(abs(value))) - math.floor(math.log10(abs(change))) + visible
    return min(FULL - 1, max(RESULT_DIGITS, need))
