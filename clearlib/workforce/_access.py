"""Access: what a capacity profile does to waits for same-day and routine appointments.

A discrete-time queue, one step per working day, simulated many times over:

* each day, same-day and routine requests arrive (Poisson, with a mean by weekday);
* the day's appointment slots (the capacity profile) go first to same-day requests, including
  any left over from earlier days (who then wait a day or more);
* the slots left go to routine requests, first come first served;
* a request's wait is the working days from its request to its appointment.

Why not SimPy or ciw? Booking is by the day, not by the minute, and a first-come-first-served
queue with daily capacity is exactly the Lindley recursion Q(d) = max(0, Q(d−1) + arrivals(d)
− slots(d)), which numpy solves for every day and every replication at once with cumulative
sums (Q = X − min(0, running minimum of X), X the cumulative arrivals − slots). An
event-by-event library would add a dependency and be hundreds of times slower for a year of a
PCN's ~500 requests a day, without modelling anything more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError
from clearlib.workforce._capacity import Capacity
from clearlib.workforce._checks import check_columns

__all__ = ["AccessResult", "requests_per_day", "simulate_access", "slots_per_day"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
#: Working days in two weeks: the national "within two weeks" measure (FACTS.md §5: 82%).
TWO_WEEKS = 10


@dataclass(frozen=True)
class AccessResult:
    """Waits under a capacity profile, averaged over replications.

    Attributes
    ----------
    summary : Series
        ``utilisation`` (requests / slots), ``stable`` (utilisation below 1: queues do not grow
        without limit), ``same_day_seen_same_day`` (share), ``same_day_mean_wait``,
        ``routine_mean_wait``, ``routine_median_wait``, ``routine_p90_wait`` (working days),
        ``routine_within_two_weeks`` (share seen within 10 working days),
        ``routine_beyond_max_wait`` (share still waiting after ``max_wait`` days) and
        ``routine_backlog_end`` (requests waiting on the last day).
    waits : DataFrame
        Working days waited (0 to ``max_wait``) down: share of ``same_day`` and ``routine``
        requests that waited exactly that long.
    daily : DataFrame
        One row per simulated working day after warm-up: ``day``, ``weekday``, mean requests,
        slots, seen and waiting at the end of the day, for each kind.
    """

    summary: pd.Series
    waits: pd.DataFrame
    daily: pd.DataFrame

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.summary.to_frame("value")._repr_html_()


def _profile(value: Any, n_days: int, name: str) -> np.ndarray:
    """A scalar, a Mon–Fri profile (repeated) or one value per day → an array of n_days."""
    if isinstance(value, Mapping):
        missing = [d for d in WEEKDAYS if d not in value]
        if missing:
            raise ConfigError(
                f"{name}: a weekday profile needs {', '.join(WEEKDAYS)}; missing {missing}."
            )
        value = [value[d] for d in WEEKDAYS]
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.size == 1:
        out = np.full(n_days, float(arr[0]))
    elif arr.size == 5:
        out = np.tile(arr, n_days // 5 + 1)[:n_days]
    elif arr.size == n_days:
        out = arr.copy()
    else:
        raise ConfigError(
            f"{name}: expected one number, five (Mon–Fri) or one per day ({n_days}); found {arr.size}."
        )
    if not np.isfinite(out).all() or (out < 0).any():
        raise ConfigError(
            f"{name}: expected numbers 0 or more; found {out[(~np.isfinite(out)) | (out < 0)][:3]}."
        )
    return out


def _lindley(arrivals: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Queue at the end of each day and number served each day (FIFO, daily capacity)."""
    x = np.cumsum(arrivals - capacity, axis=-1)
    queue = x - np.minimum(0.0, np.minimum.accumulate(x, axis=-1))
    before = np.concatenate([np.zeros((*queue.shape[:-1], 1)), queue[..., :-1]], axis=-1)
    served = before + arrivals - queue
    return queue, served


def _wait_cdf(
    arrivals: np.ndarray, served: np.ndarray, days: np.ndarray, max_wait: int
) -> np.ndarray:
    """Share of the requests arriving on ``days`` seen within w days, w = 0..max_wait."""
    cum_a = np.cumsum(arrivals, axis=-1)
    cum_s = np.cumsum(served, axis=-1)
    before = cum_a[..., days] - arrivals[..., days]
    a = arrivals[..., days]
    total = a.sum()
    out = np.empty(max_wait + 1)
    for w in range(max_wait + 1):
        seen = np.clip(cum_s[..., days + w] - before, 0.0, a)
        out[w] = seen.sum() / total if total > 0 else 1.0
    return out


