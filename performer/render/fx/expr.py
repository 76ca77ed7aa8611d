"""Pass sizes: ISF's WIDTH/HEIGHT expressions (`floor($WIDTH/2.0)`), evaluated safely.

The spec leaves the grammar to DDMathParser; this covers what ISF files use: numbers, `$`
variables (`$WIDTH`, `$HEIGHT` and the inputs), + - * / % and ^ or ** for powers,
parentheses and the usual functions. Nothing else is evaluated (no names, no attributes).
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Mapping

_FUNCTIONS: dict[str, Callable[..., float]] = {
    "floor": math.floor, "ceil": math.ceil, "round": round, "trunc": math.trunc,
    "abs": abs, "min": min, "max": max, "pow": math.pow, "sqrt": math.sqrt,
    "exp": math.exp, "log": math.log, "ln": math.log, "log2": math.log2, "log10": math.log10,
    "sin": math.sin, "cos": math.cos, "tan": math.tan,
}
_CONSTANTS = {"pi": math.pi, "e": math.e, "true": 1.0, "false": 0.0}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # DDMathParser reads ^ as a power
}


class ExpressionError(ValueError):
    """An expression that is not arithmetic, names an unknown variable, or fails."""


@functools.lru_cache(maxsize=512)
def _parsed(expression: str) -> ast.Expression:
    """The expression's syntax tree, parsed once (pass sizes are evaluated every refresh)."""
    try:
        return ast.parse(expression.replace("$", "_v_"), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot read {expression!r}") from err


def evaluate(expression: str, variables: Mapping[str, float]) -> float:
    """The value of `expression`; `$NAME` reads `variables["NAME"]`."""
    tree = _parsed(expression)
    try:
        return float(_eval(tree.body, variables, expression))
    except (ArithmeticError, ValueError, TypeError) as err:
        raise ExpressionError(f"{expression!r}: {err}") from err


SIZE_LIMIT = 4  # a pass may be at most this many times the output's side


def pass_size(expression: str | None, default: int, variables: Mapping[str, float]) -> int:
    """A buffer side in pixels: the expression's value, or `default` (the output's side).

    Kept between 1 and SIZE_LIMIT times the output's side, so a runaway expression cannot
    ask the GPU for gigabytes in the middle of a show."""
    if expression is None or not expression.strip():
        return default
    value = evaluate(expression, variables)
    if not math.isfinite(value):
        raise ExpressionError(f"{expression!r} is not finite")
    return max(1, min(SIZE_LIMIT * default, int(value)))


def _eval(node: ast.AST, variables: Mapping[str, float], text: str) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id.startswith("_v_"):
            name = node.id[3:]
            if name not in variables:
                raise ExpressionError(f"{text!r}: unknown variable ${name}")
            return float(variables[name])
        if node.id.lower() in _CONSTANTS:
            return _CONSTANTS[node.id.lower()]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, variables, text),
                                      _eval(node.right, variables, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand, variables, text)
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS and not node.keywords):
        args = [_eval(arg, variables, text) for arg in node.args]
        return float(_FUNCTIONS[node.func.id](*args))
    raise ExpressionError(f"{text!r}: only arithmetic on numbers and $variables is allowed")
