"""Mapping files: how a clinical system's export becomes the tables of the data dictionary.

A mapping file (TOML) says which export files feed which table, how each column is made, how
dates are written and how codes and labels translate. ``datasets/mappings/README.md``
documents the format; ``emis-web.toml`` and ``systmone.toml`` there are commented templates.
In short::

    schema_version = 1
    system = "EMIS Web"

    [codelists]                       # folders of code lists, relative to this file
    qof = "../codelists/example/qof"

    [labels.sex]                      # the system's own labels -> the dictionary's codes
    Female = "F"
    Male = "M"

    [tables.patients]
    files = "*_Patients.csv"          # a glob, relative to the export folder
    dates = "DD/MM/YYYY"              # declared, never guessed

    [tables.patients.columns]
    patient_id = "Patient ID"                          # rename
    sex = { column = "Gender", labels = "sex" }        # through a label map
    birth_date = { derive = "from_year", column = "Year of Birth" }   # derived
    pcn_code = { constant = "SYN-PCN01" }              # the same in every row

    [tables.conditions.columns]
    condition = { column = "SNOMED Code", codelists = "qof", term = "Term" }   # through code lists
    start = { date = "Slot Date", time = "Slot Time" }                         # two columns

Everything is checked when the file is loaded, before any data is read: unknown tables and
columns, a date column without a declared date format, a label map or code-list set that does
not exist, a label translated to a value the dictionary does not allow.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clearlib._config import PACKAGE_DIR, REPO_DIR
from clearlib._exceptions import DataError
from clearlib.data._codelists import CodeListSet
from clearlib.data._dictionary import data_dictionary
from clearlib.data._store import COLUMNS

__all__ = [
    "DERIVATIONS",
    "SYSTEMS",
    "ColumnRule",
    "ExtractMapping",
    "MappingError",
    "TableMapping",
    "date_format",
    "load_mapping",
    "mappings_dir",
]

SCHEMA_VERSION = 1

#: ``clearlib data synth --as`` names and the mapping template each one writes.
SYSTEMS: dict[str, str] = {"emis": "emis-web", "systmone": "systmone"}


class MappingError(DataError):
    """A mapping file, or an export read through it, cannot be used as it is.

    The message names the mapping file or export file, the column and (for data) the rows,
    and says what to change. ``report`` carries the import report when there is one.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


def mappings_dir() -> Path:
    """The folder of shipped mapping templates (``datasets/mappings`` in a checkout)."""
    checkout = REPO_DIR / "datasets" / "mappings"
    return checkout if checkout.is_dir() else PACKAGE_DIR / "_packaged" / "mappings"


# --------------------------------------------------------------------------------------------
# Date formats: declared as patterns (DD/MM/YYYY) or strftime codes (%d/%m/%Y), never guessed.
# --------------------------------------------------------------------------------------------
_TOKENS = {"YYYY": "%Y", "Mon": "%b", "DD": "%d", "HH": "%H", "SS": "%S"}
_SEPARATORS = set("/-. :T")


def date_format(pattern: str, *, where: str = "") -> str:
    """Translate a declared date pattern into strftime codes.

    ``YYYY`` year, ``MM`` month (minutes after ``HH:``), ``Mon`` month name (Jan...Dec),
    ``DD`` day, ``HH`` hour (24-hour clock), ``SS`` seconds; separators ``/ - . : T`` and
    space. A pattern holding ``%`` is taken as strftime codes already.

    Examples
    --------
    >>> date_format("DD/MM/YYYY"), date_format("DD-Mon-YYYY"), date_format("DD/MM/YYYY HH:MM")
    ('%d/%m/%Y', '%d-%b-%Y', '%d/%m/%Y %H:%M')
    >>> date_format("%Y%m%d")
    '%Y%m%d'
    """
    if "%" in pattern:
        return pattern
    out = []
    last = ""
    for token in re.findall(r"YYYY|Mon|DD|MM|HH|SS|.", pattern):
        if token == "MM":
            out.append("%M" if last == "HH" else "%m")
            last = "MM"
        elif token in _TOKENS:
            out.append(_TOKENS[token])
            last = token
        elif token in _SEPARATORS:
            out.append(token)
        else:
            raise MappingError(
                f"{where}date format {pattern!r}: {token!r} is not understood. Write the "
                "format with YYYY, MM, Mon, DD, HH, MM, SS and the separators / - . : "
                "(e.g. DD/MM/YYYY, DD-Mon-YYYY, YYYY-MM-DD HH:MM), or as strftime codes (%d/%m/%Y)."
            )
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Derivations: a registry, so a new one is one entry.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Derivation:
    """How a target column is computed from source columns (as text)."""

    kinds: tuple[str, ...]  # contract types it can fill
    n_columns: int
    describe: str
    compute: Callable[[list[pd.Series], TableMapping], pd.Series]