def simulate_access(
    same_day: float | Sequence[float] | Mapping[str, float],
    routine: float | Sequence[float] | Mapping[str, float],
    slots: float | Sequence[float] | Mapping[str, float],
    *,
    weeks: int = 52,
    warmup_weeks: int = 4,
    reps: int = 100,
    max_wait: int = 40,
    random_state: int | None = 0,
) -> AccessResult:
    """Simulate waits for same-day and routine appointments under a capacity profile.

    Parameters
    ----------
    same_day, routine : float, five numbers (Mon–Fri) or one per day
        Mean requests a working day (Poisson arrivals).
    slots : float, five numbers (Mon–Fri) or one per day
        Appointment slots a working day (the capacity profile).
    weeks : int, default 52
        Weeks measured (five working days each), after ``warmup_weeks`` from empty queues.
    reps : int, default 100
        Independent replications (the answer is their average).
    max_wait : int, default 40
        Longest wait tracked, in working days; longer waits are reported as a share.
    random_state : int or None, default 0
        Seed for the arrivals.

    Returns
    -------
    AccessResult

    Examples
    --------
    Ten same-day and twenty routine requests a day for 40 slots: nobody waits long.

    >>> r = simulate_access(10, 20, 40, weeks=10, reps=20)
    >>> float(r.summary["same_day_seen_same_day"]), round(float(r.summary["utilisation"]), 2)
    (1.0, 0.75)
    """
    for name, v, low in (
        ("weeks", weeks, 1),
        ("warmup_weeks", warmup_weeks, 0),
        ("reps", reps, 1),
        ("max_wait", max_wait, 0),
    ):
        if not isinstance(v, int | np.integer) or v < low:
            raise ConfigError(f"{name}: expected a whole number of {low} or more; found {v!r}.")
    start = 5 * warmup_weeks
    n_measure = 5 * weeks
    n_days = start + n_measure + max_wait
    mean_s = _profile(same_day, n_days, "same_day")
    mean_r = _profile(routine, n_days, "routine")
    cap = _profile(slots, n_days, "slots")
    rng = np.random.default_rng(random_state)
    a_s = rng.poisson(mean_s, size=(reps, n_days)).astype(float)
    a_r = rng.poisson(mean_r, size=(reps, n_days)).astype(float)
    q_s, seen_s = _lindley(a_s, np.broadcast_to(cap, a_s.shape))
    left = cap - seen_s
    q_r, seen_r = _lindley(a_r, left)

    days = np.arange(start, start + n_measure)
    cdf_s = _wait_cdf(a_s, seen_s, days, max_wait)
    cdf_r = _wait_cdf(a_r, seen_r, days, max_wait)
    pmf = pd.DataFrame(
        {"same_day": np.diff(cdf_s, prepend=0.0), "routine": np.diff(cdf_r, prepend=0.0)},
        index=pd.RangeIndex(max_wait + 1, name="wait_days"),
    )

    def percentile(cdf: np.ndarray, q: float) -> float:
        hit = np.flatnonzero(cdf >= q - 1e-12)
        return float(hit[0]) if len(hit) else np.nan

    window = slice(start, start + n_measure)
    requests = mean_s[window].sum() + mean_r[window].sum()
    capacity = cap[window].sum()
    utilisation = requests / capacity if capacity > 0 else np.inf
    summary = pd.Series(
        {
            "utilisation": utilisation,
            "stable": bool(utilisation < 1),
            "same_day_seen_same_day": float(cdf_s[0]),
            "same_day_mean_wait": float((1 - cdf_s[:-1]).sum()),
            "routine_mean_wait": float((1 - cdf_r[:-1]).sum()),
            "routine_median_wait": percentile(cdf_r, 0.5),
            "routine_p90_wait": percentile(cdf_r, 0.9),
            "routine_within_two_weeks": float(cdf_r[min(TWO_WEEKS, max_wait)]),
            "routine_beyond_max_wait": float(1 - cdf_r[-1]),
            "routine_backlog_end": float(q_r[:, start + n_measure - 1].mean()),
        },
        dtype=object,
    )
    daily = pd.DataFrame(
        {
            "day": np.arange(n_measure),
            "weekday": np.asarray(WEEKDAYS, dtype=object)[days % 5],
            "same_day_requests": a_s[:, window].mean(axis=0),
            "routine_requests": a_r[:, window].mean(axis=0),
            "slots": cap[window],
            "same_day_seen": seen_s[:, window].mean(axis=0),
            "routine_seen": seen_r[:, window].mean(axis=0),
            "same_day_waiting": q_s[:, window].mean(axis=0),
            "routine_waiting": q_r[:, window].mean(axis=0),
        }
    )
    return AccessResult(summary=summary, waits=pmf, daily=daily)


