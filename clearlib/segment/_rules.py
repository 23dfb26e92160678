"""Rules as data: a condition written on feature columns, checked once and evaluated vectorised.

A condition is a small Python-like expression over column names, numbers and ``True``:

- comparisons ``efi_deficits >= 9``, ``age < 1``, chained ``65 <= age < 75``;
- ``and``, ``or``, ``not`` (also ``&``, ``|``, ``~``) and brackets;
- arithmetic ``+ - * /`` (e.g. ``ae_12m + emergency_admissions_12m >= 3``);
- a bare column means "is not zero" (``PC`` is "on the palliative care register").

Missing values (NaN) never satisfy a comparison and count as "no" on their own. Nothing else
is allowed (no function calls, no attribute access), so a rule file cannot run code.

Bridges to Health segments (:class:`Rule`) and anticipatory-care cohorts
(:class:`CohortRule`) are both lists of rules; both can be read from and written to a
DataFrame (and so to CSV or Excel) or a TOML file.
"""

from __future__ import annotations

import ast
import operator
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError

__all__ = ["CohortRule", "Rule", "read_rules", "rules_frame"]


@dataclass(frozen=True)
class Rule:
    """One segment of a segmentation: who is in it, and where it stands in the precedence.

    Parameters
    ----------
    segment : int
        The segment's number (Bridges to Health: 1-8).
    name : str
        Its name, e.g. ``"End of life"``.
    condition : str
        The expression over feature columns that puts a person in it (see module docs).
    precedence : int
        Lower is tested first; a person gets the first segment whose condition they meet.
    description : str
        The rule in words, for tables and lessons.
    assumption : str
        Empty when the rule follows a published definition; otherwise what it assumes.

    Examples
    --------
    >>> r = Rule(6, "End of life", "PC", precedence=1, description="on the palliative care register")
    >>> r.columns()
    ['PC']
    """

    segment: int
    name: str
    condition: str
    precedence: int = 0
    description: str = ""
    assumption: str = ""

    def columns(self) -> list[str]:
        """The feature columns the condition uses, in order of first use."""
        return condition_columns(self.condition)


@dataclass(frozen=True)
class CohortRule:
    """One step of a cohort definition: people to include, or to exclude.

    Parameters
    ----------
    name : str
        Short name, shown as the person's reason and in the exclusion waterfall.
    condition : str
        The expression over feature columns (see module docs).
    action : {"include", "exclude"}
        Include rules are alternatives (meeting any one is enough); exclude rules are applied
        afterwards, in order.
    description : str
        The rule in words.
    assumption : str
        Empty when the rule follows published guidance; otherwise what it assumes.

    Examples
    --------
    >>> CohortRule("care home", "care_home_resident", "exclude").columns()
    ['care_home_resident']
    """

    name: str
    condition: str
    action: str = "include"
    description: str = ""
    assumption: str = ""

    def columns(self) -> list[str]:
        """The feature columns the condition uses, in order of first use."""
        return condition_columns(self.condition)


# ---------------------------------------------------------------------------------------------
# Reading and writing rules
# ---------------------------------------------------------------------------------------------
def rules_frame(rules: Iterable[Rule | CohortRule]) -> pd.DataFrame:
    """Rules as a DataFrame, one row each (edit it, then pass it back).

    Examples
    --------
    >>> rules_frame([Rule(1, "Healthy", "True", 8)])[["segment", "name", "condition", "precedence"]]
       segment     name condition  precedence
    0        1  Healthy      True           8
    """
    rules = list(rules)
    if not rules:
        return pd.DataFrame(columns=[f.name for f in fields(Rule)])
    kind = type(rules[0])
    return pd.DataFrame([asdict(r) for r in rules], columns=[f.name for f in fields(kind)])


