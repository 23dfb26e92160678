"""Import a clinical system's export through a mapping file into a dataset ``load_pcn`` reads.

``import_extract(mapping, export_folder, out)`` reads every export file the mapping names, as
text; makes each dictionary column by its rule (rename, label map, code lists, constant,
derivation); parses dates only in the declared format; writes the tables as Parquet in the
dataset layout (small tables whole, large tables one file per practice) with a manifest; writes
a mapping report beside them; then runs :func:`clearlib.data.validate` on the result.

Nothing is dropped silently. Every row that is not carried into the dataset is counted in the
report, and each one that could not be mapped (a date not in the declared format, a label with
no translation, a blank required value, a patient not in the patients file) is listed with its
file, row and reason. Rows whose code is in no code list of a table are not that table's rows
(an export of coded entries feeds several tables); a code in no list of any table reading the
file is listed in ``unmapped_codes`` with its count and example terms.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from clearlib._config import LARGE_TABLES, SMALL_TABLES, TABLES
from clearlib._exceptions import ConfigError
from clearlib.data._dictionary import data_dictionary
from clearlib.data._mapping import (
    DERIVATIONS,
    ColumnRule,
    ExtractMapping,
    MappingError,
    TableMapping,
    load_mapping,
)
from clearlib.data._store import (
    COLUMNS,
    file_sha256,
    read_manifest,
    to_arrow,
    write_manifest,
    write_parquet,
)
from clearlib.data._validate import ValidationReport, _isin, validate

__all__ = ["REPORT_FOLDER", "ImportReport", "import_extract"]

#: The folder, inside the imported dataset, that holds the mapping report.
REPORT_FOLDER = "import_report"

_EXAMPLES = 3
_ROW_SAMPLE = 5

TABLE_COLUMNS = (
    "table",
    "files",
    "rows_in",
    "rows_out",
    "rejected",
    "merged",
    "not_in_lists",
)
REJECTED_COLUMNS = ("file", "table", "row", "column", "value", "reason")
CODE_COLUMNS = ("files", "column", "code", "rows", "example_terms", "first_rows")
LABEL_COLUMNS = ("file", "table", "column", "label_map", "label", "rows", "first_rows")
CODELIST_COLUMNS = ("set", "value", "file", "codes", "status", "coding_system", "source")


# --------------------------------------------------------------------------------------------
# The report.
# --------------------------------------------------------------------------------------------
def _frame(columns: Iterable[str], rows: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    cols = list(columns)
    return pd.DataFrame(rows or [], columns=cols)


@dataclass(frozen=True, repr=False)
class ImportReport:
    """What an import read, wrote and could not map.

    Attributes
    ----------
    path : pathlib.Path
        The dataset written (``clearlib.data.read_dataset(path)`` reads it).
    mapping : pathlib.Path
        The mapping file used.
    source : pathlib.Path
        The export folder read.
    tables : pandas.DataFrame
        One row per table: ``files`` read, ``rows_in`` (rows in those files), ``rows_out``
        (rows written), ``rejected`` (rows that could not be mapped, listed in
        ``rejected_rows``), ``merged`` (later records of the same patient and register or
        deficit: the earliest is kept) and ``not_in_lists`` (rows whose code is in none of the
        table's code lists). ``rows_in = rows_out + rejected + merged + not_in_lists`` for a
        table read through code lists; otherwise ``rows_in = rows_out + rejected``.
    rejected_rows : pandas.DataFrame
        One line per rejected row and reason: ``file``, ``table``, ``row`` (1 = first row
        under the header), ``column`` (the export's), ``value`` and ``reason``.
    unmapped_codes : pandas.DataFrame
        Every code in no code list of any table that reads its files: ``files``, ``column``,
        ``code``, ``rows`` (its count), ``example_terms`` and ``first_rows``.
    unmapped_labels : pandas.DataFrame
        Every label with no translation in its label map, with its count and first rows.
    code_lists : pandas.DataFrame
        The code lists used and their provenance (``status`` is ``example`` for labelled
        example lists).
    validation : ValidationReport or None
        :func:`clearlib.data.validate` run on the dataset written.
    unlisted_codes : str
        ``error`` (the default) or ``warning``: whether unmapped codes make the import fail.
    """

    path: Path
    mapping: Path
    source: Path
    tables: pd.DataFrame
    rejected_rows: pd.DataFrame
    unmapped_codes: pd.DataFrame
    unmapped_labels: pd.DataFrame
    code_lists: pd.DataFrame
    validation: ValidationReport | None = None
    unlisted_codes: str = "error"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True if every row was mapped, every label and code is known, and the dataset is valid."""
        codes_ok = self.unlisted_codes == "warning" or self.unmapped_codes.empty
        valid = self.validation is None or self.validation.ok
        return self.rejected_rows.empty and self.unmapped_labels.empty and codes_ok and valid

    def headline(self) -> str:
        """One line: imported cleanly or not, with the counts."""
        # A file that feeds several tables (coded entries) is counted once.
        n_in = int(self.tables.drop_duplicates("files")["rows_in"].sum()) if len(self.tables) else 0
        n_out = int(self.tables["rows_out"].sum()) if len(self.tables) else 0
        n_rej = self.rejected_rows.drop_duplicates(["file", "row"]).shape[0]
        verdict = "IMPORTED" if self.ok else "IMPORTED WITH PROBLEMS"
        valid = ""
        if self.validation is not None:
            valid = "; validate: " + ("VALID" if self.validation.ok else "NOT VALID")
        return (
            f"{verdict}: {n_in:,} rows read, {n_out:,} written, {n_rej:,} rejected, "
            f"{len(self.unmapped_codes):,} unmapped codes, {len(self.unmapped_labels):,} "
            f"unmapped labels{valid} ({self.path})."
        )

    def summary(self, max_items: int = 20) -> str:
        """The report in plain words: every table's counts, then each problem.

        Parameters
        ----------
        max_items : int, default 20
            Show at most this many unmapped codes, labels and groups of rejected rows (the
            CSV files from :meth:`to_csv` hold them all).
        """
        lines = [
            self.headline(),
            "",
            "Rows by table (in = out + rejected + merged + not in lists):",
        ]
        for t in self.tables.itertuples(index=False):
            lines.append(
                f"  {t.table}: {t.rows_in:,} in, {t.rows_out:,} out, {t.rejected:,} rejected, "
                f"{t.merged:,} merged, {t.not_in_lists:,} not in the table's code lists "
                f"(from {t.files})"
            )
        lines += self._details(max_items)
        if self.validation is not None:
            lines += ["", self.validation.summary(max_items)]
        return "\n".join(lines)

    def _details(self, max_items: int) -> list[str]:
        lines: list[str] = []
        if len(self.unmapped_codes):
            level = "ERROR" if self.unlisted_codes == "error" else "WARNING"
            lines += ["", f"{level}: codes in no code list (add them to a list, or map them):"]
            for c in self.unmapped_codes.head(max_items).itertuples(index=False):
                lines.append(
                    f"  {c.files}, column {c.column}: code {c.code!r} in {c.rows:,} rows "
                    f"(e.g. {c.first_rows}); terms: {c.example_terms or '(none)'}"
                )
        if len(self.unmapped_labels):
            lines += ["", "ERROR: labels with no translation (add them to the label map):"]
            for lab in self.unmapped_labels.head(max_items).itertuples(index=False):
                lines.append(
                    f"  {lab.file}, column {lab.column}: {lab.label!r} in {lab.rows:,} rows "
                    f"(e.g. {lab.first_rows}); add it under [labels.{lab.label_map}]"
                )
        if len(self.rejected_rows):
            lines += ["", "ERROR: rows rejected (the first few; rejected_rows.csv has all):"]
            grouped = self.rejected_rows.groupby(["file", "column", "reason"], sort=False)
            for (file, column, reason), g in list(grouped)[:max_items]:
                rows = ", ".join(str(r) for r in g["row"].head(_ROW_SAMPLE))
                more = f" and {len(g) - _ROW_SAMPLE:,} more" if len(g) > _ROW_SAMPLE else ""
                lines.append(f"  {file}, column {column}, rows {rows}{more}: {reason}")
        examples = self.code_lists[self.code_lists["status"].eq("example")]
        if len(examples):
            sets = ", ".join(sorted(set(examples["set"])))
            lines += [
                "",
                f"Note: the code lists {sets} are labelled EXAMPLE lists of invented codes. "
                "They fit the synthetic export only; use published code lists (OpenCodelists, "
                "QOF business rules) for a real PCN's data.",
            ]
        lines += [f"Note: {n}" for n in self.notes]
        return lines

    def to_csv(self, folder: str | Path) -> Path:
        """Write the report's tables and ``summary.txt`` into ``folder`` (created)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.tables.to_csv(out / "tables.csv", index=False)
        self.rejected_rows.to_csv(out / "rejected_rows.csv", index=False)
        self.unmapped_codes.to_csv(out / "unmapped_codes.csv", index=False)
        self.unmapped_labels.to_csv(out / "unmapped_labels.csv", index=False)
        self.code_lists.to_csv(out / "code_lists.csv", index=False)
        if self.validation is not None:
            self.validation.problems.to_csv(out / "validation_problems.csv", index=False)
        (out / "summary.txt").write_text(self.summary(max_items=10_000) + "\n", encoding="utf-8")
        return out

    def raise_if_invalid(self) -> Self:
        """Raise :class:`MappingError` (carrying this report) unless the import is clean."""
        if not self.ok:
            raise MappingError(self.summary(), report=self)
        return self

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        parts: list[Any] = [Text(self.headline(), style="bold green" if self.ok else "bold red")]
        grid = Table(header_style="bold")
        for col in ("table", "rows in", "rows out", "rejected", "merged", "not in lists"):
            grid.add_column(col, justify="left" if col == "table" else "right")
        for t in self.tables.itertuples(index=False):
            grid.add_row(
                t.table,
                f"{t.rows_in:,}",
                f"{t.rows_out:,}",
                f"{t.rejected:,}",
                f"{t.merged:,}",
                f"{t.not_in_lists:,}",
            )
        parts.append(grid)
        details = "\n".join(self._details(20)).strip()
        if details:
            parts.append(Text(details))
        if self.validation is not None:
            parts.append(self.validation)
        return Group(*parts)

    def __repr__(self) -> str:
        return f"<ImportReport {self.headline()}>"


# --------------------------------------------------------------------------------------------
# Reading the export.
# --------------------------------------------------------------------------------------------
@dataclass
class _Source:
    """One table's export files stacked as text, with where each row came from."""

    frame: pd.DataFrame
    file: np.ndarray  # file name of each row
    row: np.ndarray  # 1-based data row in its file
    names: list[str]


def _read_files(tm: TableMapping, folder: Path, mapping: ExtractMapping) -> _Source:
    files = sorted(p for p in folder.glob(tm.files) if p.is_file())
    if not files:
        raise MappingError(
            f"{mapping.path.name}, [tables.{tm.table}] files = {tm.files!r}: no file in "
            f"{folder} matches. Check the pattern (it is relative to the export folder) and "
            "that the export has been saved there."
        )
    frames, names, sizes = [], [], []
    needed = tm.sources()
    for file in files:
        try:
            frame = pd.read_csv(
                file,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,  # a blank line is a row (reported), so rows stay numbered
                encoding=tm.encoding,
            )
        except UnicodeDecodeError as exc:
            raise MappingError(
                f'{file.name}: not {tm.encoding} text ({exc}). Declare encoding = "cp1252" '
                f"under [tables.{tm.table}] if the system exports Windows text."
            ) from exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise MappingError(f"{file.name}: could not be read as CSV ({exc}).") from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            hints = []
            for col in missing:
                close = difflib.get_close_matches(col, list(frame.columns), n=1, cutoff=0.6)
                hints.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise MappingError(
                f"{file.name}: the mapping ({mapping.path.name}, [tables.{tm.table}]) reads "
                f"the column(s) {', '.join(hints)}, which the file does not have (all "
                f"{len(frame):,} rows). Its columns are: {', '.join(frame.columns)}. Correct "
                "the column names in the mapping file to match the export's header."
            )
        frames.append(frame[list(needed)])
        names.append(file.name)
        sizes.append(len(frame))
    stacked = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    stacked = stacked.reset_index(drop=True)
    file_of = np.repeat(np.array(names, dtype=object), sizes)
    row_of = np.concatenate([np.arange(1, n + 1) for n in sizes])
    return _Source(stacked, file_of, row_of, names)


# --------------------------------------------------------------------------------------------
# Making each column.
# --------------------------------------------------------------------------------------------
@dataclass
class _Problems:
    """Rejections and unmapped labels collected while a table is mapped."""

    rejected: list[pd.DataFrame] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)

    def reject(
        self, src: _Source, table: str, mask: np.ndarray, column: str, values: Any, reason: str
    ) -> None:
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        if isinstance(values, pd.Series):  # only the rejected cells are converted
            vals: Any = values.iloc[pos].to_numpy(dtype=object)
        elif isinstance(values, str):
            vals = values
        else:
            vals = np.asarray(values, dtype=object)[pos]
        self.rejected.append(
            pd.DataFrame(
                {
                    "file": src.file[pos],
                    "table": table,
                    "row": src.row[pos],
                    "column": column,
                    "value": vals,
                    "reason": reason,
                    "_pos": pos,
                }
            )
        )


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | s.astype("str").str.strip().eq("")).to_numpy()