def _from_year(cols: list[pd.Series], tm: TableMapping) -> pd.Series:
    year = cols[0].str.strip()
    ok = year.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    return pd.to_datetime(year.where(ok) + "-07-01", format="%Y-%m-%d", errors="coerce")


def _days_between(cols: list[pd.Series], tm: TableMapping) -> pd.Series:
    fmt = tm.date_strftime or ""
    a = pd.to_datetime(cols[0].str.strip(), format=fmt, errors="coerce")
    b = pd.to_datetime(cols[1].str.strip(), format=fmt, errors="coerce")
    return (b - a).dt.days.astype("Int64")


#: Derived columns: ``{ derive = NAME, column = ... }`` or ``columns = [...]``.
DERIVATIONS: dict[str, _Derivation] = {
    "from_year": _Derivation(
        ("date",),
        1,
        "the 1st of July of the year written (YYYY): the middle of the year, so an age is "
        "right to within six months, for exports that give only the year of birth",
        _from_year,
    ),
    "days_between": _Derivation(
        ("integer",),
        2,
        "whole days from the first date column to the second (e.g. length of stay from "
        "admission and discharge dates), both written in the table's date format",
        _days_between,
    ),
}


# --------------------------------------------------------------------------------------------
# The mapping, checked when it is loaded.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnRule:
    """How one column of the dictionary is made from the export.

    ``kind`` is ``rename`` (one export column as it is), ``labels`` (through a label map),
    ``codes`` (through a set of code lists), ``constant``, ``datetime`` (a date column and a
    time column) or ``derive`` (a registered derivation).
    """

    target: str
    kind: str
    sources: tuple[str, ...] = ()
    labels: str | None = None
    codelists: str | None = None
    term: str | None = None
    constant: str | None = None
    derive: str | None = None

    def describe(self) -> str:
        """The rule in words, for reports."""
        src = ", ".join(repr(s) for s in self.sources)
        return {
            "rename": f"from {src}",
            "labels": f"from {src} through [labels.{self.labels}]",
            "codes": f"from {src} through code lists {self.codelists!r}",
            "constant": f"the constant {self.constant!r}",
            "datetime": f"date from {self.sources[0]!r}, time from {self.sources[-1]!r}",
            "derive": f"derived ({self.derive}) from {src}",
        }[self.kind]


@dataclass(frozen=True)
class TableMapping:
    """The files that feed one table, their date formats and every column's rule."""

    table: str
    files: str
    columns: tuple[ColumnRule, ...]
    dates: str | None = None
    datetimes: str | None = None
    times: str | None = None
    encoding: str = "utf-8-sig"

    @property
    def date_strftime(self) -> str | None:
        """The declared date format as strftime codes."""
        return date_format(self.dates) if self.dates else None

    @property
    def datetime_strftime(self) -> str | None:
        """The declared date-time format as strftime codes."""
        return date_format(self.datetimes) if self.datetimes else None

    @property
    def time_strftime(self) -> str | None:
        """The declared time format as strftime codes."""
        return date_format(self.times) if self.times else None

    def sources(self) -> tuple[str, ...]:
        """Every export column the table reads, in mapping order."""
        out: list[str] = []
        for rule in self.columns:
            out += [s for s in (*rule.sources, rule.term) if s and s not in out]
        return tuple(out)

    def rule(self, target: str) -> ColumnRule | None:
        """The rule of a dictionary column, or None if it is not mapped."""
        return next((r for r in self.columns if r.target == target), None)


@dataclass(frozen=True)
class ExtractMapping:
    """A loaded, checked mapping file (see :func:`load_mapping`)."""

    path: Path
    system: str
    description: str
    tables: dict[str, TableMapping]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    codelists: dict[str, CodeListSet] = field(default_factory=dict)
    unlisted_codes: str = "error"

    @property
    def name(self) -> str:
        """The mapping file's name without ``.toml``."""
        return self.path.stem


