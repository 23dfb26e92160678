"""Demand: from appointments (observed activity) to hours per task per week.

An appointment becomes a *task* through ``task_map.csv`` (its national category, and its role
where that matters). Its hours are the task's standard minutes × the relative time of the role
that did it (the task–competency matrix), or the recorded duration when ``minutes="observed"``.
Demand is kept as *units* (tasks done) and *hours*, by week, task and role, so work can be
added (a new service), removed (a change) or moved to another role (a redesign).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence, Sized
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.workforce._assumptions import Assumptions
from clearlib.workforce._checks import check_columns, check_known, check_share, known_roles
from clearlib.workforce._reference import task_codes, task_map, tasks, validated_competency

__all__ = ["Demand", "assign_tasks"]

DAYS_PER_YEAR = 365.25
_EPOCH_MONDAY_OFFSET = 3  # 1970-01-01 was a Thursday: (day + 3) % 7 is days since Monday
OBSERVED = "observed"
#: In a need of :meth:`Demand._add_service`: the task's reference role (from the catalogue).
REFERENCE_ROLE = object()


def _positions(values: pd.Series, allowed: Sequence[str], what: str, column: str) -> np.ndarray:
    """Positions of ``values`` in ``allowed`` (fast on categoricals); unknown values raise."""
    check_known(values, allowed, what, column)
    lookup = {v: i for i, v in enumerate(allowed)}
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_pos = np.array([lookup.get(c, -1) for c in values.cat.categories], dtype=np.int64)
        return cat_pos[values.cat.codes.to_numpy()]
    codes, uniques = pd.factorize(values)
    return np.array([lookup[u] for u in uniques], dtype=np.int64)[codes]


def _task_lut(mapping: pd.DataFrame, categories: Sequence[str], roles: Sequence[str]) -> np.ndarray:
    """Category × role → task position (in the catalogue), from ``task_map.csv``."""
    task_codes = tasks()["code"].tolist()
    check_known(mapping["task"], task_codes, "task map", "task")
    lut = np.full((len(categories), len(roles)), -1, dtype=np.int64)
    defaults = mapping[mapping["role"].isna()]
    for cat, task in zip(defaults["national_category"], defaults["task"], strict=True):
        lut[categories.index(cat), :] = task_codes.index(task)
    overrides = mapping[mapping["role"].notna()]
    for cat, role, task in zip(
        overrides["national_category"], overrides["role"], overrides["task"], strict=True
    ):
        lut[categories.index(cat), roles.index(role)] = task_codes.index(task)
    missing = [categories[i] for i in np.flatnonzero((lut < 0).all(axis=1))]
    if missing:
        raise DataError(
            f"task map: no task for national categor{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(missing)}; add a row with an empty role for each."
        )
    return lut


def _validated_map(mapping: pd.DataFrame | None) -> pd.DataFrame:
    from clearlib import reference

    if mapping is None:
        return task_map()
    check_columns(mapping, ["national_category", "role", "task"], "task map")
    check_known(
        mapping["national_category"],
        reference.appointment_categories()["code"],
        "task map",
        "national_category",
    )
    roles = mapping["role"].dropna()
    check_known(roles[roles != ""], known_roles(), "task map", "role")
    out = mapping.copy()
    out["role"] = out["role"].replace("", np.nan)
    return out


def assign_tasks(appointments: pd.DataFrame, *, mapping: pd.DataFrame | None = None) -> pd.Series:
    """The task of each appointment, from its national category and role.

    Parameters
    ----------
    appointments : DataFrame
        With columns ``national_category`` and ``role`` (codes of
        ``clearlib/reference/appointment_categories.csv`` and ``roles.csv``).
    mapping : DataFrame, optional
        A task map (``national_category``, ``role``, ``task``); default :func:`task_map`.

    Returns
    -------
    pandas.Series
        A categorical of task codes, aligned with ``appointments``.

    Raises
    ------
    DataError
        If a category or role is missing or unknown (the message counts each bad value).

    Examples
    --------
    >>> appts = pd.DataFrame({"national_category": ["general_routine", "general_routine"],
    ...                       "role": ["gp", "fcp"]})
    >>> assign_tasks(appts).tolist()
    ['routine_consultation', 'msk_first_contact']
    """
    from clearlib import reference

    what = "appointments"
    check_columns(appointments, ["national_category", "role"], what)
    categories = reference.appointment_categories()["code"].tolist()
    roles = known_roles()
    lut = _task_lut(_validated_map(mapping), categories, roles)
    c = _positions(appointments["national_category"], categories, what, "national_category")
    r = _positions(appointments["role"], roles, what, "role")
    codes = tasks()["code"].tolist()
    return pd.Series(
        pd.Categorical.from_codes(lut[c, r], categories=codes),
        index=appointments.index,
        name="task",
    )


def _week_of(days: np.ndarray) -> np.ndarray:
    """The Monday (as days since 1970-01-01) of each day."""
    return days - (days + _EPOCH_MONDAY_OFFSET) % 7


def _calendar(first_day: int, last_day: int, open_day_numbers: np.ndarray) -> pd.DataFrame:
    """Weeks (Mondays) of the window, with calendar days inside it and open days."""
    w0, w1 = _week_of(np.array([first_day, last_day]))
    mondays = np.arange(w0, w1 + 1, 7)
    starts = np.maximum(mondays, first_day)
    ends = np.minimum(mondays + 6, last_day)
    open_weeks = _week_of(open_day_numbers)
    open_days = np.bincount((open_weeks - w0) // 7, minlength=len(mondays))
    return pd.DataFrame(
        {
            "week": mondays.astype("datetime64[D]").astype("datetime64[s]"),
            "days": (ends - starts + 1).astype(np.int64),
            "open_days": open_days.astype(np.int64),
        }
    )


class Demand:
    """Hours of demand by week, task and role, built from appointments or by hand.

    Parameters
    ----------
    table : DataFrame
        One row per week, task and role (and ``group`` and ``source`` if present): columns
        ``week`` (the Monday), ``task``, ``role``, ``units`` (tasks done that week) and
        ``hours``. ``source`` says where the demand comes from (``"observed"`` or a new
        service's name); ``group`` (optional) holds a practice or PCN code.
    calendar : DataFrame
        One row per week of the window: ``week``, ``days`` (calendar days of the window in that
        week) and ``open_days`` (days the practices were open).
    minutes : Series, optional
        Standard minutes per task the hours were computed with; default the task catalogue.
    competency : DataFrame, optional
        The long task–competency matrix used; default :func:`task_competency`.

    Examples
    --------
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                     "days": [7, 7], "open_days": [5, 5]})
    >>> table = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                       "task": "minor_acute", "role": "gp",
    ...                       "units": [60.0, 90.0], "hours": [10.0, 15.0]})
    >>> d = Demand(table, cal)
    >>> float(d.per_week()["minor_acute"])
    12.5
    """

    def __init__(
        self,
        table: pd.DataFrame,
        calendar: pd.DataFrame,
        *,
        minutes: pd.Series | None = None,
        competency: pd.DataFrame | None = None,
    ) -> None:
        what = "demand table"
        check_columns(table, ["week", "task", "role", "units", "hours"], what)
        check_columns(calendar, ["week", "days", "open_days"], "demand calendar")
        check_known(table["task"], task_codes(), what, "task")
        check_known(table["role"], known_roles(), what, "role")
        for col in ("units", "hours"):
            x = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
            if (~np.isfinite(x) | (x < 0)).any():
                raise DataError(f"{what}: column {col!r} must hold numbers 0 or more.")
        self._set_table(table, calendar)
        outside = ~self._table["week"].isin(self._calendar["week"])
        if outside.any():
            raise DataError(
                f"{what}: {int(outside.sum())} row(s) fall in weeks outside the calendar "
                f"(first: {self._table.loc[outside, 'week'].iloc[0].date()})."
            )
        self._minutes = (
            Assumptions().task_minutes() if minutes is None else minutes.astype(float).copy()
        )
        self._competency = validated_competency(competency)
        self._relative_times: dict[tuple[str, str], float] | None = None

    def _set_table(self, table: pd.DataFrame, calendar: pd.DataFrame) -> None:
        """Store the table and calendar in canonical form (types, column order); checks nothing."""
        t = table.copy()
        t["week"] = pd.to_datetime(t["week"]).astype("datetime64[s]")
        if "source" not in t.columns:
            t["source"] = OBSERVED
        cols = [c for c in ("group", "week", "task", "role", "source") if c in t.columns]
        for c in cols:
            if c != "week":
                t[c] = t[c].astype(str)
        self._table = t.loc[:, [*cols, "units", "hours"]].reset_index(drop=True)
        cal = calendar.loc[:, ["week", "days", "open_days"]].copy()
        cal["week"] = pd.to_datetime(cal["week"]).astype("datetime64[s]")
        self._calendar = cal.sort_values("week").reset_index(drop=True)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_appointments(
        cls,
        appointments: pd.DataFrame,
        *,
        by: str | None = None,
        practices: pd.DataFrame | None = None,
        statuses: Iterable[str] = ("attended", "dna"),
        minutes: str = "catalogue",
        assumptions: Assumptions | None = None,
        competency: pd.DataFrame | None = None,
        mapping: pd.DataFrame | None = None,
        window: tuple[Any, Any] | None = None,
    ) -> Demand:
        """Turn appointments into units and hours of demand by week, task and role.

        Parameters
        ----------
        appointments : DataFrame
            ``role``, ``national_category``, ``start``, ``status`` (and ``duration_min`` for
            ``minutes="observed"``; ``practice_code`` to group by practice or PCN).
        by : {None, "practice_code", "pcn_code"}, optional
            Keep demand separate for each practice or PCN (a ``group`` column).
        practices : DataFrame, optional
            ``practice_code`` → ``pcn_code``, needed for ``by="pcn_code"`` when appointments
            have no ``pcn_code`` column.
        statuses : iterable of str, default ("attended", "dna")
            Appointments that used clinical time: a did-not-attend still used its slot.
        minutes : {"catalogue", "observed"}, default "catalogue"
            ``"catalogue"``: each task's standard minutes × the role's relative time.
            ``"observed"``: the recorded ``duration_min`` of attended appointments (DNAs at
            catalogue time, since a slot was booked).
        assumptions : Assumptions, optional
            Minutes per task (``minutes_scale``, ``minutes``) and observed-demand scaling.
        competency : DataFrame, optional
            Long task–competency matrix for relative times; default the reference matrix.
        mapping : DataFrame, optional
            Task map; default :func:`task_map`.
        window : (date, date), optional
            First and last day of the period the appointments cover (e.g. a financial year);
            default the first and last day with an appointment. Hours per week are averages
            over this window; appointments outside it are an error.

        Returns
        -------
        Demand

        Raises
        ------
        DataError
            On missing columns, unknown roles or categories, or missing start dates.

        Examples
        --------
        >>> appts = pd.DataFrame({
        ...     "role": ["gp", "gp", "clinical_pharmacist"],
        ...     "national_category": ["general_acute", "general_acute", "medication_review"],
        ...     "start": pd.to_datetime(["2025-01-06 09:00", "2025-01-07 10:00", "2025-01-08 11:00"]),
        ...     "status": ["attended", "dna", "attended"]})
        >>> d = Demand.from_appointments(appts, window=("2025-01-06", "2025-01-12"))
        >>> d.per_week("task", value="units").to_dict()
        {'minor_acute': 2.0, 'medication_review': 1.0}
        >>> round(float(d.per_week()["minor_acute"]), 3)  # 2 × 10 minutes / 60
        0.333
        """
        what = "appointments"
        a = assumptions or Assumptions()
        if minutes not in ("catalogue", "observed"):
            raise ConfigError(f"minutes: expected 'catalogue' or 'observed'; found {minutes!r}.")
        need = ["role", "national_category", "start", "status"]
        if minutes == "observed":
            need.append("duration_min")
        check_columns(appointments, need, what)
        from clearlib import reference

        categories = reference.appointment_categories()["code"].tolist()
        roles = known_roles()
        task_codes = tasks()["code"].tolist()
        comp = validated_competency(competency)
        lut = _task_lut(_validated_map(mapping), categories, roles)

        start = appointments["start"]
        if not pd.api.types.is_datetime64_any_dtype(start):
            start = pd.to_datetime(start, errors="coerce")
        day = start.to_numpy(dtype="datetime64[D]").astype(np.int64)
        nat = start.isna().to_numpy()
        if nat.any():
            raise DataError(
                f"{what}: column 'start' has {int(nat.sum()):,} missing or unreadable date(s); "
                "expected a date-time on every row. Fix or drop those rows first."
            )
        statuses = list(statuses)
        keep = appointments["status"].isin(statuses).to_numpy()
        cat = _positions(appointments["national_category"], categories, what, "national_category")
        role = _positions(appointments["role"], roles, what, "role")
        task = lut[cat, role]

        if by is None:
            group_codes = np.zeros(len(appointments), dtype=np.int64)
            groups: list[str] = []
        else:
            group_codes, groups = _group_codes(appointments, by, practices)

        if len(day) == 0:
            raise DataError(f"{what}: no appointments.")
        first, last = int(day.min()), int(day.max())
        if window is not None:
            lo, hi = (np.datetime64(pd.Timestamp(w).date(), "D").astype(np.int64) for w in window)
            if lo > hi or first < lo or last > hi:
                raise DataError(
                    f"{what}: window {window[0]} to {window[1]} must contain every appointment "
                    f"(they run from {pd.Timestamp(first, unit='D').date()} to "
                    f"{pd.Timestamp(last, unit='D').date()})."
                )
            first, last = int(lo), int(hi)
        open_days = np.flatnonzero(np.bincount(day - first)) + first
        cal = _calendar(first, last, open_days)
        w0 = int(_week_of(np.array([first]))[0])
        week = (_week_of(day) - w0) // 7
        n_g, n_w, n_t, n_r = max(len(groups), 1), len(cal), len(task_codes), len(roles)
        key = ((group_codes * n_w + week) * n_t + task) * n_r + role
        key = key[keep]
        size = n_g * n_w * n_t * n_r
        units = np.bincount(key, minlength=size).astype(float)

        rel = _relative_time(comp, task_codes, roles)
        tmin = a.task_minutes().reindex(task_codes).to_numpy()
        observed_pairs = units.reshape(n_g, n_w, n_t, n_r).sum(axis=(0, 1)) > 0
        unknown = observed_pairs & np.isnan(rel)
        if unknown.any():
            pairs = [
                f"{task_codes[t]} by {roles[r]}" for t, r in zip(*np.nonzero(unknown), strict=True)
            ]
            warnings.warn(
                "appointments: some tasks were done by roles the competency matrix does not "
                f"list ({', '.join(pairs[:6])}{' ...' if len(pairs) > 6 else ''}); their hours "
                "use the task's standard minutes. Add rows to the competency matrix to say how "
                "long those roles take.",
                UserWarning,
                stacklevel=2,
            )
        per_unit = (tmin[:, None] * np.where(np.isnan(rel), 1.0, rel) / 60.0).ravel()
        idx_tr = np.arange(size) % (n_t * n_r)
        if minutes == "catalogue":
            hours = units * per_unit[idx_tr]
        else:
            status = appointments["status"].to_numpy()[keep]
            attended = status == "attended"
            dur = pd.to_numeric(appointments["duration_min"], errors="coerce").to_numpy(float)
            dur = dur[keep]
            if np.isnan(dur[attended]).any() or (dur[attended] < 0).any():
                raise DataError(
                    f"{what}: column 'duration_min' must be a number 0 or more for attended "
                    "appointments; some are missing or negative."
                )
            hours = np.bincount(key[attended], weights=dur[attended] / 60.0, minlength=size)
            other = np.bincount(key[~attended], minlength=size)
            hours = hours + other * per_unit[idx_tr]
        nz = np.flatnonzero(units)
        g, rest = np.divmod(nz, n_w * n_t * n_r)
        w, rest = np.divmod(rest, n_t * n_r)
        t, r = np.divmod(rest, n_r)
        table = pd.DataFrame(
            {
                "week": cal["week"].to_numpy()[w],
                "task": np.asarray(task_codes, dtype=object)[t],
                "role": np.asarray(roles, dtype=object)[r],
                "source": OBSERVED,
                "units": units[nz] * a.demand_scale,
                "hours": hours[nz] * a.demand_scale,
            }
        )
        if by is not None:
            table.insert(0, "group", np.asarray(groups, dtype=object)[g])
        return cls(table, cal, minutes=a.task_minutes(), competency=comp)

    # -- reading ----------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """The long table (a copy): [group,] week, task, role, source, units, hours."""
        return self._table.copy()

    @property
    def calendar(self) -> pd.DataFrame:
        """Weeks of the window: week (Monday), days in the window, open days."""
        return self._calendar.copy()

    @property
    def minutes(self) -> pd.Series:
        """Standard minutes per task used for the hours."""
        return self._minutes.copy()

    @property
    def competency(self) -> pd.DataFrame:
        """The long task–competency matrix used for relative times."""
        return self._competency.copy()

    @property
    def weeks(self) -> float:
        """Length of the window in weeks (calendar days / 7)."""
        return float(self._calendar["days"].sum()) / 7.0

    @property
    def groups(self) -> list[str]:
        """Practice or PCN codes, if the demand is kept by group (else an empty list)."""
        if "group" not in self._table.columns:
            return []
        return sorted(self._table["group"].unique().tolist())

    def for_group(self, group: str) -> Demand:
        """The demand of one practice or PCN."""
        if group not in self.groups:
            raise ConfigError(
                f"no group {group!r} in this demand; groups are {', '.join(self.groups) or 'none'}."
            )
        t = self._table[self._table["group"] == group].drop(columns="group")
        return self._new(t)

    def per_week(self, by: str | Sequence[str] = "task", *, value: str = "hours") -> Any:
        """Mean hours (or units) per week over the window, by task, role, source or group.

        Weeks are calendar weeks (weeks with bank holidays count), so these are annual averages.

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"] * 2), "task": "triage",
        ...                   "role": ["gp", "paramedic"], "units": [12.0, 8.0], "hours": [1.0, 1.0]})
        >>> Demand(t, cal).per_week("role", value="units").to_dict()
        {'gp': 12.0, 'paramedic': 8.0}
        """
        keys = self._keys(by)
        self._check_value(value)
        out = self._table.groupby(keys, sort=False)[value].sum() / self.weeks
        return out.sort_values(ascending=False) if len(keys) == 1 else out.sort_index()

    def weekly(self, by: str | None = "task", *, value: str = "hours") -> pd.DataFrame:
        """Hours (or units) each week: weeks down, ``by`` across (one ``total`` column if None).

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]),
        ...                     "days": [7, 7], "open_days": [5, 5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
        ...                   "role": "gp", "units": [12.0], "hours": [1.0]})
        >>> Demand(t, cal).weekly()["triage"].tolist()
        [1.0, 0.0]
        """
        self._check_value(value)
        weeks = pd.Index(self._calendar["week"], name="week")
        if by is None:
            s = self._table.groupby("week")[value].sum().reindex(weeks, fill_value=0.0)
            return s.to_frame("total")
        keys = self._keys(by)
        wide = self._table.pivot_table(
            index="week", columns=keys[0], values=value, aggfunc="sum", fill_value=0.0
        )
        wide = wide.reindex(weeks, fill_value=0.0)
        wide.columns.name = keys[0]
        return wide.astype(float)

    def _normalised(self, by: str | None) -> pd.DataFrame:
        """Weekly hours per 5 open days, full weeks only (bank holidays and part weeks removed)."""
        wide = self.weekly(by)
        cal = self._calendar.set_index("week")
        full = (cal["days"] == 7) & (cal["open_days"] >= 3)
        return wide.loc[full.to_numpy()].mul(5.0 / cal.loc[full, "open_days"], axis=0)

    def trend(self, by: str | None = "task") -> pd.DataFrame:
        """Linear trend of weekly hours, per task (or role): level and change per year.

        Weekly hours are first put on a five-open-day basis (bank holidays and part weeks
        removed), then a straight line is fitted against time.

        Returns
        -------
        DataFrame
            Indexed by ``by``: ``hours_per_week`` (mean on a five-day basis),
            ``change_per_year`` (hours per week per year) and ``change_pct_per_year``.

        Examples
        --------
        >>> weeks = pd.date_range("2025-01-06", periods=4, freq="7D")
        >>> cal = pd.DataFrame({"week": weeks, "days": 7, "open_days": 5})
        >>> t = pd.DataFrame({"week": weeks, "task": "triage", "role": "gp", "units": 1.0,
        ...                   "hours": [10.0, 10.0, 10.0, 10.0]})
        >>> Demand(t, cal).trend().loc["triage"].round(6).tolist()
        [10.0, 0.0, 0.0]
        """
        y = self._normalised(by)
        if len(y) < 3:
            raise DataError(
                f"demand: a trend needs at least 3 full weeks; this demand has {len(y)}."
            )
        t = (y.index - y.index[0]).days.to_numpy() / DAYS_PER_YEAR
        slope, _ = np.polyfit(t, y.to_numpy(), 1)
        mean = y.mean().to_numpy()
        out = pd.DataFrame(
            {
                "hours_per_week": mean,
                "change_per_year": slope,
                "change_pct_per_year": np.where(
                    mean > 0, 100 * slope / np.where(mean > 0, mean, 1), 0.0
                ),
            },
            index=pd.Index(y.columns, name=by or "total"),
        )
        return out.sort_values("hours_per_week", ascending=False)

    def seasonality(self, by: str | None = None) -> pd.DataFrame:
        """Seasonal index by calendar month: detrended weekly hours in the month / overall mean.

        An index of 1.10 means weeks in that month run 10% above the trend line.

        Returns
        -------
        DataFrame
            Months 1–12 down; one column per ``by`` value (``total`` if None).

        Examples
        --------
        >>> weeks = pd.date_range("2025-01-06", periods=8, freq="7D")
        >>> cal = pd.DataFrame({"week": weeks, "days": 7, "open_days": 5})
        >>> t = pd.DataFrame({"week": weeks, "task": "triage", "role": "gp", "units": 1.0,
        ...                   "hours": 10.0})
        >>> Demand(t, cal).seasonality().loc[[1, 2], "total"].round(6).tolist()
        [1.0, 1.0]
        """
        y = self._normalised(by)
        t = (y.index - y.index[0]).days.to_numpy() / DAYS_PER_YEAR
        slope, intercept = np.polyfit(t, y.to_numpy(), 1)
        fitted = intercept[None, :] + np.outer(t, slope)
        ratio = pd.DataFrame(
            np.divide(y.to_numpy(), fitted, out=np.ones_like(fitted), where=fitted > 0),
            index=y.index,
            columns=y.columns,
        )
        out = ratio.groupby(ratio.index.month).mean()
        out.index.name = "month"
        return out.reindex(range(1, 13))

    # -- changes ----------------------------------------------------------------------------
    def add_service(
        self,
        name: str,
        cohort_size: float | Sized,
        needs: Mapping[str, float],
        *,
        roles: Mapping[str, str] | None = None,
        starts_on: str | pd.Timestamp | None = None,
    ) -> Demand:
        """Demand added by a new service: a cohort of people × their needs a year.

        Parameters
        ----------
        name : str
            The service (becomes the ``source`` of its demand).
        cohort_size : int, float or sized
            People in the cohort (a number, or a table/list of them: its length is used).
        needs : mapping
            Task → tasks per person per year (e.g. ``{"needs_assessment": 1, "mdt_meeting": 2}``).
        roles : mapping, optional
            Task → the role that will do it; default the task's reference role.
        starts_on : date, optional
            First day of the service; default the start of the window.

        Returns
        -------
        Demand
            A new Demand; this one is unchanged.

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.date_range("2025-01-06", periods=4, freq="7D"),
        ...                     "days": 7, "open_days": 5})
        >>> d = Demand(pd.DataFrame(columns=["week", "task", "role", "units", "hours"]), cal)
        >>> d2 = d.add_service("Proactive care", 365.25, {"needs_assessment": 1})
        >>> round(float(d2.per_week(value="units")["needs_assessment"]), 3)  # 365.25 / 52.18
        7.0
        """
        size = self._cohort(name, cohort_size)
        if not isinstance(needs, Mapping) or not needs:
            raise ConfigError(
                f"add_service {name!r}: needs must map tasks to tasks per person per year, "
                "e.g. {'needs_assessment': 1}."
            )
        roles = dict(roles or {})
        items = [(task, rate, roles.get(task, REFERENCE_ROLE)) for task, rate in needs.items()]
        return self._add_service(name, size, items, starts_on=starts_on)

    def _cohort(self, name: str, cohort_size: float | Sized) -> float:
        """The checked size of a new service's cohort (this demand must be for one PCN)."""
        if self.groups:
            raise ConfigError(
                "add_service: pick one practice or PCN first (demand.for_group(code))."
            )
        size = float(len(cohort_size)) if hasattr(cohort_size, "__len__") else cohort_size
        return check_share(size, f"add_service {name!r}: cohort_size", high=float("inf"))

    def _add_service(
        self,
        name: str,
        size: float,
        needs: Sequence[tuple[Any, Any, Any]],
        *,
        starts_on: str | pd.Timestamp | None = None,
    ) -> Demand:
        """:meth:`add_service` for a checked cohort size, with needs as a list.

        ``needs`` holds (task, tasks per person per year, role or :data:`REFERENCE_ROLE`); a
        task may appear more than once (done by several roles). The rows, and their order, are
        those of one :meth:`add_service` per item, made in one step.
        """
        codes = tasks().set_index("code")
        cal = self._calendar
        weight = cal["open_days"].to_numpy(dtype=float)
        if starts_on is not None:
            start = pd.Timestamp(starts_on)
            week_end = cal["week"] + pd.to_timedelta(cal["days"] - 1, unit="D")
            before = (week_end < start).to_numpy()
            weight = np.where(before, 0.0, weight)
            days_on = float(cal["days"].sum()) - float((start - cal["week"].iloc[0]).days)
        else:
            days_on = float(cal["days"].sum())
        if weight.sum() <= 0 or days_on <= 0:
            raise ConfigError(f"add_service {name!r}: starts_on {starts_on} is after the window.")
        weight = weight / weight.sum()
        rows = []
        for task, rate, role in needs:
            if task not in codes.index:
                raise ConfigError(
                    f"add_service {name!r}: unknown task {task!r}; tasks are "
                    f"{', '.join(codes.index)}."
                )
            rate = check_share(rate, f"add_service {name!r}: needs.{task}", high=float("inf"))
            if role is REFERENCE_ROLE:
                role = codes.loc[task, "reference_role"]
            rel = self._relative(task, role, f"add_service {name!r}")
            total = size * rate * days_on / DAYS_PER_YEAR
            units = total * weight
            rows.append(
                pd.DataFrame(
                    {
                        "week": cal["week"],
                        "task": task,
                        "role": role,
                        "source": name,
                        "units": units,
                        "hours": units * self._minutes[task] * rel / 60.0,
                    }
                )
            )
        extra = pd.concat(rows, ignore_index=True)
        extra = extra[extra["units"] > 0]
        return self._new(pd.concat([self._table, extra], ignore_index=True))

    def remove(self, task: str, share: float = 1.0, *, role: str | None = None) -> Demand:
        """Demand removed by a change: a share of a task's units (optionally one role's) goes.

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
        ...                   "role": "gp", "units": [12.0], "hours": [1.0]})
        >>> float(Demand(t, cal).remove("triage", 0.25).per_week()["triage"])
        0.75
        """
        share = check_share(share, f"remove {task!r}: share")
        mask = self._mask(task, role, "remove")
        t = self._table.copy()
        t.loc[mask, ["units", "hours"]] *= 1.0 - share
        return self._new(t)

    def move(self, task: str, from_role: str, to_role: str, share: float = 1.0) -> Demand:
        """Move a share of one role's units of a task to another role (a redesign).

        The moved units take the new role's time (standard minutes × its relative time).

        Raises
        ------
        ConfigError
            If the new role is not competent for the task (the matrix has no row for them).

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "minor_acute",
        ...                   "role": "gp", "units": [60.0], "hours": [10.0]})
        >>> d = Demand(t, cal).move("minor_acute", "gp", "practice_nurse", 0.5)
        >>> d.per_week("role").to_dict()  # 30 × 10 min × 1.5 = 7.5 h for the nurse
        {'practice_nurse': 7.5, 'gp': 5.0}
        """
        share = check_share(share, f"move {task!r}: share")
        rel = self._relative(task, to_role, f"move {task!r}")
        mask = self._mask(task, from_role, "move")
        t = self._table.copy()
        moved = t.loc[mask].copy()
        moved["units"] *= share
        moved["hours"] = moved["units"] * self._minutes[task] * rel / 60.0
        moved["role"] = to_role
        t.loc[mask, ["units", "hours"]] *= 1.0 - share
        keys = [c for c in ("group", "week", "task", "role", "source") if c in t.columns]
        out = (
            pd.concat([t, moved], ignore_index=True)
            .groupby(keys, as_index=False, sort=False)[["units", "hours"]]
            .sum()
        )
        return self._new(out)

    def reallocate(self, shares: pd.DataFrame) -> Demand:
        """Give each task to roles in new proportions (e.g. an optimised skill mix).

        Parameters
        ----------
        shares : DataFrame
            Tasks down, roles across, each row summing to 1 (the share of the task's units
            each role does). Tasks not in it keep their current roles. Moved units take the
            new role's time.

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "minor_acute",
        ...                   "role": "gp", "units": [60.0], "hours": [10.0]})
        >>> shares = pd.DataFrame({"gp": [0.5], "advanced_practitioner": [0.5]}, index=["minor_acute"])
        >>> Demand(t, cal).reallocate(shares).per_week("role").to_dict()
        {'advanced_practitioner': 7.5, 'gp': 5.0}
        """
        if not isinstance(shares, pd.DataFrame):
            raise ConfigError("reallocate: shares must be a DataFrame of tasks × roles.")
        check_known(
            pd.Series(shares.index, dtype=object),
            task_codes(),
            "shares",
            "task",
            error=ConfigError,
        )
        check_known(
            pd.Series(shares.columns, dtype=object),
            known_roles(),
            "shares",
            "role",
            error=ConfigError,
        )
        sh = shares.fillna(0.0).astype(float)
        if (sh.to_numpy() < 0).any():
            raise ConfigError("reallocate: shares must be 0 or more.")
        sums = sh.sum(axis=1)
        off = sums[(sums - 1).abs() > 1e-6]
        if len(off):
            raise ConfigError(
                f"reallocate: each task's shares must sum to 1; {off.index[0]!r} sums to "
                f"{off.iloc[0]:.4g}."
            )
        for task, row in sh.iterrows():
            for role in row.index[row > 0]:
                self._relative(str(task), str(role), "reallocate")
        t = self._table
        moving = t["task"].isin(sh.index).to_numpy()
        keys = [c for c in ("group", "week", "task", "source") if c in t.columns]
        totals = t.loc[moving].groupby(keys, as_index=False, sort=False)["units"].sum()
        long = sh.stack()
        long = long[long > 0].rename("share").reset_index()
        long.columns = ["task", "role", "share"]
        new = totals.merge(long, on="task")
        new["units"] = new["units"] * new["share"]
        rel = self._competency.set_index(["task", "role"])["relative_time"]
        per_unit = (
            self._minutes.reindex(new["task"]).to_numpy()
            * rel.reindex(pd.MultiIndex.from_frame(new[["task", "role"]])).to_numpy()
            / 60.0
        )
        new["hours"] = new["units"].to_numpy() * per_unit
        new = new.drop(columns="share")
        return self._new(pd.concat([t.loc[~moving], new], ignore_index=True))

    def scale(self, factor: float, *, source: str | None = OBSERVED) -> Demand:
        """Multiply demand (of one source, or all when ``source`` is None) by a factor.

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
        ...                   "role": "gp", "units": [12.0], "hours": [1.0]})
        >>> float(Demand(t, cal).scale(1.03).per_week()["triage"])
        1.03
        """
        factor = check_share(factor, "scale: factor", high=float("inf"))
        t = self._table.copy()
        mask = np.ones(len(t), bool) if source is None else (t["source"] == source).to_numpy()
        t.loc[mask, ["units", "hours"]] *= factor
        return self._new(t)

    def with_minutes(self, minutes: pd.Series) -> Demand:
        """The same units, with hours recomputed for new minutes per task (proportionally).

        Examples
        --------
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
        ...                   "role": "gp", "units": [12.0], "hours": [1.0]})
        >>> float(Demand(t, cal).with_minutes(pd.Series({"triage": 10.0})).per_week()["triage"])
        2.0
        """
        new = self._minutes.copy()
        for task, m in minutes.items():
            if task not in new.index:
                raise ConfigError(f"with_minutes: unknown task {task!r}.")
            new[task] = float(m)
        ratio = (new / self._minutes).reindex(self._table["task"]).to_numpy()
        t = self._table.copy()
        t["hours"] = t["hours"].to_numpy() * ratio
        hours = t["hours"].to_numpy(dtype=float)
        if (~np.isfinite(hours) | (hours < 0)).any():  # the only part new minutes can break
            raise DataError("demand table: column 'hours' must hold numbers 0 or more.")
        return self._derived(t, new)

    # -- helpers ----------------------------------------------------------------------------
    def _new(self, table: pd.DataFrame) -> Demand:
        return self._derived(table.reset_index(drop=True), self._minutes)

    def _derived(self, table: pd.DataFrame, minutes: pd.Series) -> Demand:
        """A Demand from a table derived from this one's (trusted: not checked again).

        Every change method checks its arguments and keeps tasks, roles, weeks and
        non-negative units and hours valid, so the table needs no second validation; the
        calendar and the (validated, never modified) competency matrix are this Demand's.
        """
        out = Demand.__new__(Demand)
        out._set_table(table, self._calendar)
        out._minutes = minutes.astype(float).copy()
        out._competency = self._competency
        out._relative_times = self._relative_times  # same matrix, same lookup
        return out

    def _relative(self, task: str, role: str, what: str) -> float:
        comp = self._competency
        if role not in known_roles():
            raise ConfigError(
                f"{what}: unknown role {role!r}; roles are {', '.join(known_roles())}."
            )
        if task not in task_codes():
            raise ConfigError(f"{what}: unknown task {task!r}.")
        if self._relative_times is None:
            self._relative_times = {
                (str(t), str(r)): float(x)
                for t, r, x in zip(comp["task"], comp["role"], comp["relative_time"], strict=True)
            }
        rel = self._relative_times.get((task, role))
        if rel is None:
            able = comp.loc[comp["task"] == task, "role"].tolist()
            raise ConfigError(
                f"{what}: role {role!r} is not competent for task {task!r} in the competency "
                f"matrix; roles that are: {', '.join(able) or 'none'}. Choose one of them or add "
                "a row to the matrix (task, role, relative_time)."
            )
        return rel

    def _mask(self, task: str, role: str | None, what: str) -> np.ndarray:
        if task not in task_codes():
            raise ConfigError(f"{what}: unknown task {task!r}.")
        if role is not None and role not in known_roles():
            raise ConfigError(
                f"{what}: unknown role {role!r}; roles are {', '.join(known_roles())}."
            )
        mask = (self._table["task"] == task).to_numpy()
        if role is not None:
            mask = mask & (self._table["role"] == role).to_numpy()
        if not (self._table.loc[mask, "units"] > 0).any():
            who = f" by {role}" if role else ""
            raise ConfigError(f"{what}: there is no demand for task {task!r}{who} to change.")
        return mask

    def _keys(self, by: str | Sequence[str]) -> list[str]:
        keys = [by] if isinstance(by, str) else list(by)
        allowed = [c for c in ("group", "week", "task", "role", "source") if c in self._table]
        bad = [k for k in keys if k not in allowed]
        if bad:
            raise ConfigError(f"by: unknown column(s) {', '.join(bad)}; use {', '.join(allowed)}.")
        return keys

    @staticmethod
    def _check_value(value: str) -> None:
        if value not in ("hours", "units"):
            raise ConfigError(f"value: expected 'hours' or 'units'; found {value!r}.")

    def __repr__(self) -> str:
        hours = self._table["hours"].sum() / self.weeks if len(self._table) else 0.0
        return (
            f"Demand({len(self._calendar)} weeks from {self._calendar['week'].iloc[0].date()}, "
            f"{self._table['task'].nunique()} tasks, {hours:,.1f} hours a week)"
        )