def _first_rows(src: _Source, pos: np.ndarray) -> str:
    shown = [f"{src.file[p]} row {src.row[p]}" for p in pos[:_EXAMPLES]]
    return "; ".join(shown) + (" ..." if len(pos) > _EXAMPLES else "")


def _labelled(
    rule: ColumnRule, src: _Source, mapping: ExtractMapping, table: str, probs: _Problems
) -> pd.Series:
    column = rule.sources[0]
    raw = src.frame[column].str.strip()
    table_map = mapping.labels[str(rule.labels)]
    out = raw.map(table_map)
    unknown = ~_blank(raw) & out.isna().to_numpy()
    if unknown.any():
        for label, pos in pd.Series(np.flatnonzero(unknown)).groupby(
            raw.to_numpy()[unknown], sort=True
        ):
            positions = pos.to_numpy()
            probs.labels.append(
                {
                    "file": ", ".join(dict.fromkeys(src.file[positions])),
                    "table": table,
                    "column": column,
                    "label_map": rule.labels,
                    "label": label,
                    "rows": len(positions),
                    "first_rows": _first_rows(src, positions),
                }
            )
        probs.reject(
            src,
            table,
            unknown,
            column,
            raw,
            f"label not in [labels.{rule.labels}] of the mapping",
        )
    return out.where(out.ne(""))


