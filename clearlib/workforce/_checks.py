"""Validation at the edge: every check names the table, the column, what was expected and found."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError

__all__ = ["check_columns", "check_known", "check_non_negative", "check_share", "known_roles"]


def known_roles() -> list[str]:
    """Role codes of ``clearlib/reference/roles.csv``, in file order (a new list each call)."""
    return list(_role_codes())


@cache
def _role_codes() -> tuple[str, ...]:
    # The packaged table is read once per process (clearlib.reference caches it too); a tuple,
    # so no caller can change the cached codes.
    from clearlib import reference

    return tuple(reference.roles()["code"].tolist())


def check_columns(df: object, required: Iterable[str], what: str) -> None:
    """Raise :class:`DataError` unless ``df`` is a DataFrame holding every required column."""
    required = list(required)
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"{what}: expected a pandas DataFrame with columns {', '.join(required)}; "
            f"found {type(df).__name__}."
        )
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}; "
            f"found {', '.join(map(str, df.columns)) or 'no columns'}. Rename or add the columns "
            "(see datasets/synthetic/README.md for the data contract)."
        )


def _describe(values: pd.Series, limit: int = 5) -> str:
    counts = values.value_counts(dropna=False)
    shown = [f"{v!r} ({n:,} rows)" for v, n in counts.head(limit).items()]
    more = f" and {len(counts) - limit} more" if len(counts) > limit else ""
    return ", ".join(shown) + more


def check_known(
    values: pd.Series,
    allowed: Iterable[str],
    what: str,
    column: str,
    *,
    error: type[Exception] = DataError,
    hint: str = "",
) -> None:
    """Raise ``error`` if any value is missing or not among ``allowed``, with counts of each."""
    allowed = list(allowed)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories)
        bad_cats = cats[~cats.isin(allowed)]
        present = values.isna().any() or (len(bad_cats) > 0 and bool(values.isin(bad_cats).any()))
        if not present:
            return
    bad = values[~values.isin(allowed) | values.isna()]
    if len(bad):
        raise error(
            f"{what}: column {column!r} has unknown or missing values: "
            f"{_describe(bad.astype(object))}; expected one of {', '.join(allowed)}."
            + (f" {hint}" if hint else "")
        )


def check_non_negative(df: pd.DataFrame, column: str, what: str, id_column: str | None) -> None:
    """Raise :class:`DataError` if ``df[column]`` has negative, missing or infinite numbers."""
    try:
        x = pd.to_numeric(df[column], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what}: column {column!r} must be numeric; {exc}.") from None
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        rows = df.loc[bad]
        ids = rows[id_column].astype(str).tolist() if id_column in df.columns else []
        ids_text = (
            f" ({id_column} {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})" if ids else ""
        )
        raise DataError(
            f"{what}: column {column!r} must be a number 0 or more; found "
            f"{', '.join(map(str, x[bad][:5]))} in {int(bad.sum())} row(s){ids_text}. "
            "Correct those rows or drop them."
        )


def check_share(value: object, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as a float in [low, high], or raise :class:`ConfigError` naming it."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(
            f"{name}: expected a number from {low:g} to {high:g}; found {value!r}."
        ) from None
    if not (low <= x <= high) or not np.isfinite(x):
        raise ConfigError(f"{name}: expected a number from {low:g} to {high:g}; found {x:g}.")
    return x