def _relative_time(comp: pd.DataFrame, task_codes: list[str], roles: list[str]) -> np.ndarray:
    rel = comp.pivot(index="task", columns="role", values="relative_time")
    return rel.reindex(index=task_codes, columns=roles).to_numpy(dtype=float)


def _group_codes(
    appointments: pd.DataFrame, by: str, practices: pd.DataFrame | None
) -> tuple[np.ndarray, list[str]]:
    """Each row's group (practice or PCN) as a code, and the sorted group names.

    Codes are found by hashing the (few) distinct values once, never by sorting every row.
    """
    if by not in ("practice_code", "pcn_code"):
        raise ConfigError(f"by: expected None, 'practice_code' or 'pcn_code'; found {by!r}.")
    direct = by in appointments.columns
    if not direct:
        check_columns(appointments, ["practice_code"], "appointments")
        if practices is None:
            raise ConfigError(
                "by='pcn_code': appointments have no pcn_code column; pass practices= (the "
                "practices table) so each practice can be mapped to its PCN."
            )
        check_columns(practices, ["practice_code", "pcn_code"], "practices")
    column = appointments[by if direct else "practice_code"]
    codes, uniq = pd.factorize(column)
    if (codes < 0).any():
        raise DataError(
            f"appointments: {int((codes < 0).sum()):,} row(s) have no {by if direct else 'practice_code'}."
        )
    values = [str(u) for u in uniq]
    if not direct:
        lookup = dict(
            zip(
                practices["practice_code"].astype(str),
                practices["pcn_code"].astype(str),
                strict=True,
            )
        )
        unknown = [v for v in values if v not in lookup]
        if unknown:
            raise DataError(
                f"appointments: practice_code(s) {', '.join(unknown[:5])} are not in the practices "
                "table; add them there or drop those appointments."
            )
        values = [lookup[v] for v in values]
    groups = sorted(set(values))
    position = np.array([groups.index(v) for v in values], dtype=np.int64)
    return position[codes], groups