def _parse_dates(
    text: pd.Series,
    fmt: str,
    declared: str,
    src: _Source,
    table: str,
    column: str,
    probs: _Problems,
) -> pd.Series:
    text = text.str.strip()
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = ~_blank(text) & parsed.isna().to_numpy()
    probs.reject(
        src,
        table,
        bad,
        column,
        text,
        f"not a date written {declared} (the format declared in the mapping)",
    )
    return parsed


def _typed(
    text: pd.Series,
    kind: str,
    tm: TableMapping,
    src: _Source,
    column: str,
    probs: _Problems,
) -> pd.Series:
    """Text of one dictionary column to its contract type; bad cells are rejected."""
    if kind == "date":
        return _parse_dates(
            text, str(tm.date_strftime), str(tm.dates), src, tm.table, column, probs
        )
    if kind == "datetime":
        fmt, declared = str(tm.datetime_strftime), str(tm.datetimes)
        return _parse_dates(text, fmt, declared, src, tm.table, column, probs)
    if kind in ("integer", "number"):
        stripped = text.str.strip()
        values = pd.to_numeric(stripped.where(~_blank(stripped)), errors="coerce")
        bad = ~_blank(stripped) & values.isna().to_numpy()
        what = "number"
        if kind == "integer":
            frac = values.notna().to_numpy() & (values.fillna(0) % 1 != 0).to_numpy()
            bad |= frac
            what = "whole number"
            values = values.where(~frac)
        probs.reject(src, tm.table, bad, column, stripped, f"not a {what}")
        return values.astype("Int64") if kind == "integer" else values.astype("float64")
    if kind == "boolean":
        lowered = text.str.strip().str.lower()
        values = lowered.map({"true": True, "false": False})
        bad = ~_blank(lowered) & values.isna().to_numpy()
        probs.reject(
            src,
            tm.table,
            bad,
            column,
            text,
            "not true or false (translate the system's labels with a [labels] map)",
        )
        return values
    return text.str.strip().where(~_blank(text))