def read_rules(source: Any, kind: type = Rule) -> list[Any]:
    """Rules from a DataFrame, a list of dicts or rule objects, or a TOML/CSV file.

    A TOML file holds one ``[[rule]]`` table per rule with the fields of ``kind``; a CSV file
    one row per rule with those fields as columns.

    Parameters
    ----------
    source : DataFrame, sequence, str or Path
        The rules.
    kind : type, default Rule
        :class:`Rule` (segments) or :class:`CohortRule` (cohort steps).

    Returns
    -------
    list
        Rule objects, each condition checked for syntax.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"segment": [4, 1], "name": ["Chronic", "Healthy"],
    ...     "condition": ["ltc_count >= 1", "True"], "precedence": [1, 2]})
    >>> [r.name for r in read_rules(frame)]
    ['Chronic', 'Healthy']
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{path}: no such rules file; expected a .toml or .csv file.")
        if path.suffix.lower() == ".toml":
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
            items = doc.get("rule")
            if not isinstance(items, list):
                raise ConfigError(
                    f"{path}: expected one [[rule]] table per rule; found keys "
                    f"{', '.join(doc) or 'none'}."
                )
        else:
            items = pd.read_csv(path, keep_default_na=False).to_dict("records")
    elif isinstance(source, pd.DataFrame):
        items = source.to_dict("records")
    elif isinstance(source, Iterable) and not isinstance(source, Mapping):
        items = list(source)
    else:
        raise ConfigError(
            f"rules should be a list of {kind.__name__} objects, a DataFrame or a .toml/.csv "
            f"file; found {type(source).__name__}."
        )
    names = [f.name for f in fields(kind)]
    out = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, kind):
            rule = item
        elif isinstance(item, Mapping):
            unknown = [k for k in item if k not in names]
            if unknown:
                raise ConfigError(
                    f"rule {i}: unknown field(s) {', '.join(map(repr, unknown))}; a "
                    f"{kind.__name__} has {', '.join(names)}."
                )
            values = {k: _plain(v) for k, v in item.items()}
            try:
                rule = kind(**values)
            except TypeError as exc:
                raise ConfigError(
                    f"rule {i}: {exc}; a {kind.__name__} has {', '.join(names)}."
                ) from None
        else:
            raise ConfigError(
                f"rule {i}: expected a {kind.__name__} or a mapping of its fields; found "
                f"{type(item).__name__}."
            )
        _check_rule(rule, i)
        out.append(rule)
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return v


def _check_rule(rule: Any, i: int) -> None:
    if not isinstance(rule.condition, str) or not rule.condition.strip():
        raise ConfigError(f"rule {i} ({rule.name!r}): the condition is empty; write e.g. 'PC'.")
    if isinstance(rule, CohortRule) and rule.action not in ("include", "exclude"):
        raise ConfigError(
            f"rule {i} ({rule.name!r}): action should be 'include' or 'exclude'; found "
            f"{rule.action!r}."
        )
    if isinstance(rule, Rule):
        for attr in ("segment", "precedence"):
            value = getattr(rule, attr)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(
                    f"rule {i} ({rule.name!r}): {attr} should be a whole number; found {value!r}."
                )
    parse(rule.condition, where=f"rule {i} ({rule.name!r})")


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.Invert,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.BinOp,
    ast.BitAnd,
    ast.BitOr,
    ast.Name,
    ast.Load,
    ast.Constant,
    *_COMPARE,
    *_ARITH,
)


def parse(condition: str, where: str = "condition") -> ast.Expression:
    """Parse and check a condition; raise ConfigError naming what is not allowed."""
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"{where}: cannot read the condition {condition!r} ({exc.msg}). Write e.g. "
            "'efi_deficits >= 9 or DEM'."
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ConfigError(
                f"{where}: {type(node).__name__} is not allowed in a condition ({condition!r}); "
                "use column names, numbers, comparisons, and/or/not and + - * /."
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool | int | float):
            raise ConfigError(
                f"{where}: only numbers and True/False may appear in a condition; found "
                f"{node.value!r} in {condition!r}."
            )
    return tree


def condition_columns(condition: str) -> list[str]:
    """The column names a condition uses.

    Examples
    --------
    >>> condition_columns("HF or (COPD and efi_deficits >= 5)")
    ['HF', 'COPD', 'efi_deficits']
    """
    tree = parse(condition)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names and node.id not in ("True", "False"):
            names.append(node.id)
    return names


def evaluate(
    condition: str | ast.Expression, frame: Mapping[str, np.ndarray], n: int
) -> np.ndarray:
    """Evaluate a condition on columns (numpy arrays of length ``n``) to a boolean array."""
    tree = parse(condition) if isinstance(condition, str) else condition
    return _truth(_eval(tree.body, frame, n), n)


def _truth(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == bool:
        out = arr
    else:
        arr = arr.astype(float)
        out = ~np.isnan(arr) & (arr != 0)
    return np.broadcast_to(out, (n,)).copy() if out.ndim == 0 else out


def _eval(node: ast.AST, frame: Mapping[str, np.ndarray], n: int) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return frame[node.id]
    if isinstance(node, ast.BoolOp):
        parts = [_truth(_eval(v, frame, n), n) for v in node.values]
        fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        return fn.reduce(parts)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, frame, n)
        if isinstance(node.op, ast.Not | ast.Invert):
            return ~_truth(value, n)
        return -np.asarray(value, dtype=float) if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, frame, n), _eval(node.right, frame, n)
        if isinstance(node.op, ast.BitAnd):
            return _truth(left, n) & _truth(right, n)
        if isinstance(node.op, ast.BitOr):
            return _truth(left, n) | _truth(right, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ARITH[type(node.op)](
                np.asarray(left, dtype=float), np.asarray(right, dtype=float)
            )
    if isinstance(node, ast.Compare):
        result = np.ones(n, dtype=bool)
        left = _eval(node.left, frame, n)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, frame, n)
            a, b = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
            with np.errstate(invalid="ignore"):
                # a missing value never satisfies a comparison, not even "!="
                result &= np.asarray(_COMPARE[type(op)](a, b)) & ~np.isnan(a) & ~np.isnan(b)
            left = right
        return result
    raise ConfigError(f"{type(node).__name__} is not allowed in a condition.")  # pragma: no cover
