"""The data dictionary: every table and column of a CLEAR dataset, read from ``datapackage.json``.

The dictionary is a Frictionless Data Package (Table Schema) kept in
``datasets/synthetic/datapackage.json``. This module reads it with the standard library alone
(frictionless is a development tool, not a dependency) into small frozen dataclasses that the
validator builds its checks from, and that lessons show as a tidy table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from clearlib._config import datapackage_path
from clearlib._exceptions import DataError

__all__ = ["DataDictionary", "FieldSpec", "ForeignKey", "TableSpec", "data_dictionary"]

#: The Table Schema field types the dictionary uses.
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime")


@dataclass(frozen=True)
class FieldSpec:
    """One column of a table, as the dictionary describes it.

    Attributes
    ----------
    name : str
        The column name, exactly as it must appear in a file's header.
    type : str
        One of ``string``, ``integer``, ``number``, ``boolean``, ``date``, ``datetime``.
    description : str
        What the column means, in plain words.
    required : bool
        True if a blank cell is not allowed.
    unique : bool
        True if no two rows may share a value.
    enum : tuple of str or None
        The allowed values, or None if any value of the type is allowed.
    minimum, maximum : float or None
        The smallest and largest allowed values (inclusive).
    exclusive_minimum : float or None
        A value the column must be strictly greater than.
    unit : str or None
        The unit of measurement, when there is one.
    true_values, false_values : tuple of str
        How a boolean column writes true and false.
    """

    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    unit: str | None = None
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)

    def allowed(self) -> str:
        """The allowed values in words, e.g. ``"F, M"`` or ``"1 to 10"`` (empty if any)."""
        if self.enum is not None:
            return ", ".join(self.enum)
        if self.type == "boolean":
            return "true, false"
        low = _fmt(self.minimum)
        high = _fmt(self.maximum)
        if self.exclusive_minimum is not None:
            low_text = f"more than {_fmt(self.exclusive_minimum)}"
            return f"{low_text} and at most {high}" if high else low_text
        if low and high:
            return f"{low} to {high}"
        if low:
            return f"{low} or more"
        if high:
            return f"at most {high}"
        return ""


@dataclass(frozen=True)
class ForeignKey:
    """A link from columns of one table to columns of another.

    Attributes
    ----------
    fields : tuple of str
        The columns in this table.
    table : str
        The table they refer to.
    reference_fields : tuple of str
        The columns of ``table`` whose values they must match.
    """

    fields: tuple[str, ...]
    table: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """One table of the dictionary.

    Attributes
    ----------
    name : str
        The table name, also the file name of an extract (``patients.csv``).
    title, description : str
        What the table holds, in plain words.
    path : str
        Where the CSV export of the default dataset keeps it, relative to the dictionary.
    fields : tuple of FieldSpec
        The columns, in order.
    primary_key : tuple of str
        The columns that identify a row (empty if none).
    foreign_keys : tuple of ForeignKey
        Links to other tables.
    """

    name: str
    title: str
    description: str
    path: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        """The column called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(
            f"table {self.name!r} has no column {name!r}; its columns are "
            f"{', '.join(self.field_names)}"
        )