def _column(
    rule: ColumnRule,
    kind: str,
    tm: TableMapping,
    src: _Source,
    mapping: ExtractMapping,
    probs: _Problems,
) -> pd.Series:
    n = len(src.frame)
    if rule.kind == "constant":
        text = pd.Series([rule.constant] * n, dtype="str")
        return _typed(text, kind, tm, src, "(constant)", probs)
    if rule.kind == "derive":
        cols = [src.frame[c] for c in rule.sources]
        values = DERIVATIONS[str(rule.derive)].compute(cols, tm)
        bad = np.ones(n, bool)  # every source filled in, yet nothing derived
        for c in cols:
            bad &= ~_blank(c)
        bad &= values.isna().to_numpy()
        if bad.any():
            shown = np.full(n, "", dtype=object)
            cells = src.frame.loc[bad, list(rule.sources)].astype(str)
            shown[bad] = cells.agg("; ".join, axis=1).to_numpy(dtype=object)
            probs.reject(
                src,
                tm.table,
                bad,
                ", ".join(rule.sources),
                shown,
                f"could not derive {rule.target} ({rule.derive}): "
                + DERIVATIONS[str(rule.derive)].describe,
            )
        return values
    if rule.kind == "datetime":
        date_col, time_col = rule.sources
        joined = src.frame[date_col].str.strip() + " " + src.frame[time_col].str.strip()
        joined = joined.where(~(_blank(src.frame[date_col]) | _blank(src.frame[time_col])))
        fmt = f"{tm.date_strftime} {tm.time_strftime}"
        return _parse_dates(
            joined, fmt, f"{tm.dates} {tm.times}", src, tm.table, f"{date_col}, {time_col}", probs
        )
    if rule.kind == "labels":
        text = _labelled(rule, src, mapping, tm.table, probs)
    else:
        text = src.frame[rule.sources[0]]
    return _typed(text, kind, tm, src, rule.sources[0], probs)


