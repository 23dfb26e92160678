"""Week 06 checks (frailty and multimorbidity): each question's usual mistakes, by name.

Each check takes a learner's answer, and the earlier answers it is built on, and fails with a
message naming the mistake when the answer is what that mistake gives: the mistaken value is
recomputed here from the learner's own earlier answers (or from ``clearlib.load_pcn()``), so a
check judges one question at a time. None of them works out the right answer; the hidden tests
in the assignment do that.

The assignment's dates and labels are fixed: ``AS_AT`` (30 September 2025), the extract date
(31 March 2026), the eFI ``CATEGORIES`` and the six ``ADULT_BANDS``.

Examples
--------
>>> import pandas as pd
>>> score_is_per_36(pd.Series([0.0, 0.5]), pd.Series([0, 18]))
>>> score_is_per_36(pd.Series([0.0, 1.0]), pd.Series([0, 18]))
Traceback (most recent call last):
AssertionError: efi_score is efi_deficits divided by 36 (the number of possible deficits).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import is_table

__all__ = [
    "ADULT_BANDS",
    "ADULT_BAND_EDGES",
    "AS_AT",
    "BOUNDARY_COUNTS",
    "CATEGORIES",
    "EXTRACT_DATE",
    "boundaries_of",
    "category_of_each",
    "category_words",
    "counts_for_everyone",
    "crude_of_adults",
    "frailty_is_mild_or_worse",
    "frailty_table",
    "keeps_people_who_never_left",
    "multimorbidity_is_two_or_more",
    "not_counting_later_deficits",
    "not_counting_later_diagnoses",
    "not_counting_palliative_care",
    "not_everyone_ever_registered",
    "not_leaving_out_the_day",
    "not_the_list_at_the_extract",
    "one_per_quintile",
    "one_row_per_patient",
    "rates_by_band_and_quintile",
    "score_is_per_36",
    "shares_of_65_and_over",
    "standardised_with_one_set_of_weights",
]

AS_AT = pd.Timestamp("2025-09-30")
EXTRACT_DATE = pd.Timestamp("2026-03-31")
CATEGORIES = ["fit", "mild", "moderate", "severe"]
ADULT_BANDS = ["18-39", "40-49", "50-59", "60-69", "70-79", "80+"]
ADULT_BAND_EDGES = [18, 40, 50, 60, 70, 80, 200]
_QUINTILES = [1, 2, 3, 4, 5]
_TOL = 1e-6


def _pcn() -> Any:
    """The dataset (``clearlib.load_pcn`` remembers it in the process: read once)."""
    import clearlib

    return clearlib.load_pcn()


def _ids(frame: Any) -> pd.Index:
    """Patient ids of a learner's table: its ``patient_id`` column, or its index."""
    if isinstance(frame, pd.DataFrame) and "patient_id" in frame.columns:
        return pd.Index(frame["patient_id"])
    return pd.Index(frame.index)


