"""Allow-listed evaluator for BPMN conditions, scripts and timer expressions.

SpiffWorkflow evaluates expressions with Python's ``eval``/``exec``, and restricting builtins is not a
sandbox. Diagrams come from process owners, so we never hand their text to Python: we parse it with
``ast`` and interpret only the node types listed here. Anything else is refused at load time
(:func:`check`) and, defensively, again at run time.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping, MutableMapping
from functools import lru_cache
from typing import Any

from service.engine import budget, estimates, juel
from service.engine.functions import FUNCTIONS

MAX_SOURCE = 10_000  # characters of one expression or script
MAX_INT_BITS = 14_000  # about 4,200 decimal digits: Python cannot even print (or save) an int much larger
MAX_DEPTH = 100  # nesting of its syntax tree: Python's parser and our interpreter both recurse

_BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY_OPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
# Read-only methods and attributes a modeler may reasonably use, per value type.
_SAFE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: frozenset(
        {"lower", "upper", "strip", "startswith", "endswith", "split", "replace", "title", "isdigit", "join"}
    ),
    dict: frozenset({"get", "keys", "values", "items"}),
    list: frozenset({"count", "index"}),
    dt.date: frozenset({"year", "month", "day", "isoformat", "weekday"}),
    dt.datetime: frozenset({"year", "month", "day", "hour", "minute", "isoformat", "weekday", "date"}),
}
_ALL_SAFE_ATTRIBUTES = frozenset().union(*_SAFE_ATTRIBUTES.values())
_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.Pass,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Subscript,
    ast.Slice,
    ast.Attribute,
    ast.JoinedStr,
    ast.FormattedValue,
    *_BIN_OPS,
    *_UNARY_OPS,
    *_COMPARE_OPS,
)
_CAMUNDA_WRAPPER = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)
_ISO_LITERAL = re.compile(
    r"^(R\d*/)?("
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?"
    r")(/.*)?$"
)


class UnsafeExpression(ValueError):
    """The expression uses something the evaluator does not allow (refused before running)."""

    def __init__(self, message: str, *, source: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column


class ExpressionError(ValueError):
    """An allowed expression failed while running (unknown name, wrong types, ...)."""


def normalise(source: str) -> str:
    """Accept Camunda-style ``${ ... }`` and the common JUEL idioms (service/engine/juel.py)."""
    match = _CAMUNDA_WRAPPER.match(source)
    return juel.translate(source if match is None else match.group("body")).strip()


def is_iso_literal(source: str) -> bool:
    """True for timer text a modeler writes without quotes: ``PT5M``, ``P6M``, ``R3/PT1H``, ISO dates."""
    return bool(_ISO_LITERAL.match(source.strip()))


def check(source: str, *, mode: str = "eval") -> None:
    """Refuse anything outside the allow-list; raises :class:`UnsafeExpression`."""
    _parse(normalise(source), mode)


def string_constants(source: str, *, mode: str = "exec") -> frozenset[str]:
    """The string literals an (allowed) script or expression writes, e.g. a legal mandate a script sets."""
    tree = _parse(normalise(source), mode)
    return frozenset(
        node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def assigned_names(source: str) -> frozenset[str]:
    """The variables an (allowed) script sets, e.g. ``legal_mandate`` in ``legal_mandate = "..."``."""
    tree = _parse(normalise(source), "exec")
    return frozenset(
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    )


@lru_cache(maxsize=4096)
def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE:
        raise UnsafeExpression(f"longer than {MAX_SOURCE} characters; split it up", source=source[:200])
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeExpression(
            f"not a valid expression: {exc.msg}", source=source, line=exc.lineno, column=exc.offset
        ) from None
    except (RecursionError, MemoryError):
        raise UnsafeExpression(f"nested more than {MAX_DEPTH} levels deep", source=source[:200]) from None
    # Measured without recursion, so a deep tree is refused here instead of overflowing the interpreter.
    pending: list[tuple[ast.AST, int]] = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise UnsafeExpression(f"nested more than {MAX_DEPTH} levels deep", source=source[:200])
        _check_node(node, source)
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


def _check_node(node: ast.AST, source: str) -> None:
    def refuse(why: str) -> UnsafeExpression:
        return UnsafeExpression(
            why, source=source, line=getattr(node, "lineno", None), column=getattr(node, "col_offset", None)
        )

    if not isinstance(node, _ALLOWED_NODES):
        raise refuse(f"{type(node).__name__} is not allowed in a diagram expression")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise refuse(f"the name '{node.id}' is not allowed (names may not start with '_')")
    if isinstance(node, ast.Attribute) and node.attr not in _ALL_SAFE_ATTRIBUTES:
        raise refuse(f"attribute access '.{node.attr}' is not allowed")
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            if node.func.id not in FUNCTIONS:
                raise refuse(f"'{node.func.id}' is not an allowed function")
        elif not isinstance(node.func, ast.Attribute):
            raise refuse("only named functions and safe methods may be called")
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
            raise refuse("argument unpacking is not allowed")
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name | ast.Subscript):
                raise refuse("only 'name = value' or 'name[key] = value' assignments are allowed")
    if isinstance(node, ast.FormattedValue) and node.conversion not in (-1, ord("s")):
        raise refuse("only plain {value} placeholders are allowed in f-strings")
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant):
        # Constant operands: the size budget's verdict is known now, so say so at validation, not when run.
        try:
            if isinstance(node.op, ast.Mod):
                estimates.check_format(node.left.value)
            if isinstance(node.op, ast.Mult):
                estimates.check_repeat(node.left.value, node.right.value)
                estimates.check_repeat(node.right.value, node.left.value)
        except budget.BudgetExceeded as exc:
            raise refuse(str(exc)) from None


def evaluate(source: str, names: Mapping[str, Any], *, unset_is_none: bool = False) -> Any:
    """Evaluate an expression against task data.

    ``unset_is_none`` reads a variable that is not set yet as ``None`` (used for case clocks, which are
    evaluated at any point of the lifecycle); in diagrams an unset variable is an error.
    """
    tree = _parse(normalise(source), "eval")
    assert isinstance(tree, ast.Expression)
    return _Interpreter(names, source, unset_is_none=unset_is_none).eval(tree.body)


def execute(source: str, context: MutableMapping[str, Any]) -> None:
    """Run a script of assignments; results are written back into ``context`` (the task data)."""
    tree = _parse(normalise(source), "exec")
    assert isinstance(tree, ast.Module)
    interpreter = _Interpreter(context, source)
    for statement in tree.body:
        interpreter.run(statement, context)


class _Interpreter:
    def __init__(self, names: Mapping[str, Any], source: str, *, unset_is_none: bool = False):
        self.names = names
        self.source = source
        self.unset_is_none = unset_is_none

    def run(self, node: ast.stmt, context: MutableMapping[str, Any]) -> None:
        if isinstance(node, ast.Expr):
            self.eval(node.value)
        elif isinstance(node, ast.Assign):
            value = self.eval(node.value)
            for target in node.targets:
                self._assign(target, value, context)
        elif isinstance(node, ast.AugAssign):
            current = self.eval(_as_load(node.target))
            self._assign(node.target, self._binary(node.op, current, self.eval(node.value)), context)
        elif isinstance(node, ast.If):
            for statement in node.body if self.eval(node.test) else node.orelse:
                self.run(statement, context)
        elif not isinstance(node, ast.Pass):
            raise self._refused(node)

    def _assign(self, target: ast.expr, value: Any, context: MutableMapping[str, Any]) -> None:
        if isinstance(target, ast.Name):
            if target.id in FUNCTIONS:
                raise ExpressionError(f"'{target.id}' is a function name and cannot be assigned")
            context[target.id] = value
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            if not isinstance(container, dict | list):
                raise ExpressionError("only dictionaries and lists can be assigned into")
            container[self.eval(target.slice)] = value
            _bounded(container)  # also stops a container being put inside itself (its size never ends)
        else:
            raise self._refused(target)

    def eval(self, node: ast.expr) -> Any:
        budget.check_time()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for operand in node.values:
                result = self.eval(operand)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.BinOp):
            return self._binary(node.op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.UnaryOp):
            return self._op(_UNARY_OPS, node.op)(self.eval(node.operand))
        if isinstance(node, ast.Compare):
            left = self.eval(node.left)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self.eval(comparator)
                if not self._op(_COMPARE_OPS, op)(left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.eval(item) for item in node.elts]
            return _bounded({ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items))
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise self._refused(node)
            return _bounded(
                {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
            )
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Slice):
            return slice(*(self.eval(part) if part else None for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Attribute):
            return self._attribute(self.eval(node.value), node.attr)
        if isinstance(node, ast.JoinedStr):
            return "".join(
                str(self.eval(part.value)) if isinstance(part, ast.FormattedValue) else str(self.eval(part))
                for part in node.values
            )
        raise self._refused(node)

    def _name(self, name: str) -> Any:
        if name.startswith("_"):
            raise UnsafeExpression(f"the name '{name}' is not allowed", source=self.source)
        if name in self.names:
            return self.names[name]
        if name in FUNCTIONS:
            return FUNCTIONS[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        if self.unset_is_none:
            return None
        raise ExpressionError(f"'{name}' is not defined in the task data")

    def _call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name):
            if node.func.id not in FUNCTIONS:
                raise UnsafeExpression(f"'{node.func.id}' is not an allowed function", source=self.source)
            function: Callable[..., Any] = FUNCTIONS[node.func.id]
        elif isinstance(node.func, ast.Attribute):
            receiver = self.eval(node.func.value)
            function = self._attribute(receiver, node.func.attr)
        else:
            raise self._refused(node)
        args = [self.eval(arg) for arg in node.args]
        kwargs = {str(k.arg): self.eval(k.value) for k in node.keywords}
        for value in (*args, *kwargs.values()):
            budget.check_size(value, "an argument")
        if isinstance(node.func, ast.Attribute):
            estimates.check_method(receiver, node.func.attr, args)
        try:
            return _bounded(function(*args, **kwargs))
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
            raise ExpressionError(f"{_describe(node)} failed: {exc}") from None

    def _attribute(self, value: Any, attr: str) -> Any:
        allowed = next((names for kind, names in _SAFE_ATTRIBUTES.items() if type(value) is kind), frozenset())
        if attr.startswith("_") or attr not in allowed:
            raise UnsafeExpression(
                f"attribute '.{attr}' is not allowed on a {type(value).__name__}", source=self.source
            )
        return getattr(value, attr)

    def _subscript(self, node: ast.Subscript) -> Any:
        container = self.eval(node.value)
        if not isinstance(container, dict | list | tuple | str):
            raise ExpressionError(f"cannot index a {type(container).__name__}")
        try:
            return container[self.eval(node.slice)]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpressionError(f"{_describe(node)}: no such item ({exc})") from None

    def _binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Mod):
            estimates.check_format(left)
        if isinstance(op, ast.Mult):
            estimates.check_repeat(left, right)
            estimates.check_repeat(right, left)
            # The would-be size of a product, checked before it is computed (``x = x * x`` in a loop).
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise ExpressionError("the number would be too large")
        try:
            return _bounded(self._op(_BIN_OPS, op)(left, right))
        except (TypeError, ArithmeticError) as exc:
            raise ExpressionError(f"cannot apply {type(op).__name__} to these values: {exc}") from None

    def _op(self, table: Mapping[type, Callable[..., Any]], op: ast.AST) -> Callable[..., Any]:
        if type(op) not in table:
            raise self._refused(op)
        return table[type(op)]

    def _refused(self, node: ast.AST) -> UnsafeExpression:
        return UnsafeExpression(f"{type(node).__name__} is not allowed in a diagram expression", source=self.source)


def _as_load(target: ast.expr) -> ast.expr:
    if isinstance(target, ast.Name):
        return ast.Name(id=target.id, ctx=ast.Load())
    return target


def _bounded(value: Any) -> Any:
    return budget.check_size(value)


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of a parsed node does not fail in practice
        return type(node).__name__