@dataclass
class _Mapped:
    """One table after mapping: typed columns, and where each row came from."""

    tm: TableMapping
    frame: pd.DataFrame
    src: _Source  # the rows that are this table's (for code lists: rows with a listed code)
    pos: np.ndarray  # position in ``src`` of each output row
    rows_in: int
    rejected: int = 0
    merged: int = 0
    not_in_lists: int = 0


def _subset(src: _Source, mask: np.ndarray) -> _Source:
    return _Source(
        src.frame.loc[mask].reset_index(drop=True), src.file[mask], src.row[mask], src.names
    )


def _map_table(
    tm: TableMapping, src: _Source, mapping: ExtractMapping, probs: _Problems
) -> _Mapped:
    rows_in = len(src.frame)
    kinds = {c.name: c for c in COLUMNS[tm.table]}
    code_rule = next((r for r in tm.columns if r.kind == "codes"), None)
    values = None
    not_in_lists = 0
    if code_rule is not None:
        # Rows whose code is in none of the table's lists are not this table's rows.
        lookup = mapping.codelists[str(code_rule.codelists)].lookup()
        values = src.frame[code_rule.sources[0]].str.strip().map(lookup)
        listed = values.notna().to_numpy()
        not_in_lists = int((~listed).sum())
        src = _subset(src, listed)
        values = values.loc[listed].reset_index(drop=True)
    n = len(src.frame)
    start = len(probs.rejected)
    out: dict[str, pd.Series] = {}
    for rule in tm.columns:
        if rule is not code_rule:
            out[rule.target] = _column(rule, kinds[rule.target].kind, tm, src, mapping, probs)
    for name in kinds:
        if name not in out:
            out[name] = pd.Series([pd.NA] * n, dtype="object")
    if code_rule is not None and values is not None:
        out[code_rule.target] = values
    frame = pd.DataFrame({k: v.reset_index(drop=True) for k, v in out.items()})
    for name, col in kinds.items():
        if not col.nullable:
            rule = tm.rule(name)
            source = ", ".join(rule.sources) if rule and rule.sources else name
            blank = frame[name].isna().to_numpy()
            probs.reject(
                src, tm.table, blank, source, "", f"{name} is blank, but must be filled in"
            )
    bad = np.zeros(n, bool)
    for rej in probs.rejected[start:]:
        bad[rej["_pos"].to_numpy()] = True
    pos = np.flatnonzero(~bad)
    frame = frame.loc[~bad].reset_index(drop=True)
    merged = 0
    if code_rule is not None:
        frame["_pos"] = pos
        frame = frame.explode(code_rule.target, ignore_index=True)
        key = list(data_dictionary()[tm.table].primary_key or ())
        if key:
            date_col = next(c.name for c in COLUMNS[tm.table] if c.kind == "date")
            frame = frame.sort_values([*key, date_col], kind="stable")
            dup = frame.duplicated(key, keep="first").to_numpy()
            merged = int(dup.sum())
            frame = frame.loc[~dup]
        pos = frame.pop("_pos").to_numpy(dtype=np.int64)
        frame = frame.reset_index(drop=True)
    frame = frame[[c.name for c in COLUMNS[tm.table]]]
    return _Mapped(tm, frame, src, pos, rows_in, int(bad.sum()), merged, not_in_lists)


