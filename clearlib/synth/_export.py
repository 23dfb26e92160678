"""A synthetic raw export: a dataset written as EMIS Web or SystmOne exports would arrive.

``write_export(bundle, out, system="emis")`` writes the tables through a shipped mapping
template (``datasets/mappings/emis-web.toml`` or ``systmone.toml``) read backwards: the
system's column names, dates in the template's declared (day-first) formats, the system's
labels for sex, ethnicity, roles, modes, categories and statuses, and one row per patient per
code, with codes taken from the template's code lists (the labelled example lists). Importing
the export with the same template (:func:`clearlib.data.import_extract`) gives the same
dataset back: that round trip is what tests the import.

The mapping is the one description of the system's layout; this writer adds nothing to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.data._bundle import PCNData
from clearlib.data._dictionary import data_dictionary
from clearlib.data._mapping import SYSTEMS, ColumnRule, ExtractMapping, TableMapping, load_mapping
from clearlib.data._store import COLUMNS
from clearlib.data._validate import table_as_text

__all__ = ["EXPORT_SYSTEMS", "make_export", "write_export"]

#: The systems ``write_export`` can imitate, and the mapping template each one uses.
EXPORT_SYSTEMS: Mapping[str, str] = SYSTEMS


def _mapping(system: str | ExtractMapping) -> ExtractMapping:
    if isinstance(system, ExtractMapping):
        return system
    if system not in EXPORT_SYSTEMS:
        raise ConfigError(
            f"no export layout {system!r}: expected one of {', '.join(EXPORT_SYSTEMS)}."
        )
    return load_mapping(EXPORT_SYSTEMS[system])


def _dates(values: pd.Series, fmt: str) -> pd.Series:
    out = pd.to_datetime(values).dt.strftime(fmt)
    return out.fillna("").astype("str")


def _inverse(labels: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for label, value in labels.items():
        out.setdefault(value, label)  # the first label of each code is the one written
    return out


def _encode(
    rule: ColumnRule,
    kind: str,
    typed: pd.Series,
    text: pd.Series,
    tm: TableMapping,
    m: ExtractMapping,
) -> dict[str, pd.Series]:
    """The export column(s) that hold one dictionary column."""
    where = f"{m.path.name}, [tables.{tm.table}.columns] {rule.target}"
    if rule.kind in ("constant", "derive") and rule.derive != "from_year":
        return {}
    if rule.kind == "derive":  # from_year: only the year is exported
        return {rule.sources[0]: _dates(typed, "%Y")}
    if rule.kind == "datetime":
        return {
            rule.sources[0]: _dates(typed, str(tm.date_strftime)),
            rule.sources[1]: _dates(typed, str(tm.time_strftime)),
        }
    if rule.kind == "codes":
        cls = m.codelists[str(rule.codelists)]
        value = text.to_numpy(dtype=object)
        code = np.empty(len(value), dtype=object)
        term = np.empty(len(value), dtype=object)
        for v in pd.unique(value):
            codes = cls.codes_for(str(v))
            if not codes:
                raise DataError(
                    f"{where}: no code list for {v!r} in {cls.name!r}, so rows with it cannot "
                    "be written as codes. Add a list named for it."
                )
            at = np.flatnonzero(value == v)
            picked = np.array(codes, dtype=object)[np.arange(len(at)) % len(codes)]
            code[at] = picked
            term[at] = [cls.term(c) for c in picked]
        out = {rule.sources[0]: pd.Series(code, index=text.index, dtype="str")}
        if rule.term:
            out[rule.term] = pd.Series(term, index=text.index, dtype="str")
        return out
    if kind == "date":
        formatted = _dates(typed, str(tm.date_strftime))
    elif kind == "datetime":
        formatted = _dates(typed, str(tm.datetime_strftime))
    else:
        formatted = text
    if rule.kind == "labels":
        inverse = _inverse(m.labels[str(rule.labels)])
        missing = sorted(set(formatted[formatted.ne("")]) - set(inverse))
        if missing:
            raise DataError(
                f"{where}: no label in [labels.{rule.labels}] translates to "
                f"{', '.join(missing)}, so those rows cannot be written."
            )
        formatted = formatted.map(lambda v: inverse.get(v, "")).astype("str")
    return {rule.sources[0]: formatted}


def _practice_of(bundle: PCNData, table: str, frame: pd.DataFrame) -> np.ndarray:
    if "practice_code" in frame.columns:
        return frame["practice_code"].astype("str").to_numpy(dtype=object)
    owners = dict(zip(bundle.patients["patient_id"], bundle.patients["practice_code"], strict=True))
    return frame["patient_id"].map(owners).astype("str").to_numpy(dtype=object)


def make_export(bundle: PCNData, system: str | ExtractMapping = "emis") -> dict[str, pd.DataFrame]:
    """Every export file as text, by file name, as the system's export would hold it.

    Parameters
    ----------
    bundle : PCNData
        A clean dataset (for example ``clearlib.load_pcn("default")``).
    system : {"emis", "systmone"} or ExtractMapping, default "emis"
        The layout to imitate: a shipped template, or any loaded mapping.

    Returns
    -------
    dict of str to pandas.DataFrame
        File name (``SYN-G001_Patients.csv``...) to its columns, all text.

    Raises
    ------
    clearlib.DataError
        If a value has no label or code list to be written with.

    Examples
    --------
    >>> import pandas as pd
    >>> from clearlib.data._store import empty_frame
    >>> empty = PCNData(**{t: empty_frame(t) for t in PCNData.table_names()})
    >>> files = make_export(empty, "systmone")
    >>> sorted(files)[:2]
    ['Appointments.csv', 'Coded events.csv']
    """
    m = _mapping(system)
    dd = data_dictionary()
    files: dict[str, list[pd.DataFrame]] = {}
    for name, tm in m.tables.items():
        typed = bundle[name].reset_index(drop=True)
        text = table_as_text(typed, dd[name])
        kinds = {c.name: c.kind for c in COLUMNS[name]}
        columns: dict[str, pd.Series] = {}
        for rule in tm.columns:
            encoded = _encode(
                rule, kinds[rule.target], typed[rule.target], text[rule.target], tm, m
            )
            for col, values in encoded.items():
                columns.setdefault(col, values.reset_index(drop=True))
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(typed)))
        if "*" in tm.files:
            owner = _practice_of(bundle, name, typed)
            codes = list(dict.fromkeys(bundle.practices["practice_code"].astype("str")))
            codes += sorted(set(owner) - set(codes))
            for code in codes:
                files.setdefault(tm.files.replace("*", code), []).append(frame[owner == code])
        else:
            files.setdefault(tm.files, []).append(frame)
    out = {}
    for file, parts in files.items():
        joined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out[file] = joined.fillna("").reset_index(drop=True)
    return out


def write_export(
    bundle: PCNData, out_dir: str | Path, *, system: str | ExtractMapping = "emis"
) -> Path:
    """Write a dataset as an EMIS Web or SystmOne export would arrive (CSV files, CRLF).

    Parameters
    ----------
    bundle : PCNData
        A clean dataset.
    out_dir : str or pathlib.Path
        The folder to write (created; files of the same names are replaced).
    system : {"emis", "systmone"} or ExtractMapping, default "emis"
        The layout to imitate.

    Returns
    -------
    pathlib.Path
        The folder written. ``clearlib.data.import_extract(template, folder, out)`` with the
        same template reads it back into the same dataset.

    Examples
    --------
    >>> import tempfile
    >>> from clearlib.data._store import empty_frame
    >>> empty = PCNData(**{t: empty_frame(t) for t in PCNData.table_names()})
    >>> folder = write_export(empty, tempfile.mkdtemp(), system="emis")
    >>> (folder / "Practices.csv").read_text().splitlines()[0][:30]
    'ODS Code,PCN Code,Practice Nam'
    """
    m = _mapping(system)
    tables = make_export(bundle, m)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    encoding = {tm.files: tm.encoding for tm in m.tables.values()}
    for file, frame in tables.items():
        pattern = next((p for p in encoding if p == file or "*" in p), None)
        enc = encoding.get(pattern or "", "utf-8")
        frame.to_csv(
            folder / file,
            index=False,
            encoding="utf-8" if enc == "utf-8-sig" else enc,
            lineterminator="\r\n",
        )
    return folder