def requests_per_day(
    appointments: pd.DataFrame,
    *,
    roles: Iterable[str] | None = None,
    statuses: Iterable[str] = ("attended", "dna"),
) -> pd.DataFrame:
    """Mean same-day and routine requests per open weekday, from appointments.

    A request is a booked appointment (attended or not); it is *same-day* when it was booked
    on the day it took place, *routine* otherwise.

    Parameters
    ----------
    appointments : DataFrame
        ``start``, ``booked_on``, ``status`` (and ``role`` to select roles).
    roles : iterable of str, optional
        Only these roles' appointments (e.g. ``["gp"]`` for GP access).

    Returns
    -------
    DataFrame
        Mon–Fri down: ``same_day``, ``routine``, ``total`` (mean a day, over open days).

    Examples
    --------
    >>> appts = pd.DataFrame({"start": pd.to_datetime(["2025-01-06 09:00", "2025-01-06 10:00"]),
    ...                       "booked_on": pd.to_datetime(["2025-01-06", "2024-12-20"]),
    ...                       "status": ["attended", "attended"]})
    >>> requests_per_day(appts).loc["Mon"].tolist()
    [1.0, 1.0, 2.0]
    """
    check_columns(appointments, ["start", "booked_on", "status"], "appointments")
    a = appointments
    if roles is not None:
        check_columns(a, ["role"], "appointments")
        a = a[a["role"].isin(list(roles))]
    a = a[a["status"].isin(list(statuses))]
    day = pd.to_datetime(a["start"]).dt.normalize()
    same = (pd.to_datetime(a["booked_on"]).dt.normalize() == day).to_numpy()
    counts = pd.DataFrame({"day": day.to_numpy(), "same_day": same, "routine": ~same})
    per_day = counts.groupby("day")[["same_day", "routine"]].sum()
    per_day = per_day[per_day.index.day_of_week < 5]
    out = per_day.groupby(per_day.index.day_of_week).mean().reindex(range(5), fill_value=0.0)
    out.index = pd.Index(WEEKDAYS, name="weekday")
    out = out.astype(float)
    out["total"] = out["same_day"] + out["routine"]
    return out


def slots_per_day(
    capacity: Capacity,
    *,
    minutes: float | Mapping[str, float] = 10.0,
    roles: Iterable[str] | None = None,
    share: float = 1.0,
) -> float:
    """Appointment slots a working day from clinical hours: hours a week × 60 / minutes / 5.

    Parameters
    ----------
    capacity : Capacity
    minutes : float or mapping, default 10
        Minutes per slot (FACTS.md §5: 83% of practices book 10-minute GP slots), or a
        mapping role → minutes.
    roles : iterable of str, optional
        Only these roles (default every role with a slot length when ``minutes`` is a mapping,
        else every role).
    share : float, default 1.0
        Share of clinical time given to bookable appointments.

    Examples
    --------
    >>> cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}))
    >>> round(slots_per_day(cap), 2)  # 19.575 hours × 60 / 10 / 5
    23.49
    """
    hours = capacity.per_week()
    if roles is not None:
        hours = hours.reindex(list(roles), fill_value=0.0)
    if isinstance(minutes, Mapping):
        m = pd.Series(dict(minutes), dtype=float)
        hours = hours[hours.index.isin(m.index)]
        per_slot = m.reindex(hours.index).to_numpy()
    else:
        per_slot = np.full(len(hours), float(minutes))
    if (per_slot <= 0).any() or not 0 <= share <= 1:
        raise ConfigError("slots_per_day: minutes must be above 0 and share from 0 to 1.")
    return float((hours.to_numpy() * 60.0 / per_slot).sum() * share / 5.0)