# --------------------------------------------------------------------------------------------
# Codes in no list, across every table that reads the same files.
# --------------------------------------------------------------------------------------------
def _unmapped_codes(mapping: ExtractMapping, sources: dict[str, _Source]) -> pd.DataFrame:
    groups: dict[tuple[str, str], list[TableMapping]] = {}
    for tm in mapping.tables.values():
        rule = next((r for r in tm.columns if r.kind == "codes"), None)
        if rule is not None:
            groups.setdefault((tm.files, rule.sources[0]), []).append(tm)
    rows = []
    for (files, column), tms in groups.items():
        src = sources[tms[0].table]
        known: set[str] = set()
        term_col = None
        for tm in tms:
            rule = next(r for r in tm.columns if r.kind == "codes")
            known |= set(mapping.codelists[str(rule.codelists)].lookup())
            term_col = term_col or rule.term
        codes = src.frame[column].str.strip()
        missing = ~codes.isin(known).to_numpy()  # a blank code is in no list either
        if not missing.any():
            continue
        at = np.flatnonzero(missing)
        sub = pd.DataFrame({"code": codes.iloc[at].fillna("").to_numpy(dtype=object), "pos": at})
        sub["code"] = sub["code"].replace("", "(blank)")
        sub["term"] = src.frame[term_col].iloc[at].to_numpy(dtype=object) if term_col else ""
        for code, g in sub.groupby("code", sort=True):
            positions = g["pos"].to_numpy()
            seen = [str(t).strip() for t in g["term"] if str(t).strip()]
            rows.append(
                {
                    "files": files,
                    "column": column,
                    "code": code,
                    "rows": len(positions),
                    "example_terms": "; ".join(list(dict.fromkeys(seen))[:_EXAMPLES]),
                    "first_rows": _first_rows(src, positions),
                }
            )
    out = _frame(CODE_COLUMNS, rows)
    return out.sort_values(["rows", "code"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------------------------
# Links needed to place rows in practice files.
# --------------------------------------------------------------------------------------------
def _drop_orphans(mapped: dict[str, _Mapped], probs: _Problems) -> None:
    """Reject rows that no practice file could hold: unknown practice or patient."""
    practices = mapped.get("practices")
    codes = set(practices.frame["practice_code"]) if practices is not None else None
    patients = mapped.get("patients")
    for name in ("patients", "staff", *LARGE_TABLES):
        m = mapped.get(name)
        if m is None:
            continue
        checks: list[tuple[np.ndarray, str, str]] = []
        if codes is not None and "practice_code" in m.frame.columns:
            pc = m.frame["practice_code"]
            orphan = pc.notna().to_numpy() & ~_isin(pc, pd.Series(sorted(codes)))
            checks.append((orphan, "practice_code", "practice_code not in the practices file(s)"))
        if name in LARGE_TABLES and name != "patients" and patients is not None:
            orphan = ~_isin(m.frame["patient_id"], patients.frame["patient_id"])
            checks.append(
                (
                    orphan,
                    "patient_id",
                    "patient_id not among the imported patients (not in the patients file, "
                    "or the patient's own row was rejected)",
                )
            )
        bad = np.zeros(len(m.frame), bool)
        for orphan, column, reason in checks:
            new = orphan & ~bad
            if new.any():
                mask = np.zeros(len(m.src.frame), bool)
                mask[m.pos[new]] = True
                values = np.full(len(m.src.frame), "", dtype=object)
                values[m.pos[new]] = m.frame.loc[new, column].to_numpy(dtype=object)
                rule = m.tm.rule(column)
                source = ", ".join(rule.sources) if rule and rule.sources else column
                probs.reject(m.src, name, mask, source, values, reason)
            bad |= orphan
        if bad.any():
            m.rejected += len(np.unique(m.pos[bad]))
            m.frame = m.frame.loc[~bad].reset_index(drop=True)
            m.pos = m.pos[~bad]


# --------------------------------------------------------------------------------------------
# Writing the dataset.
# --------------------------------------------------------------------------------------------
def _prepare_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"{out}: expected a folder to write the dataset into, found a file.")
        contents = [p for p in out.iterdir() if not p.name.startswith(".")]
        if contents and "import" not in read_manifest(out):
            raise ConfigError(
                f"{out}: the folder is not empty and holds no imported dataset, so clearlib "
                "will not overwrite it. Choose a new folder with --out."
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)


def _write(
    mapped: dict[str, _Mapped], out: Path
) -> tuple[dict[str, int], dict[str, list[str]], dict[str, int]]:
    frames = {name: m.frame for name, m in mapped.items()}
    written: dict[str, int] = {}
    for name in SMALL_TABLES:
        if name in frames:
            data = to_arrow(frames[name], name)
            write_parquet(data, out / f"{name}.parquet")
            written[f"{name}.parquet"] = data.num_rows
    pcns: dict[str, list[str]] = {}
    if "practices" in frames:
        for pcn, code in sorted(
            zip(frames["practices"]["pcn_code"], frames["practices"]["practice_code"], strict=True)
        ):
            pcns.setdefault(str(pcn), []).append(str(code))
        practice_codes = [c for codes in pcns.values() for c in codes]
    else:
        practice_codes = (
            sorted(set(frames["patients"]["practice_code"])) if "patients" in frames else []
        )
    practice_of = (
        dict(
            zip(frames["patients"]["patient_id"], frames["patients"]["practice_code"], strict=True)
        )
        if "patients" in frames
        else {}
    )
    for name in LARGE_TABLES:
        if name not in frames:
            continue
        frame = frames[name]
        if "practice_code" in frame.columns:
            where = frame["practice_code"].to_numpy(dtype=object)
        else:
            where = frame["patient_id"].map(practice_of).to_numpy(dtype=object)
        if not practice_codes or not pd.Series(where).isin(practice_codes).all():
            # No practice to split by (the mapping maps neither practices nor patients, or a
            # row's practice is unknown): the table is written whole, so no row is lost.
            data = to_arrow(frame, name)
            write_parquet(data, out / f"{name}.parquet")
            written[f"{name}.parquet"] = data.num_rows
            continue
        for code in practice_codes:
            part = frame.loc[where == code].reset_index(drop=True)
            data = to_arrow(part, name)
            write_parquet(data, out / name / f"{code}.parquet")
            written[f"{name}/{code}.parquet"] = data.num_rows
    rows = {name: len(f) for name, f in frames.items()}
    return written, pcns, rows


def _code_lists(mapping: ExtractMapping) -> pd.DataFrame:
    rows = []
    for name, cls in mapping.codelists.items():
        for cl in cls:
            rows.append(
                {
                    "set": name,
                    "value": cl.value,
                    "file": str(cl.path),
                    "codes": len(cl.codes),
                    "status": cl.meta.get("status", "unstated"),
                    "coding_system": cl.coding_system,
                    "source": cl.meta.get("source", ""),
                }
            )
    return _frame(CODELIST_COLUMNS, rows)


def import_extract(
    mapping: str | Path | ExtractMapping,
    source: str | Path | None = None,
    out: str | Path | None = None,
    *,
    check: bool = True,
) -> ImportReport:
    """Import a clinical system's export into a dataset, through a mapping file.

    Parameters
    ----------
    mapping : str, pathlib.Path or ExtractMapping
        A mapping file (``.toml``), the name of a shipped template (``emis-web``,
        ``systmone``) or a loaded mapping.
    source : str or pathlib.Path, optional
        The folder of export files. Default: the folder that holds the mapping file (put
        the mapping beside the export).
    out : str or pathlib.Path
        The dataset folder to write (created; an earlier import there is replaced; any other
        non-empty folder is refused).
    check : bool, default True
        Run :func:`clearlib.data.validate` on the dataset written.

    Returns
    -------
    ImportReport
        Counts by table, every rejected row, unmapped code and unmapped label, the code lists
        used, and the validation report. The same is written to ``<out>/import_report/``.
        ``report.ok`` is False if anything could not be mapped or the dataset is not valid;
        ``report.raise_if_invalid()`` turns that into a :class:`MappingError`.

    Raises
    ------
    MappingError
        Before anything is written, if the mapping is broken or does not fit the export: an
        unknown column (naming the file, the column and the columns it has), a date column
        without a declared format, a file pattern that matches no file.

    Examples
    --------
    A mapping of one table, its code list and a two-row export (one code is in no list):

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "qof").mkdir()
    >>> _ = (folder / "qof" / "AF.csv").write_text("code,term\\n49436004,Atrial fibrillation\\n")
    >>> _ = (folder / "coded.csv").write_text(
    ...     "Patient,Code,Date\\n"
    ...     "SYN-P001000001,49436004,06/06/2025\\n"
    ...     "SYN-P001000001,12345,07/06/2025\\n")
    >>> _ = (folder / "mapping.toml").write_text('''
    ... schema_version = 1
    ... [codelists]
    ... qof = "qof"
    ... [tables.conditions]
    ... files = "coded.csv"
    ... dates = "DD/MM/YYYY"
    ... [tables.conditions.columns]
    ... patient_id = "Patient"
    ... condition = { column = "Code", codelists = "qof" }
    ... diagnosed_on = "Date"
    ... ''')
    >>> report = import_extract(folder / "mapping.toml", out=folder / "out", check=False)
    >>> report.tables[["table", "rows_in", "rows_out", "not_in_lists"]].values.tolist()
    [['conditions', 2, 1, 1]]
    >>> report.unmapped_codes[["code", "rows", "first_rows"]].values.tolist()
    [['12345', 1, 'coded.csv row 2']]
    >>> report.ok
    False

    The same for a synthetic EMIS Web export of a whole PCN (see
    :func:`clearlib.synth.write_export`)::

        clearlib.synth.write_export(clearlib.load_pcn(), "emis", system="emis")
        import_extract("emis-web", "emis", "imported").raise_if_invalid()
    """
    m = mapping if isinstance(mapping, ExtractMapping) else load_mapping(mapping)
    folder = Path(source) if source is not None else m.path.parent
    if not folder.is_dir():
        raise MappingError(f"{folder}: no such export folder. Give the folder of export files.")
    if out is None:
        raise ConfigError("import_extract: give out, the folder to write the dataset into.")
    target = Path(out)
    if target.resolve() == folder.resolve():
        raise ConfigError(f"{target}: write the dataset to a new folder, not the export folder.")

    sources = {name: _read_files(tm, folder, m) for name, tm in m.tables.items()}
    probs = _Problems()
    mapped = {name: _map_table(tm, sources[name], m, probs) for name, tm in m.tables.items()}
    _drop_orphans(mapped, probs)
    unmapped = _unmapped_codes(m, sources)

    _prepare_out(target)
    written, pcns, rows = _write(mapped, target)
    manifest: dict[str, Any] = {
        "name": target.name,
        "description": f"Imported from a {m.system or 'clinical system'} export.",
        "import": {
            "mapping": str(m.path),
            "mapping_sha256": file_sha256(m.path),
            "system": m.system,
            "source": str(folder.resolve()),
            "function": "clearlib.data.import_extract",
        },
        "pcns": pcns,
        "tables": {name: {"rows": rows.get(name, 0)} for name in TABLES if name in rows},
    }
    rejected = (
        pd.concat(probs.rejected, ignore_index=True) if probs.rejected else _frame(REJECTED_COLUMNS)
    )
    rejected = (
        rejected[list(REJECTED_COLUMNS)]
        .sort_values(["table", "file", "row"], kind="stable")
        .reset_index(drop=True)
    )
    tables = _frame(
        TABLE_COLUMNS,
        [
            {
                "table": name,
                "files": m.tables[name].files
                + f" ({len(mm.src.names)} file{'s' if len(mm.src.names) != 1 else ''})",
                "rows_in": mm.rows_in,
                "rows_out": len(mm.frame),
                "rejected": mm.rejected,
                "merged": mm.merged,
                "not_in_lists": mm.not_in_lists,
            }
            for name, mm in mapped.items()
        ],
    )
    notes = []
    missing = [t for t in TABLES if t not in m.tables]
    if missing:
        notes.append(f"The mapping maps no file to {', '.join(missing)}: those tables are absent.")
    report = ImportReport(
        path=target,
        mapping=m.path,
        source=folder,
        tables=tables,
        rejected_rows=rejected,
        unmapped_codes=unmapped,
        unmapped_labels=_frame(LABEL_COLUMNS, probs.labels),
        code_lists=_code_lists(m),
        unlisted_codes=m.unlisted_codes,
        notes=tuple(notes),
    )
    if check:
        report = replace(report, validation=validate(target))
    report_dir = report.to_csv(target / REPORT_FOLDER)
    files = dict(written)
    files.update(
        {p.relative_to(target).as_posix(): 0 for p in sorted(report_dir.iterdir()) if p.is_file()}
    )
    manifest["files"] = {
        rel: {"sha256": file_sha256(target / rel), "bytes": (target / rel).stat().st_size}
        for rel in files
    }
    write_manifest(target, manifest)
    return report