def _age(birth_date: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Age in whole years on ``on`` (the assignment's ``age_in_years``)."""
    born = birth_date.dt.year * 10000 + birth_date.dt.month * 100 + birth_date.dt.day
    return (on.year * 10000 + on.month * 100 + on.day - born) // 10000


def _fail(message: str) -> None:
    raise AssertionError(message)


def _numbers(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _close(a: Any, b: Any) -> bool:
    """Same shape and the same numbers (NaN equal to NaN)."""
    x, y = _numbers(a), _numbers(b)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=0, atol=_TOL, equal_nan=True))


# Question 1 ----------------------------------------------------------------------------------


def one_row_per_patient(listed: Any) -> None:
    """Check ``listed`` is a DataFrame of patients with a ``patient_id`` column, each once.

    Examples
    --------
    >>> import pandas as pd
    >>> one_row_per_patient(pd.DataFrame({"patient_id": ["P1", "P2"]}))
    >>> one_row_per_patient(pd.DataFrame({"patient_id": ["P1", "P1"]}))
    Traceback (most recent call last):
    AssertionError: listed has some patients more than once: keep one row per patient.
    """
    is_table(
        listed,
        "listed",
        empty_hint=(
            "a missing date (NaT) compares False, so `deregistered_on > AS_AT` drops everyone who "
            "never left; write ~(deregistered_on <= AS_AT), and the same for died_on"
        ),
    )
    if "patient_id" not in listed.columns:
        _fail("Keep the patient_id column of patients in listed (do not move it into the index).")
    if not listed["patient_id"].is_unique:
        _fail("listed has some patients more than once: keep one row per patient.")


def not_everyone_ever_registered(listed: pd.DataFrame) -> None:
    """Check ``listed`` is not every patient in the table (people who left or died included)."""
    if len(listed) == len(_pcn().patients):
        _fail(
            "listed holds everyone ever registered. Keep only those on the list at AS_AT: "
            "registered by then, and not deregistered or died by then."
        )


def not_the_list_at_the_extract(listed: pd.DataFrame) -> None:
    """Check ``listed`` is not the list on the extract date (31 March 2026) instead of AS_AT."""
    from clearlib.data import registered_at

    patients = _pcn().patients
    at_extract = set(patients.loc[registered_at(patients, EXTRACT_DATE), "patient_id"])
    if set(_ids(listed)) == at_extract:
        _fail(
            "listed is the list at the extract date (31 March 2026); use AS_AT, 30 September "
            "2025: the review looks at the list as it was then."
        )


def keeps_people_who_never_left(listed: pd.DataFrame) -> None:
    """Check ``listed`` keeps people with no leaving date or no death date (NaT).

    ``deregistered_on > AS_AT`` is False for a missing date, so it drops everyone who never
    left: the usual slip with dates that may be missing.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"deregistered_on": pd.to_datetime(["2026-01-01"]),
    ...                   "died_on": pd.to_datetime([None])})
    >>> keeps_people_who_never_left(t)
    Traceback (most recent call last):
    AssertionError: listed has nobody who never left the practice: a missing date (NaT) compares False, so `deregistered_on > AS_AT` drops everyone who never left. Write ~(deregistered_on <= AS_AT), and the same for died_on.
    """
    for column, who in (("deregistered_on", "never left the practice"), ("died_on", "is alive")):
        if column in listed.columns and len(listed) and not listed[column].isna().any():
            _fail(
                f"listed has nobody who {who}: a missing date (NaT) compares False, so "
                f"`{column} > AS_AT` drops everyone who never left. Write ~({column} <= AS_AT)"
                + (", and the same for died_on." if column == "deregistered_on" else ".")
            )


# Question 2 and 5 ----------------------------------------------------------------------------


def counts_for_everyone(
    counts: Any, name: str, listed: pd.DataFrame, *, none: str = "people with no deficits"
) -> None:
    """Check a Series of counts has one value per patient of ``listed``, in order, no NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> listed = pd.DataFrame({"patient_id": ["P1", "P2"]})
    >>> counts_for_everyone(pd.Series([2, 0], index=["P1", "P2"]), "n", listed)
    >>> counts_for_everyone(pd.Series([2], index=["P1"]), "n", listed)
    Traceback (most recent call last):
    AssertionError: n has 1 values but listed has 2 people: people with no deficits are missing. Put the counts on everyone with .reindex(listed['patient_id'], fill_value=0).
    """
    is_table(counts, name, kind="Series")
    people = _ids(listed)
    if len(counts) < len(people):
        _fail(
            f"{name} has {len(counts):,} values but listed has {len(people):,} people: {none} "
            "are missing. Put the counts on everyone with .reindex(listed['patient_id'], "
            "fill_value=0)."
        )
    if not pd.Index(counts.index).equals(people):
        _fail(
            f"{name} should have one value per patient in listed, indexed by patient_id in the "
            "same order: .reindex(listed['patient_id'], fill_value=0)."
        )
    if counts.isna().any():
        _fail(f"Some of {name} are missing (NaN): use fill_value=0 for {none}.")


def score_is_per_36(efi_score: Any, efi_deficits: pd.Series) -> None:
    """Check ``efi_score`` is ``efi_deficits / 36``, indexed like it."""
    is_table(efi_score, "efi_score", kind="Series")
    if not pd.Index(efi_score.index).equals(pd.Index(efi_deficits.index)):
        _fail("efi_score should be indexed like efi_deficits.")
    if not _close(efi_score, _numbers(efi_deficits) / 36):
        _fail("efi_score is efi_deficits divided by 36 (the number of possible deficits).")


def _count_deficits(rows: pd.DataFrame, people: pd.Index) -> np.ndarray:
    return _numbers(rows.groupby("patient_id").size().reindex(people, fill_value=0))


def not_counting_later_deficits(efi_deficits: pd.Series) -> None:
    """Check the counts leave out deficits first recorded after AS_AT (leakage)."""
    deficits = _pcn().frailty_deficits
    people = pd.Index(efi_deficits.index)
    if not (deficits["first_recorded_on"] > AS_AT).any():
        return
    if _close(efi_deficits, _count_deficits(deficits, people)):
        _fail(
            "You counted deficits recorded after AS_AT too: keep only those with "
            "first_recorded_on <= AS_AT. On 30 September 2025 nobody knew about later records."
        )


def not_leaving_out_the_day(efi_deficits: pd.Series) -> None:
    """Check the counts keep deficits first recorded ON AS_AT (``<=``, not ``<``)."""
    deficits = _pcn().frailty_deficits
    people = pd.Index(efi_deficits.index)
    on_the_day = deficits["first_recorded_on"] == AS_AT
    if set(deficits.loc[on_the_day, "patient_id"]).isdisjoint(people):
        return
    if _close(
        efi_deficits, _count_deficits(deficits[deficits["first_recorded_on"] < AS_AT], people)
    ):
        _fail("You left out deficits first recorded ON 30 September 2025: use <= AS_AT.")


# Question 3 ----------------------------------------------------------------------------------

#: Counts at each band's edges, and what each boundary slip of lesson 06.01 gives there.
BOUNDARY_COUNTS = [0, 4, 5, 8, 9, 12, 13, 14, 36]
_SLIPS = {
    0: (
        None,
        "0 deficits gets no category: pd.cut leaves out the lowest edge. Start the edges below 0 "
        "(e.g. -1) or pass include_lowest=True.",
    ),
    13: (
        "severe",
        "efi_category_of gives 'severe' for 13 deficits: the score 13/36 = 0.361 is shown as "
        "0.36, so 13 deficits is moderate. Cut the counts (edges -1, 4, 8, 13, 36) or round the "
        "score to 2 places first.",
    ),
    5: (
        "fit",
        "efi_category_of gives 'fit' for 5 deficits: the fit band is 0 to 4 deficits, so 5 is "
        "mild. Edges 0, 5, 9, 14 with the upper edge included put 5 in fit: check which edge "
        "each band includes.",
    ),
    9: (
        "mild",
        "efi_category_of gives 'mild' for 9 deficits: the mild band is 5 to 8, so 9 is moderate. "
        "Check which edge each band includes.",
    ),
    14: (
        "moderate",
        "efi_category_of gives 'moderate' for 14 deficits: the moderate band is 9 to 13. Check "
        "which edge each band includes.",
    ),
    36: (None, "36 deficits gets no category: the top edge must include 36."),
}


def _categories(efi_category_of: Callable[[pd.Series], Any]) -> list[str | None]:
    out = efi_category_of(pd.Series(BOUNDARY_COUNTS))
    values = list(np.asarray(out, dtype=object))
    if len(values) != len(BOUNDARY_COUNTS):
        _fail("efi_category_of should give one category per count (a Series as long as counts).")
    return [None if pd.isna(v) else str(v) for v in values]


def category_words(efi_category_of: Any) -> None:
    """Check ``efi_category_of`` is a function giving a word of ``CATEGORIES`` for each count.

    Examples
    --------
    >>> import pandas as pd
    >>> category_words(lambda c: pd.Series(["Fit"] * len(c)))
    Traceback (most recent call last):
    AssertionError: efi_category_of gives 'Fit'; use exactly the words in CATEGORIES: ['fit', 'mild', 'moderate', 'severe'].
    """
    if not callable(efi_category_of):
        _fail("efi_category_of should be a function: def efi_category_of(counts): ...")
    got = _categories(efi_category_of)
    if got[0] is None:
        _fail(_SLIPS[0][1])
    odd = [g for g in got if g is not None and g not in CATEGORIES]
    if odd:
        _fail(
            f"efi_category_of gives {odd[0]!r}; use exactly the words in CATEGORIES: {CATEGORIES}."
        )


def boundaries_of(efi_category_of: Callable[[pd.Series], Any]) -> None:
    """Check ``efi_category_of`` makes none of the boundary slips that lesson 06.01 warns about.

    Examples
    --------
    >>> import pandas as pd
    >>> boundaries_of(lambda c: pd.cut(c / 36, [-1, 0.12, 0.24, 0.36, 1], labels=CATEGORIES))
    Traceback (most recent call last):
    AssertionError: efi_category_of gives 'severe' for 13 deficits: the score 13/36 = 0.361 is shown as 0.36, so 13 deficits is moderate. Cut the counts (edges -1, 4, 8, 13, 36) or round the score to 2 places first.
    """
    got = dict(zip(BOUNDARY_COUNTS, _categories(efi_category_of), strict=True))
    for count, (slip, message) in _SLIPS.items():
        if got[count] == slip:
            _fail(message)


def category_of_each(efi_category: Any, efi_deficits: pd.Series) -> None:
    """Check ``efi_category`` is a Series indexed like ``efi_deficits``."""
    if not isinstance(efi_category, pd.Series) or not pd.Index(efi_category.index).equals(
        pd.Index(efi_deficits.index)
    ):
        _fail(
            "efi_category should be a Series indexed like efi_deficits: "
            "efi_category_of(efi_deficits)."
        )
    if efi_category.isna().any():
        _fail("Some people have no category (NaN): check the lowest and highest edges.")


# Question 4 ----------------------------------------------------------------------------------


def shares_of_65_and_over(frailty_65: Any, listed: pd.DataFrame, efi_category: pd.Series) -> None:
    """Check ``frailty_65`` is a share per category that adds up to 1, and none of the usual
    mistakes: the whole list, over 65 instead of 65 and over, age on the extract date."""
    is_table(frailty_65, "frailty_65", kind="Series")
    labels = [str(i) for i in frailty_65.index]
    if labels != CATEGORIES:
        _fail(f"frailty_65 should be indexed by {CATEGORIES}, in that order; it has {labels}.")
    total = float(np.nansum(_numbers(frailty_65)))
    if abs(total - 100) < 0.01:
        _fail("Give fractions from 0 to 1, not percentages.")
    if abs(total - 1) > _TOL or frailty_65.isna().any():
        _fail(
            f"frailty_65 adds up to {total:,.3f}, not 1: divide the counts by the number of "
            "people aged 65+ (value_counts(normalize=True))."
        )
    if len(efi_category) != len(listed):
        return
    cats = pd.Series(np.asarray(efi_category, dtype=object)).astype(str)

    def shares(keep: np.ndarray) -> np.ndarray:
        return _numbers(cats[keep].value_counts(normalize=True).reindex(CATEGORIES, fill_value=0))

    birth = listed["birth_date"].reset_index(drop=True)
    age_then, age_later = _age(birth, AS_AT), _age(birth, EXTRACT_DATE)
    if _close(frailty_65, shares(np.ones(len(cats), dtype=bool))):
        _fail("These are shares of the whole list: keep people aged 65 or over only.")
    if _close(frailty_65, shares((age_then > 65).to_numpy())):
        _fail("You kept people over 65: aged 65 or over includes people aged exactly 65 (>= 65).")
    if _close(frailty_65, shares((age_later >= 65).to_numpy())):
        _fail("Work out age on AS_AT, not on the extract date: age_in_years(..., AS_AT).")


# Question 5 ----------------------------------------------------------------------------------


def _count_registers(rows: pd.DataFrame, people: pd.Index) -> np.ndarray:
    counts = rows.groupby("patient_id")["condition"].nunique()
    return _numbers(counts.reindex(people, fill_value=0))


def not_counting_palliative_care(ltc_count: pd.Series) -> None:
    """Check ``ltc_count`` leaves out the palliative care register (PC)."""
    conditions = _pcn().conditions
    known = conditions[conditions["diagnosed_on"] <= AS_AT]
    people = pd.Index(ltc_count.index)
    if set(known.loc[known["condition"] == "PC", "patient_id"]).isdisjoint(people):
        return
    if _close(ltc_count, _count_registers(known, people)):
        _fail(
            "You counted the palliative care register (PC): it is a stage of care, not a "
            "long-term condition. Leave it out."
        )


def not_counting_later_diagnoses(ltc_count: pd.Series) -> None:
    """Check ``ltc_count`` leaves out diagnoses made after AS_AT."""
    conditions = _pcn().conditions
    people = pd.Index(ltc_count.index)
    if not (conditions["diagnosed_on"] > AS_AT).any():
        return
    for rows in (conditions[conditions["condition"] != "PC"], conditions):
        if _close(ltc_count, _count_registers(rows, people)):
            _fail("You counted diagnoses made after AS_AT: keep diagnosed_on <= AS_AT.")


# Question 6 ----------------------------------------------------------------------------------


def _adults(
    listed: pd.DataFrame, flag: np.ndarray, *, on: pd.Timestamp = AS_AT, right: bool = False
) -> pd.DataFrame:
    """Adults of ``listed`` with their band, quintile and a flag, the way a mistake makes them."""
    age = _age(listed["birth_date"].reset_index(drop=True), on)
    table = pd.DataFrame(
        {
            "age": age.to_numpy(),
            "quintile": ((listed["imd_decile"].to_numpy() + 1) // 2),
            "flag": np.asarray(flag, dtype=float),
        }
    )
    table = table[table["age"] >= 18]
    band = pd.cut(table["age"], ADULT_BAND_EDGES, right=right, labels=ADULT_BANDS)
    return table.assign(band=band)


def _rates(adults: pd.DataFrame) -> pd.DataFrame:
    rates = adults.groupby(["band", "quintile"], observed=False)["flag"].mean().unstack()
    return rates.reindex(index=ADULT_BANDS, columns=_QUINTILES)


def _table(value: pd.DataFrame) -> pd.DataFrame:
    """A learner's band-by-quintile table with plain labels (text bands, whole quintiles)."""
    out = value.astype(float).copy()
    out.index = [str(i) for i in value.index]
    out.columns = [int(c) for c in value.columns]
    return out


def rates_by_band_and_quintile(mm_rates: Any, name: str = "mm_rates") -> None:
    """Check a table of fractions: the six adult bands as rows, IMD quintiles 1 to 5 as columns.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(0.5, index=ADULT_BANDS, columns=range(1, 11))
    >>> rates_by_band_and_quintile(t)
    Traceback (most recent call last):
    AssertionError: mm_rates has 10 columns, one per decile: group the deciles into quintiles, (imd_decile + 1) // 2.
    """
    is_table(mm_rates, name)
    rows = [str(i) for i in mm_rates.index]
    if rows != ADULT_BANDS:
        _fail(f"{name} should have the rows {ADULT_BANDS} in order; it has {rows}.")
    columns = [int(c) for c in mm_rates.columns]
    if len(columns) == 10:
        _fail(
            f"{name} has 10 columns, one per decile: group the deciles into quintiles, "
            "(imd_decile + 1) // 2."
        )
    if columns != _QUINTILES:
        _fail(f"{name} should have the IMD quintiles 1 to 5 as columns; it has {columns}.")
    values = _numbers(mm_rates)
    if np.isnan(values).any():
        _fail(f"Some values of {name} are missing (NaN): check every band has adults.")
    if (values > 1).any() or (values < 0).any():
        _fail(
            f"{name} holds numbers above 1: give the fraction of people with 2+ conditions (the "
            "mean of a True/False column), not a count."
        )


def multimorbidity_is_two_or_more(
    mm_rates: pd.DataFrame, listed: pd.DataFrame, ltc_count: pd.Series
) -> None:
    """Check ``mm_rates`` counts 2 or more conditions (not 1 or more, not more than 2), with ages
    on AS_AT and the bands' lower edges included (``right=False``)."""
    if len(ltc_count) != len(listed):
        return
    mine = _table(mm_rates)
    n = _numbers(ltc_count)
    for flag, slip in ((n >= 1, "1 or more"), (n > 2, "more than 2")):
        if _close(mine, _rates(_adults(listed, flag))):
            _fail(
                f"These are shares with {slip} conditions: multimorbidity is 2 or more "
                "(ltc_count >= 2)."
            )
    if _close(mine, _rates(_adults(listed, n >= 2, right=True))):
        _fail(
            "The age bands include their upper edge (so 40 falls in 18-39): cut with "
            "ADULT_BAND_EDGES and right=False."
        )
    if _close(mine, _rates(_adults(listed, n >= 2, on=EXTRACT_DATE))):
        _fail("Work out age on AS_AT, not on the extract date: age_in_years(..., AS_AT).")


# Question 7 ----------------------------------------------------------------------------------


def one_per_quintile(value: Any, name: str) -> None:
    """Check a Series with one fraction per IMD quintile, 1 to 5.

    Examples
    --------
    >>> import pandas as pd
    >>> one_per_quintile(pd.Series([3.0] * 5, index=[1, 2, 3, 4, 5]), "rate")
    Traceback (most recent call last):
    AssertionError: rate should hold fractions from 0 to 1, not percentages or counts; if only a standardised value is larger, check the weights add up to 1 (shares of all adults, not counts).
    """
    is_table(value, name, kind="Series")
    index = sorted(int(i) for i in value.index)
    if index != _QUINTILES:
        _fail(f"{name} should have one value per IMD quintile, 1 to 5; its index is {index}.")
    values = _numbers(value)
    if np.isnan(values).any() or (values > 1).any() or (values < 0).any():
        _fail(
            f"{name} should hold fractions from 0 to 1, not percentages or counts; if only a "
            "standardised value is larger, check the weights add up to 1 (shares of all adults, "
            "not counts)."
        )


def _by_quintile(value: pd.Series) -> pd.Series:
    return pd.Series(_numbers(value), index=[int(i) for i in value.index]).sort_index()


def standardised_with_one_set_of_weights(
    standardised: pd.Series,
    crude: pd.Series,
    rates: pd.DataFrame | None = None,
    name: str = "mm_standardised",
) -> None:
    """Check the standardised rates are not the crude ones (each quintile weighted by its own
    ages) nor a plain average of the band rates (every band weighted the same).

    Examples
    --------
    >>> import pandas as pd
    >>> q = [1, 2, 3, 4, 5]
    >>> crude = pd.Series([0.3, 0.2, 0.2, 0.1, 0.1], index=q)
    >>> rates = pd.DataFrame([[0.1] * 5, [0.5] * 5], columns=q)
    >>> standardised_with_one_set_of_weights(crude, crude, rates)
    Traceback (most recent call last):
    AssertionError: mm_standardised equals the crude rates: weighting each quintile by its own age structure gives the crude rate back. Use the same weights for every quintile: the share of all adults in each age band.
    """
    mine = _by_quintile(standardised)
    if _close(mine, _by_quintile(crude)):
        _fail(
            f"{name} equals the crude rates: weighting each quintile by its own age structure "
            "gives the crude rate back. Use the same weights for every quintile: the share of "
            "all adults in each age band."
        )
    if rates is not None and _close(mine, _numbers(rates).mean(axis=0)):
        _fail(
            f"{name} is a plain average of the age-band rates: weight each band by its share of "
            "all adults."
        )


def crude_of_adults(mm_crude: pd.Series, listed: pd.DataFrame, ltc_count: pd.Series) -> None:
    """Check ``mm_crude`` is a rate among adults, not among everyone on the list."""
    if len(ltc_count) != len(listed):
        return
    quintile = (listed["imd_decile"].to_numpy() + 1) // 2
    everyone = pd.Series(_numbers(ltc_count) >= 2).groupby(quintile).mean()
    if _close(_by_quintile(mm_crude), everyone.reindex(_QUINTILES)):
        _fail(
            "mm_crude counts children too: it is the share of all adults (aged 18 or over on "
            "AS_AT) in each quintile."
        )


# Question 8 ----------------------------------------------------------------------------------


def frailty_table(frailty_by_quintile: Any) -> None:
    """Check ``frailty_by_quintile``: quintiles 1 to 5 as rows, ``crude`` and
    ``age_standardised`` fractions as columns."""
    is_table(frailty_by_quintile, "frailty_by_quintile", columns=["crude", "age_standardised"])
    for column in ("crude", "age_standardised"):
        one_per_quintile(frailty_by_quintile[column], f"frailty_by_quintile[{column!r}]")


def frailty_is_mild_or_worse(
    frailty_by_quintile: pd.DataFrame, listed: pd.DataFrame, efi_deficits: pd.Series
) -> None:
    """Check the crude column counts adults with at least mild frailty (5 or more deficits),
    among all adults: not moderate or worse, not more than 5, not only people aged 65+."""
    if len(efi_deficits) != len(listed):
        return
    mine = _by_quintile(frailty_by_quintile["crude"])
    n = _numbers(efi_deficits)

    def crude(flag: np.ndarray, low: int = 18) -> pd.Series:
        table = _adults(listed, flag)
        return table[table["age"] >= low].groupby("quintile")["flag"].mean().reindex(_QUINTILES)

    if _close(mine, crude(n >= 9)):
        _fail(
            "These are shares with moderate or severe frailty (9+ deficits): the question asks for "
            "at least mild frailty, 5 or more deficits (efi_deficits >= 5)."
        )
    if _close(mine, crude(n > 5)):
        _fail("At least mild frailty is 5 or more deficits (>= 5): > 5 leaves out people with 5.")
    if _close(mine, crude(n >= 5, low=65)):
        _fail(
            "These are shares of people aged 65+: the question compares all adults (18 or over), "
            "the same population as mm_rates."
        )
    quintile = (listed["imd_decile"].to_numpy() + 1) // 2
    everyone = pd.Series(n >= 5).groupby(quintile).mean().reindex(_QUINTILES)
    if _close(mine, everyone):
        _fail("The crude column counts children too: take adults (18 or over on AS_AT) only.")
