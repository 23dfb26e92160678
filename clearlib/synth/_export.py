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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

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


def _arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _dates(values: pd.Series, fmt: str) -> pa.Array:
    arr = _arrow(values)
    if not pa.types.is_timestamp(arr.type):
        arr = arr.cast(pa.timestamp("s"))
    return pc.fill_null(pc.strftime(arr, format=fmt), "")


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
) -> dict[str, pa.Array]:
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
    values = pc.cast(_arrow(text), pa.string())
    if rule.kind == "codes":
        cls = m.codelists[str(rule.codelists)]
        encoded = values.dictionary_encode()
        index = encoded.indices.to_numpy(zero_copy_only=False)
        code = np.empty(len(index), dtype=object)
        term = np.empty(len(index), dtype=object)
        terms = {c: t for cl in reversed(cls.lists) for c, t in cl.terms.items()}
        for k, v in enumerate(encoded.dictionary.to_pylist()):
            codes = cls.codes_for(str(v))
            if not codes:
                raise DataError(
                    f"{where}: no code list for {v!r} in {cls.name!r}, so rows with it cannot "
                    "be written as codes. Add a list named for it."
                )
            at = np.flatnonzero(index == k)
            pick = np.arange(len(at)) % len(codes)  # the codes of a list, in turn
            code[at] = np.array(codes, dtype=object)[pick]
            term[at] = np.array([terms[c] for c in codes], dtype=object)[pick]
        out = {rule.sources[0]: pa.array(code, pa.string())}
        if rule.term:
            out[rule.term] = pa.array(term, pa.string())
        return out
    if kind == "date":
        values = _dates(typed, str(tm.date_strftime))
    elif kind == "datetime":
        values = _dates(typed, str(tm.datetime_strftime))
    if rule.kind == "labels":
        inverse = _inverse(m.labels[str(rule.labels)])
        keys = pa.array(list(inverse), pa.string())
        found = pc.index_in(values, value_set=keys)
        missing = pc.and_(pc.is_null(found), pc.not_equal(pc.fill_null(values, ""), ""))
        if pc.any(missing).as_py():
            bad = sorted(set(pc.filter(values, missing).to_pylist()))
            raise DataError(
                f"{where}: no label in [labels.{rule.labels}] translates to "
                f"{', '.join(map(str, bad))}, so those rows cannot be written."
            )
        values = pc.fill_null(pc.take(pa.array(list(inverse.values()), pa.string()), found), "")
    return {rule.sources[0]: pc.fill_null(values, "")}


def _owners(bundle: PCNData, frame: pd.DataFrame) -> pa.Array:
    """The practice of each row (its own practice_code, or its patient's)."""
    if "practice_code" in frame.columns:
        return pc.cast(_arrow(frame["practice_code"]), pa.string())
    ids = pc.cast(_arrow(bundle.patients["patient_id"]), pa.string())
    practice = pc.cast(_arrow(bundle.patients["practice_code"]), pa.string())
    at = pc.index_in(pc.cast(_arrow(frame["patient_id"]), pa.string()), value_set=ids)
    return pc.take(practice, at)


def _export_tables(bundle: PCNData, m: ExtractMapping) -> dict[str, pa.Table]:
    dd = data_dictionary()
    files: dict[str, list[pa.Table]] = {}
    for name, tm in m.tables.items():
        typed = bundle[name].reset_index(drop=True)
        text = table_as_text(typed, dd[name])
        kinds = {c.name: c.kind for c in COLUMNS[name]}
        columns: dict[str, pa.Array] = {}
        for rule in tm.columns:
            encoded = _encode(
                rule, kinds[rule.target], typed[rule.target], text[rule.target], tm, m
            )
            for col, values in encoded.items():
                columns.setdefault(col, values)
        data = pa.table(columns) if columns else pa.table({})
        if "*" in tm.files:
            owner = _owners(bundle, typed)
            codes = list(dict.fromkeys(bundle.practices["practice_code"].astype("str")))
            codes += sorted(set(pc.unique(owner).drop_null().to_pylist()) - set(codes))
            for code in codes:
                part = data.filter(pc.fill_null(pc.equal(owner, code), False))
                files.setdefault(tm.files.replace("*", code), []).append(part)
        else:
            files.setdefault(tm.files, []).append(data)
    return {
        file: pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
        for file, parts in files.items()
    }


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
    >>> from clearlib.data._store import empty_frame
    >>> empty = PCNData(**{t: empty_frame(t) for t in PCNData.table_names()})
    >>> files = make_export(empty, "systmone")
    >>> sorted(files)[:2]
    ['Appointments.csv', 'Coded events.csv']
    """
    tables = _export_tables(bundle, _mapping(system))
    return {file: data.to_pandas().fillna("") for file, data in tables.items()}


def _csv(data: pa.Table, path: Path) -> None:
    try:
        options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none", eol="\r\n")
        pa_csv.write_csv(data, path, options)
    except pa.ArrowInvalid:  # a value holds a comma, quote or line break: quote the text
        options = pa_csv.WriteOptions(quoting_style="needed", quoting_header="none", eol="\r\n")
        pa_csv.write_csv(data, path, options)


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
    tables = _export_tables(bundle, _mapping(system))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for file, data in tables.items():
        _csv(data, folder / file)
    return folder