def _fail(path: Path, where: str, message: str) -> MappingError:
    return MappingError(f"{path.name}, {where}: {message}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rule(path: Path, table: str, target: str, spec: Any) -> ColumnRule:
    where = f"[tables.{table}.columns] {target}"
    if isinstance(spec, str):
        return ColumnRule(target, "rename", (spec,))
    if not isinstance(spec, Mapping):
        raise _fail(path, where, f"expected a column name or an inline table, found {spec!r}.")
    keys = set(spec)
    if "constant" in keys:
        if keys != {"constant"}:
            raise _fail(path, where, "a constant takes no other key.")
        return ColumnRule(target, "constant", constant=_text(spec["constant"]))
    if "derive" in keys:
        name = spec["derive"]
        if name not in DERIVATIONS:
            raise _fail(
                path, where, f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}."
            )
        d = DERIVATIONS[name]
        cols = spec.get("columns", [spec["column"]] if "column" in spec else [])
        if isinstance(cols, str):
            cols = [cols]
        if len(cols) != d.n_columns:
            raise _fail(
                path, where, f"derivation {name} reads {d.n_columns} column(s), found {cols!r}."
            )
        kind = next(c.kind for c in COLUMNS[table] if c.name == target)
        if kind not in d.kinds:
            raise _fail(path, where, f"derivation {name} makes {d.kinds[0]} values, not {kind}.")
        return ColumnRule(target, "derive", tuple(cols), derive=name)
    if "date" in keys or "time" in keys:
        if keys != {"date", "time"}:
            raise _fail(path, where, "a date and time from two columns needs date and time.")
        return ColumnRule(target, "datetime", (spec["date"], spec["time"]))
    if "column" not in keys:
        raise _fail(
            path,
            where,
            "expected column = ..., constant = ..., derive = ... or date = ... and time = ...",
        )
    extra = keys - {"column", "labels", "codelists", "term"}
    if extra:
        raise _fail(path, where, f"unknown key(s) {', '.join(sorted(extra))}.")
    if "codelists" in keys:
        return ColumnRule(
            target, "codes", (spec["column"],), codelists=spec["codelists"], term=spec.get("term")
        )
    if "labels" in keys:
        return ColumnRule(target, "labels", (spec["column"],), labels=spec["labels"])
    return ColumnRule(target, "rename", (spec["column"],))


def _resolve(path: Path, name: str | Path) -> Path:
    candidate = Path(name)
    if candidate.suffix.lower() == ".toml" or candidate.exists():
        return candidate
    shipped = mappings_dir() / f"{name}.toml"
    if shipped.is_file():
        return shipped
    known = sorted(p.stem for p in mappings_dir().glob("*.toml"))
    raise MappingError(
        f"no mapping file {name!r}: expected a path to a .toml mapping file or one of the "
        f"shipped templates ({', '.join(known) or 'none found'})."
    )


def load_mapping(path: str | Path) -> ExtractMapping:
    """Load a mapping file and check it against the data dictionary and its code lists.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` mapping file, or the name of a shipped template (``emis-web``,
        ``systmone``).

    Returns
    -------
    ExtractMapping

    Raises
    ------
    MappingError
        Naming the mapping file, the table and the column, for: an unknown table or column,
        a required column left unmapped, a date column without a declared date format, a
        label map or code-list set that does not exist, a label translated to a value the
        dictionary does not allow.

    Examples
    --------
    >>> m = load_mapping("emis-web")
    >>> m.system, m.tables["patients"].dates
    ('EMIS Web', 'DD/MM/YYYY')
    """
    file = _resolve(Path("."), path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{file}: no such mapping file.") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{file.name}: not valid TOML ({exc}).") from exc
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise _fail(
            file,
            "schema_version",
            f"expected schema_version = {SCHEMA_VERSION}, found {raw.get('schema_version')!r}.",
        )
    dd = data_dictionary()
    unknown_top = set(raw) - {
        "schema_version",
        "system",
        "description",
        "codelists",
        "labels",
        "tables",
        "unlisted_codes",
        "sources",
    }
    if unknown_top:
        raise _fail(file, "top level", f"unknown key(s) {', '.join(sorted(unknown_top))}.")
    unlisted = raw.get("unlisted_codes", "error")
    if unlisted not in ("error", "warning"):
        raise _fail(file, "unlisted_codes", f"expected 'error' or 'warning', found {unlisted!r}.")

    labels: dict[str, dict[str, str]] = {
        str(name): {str(k): _text(v) for k, v in table.items()}
        for name, table in raw.get("labels", {}).items()
    }
    tables: dict[str, TableMapping] = {}
    for table, spec in raw.get("tables", {}).items():
        if table not in dd:
            raise _fail(
                file, f"[tables.{table}]", f"no such table; the tables are {', '.join(dd)}."
            )
        if "files" not in spec or "columns" not in spec:
            raise _fail(file, f"[tables.{table}]", "expected files = ... and [.columns].")
        extra = set(spec) - {"files", "columns", "dates", "datetimes", "times", "encoding"}
        if extra:
            raise _fail(file, f"[tables.{table}]", f"unknown key(s) {', '.join(sorted(extra))}.")
        kinds = {c.name: c for c in COLUMNS[table]}
        rules = []
        for target, rspec in spec["columns"].items():
            if target not in kinds:
                raise _fail(
                    file,
                    f"[tables.{table}.columns] {target}",
                    f"{table} has no column {target}; its columns are {', '.join(kinds)}.",
                )
            rules.append(_rule(file, table, target, rspec))
        tm = TableMapping(
            table,
            str(spec["files"]),
            tuple(rules),
            dates=spec.get("dates"),
            datetimes=spec.get("datetimes"),
            times=spec.get("times"),
            encoding=spec.get("encoding", "utf-8-sig"),
        )
        _check_table(file, tm, kinds, labels, raw.get("codelists", {}))
        tables[table] = tm
    if not tables:
        raise _fail(file, "[tables]", "the mapping maps no table.")

    codelists: dict[str, CodeListSet] = {}
    for tm in tables.values():
        for rule in tm.columns:
            if rule.kind != "codes" or rule.codelists in codelists:
                continue
            name = str(rule.codelists)
            folder = (file.parent / str(raw["codelists"][name])).resolve()
            allowed = dd[tm.table].field(rule.target).enum
            try:
                codelists[name] = CodeListSet.from_folder(name, folder, allowed)
            except MappingError:
                raise
            except DataError as exc:
                raise MappingError(f"{file.name}, [codelists] {name}: {exc}") from exc
    return ExtractMapping(
        path=file,
        system=str(raw.get("system", "")),
        description=str(raw.get("description", "")),
        tables=tables,
        labels=labels,
        codelists=codelists,
        unlisted_codes=unlisted,
    )


