"""Access: the vectorised daily queue against hand-worked days and a request-by-request loop."""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd
import pytest

from clearlib import ConfigError
from clearlib.workforce import Capacity, requests_per_day, simulate_access, slots_per_day
from clearlib.workforce._access import _lindley, _wait_cdf


def test_lindley_by_hand():
    """5 a day against 3, 3 then 10 slots: 2 then 4 waiting, all seen on day 3."""
    queue, served = _lindley(np.array([5.0, 5, 5]), np.array([3.0, 3, 10]))
    assert queue.tolist() == [2, 4, 0]
    assert served.tolist() == [3, 3, 9]


def test_wait_distribution_by_hand():
    """Day 0: 4 arrive, 2 seen that day, 2 the next: half wait 0 days, half 1."""
    arrivals = np.array([4.0, 0, 0])
    served = np.array([2.0, 2, 0])
    cdf = _wait_cdf(arrivals, served, np.array([0]), max_wait=2)
    assert cdf.tolist() == [0.5, 1.0, 1.0]


def _loop(a_s, a_r, cap, days, max_wait):
    """Request by request: same-day first (oldest first), then routine, first come first served."""
    q_s, q_r = deque(), deque()
    waits = {"s": [], "r": []}
    for d in range(len(cap)):
        q_s.extend([d] * int(a_s[d]))
        q_r.extend([d] * int(a_r[d]))
        c = int(cap[d])
        for q, key in ((q_s, "s"), (q_r, "r")):
            while c > 0 and q:
                arrived = q.popleft()
                waits[key].append((arrived, d - arrived))
                c -= 1
    out = {}
    for key, a in (("s", a_s), ("r", a_r)):
        w = np.array([wait for arrived, wait in waits[key] if arrived in days])
        total = a[days].sum()
        out[key] = np.array([(w <= k).sum() / total for k in range(max_wait + 1)])
    return out


def test_vectorised_queue_matches_a_request_by_request_loop():
    """Random arrivals: the cumulative-sum queue gives the same waits as a simple loop."""
    rng = np.random.default_rng(3)
    n, max_wait = 120, 15
    a_s = rng.poisson(12, n).astype(float)
    a_r = rng.poisson(9, n).astype(float)
    cap = rng.integers(15, 26, n).astype(float)
    days = np.arange(10, n - max_wait)
    _, seen_s = _lindley(a_s, cap)
    _, seen_r = _lindley(a_r, cap - seen_s)
    expected = _loop(a_s, a_r, cap, days, max_wait)
    assert _wait_cdf(a_s, seen_s, days, max_wait) == pytest.approx(expected["s"])
    assert _wait_cdf(a_r, seen_r, days, max_wait) == pytest.approx(expected["r"])


def test_plenty_of_capacity_means_no_waits():
    """30 requests a day for 100 slots: everyone is seen the day they ask."""
    r = simulate_access(10, 20, 100, weeks=8, reps=10)
    s = r.summary
    assert s["utilisation"] == pytest.approx(0.3)
    assert s["stable"] and s["same_day_seen_same_day"] == 1.0
    assert s["routine_mean_wait"] == 0.0 and s["routine_within_two_weeks"] == 1.0
    assert r.waits["routine"].sum() == pytest.approx(1.0)
    assert len(r.daily) == 40


def test_no_capacity_for_routine_work():
    """With no slots, every routine request is still waiting after max_wait days."""
    s = simulate_access(0, 5, 0, weeks=4, reps=5, max_wait=10).summary
    assert s["routine_beyond_max_wait"] == 1.0
    assert not s["stable"]
    assert np.isnan(s["routine_median_wait"])


def test_same_day_requests_come_first():
    """Same-day requests fill the slots before routine ones: routine waits grow, same-day do not."""
    s = simulate_access(20, 10, 25, weeks=20, reps=20).summary
    assert s["same_day_seen_same_day"] > 0.95
    assert s["routine_mean_wait"] > 1.0


def test_profiles_and_seeds():
    """A Mon–Fri profile is repeated; the same seed gives the same answer; bad lengths fail."""
    profile = {"Mon": 30, "Tue": 20, "Wed": 20, "Thu": 20, "Fri": 20}
    r1 = simulate_access(profile, 0, 25, weeks=4, reps=5, random_state=1)
    r2 = simulate_access(profile, 0, 25, weeks=4, reps=5, random_state=1)
    pd.testing.assert_series_equal(r1.summary, r2.summary)
    assert r1.daily.loc[r1.daily.weekday == "Mon", "slots"].eq(25).all()
    with pytest.raises(ConfigError, match="one number, five"):
        simulate_access([1, 2, 3], 0, 10)
    with pytest.raises(ConfigError, match="0 or more"):
        simulate_access(-1, 0, 10)
    with pytest.raises(ConfigError, match="reps"):
        simulate_access(1, 0, 10, reps=0)


def test_requests_per_day_by_hand():
    """Two Mondays: 3 same-day and 1 routine request in all, so 1.5 and 0.5 a Monday."""
    appts = pd.DataFrame(
        {
            "start": pd.to_datetime(
                [
                    "2025-01-06 09:00",
                    "2025-01-06 10:00",
                    "2025-01-13 09:00",
                    "2025-01-13 11:00",
                    "2025-01-13 12:00",
                ]
            ),
            "booked_on": pd.to_datetime(
                ["2025-01-06", "2024-12-30", "2025-01-13", "2025-01-13", "2025-01-13"]
            ),
            "status": ["attended", "attended", "attended", "dna", "cancelled"],
            "role": ["gp", "gp", "gp", "gp", "gp"],
        }
    )
    r = requests_per_day(appts, roles=["gp"])
    assert r.loc["Mon"].tolist() == [1.5, 0.5, 2.0]
    assert r.loc["Tue"].tolist() == [0.0, 0.0, 0.0]


def test_slots_per_day_by_hand():
    """1.0 WTE GP: 19.575 h × 60 / 10 / 5 = 23.49 slots; a pharmacist at 30 minutes adds 7.1775."""
    cap = Capacity.from_staff(
        pd.DataFrame({"role": ["gp", "clinical_pharmacist"], "wte": [1.0, 1.0]})
    )
    assert slots_per_day(cap, roles=["gp"]) == pytest.approx(23.49)
    both = slots_per_day(cap, minutes={"gp": 10, "clinical_pharmacist": 30})
    assert both == pytest.approx(23.49 + 17.94375 * 2 / 5)