@dataclass(frozen=True)
class DataDictionary(Mapping[str, TableSpec]):
    """Every table of the data dictionary, by name (a read-only mapping).

    Attributes
    ----------
    name : str
        The data package's name.
    description : str
        What the dictionary covers.
    tables : tuple of TableSpec
        The tables, in the dictionary's order.
    path : pathlib.Path or None
        The ``datapackage.json`` it was read from.
    """

    name: str
    description: str
    tables: tuple[TableSpec, ...]
    path: Path | None = None

    def __getitem__(self, name: str) -> TableSpec:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(
            f"no table {name!r} in the data dictionary; the tables are {', '.join(self)}"
        )

    def __iter__(self) -> Iterator[str]:
        return (t.name for t in self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def to_frame(self) -> pd.DataFrame:
        """Every column of every table as one tidy table, for reading or teaching.

        Returns
        -------
        pandas.DataFrame
            One row per column: ``table``, ``field``, ``type``, ``required``,
            ``allowed_values`` (in words; empty if any value of the type is allowed),
            ``unit`` and ``description``.

        Examples
        --------
        >>> df = data_dictionary().to_frame()
        >>> df.loc[df["field"].eq("sex"), ["table", "type", "required", "allowed_values"]]
               table    type  required allowed_values
        18  patients  string      True           F, M
        """
        rows = [
            {
                "table": t.name,
                "field": f.name,
                "type": f.type,
                "required": f.required,
                "allowed_values": f.allowed(),
                "unit": f.unit or "",
                "description": f.description,
            }
            for t in self.tables
            for f in t.fields
        ]
        return pd.DataFrame(rows)


def data_dictionary(path: str | Path | None = None) -> DataDictionary:
    """Read the data dictionary (``datapackage.json``).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A ``datapackage.json`` to read; by default clearlib's own dictionary
        (``datasets/synthetic/datapackage.json``).

    Returns
    -------
    DataDictionary
        A read-only mapping of table name to :class:`TableSpec`.

    Raises
    ------
    clearlib.DataError
        If the file is missing or is not a data package clearlib can read.

    Examples
    --------
    >>> dd = data_dictionary()
    >>> list(dd)[:3]
    ['practices', 'staff', 'patients']
    >>> dd["patients"].primary_key
    ('patient_id',)
    >>> dd["patients"].field("imd_decile").allowed()
    '1 to 10'
    >>> dd["conditions"].primary_key
    ('patient_id', 'condition')
    """
    resolved = Path(path) if path is not None else datapackage_path()
    return _read(resolved.resolve())


@cache
def _read(path: Path) -> DataDictionary:
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"The data dictionary was expected at {path} but there is no file there. "
            "Reinstall clearlib, or pass the path of a datapackage.json."
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"The data dictionary {path} is not valid JSON ({exc}). "
            "Restore it from the repository (git checkout datasets/synthetic/datapackage.json)."
        ) from None
    try:
        tables = tuple(_table(r) for r in descriptor["resources"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"The data dictionary {path} is not a data package clearlib can read: {exc}. "
            "Check it with `frictionless validate` and compare it with the repository's copy."
        ) from None
    return DataDictionary(
        name=descriptor.get("name", ""),
        description=descriptor.get("description", ""),
        tables=tables,
        path=path,
    )


def _table(resource: dict[str, Any]) -> TableSpec:
    schema = resource["schema"]
    fields = tuple(_field(f) for f in schema["fields"])
    primary_key = tuple(_as_list(schema.get("primaryKey", [])))
    foreign_keys = tuple(
        ForeignKey(
            fields=tuple(_as_list(fk["fields"])),
            table=fk["reference"]["resource"] or resource["name"],
            reference_fields=tuple(_as_list(fk["reference"]["fields"])),
        )
        for fk in schema.get("foreignKeys", [])
    )
    return TableSpec(
        name=resource["name"],
        title=resource.get("title", resource["name"]),
        description=resource.get("description", ""),
        path=resource.get("path", ""),
        fields=fields,
        primary_key=primary_key,
        foreign_keys=foreign_keys,
    )


def _field(descriptor: dict[str, Any]) -> FieldSpec:
    kind = descriptor.get("type", "string")
    if kind not in FIELD_TYPES:
        raise ValueError(
            f"column {descriptor.get('name')!r} has type {kind!r}; "
            f"clearlib understands {', '.join(FIELD_TYPES)}"
        )
    c = descriptor.get("constraints", {})
    enum = c.get("enum")
    return FieldSpec(
        name=descriptor["name"],
        type=kind,
        description=descriptor.get("description", ""),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(str(v) for v in enum) if enum is not None else None,
        minimum=_number(c.get("minimum")),
        maximum=_number(c.get("maximum")),
        exclusive_minimum=_number(c.get("exclusiveMinimum")),
        unit=descriptor.get("unit"),
        true_values=tuple(descriptor.get("trueValues", ("true",))),
        false_values=tuple(descriptor.get("falseValues", ("false",))),
    )


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