def _check_table(
    file: Path,
    tm: TableMapping,
    kinds: Mapping[str, Any],
    labels: Mapping[str, Mapping[str, str]],
    codelists: Mapping[str, Any],
) -> None:
    dd = data_dictionary()
    where = f"[tables.{tm.table}]"
    for name in ("dates", "datetimes", "times"):
        value = getattr(tm, name)
        if value is not None:
            date_format(str(value), where=f"{file.name}, {where} {name}: ")
    mapped = {r.target for r in tm.columns}
    missing = [c for c in kinds if not kinds[c].nullable and c not in mapped]
    if missing:
        raise _fail(
            file,
            where,
            f"the required column(s) {', '.join(missing)} are not mapped. Map each to an "
            "export column, a constant or a derivation.",
        )
    for rule in tm.columns:
        kind = kinds[rule.target].kind
        at = f"[tables.{tm.table}.columns] {rule.target}"
        needs = None
        if rule.kind in ("rename", "labels") and kind == "date":
            needs = ("dates", tm.dates)
        elif rule.kind in ("rename", "labels") and kind == "datetime":
            needs = ("datetimes", tm.datetimes)
        elif rule.kind == "datetime":
            if kind != "datetime":
                raise _fail(
                    file, at, f"date and time make a date-time, but {rule.target} is {kind}."
                )
            needs = ("dates", tm.dates) if tm.dates is None else ("times", tm.times)
        elif rule.kind == "derive" and rule.derive == "days_between":
            needs = ("dates", tm.dates)
        if needs is not None and needs[1] is None:
            raise _fail(
                file,
                at,
                f"{rule.target} is read from {', '.join(repr(s) for s in rule.sources)} in "
                f"{tm.files!r}, but the table declares no `{needs[0]}` format. Add e.g. "
                f'{needs[0]} = "{_EXAMPLES[needs[0]]}" under {where}: clearlib never guesses '
                "whether 03/04/2025 means 3 April or 4 March.",
            )
        allowed: tuple[str, ...] | None = None
        if kind == "boolean":
            allowed = ("true", "false")
        elif dd[tm.table].field(rule.target).enum:
            allowed = tuple(dd[tm.table].field(rule.target).enum or ())
        if rule.kind == "labels":
            if rule.labels not in labels:
                raise _fail(
                    file,
                    at,
                    f"no label map [labels.{rule.labels}]; the label maps are "
                    f"{', '.join(labels) or 'none'}.",
                )
            if allowed is not None:
                bad = sorted(
                    {v for v in labels[str(rule.labels)].values() if v and v not in allowed}
                )
                if bad:
                    raise _fail(
                        file,
                        f"[labels.{rule.labels}]",
                        f"translates to {', '.join(bad)}, which {rule.target} does not allow; "
                        f'allowed: {", ".join(allowed)} (or "" for blank).',
                    )
        if rule.kind == "codes" and rule.codelists not in codelists:
            raise _fail(
                file,
                at,
                f"no code-list set {rule.codelists!r} under [codelists]; the sets are "
                f"{', '.join(codelists) or 'none'}.",
            )
        if rule.kind == "constant" and allowed is not None and rule.constant not in allowed:
            raise _fail(
                file,
                at,
                f"the constant {rule.constant!r} is not allowed; allowed: {', '.join(allowed)}.",
            )


_EXAMPLES = {"dates": "DD/MM/YYYY", "datetimes": "DD/MM/YYYY HH:MM", "times": "HH:MM"}
