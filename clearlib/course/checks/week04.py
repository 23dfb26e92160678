"""Week 04's checks (data quality, sharing safely): the usual mistakes of its questions, by name.

The assignment works on a messy extract written into a folder (``extract``); each check reads
the file it needs from that folder, recomputes what the usual mistakes give (both rows of a
copy, row numbers from 0, month-first dates, a rule left out, warnings counted as errors, a plain
hash for a pseudonym, totals in a table to publish) and fails with a message naming the mistake
when the learner's answer equals one. None of them computes the right answer: the assignment's
hidden tests do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from clearlib.course.checks._core import is_table, is_whole_number

__all__ = [
    "birth_dates_mistakes",
    "copies_mistakes",
    "fixed_conditions_mistakes",
    "id_list",
    "impossible_mistakes",
    "ld_table_mistakes",
    "pseudonym_mistakes",
    "report_mistakes",
]

_ISO = r"\d{4}-\d{2}-\d{2}"


def _read(extract: str | Path, name: str) -> pd.DataFrame:
    """One CSV file of the extract, every cell as text (as the assignment's ``read_text``)."""
    return pd.read_csv(Path(extract) / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def id_list(value: Any, name: str, *, sort: bool = True) -> None:
    """Check ``value`` is a list of patient ids (text starting "SYN-P"), each once, sorted.

    Examples
    --------
    >>> id_list(["SYN-P01", "SYN-P02"], "ids")
    >>> id_list([3, 7], "ids")
    Traceback (most recent call last):
    AssertionError: ids should list patient_id values (SYN-P...), not row numbers or positions.
    """
    if not isinstance(value, list):
        raise AssertionError(
            f"{name} should be a list of patient ids; it is a {type(value).__name__}: use "
            "sorted(...) or .tolist()."
        )
    if not all(str(p).startswith("SYN-P") for p in value):
        raise AssertionError(
            f"{name} should list patient_id values (SYN-P...), not row numbers or positions."
        )
    if len(set(value)) != len(value):
        raise AssertionError(f"List each patient once in {name}.")
    if sort and list(value) != sorted(value):
        raise AssertionError(f"Sort {name}: sorted(...).")


def copies_mistakes(n_copies: Any, copy_rows: Any, extract: str | Path) -> None:
    """Check the exact copies of appointments.csv: a count matching a sorted list of row
    numbers, and none of the usual mistakes (both rows of each pair, the first row of each pair,
    pandas positions from 0)."""
    is_whole_number(n_copies, "n_copies")
    if not isinstance(copy_rows, list):
        raise AssertionError("copy_rows should be a list of row numbers (a Python list).")
    if n_copies != len(copy_rows):
        raise AssertionError("n_copies should be the number of rows in copy_rows.")
    if copy_rows != sorted(copy_rows):
        raise AssertionError("Sort copy_rows from smallest to largest.")
    raw = _read(extract, "appointments.csv")
    rows = [int(r) for r in copy_rows]

    def numbers(marked: pd.Series, start: int = 1) -> list[int]:
        return [int(i) + start for i in raw.index[marked]]

    if rows == numbers(raw.duplicated(keep=False)):
        raise AssertionError(
            "copy_rows lists both rows of each pair (keep=False): the copy is only the later "
            "row, the one duplicated() marks."
        )
    if rows == numbers(raw.duplicated(), start=0):
        raise AssertionError(
            "copy_rows holds pandas positions, which start at 0 (or the first row of each pair): "
            "row 1 is the first row under the header, so add 1; the copy is the later row."
        )
    if rows == numbers(raw.duplicated(keep="last")):
        raise AssertionError(
            "copy_rows lists the first row of each pair (keep='last'): the copy is the later row."
        )


def birth_dates_mistakes(birth_dates: Any, extract: str | Path) -> None:
    """Check one date per row of patients.csv, none missing, and no UK date read month first."""
    is_table(birth_dates, "birth_dates", kind="Series")
    text = _read(extract, "patients.csv")["birth_date"]
    if len(birth_dates) != len(text):
        raise AssertionError(
            f"birth_dates should have one value per row of patients.csv ({len(text)}); it has "
            f"{len(birth_dates)}: keep every row, in the same order."
        )
    if not pd.api.types.is_datetime64_any_dtype(birth_dates):
        raise AssertionError("Convert the text to dates (pd.to_datetime with a format).")
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    month_first = iso.fillna(pd.to_datetime(text, format="%m/%d/%Y", errors="coerce"))
    uk = ~text.str.fullmatch(_ISO)
    mine = pd.Series(birth_dates.to_numpy(), index=text.index)
    ambiguous = uk & month_first.notna() & (text.str[:2] != text.str[3:5])
    if (mine[ambiguous] == month_first[ambiguous]).any():
        raise AssertionError(
            "Some UK dates were read month first (09/01/1968 as 1 September): give "
            "format='%d/%m/%Y', never let pandas guess."
        )
    if birth_dates.isna().any():
        raise AssertionError(
            "Some dates are missing: read both YYYY-MM-DD and DD/MM/YYYY (two formats, one after "
            "the other, with errors='coerce', then fillna)."
        )


def impossible_mistakes(impossible_ids: Any, birth_dates: pd.Series, extract: str | Path) -> None:
    """Check a sorted list of patient ids, and that none of the three rules was left out."""
    id_list(impossible_ids, "impossible_ids")
    raw = _read(extract, "patients.csv")
    died = pd.to_datetime(raw["died_on"], format="%Y-%m-%d", errors="coerce")
    born = pd.Series(birth_dates.to_numpy(), index=raw.index)
    rules = {
        "born after the extract date": born > pd.Timestamp("2026-03-31"),
        "born before 31 March 1911": born < pd.Timestamp("1911-03-31"),
        "died before they were born": died < born,
    }
    mine = set(impossible_ids)
    for left_out in rules:
        kept = [rule for name, rule in rules.items() if name != left_out]
        flagged = set(raw.loc[kept[0] | kept[1], "patient_id"])
        if mine == flagged and (rules[left_out] & ~(kept[0] | kept[1])).any():
            raise AssertionError(
                f"impossible_ids leaves out the patients {left_out}: check all three rules."
            )


def fixed_conditions_mistakes(table: Any, columns: list[str], qof_codes: set[str]) -> None:
    """Check the fixed conditions table: the dictionary's columns, QOF codes only, no exact
    copies, no blank patient_id (each message names the step that was missed)."""
    is_table(table, "conditions_fixed")
    if "Diagnosis Date" in table.columns:
        raise AssertionError(
            'Rename the column "Diagnosis Date" back to diagnosed_on '
            '(rename(columns={"Diagnosis Date": "diagnosed_on"})).'
        )
    if list(table.columns) != list(columns):
        raise AssertionError(
            f"The columns of conditions_fixed should be {list(columns)}, in that order; found "
            f"{list(table.columns)}."
        )
    odd = sorted(set(table["condition"]) - set(qof_codes))
    if odd:
        raise AssertionError(f"These codes are not QOF codes: {odd}. Map them with LOCAL_TO_QOF.")
    if table.duplicated().any():
        raise AssertionError("Remove the exact copies (drop_duplicates).")
    ids = table["patient_id"]
    if ids.isna().any() or ids.astype(str).str.strip().eq("").any():
        raise AssertionError(
            'Remove the rows with a blank patient_id: read as text, a blank is "" (not NaN), '
            'so dropna() keeps it; keep rows where patient_id != "".'
        )


def report_mistakes(
    n_errors: Any, files_with_errors: Any, appointment_rows_rejected: Any, report: Any
) -> None:
    """Check the three numbers read from a validation report against the usual misreadings:
    warnings counted as errors, a file listed once per problem, a row counted once per reason."""
    is_whole_number(n_errors, "n_errors")
    is_whole_number(appointment_rows_rejected, "appointment_rows_rejected")
    if not isinstance(files_with_errors, list):
        raise AssertionError("files_with_errors should be a list of file names.")
    if not all(str(f).endswith(".csv") for f in files_with_errors):
        raise AssertionError("Give file names such as 'patients.csv'.")
    if len(set(files_with_errors)) != len(files_with_errors):
        raise AssertionError("files_with_errors should list each file once (unique()).")
    if files_with_errors != sorted(files_with_errors):
        raise AssertionError("Sort files_with_errors: sorted(...).")
    problems = report.problems
    errors = problems["severity"] == "error"
    if n_errors == len(problems) and (~errors).any():
        raise AssertionError(
            "n_errors counts every problem, warnings too: keep the rows whose severity is 'error'."
        )
    if set(files_with_errors) == set(problems["file"]) and set(problems["file"]) != set(
        problems.loc[errors, "file"]
    ):
        raise AssertionError(
            "files_with_errors lists files with warnings only too: keep the files with an error."
        )
    rejected = report.rejected_rows
    others = rejected["file"] != "appointments.csv"
    if others.any() and appointment_rows_rejected in {
        len(rejected),
        len(rejected[["file", "row"]].drop_duplicates()),
    }:
        raise AssertionError(
            "appointment_rows_rejected counts the rejected rows of every file: keep the rows "
            'whose file is "appointments.csv".'
        )
    of_appts = rejected.loc[rejected["file"] == "appointments.csv", "row"]
    if appointment_rows_rejected == len(of_appts) and of_appts.duplicated().any():
        raise AssertionError(
            "appointment_rows_rejected counts a row once per reason: a row can be rejected for "
            "two reasons, count different rows (nunique())."
        )


def pseudonym_mistakes(table: Any, extract: str | Path) -> None:
    """Check no real id is left, exact copies are gone, and the ids are not a plain hash."""
    is_table(table, "pseudo_appts")
    ids = table["patient_id"].astype(str)
    if ids.str.startswith("SYN-P").any():
        raise AssertionError(
            "Real patient ids (SYN-P...) are still there: pseudonymise the patient_id column."
        )
    if table.duplicated().any():
        raise AssertionError(
            "pseudo_appts still holds exact copies: drop_duplicates() before you pseudonymise."
        )
    raw = _read(extract, "appointments.csv")["patient_id"]
    plain = {hashlib.sha256(p.encode()).hexdigest() for p in raw.head(50) if p}
    if any(i in plain or i[:16] in {h[:16] for h in plain} for i in ids.head(200)):
        raise AssertionError(
            "These are plain hashes: anyone can hash every NHS number and match them. Use "
            "pseudonymise(..., key=KEY), a keyed hash."
        )
    if raw.eq("").any() and not ids.isin(["", "nan", "None", "<NA>"]).any():
        raise AssertionError("Blank patient ids should stay blank, not get a pseudonym.")


def ld_table_mistakes(ld_table: Any, ld_published: Any, gate: Any) -> None:
    """Check the LD table and its published copy: no totals, listed patients only, the gate run
    on the published table and passing."""
    import clearlib
    from clearlib.privacy import PublishCheck

    is_table(ld_table, "ld_table")
    is_table(ld_published, "ld_published")
    labels = {str(i) for i in ld_table.index} | {str(c) for c in ld_table.columns}
    if "All" in labels or "Total" in labels or "total" in labels:
        raise AssertionError(
            "ld_table has totals (margins=True): make it without; totals can reveal hidden cells."
        )
    if not isinstance(gate, PublishCheck):
        raise AssertionError("gate should be the result of check_publishable(ld_published).")
    if not gate.ok:
        raise AssertionError("gate says the table cannot be published: " + gate.summary())
    hidden = ld_published.isna() | ld_published.astype(str).isin(["*", "<NA>", "nan"])
    lone = [str(r) for r in hidden.index if hidden.loc[r].sum() == 1] + [
        str(c) for c in hidden.columns if hidden[c].sum() == 1
    ]
    if lone:
        raise AssertionError(
            f"In ld_published, {lone} have exactly one hidden cell: the row or column total "
            "would reveal it. Hide a partner cell too (secondary suppression): suppress() does it."
        )
    pcn = clearlib.load_pcn(tables=["patients", "conditions"])
    c = pcn.conditions
    ld_ids = c.loc[c["condition"] == "LD", "patient_id"]
    everyone = pcn.patients[pcn.patients["patient_id"].isin(ld_ids)]
    if int(ld_table.to_numpy().sum()) == len(everyone):
        raise AssertionError(
            "ld_table counts everyone ever registered on the LD register: count the listed "
            "patients (from listed)."
        )
