"""Person-level features: as at a date (segmentation, cohorts) or strictly before one (risk).

Two builders share one set of documented columns (:func:`feature_dictionary`):

- :func:`segment_features` describes everyone registered *as at* a date (records dated up to
  and including it): what Bridges to Health, clustering and cohort rules are written on.
- :func:`build_features` describes everyone registered at an *index date* from records dated
  strictly *before* it, for risk prediction; :func:`build_outcome` then looks *after* it.

:func:`check_no_leakage` proves a builder never looks past the index date: it rebuilds the
features from :func:`known_before` (the dataset with every later record removed) and names each
column that changes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.segment import _data
from clearlib.segment._data import known_before
from clearlib.segment._frailty import _efi
from clearlib.segment._multimorbidity import LTC_REGISTERS, REGISTERS, _ltc

__all__ = [
    "ACUTE_CATEGORIES",
    "DEFAULT_INDEX_DATE",
    "LeakageReport",
    "build_features",
    "build_outcome",
    "check_no_leakage",
    "equity_groups",
    "feature_dictionary",
    "segment_features",
]

#: National appointment categories that count as an acute (unplanned) GP-practice contact.
ACUTE_CATEGORIES = ("general_acute", "unplanned_activity", "walk_in")
#: The usual index date of the synthetic data: the start of its second financial year, with
#: 12 months of history before it and 12 months of outcome after it.
DEFAULT_INDEX_DATE = "2025-04-01"
#: Days in the "recent" window (acutely ill) and the history window (prior use).
RECENT_DAYS = 90
HISTORY_DAYS = 365
#: Undated patient flags: recorded as at the extract, so taken as known at any date.
STATIC_FLAGS = ("care_home_resident", "housebound", "lives_alone")

# fmt: off
_FEATURES: list[tuple[str, str, str, str, str]] = [
    # name, type, meaning, source, used by
    ("age", "float", "age in years on the date (days / 365.25)", "patients.birth_date", "both"),
    ("male", "bool", "sex recorded as male", "patients.sex", "both"),
    ("imd_decile", "int", "IMD 2019 decile of the patient's area (1 = most deprived)", "patients.imd_decile", "both"),
    ("care_home_resident", "bool", "lives in a care home (undated: as at the extract)", "patients.care_home_resident", "both"),
    ("housebound", "bool", "housebound (undated: as at the extract)", "patients.housebound", "both"),
    ("lives_alone", "bool", "lives alone (undated: as at the extract)", "patients.lives_alone", "both"),
    ("efi_deficits", "int", "eFI deficits ever recorded (0-36)", "frailty_deficits.first_recorded_on", "both"),
    ("efi_score", "float", "eFI score: deficits / 36 (Clegg 2016)", "frailty_deficits.first_recorded_on", "both"),
    *[
        (code, "bool", f"on the QOF {code} register (diagnosed by then)", "conditions.diagnosed_on", "both")
        for code in REGISTERS
    ],
    ("ltc_count", "int", "long-term conditions: QOF registers but palliative care (PC)", "conditions.diagnosed_on", "both"),
    ("repeat_medicines", "int", "repeat medicines current on the date", "medications.started_on, stopped_on", "both"),
    ("appointments_12m", "int", "attended GP-practice appointments, any role, previous 365 days", "appointments.start, status", "both"),
    ("gp_appointments_12m", "int", "attended appointments with a GP, previous 365 days", "appointments.start, role, status", "both"),
    ("dna_12m", "int", "appointments not attended (DNA), previous 365 days", "appointments.start, status", "both"),
    ("ae_12m", "int", "A&E attendances, previous 365 days", "hospital_events.type, start", "both"),
    ("emergency_admissions_12m", "int", "emergency admissions, previous 365 days", "hospital_events.type, start", "both"),
    ("elective_admissions_12m", "int", "elective admissions, previous 365 days", "hospital_events.type, start", "both"),
    ("outpatient_12m", "int", "outpatient attendances, previous 365 days", "hospital_events.type, start", "both"),
    ("emergency_bed_days_12m", "int", "days in hospital after emergency admission, previous 365 days (up to the date)", "hospital_events.start, end", "both"),
    ("ae_90d", "int", "A&E attendances, previous 90 days", "hospital_events.type, start", "segment"),
    ("emergency_admissions_90d", "int", "emergency admissions, previous 90 days", "hospital_events.type, start", "segment"),
    ("acute_appointments_90d", "int", "attended acute appointments (general acute, unplanned, walk-in), previous 90 days", "appointments.national_category, start, status", "segment"),
]
# fmt: on


def feature_dictionary() -> pd.DataFrame:
    """Every feature column the builders make: name, type, meaning, source table and column.

    ``used_by`` says which builder makes it: ``both`` (:func:`segment_features` and
    :func:`build_features`) or ``segment`` (:func:`segment_features` only). Bridges to Health
    and cohort rules are written on these names.

    Examples
    --------
    >>> d = feature_dictionary().set_index("feature")
    >>> d.loc["efi_score", "source"]
    'frailty_deficits.first_recorded_on'
    >>> int((d["used_by"] == "segment").sum())
    3
    """
    return pd.DataFrame(_FEATURES, columns=["feature", "type", "meaning", "source", "used_by"])


def _source_of(name: str) -> str | None:
    for feature, _, _, source, _ in _FEATURES:
        if feature == name:
            return source
    return None


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------
def segment_features(data: Any, as_at: Any = None) -> pd.DataFrame:
    """Features of everyone registered as at a date, for segmentation and cohort rules.

    Records dated up to and including ``as_at`` count; windows are the 90 and 365 days that end
    on ``as_at``. Columns are listed in :func:`feature_dictionary`.

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        Needs ``patients``, ``conditions``, ``frailty_deficits``, ``medications``,
        ``appointments`` and ``hospital_events``.
    as_at : date-like, optional
        Default: the dataset's extract date.

    Returns
    -------
    pandas.DataFrame
        One row per registered patient (indexed by ``patient_id``), numeric and boolean
        columns only.

    Examples
    --------
    >>> import clearlib
    >>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
    >>> f = segment_features(pcn)  # doctest: +SKIP
    >>> f[["age", "efi_deficits", "ltc_count", "ae_90d"]].head(2)  # doctest: +SKIP
    """
    day, end = _data.as_at_end(data, as_at)
    pop, people = _data.population(data, end, STATIC_FLAGS)
    return _features(data, pop, people, end, day, recent=True)


def build_features(data: Any, index_date: Any, *, min_age: float = 18) -> pd.DataFrame:
    """Risk-model features from information recorded strictly before the index date.

    The population is everyone registered and alive at the start of ``index_date`` and aged
    at least ``min_age`` on it (18 by default: QAdmissions and the Avoiding Unplanned
    Admissions top-2% list are for adults). Conditions and frailty deficits count if dated
    before the index date; medicines if current the day before; appointments and hospital
    events from the 365 days before it. Care home, housebound and lives-alone flags are
    undated in the data (recorded at the extract) and are taken as known: an assumption.

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        The dataset (all six patient-level tables).
    index_date : date-like
        The prediction date. Nothing dated on or after it is used.
    min_age : float, default 18
        Youngest age (years, on the index date) in the population.

    Returns
    -------
    pandas.DataFrame
        One row per patient (indexed by ``patient_id``); the columns of
        :func:`feature_dictionary` with ``used_by == "both"``, all numeric or boolean.

    Warns
    -----
    UserWarning
        If the 365 days before ``index_date`` start before the dataset's activity window (prior
        use would be undercounted).

    Examples
    --------
    >>> import clearlib
    >>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
    >>> X = build_features(pcn, "2025-04-01")  # doctest: +SKIP
    """
    index = _check_index(data, index_date)
    pop, people = _data.population(data, index, STATIC_FLAGS, min_age=min_age)
    return _features(data, pop, people, index, index, recent=False)


def build_outcome(
    data: Any, index_date: Any, *, horizon_days: int = 365, min_age: float = 18
) -> pd.DataFrame:
    """Whether each person had at least one emergency admission in the year after the index date.

    The population is the same as :func:`build_features` (registered at the index date, aged
    ``min_age`` or over). The outcome window is ``[index_date, index_date + horizon_days)``.
    People who die or leave the practice during it stay in, with the admissions seen before
    they died or left (columns ``died`` and ``left`` say who).

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        Needs ``patients`` and ``hospital_events``.
    index_date : date-like
        The prediction date.
    horizon_days : int, default 365
        Length of the outcome window. It must end by the dataset's extract date.
    min_age : float, default 18
        As for :func:`build_features`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patient_id``: ``emergency_admission`` (bool, the outcome),
        ``emergency_admissions`` (int, how many), ``died`` and ``left`` (bool, in the window).

    Examples
    --------
    >>> import clearlib
    >>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
    >>> y = build_outcome(pcn, "2025-04-01")["emergency_admission"]  # doctest: +SKIP
    """
    index = _data.timestamp(index_date, "index_date").normalize()
    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise DataError(
            f"horizon_days should be a whole number of days >= 1; found {horizon_days!r}."
        )
    stop = index + pd.Timedelta(days=int(horizon_days))
    last = _data.extract_date(data)
    if stop > last + _data.ONE_DAY:
        latest = (last + _data.ONE_DAY - pd.Timedelta(days=int(horizon_days))).date()
        raise DataError(
            f"the outcome window {index.date()} to {(stop - _data.ONE_DAY).date()} runs past the "
            f"dataset's extract date {last.date()}: admissions after it are not in the data. "
            f"Choose an index date on or before {latest} (or a shorter horizon_days)."
        )
    pop, people = _data.population(data, index, min_age=min_age)
    ids = people.ids
    he = _data.get(data, "hospital_events", ["patient_id", "type"], ["start"])
    window = _data.in_window(he["start"], index, stop)
    emergency = _data.is_in(he["type"], ["emergency_admission"])
    n = _data.counts(ids, people.positions(he["patient_id"]), window & emergency)
    return pd.DataFrame(
        {
            "emergency_admission": n > 0,
            "emergency_admissions": n,
            "died": _data.in_window(pop["died_on"], index, stop),
            "left": _data.in_window(pop["deregistered_on"], index, stop),
        },
        index=pd.Index(ids, name="patient_id"),
    )


def _check_index(data: Any, index_date: Any) -> pd.Timestamp:
    index = _data.timestamp(index_date, "index_date").normalize()
    last = _data.extract_date(data)
    if index > last + _data.ONE_DAY:
        raise DataError(
            f"index_date {index.date()} is after the dataset's extract date {last.date()}: there "
            f"is nothing recorded between them. Use {(last + _data.ONE_DAY).date()} (the day "
            "after the extract) to score today's list."
        )
    manifest = getattr(data, "manifest", None) or {}
    start = manifest.get("extract_window", {}).get("start")
    if start and index - pd.Timedelta(days=HISTORY_DAYS) < pd.Timestamp(start):
        warnings.warn(
            f"the dataset's activity starts on {start}, so the 365 days before {index.date()} "
            "are only partly covered: prior appointments and hospital use will be undercounted. "
            f"Use an index date on or after {(pd.Timestamp(start) + pd.Timedelta(days=HISTORY_DAYS)).date()}.",
            UserWarning,
            stacklevel=3,
        )
    return index


def _features(
    data: Any,
    pop: pd.DataFrame,
    people: _data.People,
    end: pd.Timestamp,
    ref: pd.Timestamp,
    *,
    recent: bool,
) -> pd.DataFrame:
    """Build the documented columns for ``pop`` from records dated strictly before ``end``."""
    ids = people.ids
    n = len(ids)
    cols: dict[str, Any] = {}
    cols["age"] = _data.age_at(pop["birth_date"], ref).to_numpy(dtype=float)
    cols["male"] = (pop["sex"].astype(str) == "M").to_numpy()
    cols["imd_decile"] = pd.to_numeric(pop["imd_decile"]).to_numpy()
    for flag in STATIC_FLAGS:
        cols[flag] = pop[flag].fillna(False).to_numpy(dtype=bool)
    fr = _efi(data, people, end)
    cols["efi_deficits"] = fr["efi_deficits"].to_numpy()
    cols["efi_score"] = fr["efi_score"].to_numpy()
    ltc = _ltc(data, people, end, LTC_REGISTERS)
    for code in REGISTERS:
        cols[code] = ltc[code].to_numpy()
    cols["ltc_count"] = ltc["ltc_count"].to_numpy()
    cols["repeat_medicines"] = _repeat_medicines(data, people, end)
    first = end - pd.Timedelta(days=max(HISTORY_DAYS, RECENT_DAYS))
    appts = _Appointments(data, people, first, end)
    events = _HospitalEvents(data, people, first, end)
    cols.update(_activity(appts, events, end, HISTORY_DAYS, "12m"))
    if recent:
        cols.update(_activity(appts, events, end, RECENT_DAYS, "90d"))
    out = pd.DataFrame(cols, index=pd.Index(ids, name="patient_id"))
    assert len(out) == n
    return out


def _repeat_medicines(data: Any, people: _data.People, end: pd.Timestamp) -> np.ndarray:
    med = _data.get(data, "medications", ["patient_id"], ["started_on", "stopped_on"])
    e = np.datetime64(end)
    started = med["started_on"].to_numpy() < e
    stopped = med["stopped_on"].to_numpy()
    current = started & ~(stopped < e)  # NaT compares False: still on repeat
    return _data.counts(people.ids, people.positions(med["patient_id"]), current)


class _Appointments:
    """The appointments dated in ``[start, end)`` as numpy arrays: whose, when, what kind."""

    def __init__(
        self, data: Any, people: _data.People, start: pd.Timestamp, end: pd.Timestamp
    ) -> None:
        ap = _data.get(
            data, "appointments", ["patient_id", "status", "role", "national_category"], ["start"]
        )
        span = _data.in_window(ap["start"], start, end)
        self.ids = people.ids
        self.pos = people.positions(ap["patient_id"])[span]
        self.start = ap["start"].to_numpy()[span]
        self.attended = _data.is_in(ap["status"], ["attended"])[span]
        self.dna = _data.is_in(ap["status"], ["dna"])[span]
        self.gp = _data.is_in(ap["role"], ["gp"])[span]
        self.acute = _data.is_in(ap["national_category"], ACUTE_CATEGORIES)[span]


class _HospitalEvents:
    """The hospital events that start in ``[start, end)`` as numpy arrays."""

    def __init__(
        self, data: Any, people: _data.People, start: pd.Timestamp, end: pd.Timestamp
    ) -> None:
        he = _data.get(data, "hospital_events", ["patient_id", "type"], ["start", "end"])
        span = _data.in_window(he["start"], start, end)
        self.ids = people.ids
        self.pos = people.positions(he["patient_id"])[span]
        self.start = he["start"].to_numpy()[span]
        self.end = he["end"].to_numpy()[span]
        self.ae = _data.is_in(he["type"], ["ae"])[span]
        self.emergency = _data.is_in(he["type"], ["emergency_admission"])[span]
        self.elective = _data.is_in(he["type"], ["elective_admission"])[span]
        self.outpatient = _data.is_in(he["type"], ["outpatient"])[span]


def _activity(
    ap: _Appointments, he: _HospitalEvents, end: pd.Timestamp, days: int, suffix: str
) -> dict[str, np.ndarray]:
    """Counts of appointments and hospital events dated in ``[end - days, end)``."""
    s, e = np.datetime64(end - pd.Timedelta(days=days)), np.datetime64(end)
    ids = ap.ids
    out: dict[str, np.ndarray] = {}
    window = (ap.start >= s) & (ap.start < e)
    attended = window & ap.attended
    if suffix == "12m":
        out["appointments_12m"] = _data.counts(ids, ap.pos, attended)
        out["gp_appointments_12m"] = _data.counts(ids, ap.pos, attended & ap.gp)
        out["dna_12m"] = _data.counts(ids, ap.pos, window & ap.dna)
    window = (he.start >= s) & (he.start < e)
    out[f"ae_{suffix}"] = _data.counts(ids, he.pos, window & he.ae)
    out[f"emergency_admissions_{suffix}"] = _data.counts(ids, he.pos, window & he.emergency)
    if suffix == "12m":
        out["elective_admissions_12m"] = _data.counts(ids, he.pos, window & he.elective)
        out["outpatient_12m"] = _data.counts(ids, he.pos, window & he.outpatient)
        # bed days up to the date only: a stay still open at the date counts to the date
        stays = window & he.emergency & (he.pos >= 0)
        stay_end = he.end[stays]
        stay_end = np.where(np.isnat(stay_end) | (stay_end > e), e, stay_end)
        days_in = (stay_end - he.start[stays]) / np.timedelta64(1, "D")
        days_in = np.floor(np.clip(days_in, 0, None))
        bed_days = np.bincount(he.pos[stays], weights=days_in, minlength=len(ids))
        out["emergency_bed_days_12m"] = np.rint(bed_days).astype(np.int64)
    else:
        out["acute_appointments_90d"] = _data.counts(ids, ap.pos, attended & ap.acute)
    return out


# ---------------------------------------------------------------------------------------------
# Leakage
# ---------------------------------------------------------------------------------------------
@dataclass
class LeakageReport:
    """The outcome of :func:`check_no_leakage`.

    Attributes
    ----------
    index_date : pandas.Timestamp
        The index date checked.
    problems : pandas.DataFrame
        One row per leaking column: ``column``, ``rows_changed`` and ``reason``. Empty when
        the features use nothing dated on or after the index date.
    rows_added : int
        People in the features whom the builder does not produce from the records known before
        the index date (e.g. registered after it).
    """

    index_date: pd.Timestamp
    problems: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["column", "rows_changed", "reason"])
    )
    rows_added: int = 0

    @property
    def ok(self) -> bool:
        """True when no column and no row depends on anything dated on or after the index date."""
        return self.problems.empty and self.rows_added == 0

    @property
    def leaking_columns(self) -> list[str]:
        """The names of the columns that leak."""
        return self.problems["column"].tolist()

    def summary(self) -> str:
        """One paragraph saying what leaks, or that nothing does."""
        d = self.index_date.date()
        if self.ok:
            return f"No leakage: every feature is built from records dated before {d}."
        parts = []
        if self.rows_added:
            parts.append(
                f"{self.rows_added} row(s) are people the builder does not produce from records "
                f"before {d} (registered later, or outside its population: pass the same "
                "builder arguments, e.g. min_age)"
            )
        for row in self.problems.itertuples():
            parts.append(f"column {row.column!r}: {row.reason}")
        return (
            f"Leakage past the index date {d}: " + "; ".join(parts) + ". A model trained on these "
            "features sees the outcome window: drop the columns or build them from records dated "
            "before the index date."
        )


def check_no_leakage(
    features: pd.DataFrame,
    index_date: Any,
    data: Any,
    *,
    builder: Callable[..., pd.DataFrame] | None = None,
    raise_error: bool = True,
    **builder_kwargs: Any,
) -> LeakageReport:
    """Detect features derived from events on or after the index date.

    The features are rebuilt, with ``builder``, from :func:`known_before` ``(data,
    index_date)``: the dataset with every record dated on or after the index date removed. A
    column that changes (for anyone) must have used something from on or after the index date;
    a column the builder does not make cannot be vouched for and is reported too; so are rows
    for people not yet registered before the index date.

    Undated patient flags (care home, housebound, lives alone) are recorded at the extract and
    cannot be cut, so leakage through them is invisible to this check.

    Parameters
    ----------
    features : pandas.DataFrame
        The features to check, indexed by ``patient_id``.
    index_date : date-like
        The date the features claim to predict from.
    data : PCNData or dict of DataFrame
        The full dataset the features were built from.
    builder : callable, default :func:`build_features`
        ``builder(data, index_date, **builder_kwargs)`` -> DataFrame; the function that made
        ``features``.
    raise_error : bool, default True
        Raise :class:`clearlib.DataError` when something leaks (otherwise only report it).
    **builder_kwargs
        Passed to ``builder`` (e.g. ``min_age=65``).

    Returns
    -------
    LeakageReport
        ``report.ok`` is True when nothing leaks.

    Raises
    ------
    DataError
        When something leaks and ``raise_error`` is true; the message names every column.

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"patient_id": ["a"], "sex": ["F"], "imd_decile": [3],
    ...     "birth_date": pd.to_datetime(["1950-01-01"]), "registered_on": pd.to_datetime(["2000-01-01"]),
    ...     "deregistered_on": pd.to_datetime([None]), "died_on": pd.to_datetime([None])})
    >>> ev = pd.DataFrame({"patient_id": ["a", "a"], "type": ["ae", "ae"],
    ...     "start": pd.to_datetime(["2025-02-01", "2025-06-01"])})
    >>> data = {"patients": pts, "hospital_events": ev}
    >>> def all_ae(d, when):  # counts every A&E visit, even after the index date
    ...     e = d["hospital_events"]
    ...     return e.groupby("patient_id").size().rename("ae").to_frame()
    >>> report = check_no_leakage(all_ae(data, "2025-04-01"), "2025-04-01", data,
    ...     builder=all_ae, raise_error=False)
    >>> report.ok, report.leaking_columns
    (False, ['ae'])
    """
    if not isinstance(features, pd.DataFrame):
        raise DataError(
            f"features should be a DataFrame indexed by patient_id; found {type(features).__name__}."
        )
    index = _data.timestamp(index_date, "index_date").normalize()
    build = build_features if builder is None else builder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        reference = build(known_before(data, index), index, **builder_kwargs)
    rows_added = int((~features.index.isin(reference.index)).sum())
    common = features.index.intersection(reference.index, sort=False)
    problems = []
    for col in features.columns:
        if col not in reference.columns:
            problems.append(
                {
                    "column": col,
                    "rows_changed": len(features),
                    "reason": (
                        "not made by the builder, so it cannot be checked against records dated "
                        "before the index date (pass the builder that made it)"
                    ),
                }
            )
            continue
        a = features.loc[common, col]
        b = reference.loc[common, col]
        changed = int(_differs(a, b).sum())
        if changed:
            problems.append(
                {
                    "column": col,
                    "rows_changed": changed,
                    "reason": (
                        f"changes for {changed} people when records dated on or after the index "
                        "date are removed"
                    ),
                }
            )
    report = LeakageReport(
        index_date=index,
        problems=pd.DataFrame(problems, columns=["column", "rows_changed", "reason"]),
        rows_added=rows_added,
    )
    if raise_error and not report.ok:
        raise DataError(report.summary())
    return report


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    x = a.to_numpy()
    y = b.to_numpy()
    try:
        xf = np.asarray(x, dtype=float)
        yf = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        xs = pd.Series(x).astype(str).to_numpy()
        ys = pd.Series(y).astype(str).to_numpy()
        return xs != ys
    both_nan = np.isnan(xf) & np.isnan(yf)
    return ~(np.isclose(xf, yf, rtol=1e-9, atol=1e-12) | both_nan)


# ---------------------------------------------------------------------------------------------
# Groups for equity analysis
# ---------------------------------------------------------------------------------------------
AGE_BANDS = (0, 18, 45, 65, 75, 85, 200)
AGE_LABELS = ("0-17", "18-44", "45-64", "65-74", "75-84", "85+")


def equity_groups(data: Any, patient_ids: Any, as_at: Any = None) -> pd.DataFrame:
    """Deprivation quintile, sex, ethnic group and age band of each patient, for fairness checks.

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        Needs ``patients`` (``patient_id``, ``sex``, ``birth_date``, ``imd_decile``,
        ``ethnicity``).
    patient_ids : sequence of str
        Whom to describe (e.g. the index of :func:`build_features`).
    as_at : date-like, optional
        The date for the age band. Default: the dataset's extract date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patient_id``: ``imd_quintile`` ("1 most deprived" ... "5 least
        deprived"), ``sex``, ``ethnicity``, ``age_band``; all categorical.

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"patient_id": ["a", "b"], "sex": ["F", "M"], "imd_decile": [1, 10],
    ...     "ethnicity": ["Asian", "White"], "birth_date": pd.to_datetime(["1950-06-01", "2000-01-01"])})
    >>> equity_groups({"patients": pts}, ["b", "a"], "2025-04-01")  # doctest: +NORMALIZE_WHITESPACE
                   imd_quintile sex ethnicity age_band
    patient_id
    b           5 least deprived   M     White    18-44
    a            1 most deprived   F     Asian    65-74
    """
    day, _ = _data.as_at_end(data, as_at)
    pts = _data.get(
        data, "patients", ["patient_id", "sex", "imd_decile", "ethnicity"], ["birth_date"]
    )
    pts = pts.set_index("patient_id")
    ids = pd.Index(list(patient_ids) if not isinstance(patient_ids, pd.Index) else patient_ids)
    missing = ids.difference(pts.index)
    if len(missing):
        raise DataError(
            f"{len(missing)} patient_id value(s) are not in the patients table, e.g. "
            f"{missing[0]!r}. Pass ids from the same dataset."
        )
    p = pts.reindex(ids)
    labels = ["1 most deprived", "2", "3", "4", "5 least deprived"]
    decile = pd.to_numeric(p["imd_decile"])
    quintile = pd.Categorical.from_codes(
        np.where(decile.isna(), -1, ((decile.fillna(1) - 1) // 2).astype(int)), labels, ordered=True
    )
    age = _data.age_at(p["birth_date"], day)
    band = pd.cut(age, list(AGE_BANDS), right=False, labels=list(AGE_LABELS))
    return pd.DataFrame(
        {
            "imd_quintile": quintile,
            "sex": p["sex"].astype("category").to_numpy(),
            "ethnicity": p["ethnicity"].astype("category").to_numpy(),
            "age_band": band.to_numpy(),
        },
        index=pd.Index(ids, name="patient_id"),
    )
