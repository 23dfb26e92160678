"""The causal population model: people, conditions, frailty, medicines, activity, hospital use.

Each step takes numpy arrays for one practice's people and a seeded ``numpy.random.Generator``
and returns new arrays. Dependencies run one way, as in life:

    age, sex, deprivation, latent health z
      → smoking → QOF conditions → care home, housebound, living alone
      → frailty propensity → repeat medicines → eFI deficits (incl. polypharmacy)
      → death and leaving the practice
      → GP appointments (rate from age, conditions, frailty, deprivation)
      → hospital events (rate from age, frailty, conditions, deprivation, care home)

Dates are whole days since 1970-01-01 (``int64``) until the tables are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from clearlib import reference

DAY0 = np.datetime64("1970-01-01", "D")
YEAR = 365.25


def day(d: date | str) -> int:
    """Whole days since 1970-01-01."""
    return int((np.datetime64(str(d), "D") - DAY0).astype(int))


def interp(
    x: np.ndarray, knots_x: list[float], knots_y: list[float], log: bool = False
) -> np.ndarray:
    """Piecewise-linear interpolation (in log space when ``log``), flat beyond the knots."""
    if log:
        return np.exp(np.interp(x, knots_x, np.log(knots_y)))
    return np.interp(x, knots_x, knots_y)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)) (scipy's ``expit``: stable and fast)."""
    from scipy.special import expit

    return expit(x)


REGISTER_CODES = tuple(reference.conditions()["code"])
MIN_AGE = dict(zip(reference.conditions()["code"], reference.conditions()["min_age"], strict=True))
REGISTER_DEFICIT = {
    r.code: r.efi_deficit for r in reference.conditions().itertuples() if r.efi_deficit
}
DEFICIT_CODES = tuple(reference.efi_deficits()["code"])
DEFICIT_INDEX = {c: i for i, c in enumerate(DEFICIT_CODES)}
ROLE_CODES = tuple(reference.roles()["code"])
AGE_KNOTS = [0, 20, 40, 60, 80, 100]
SMOKING_LOGODDS = {  # (current, ex): smoking drives these registers
    "COPD": (1.6, 1.0),
    "PAD": (0.9, 0.5),
    "CHD": (0.45, 0.25),
    "CAN": (0.35, 0.2),
    "STIA": (0.35, 0.2),
}


@dataclass
class Window:
    start: int
    end: int

    @property
    def days(self) -> int:
        return self.end - self.start + 1


def window_of(params: dict[str, Any]) -> Window:
    return Window(day(params["window"]["start"]), day(params["window"]["end"]))


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------
def age_band_weights(params: dict[str, Any], share_65_plus: float) -> np.ndarray:
    """Five-year band weights for a practice whose list has the given 65+ share."""
    w = np.asarray(params["age"]["band_shares"], dtype=float)
    w = w / w.sum()
    old = np.arange(len(w)) >= 13
    w[old] *= share_65_plus / w[old].sum()
    w[~old] *= (1 - share_65_plus) / w[~old].sum()
    return w


def leave_probability(params: dict[str, Any], age: np.ndarray, years: float) -> np.ndarray:
    """Probability of dying or leaving within ``years``, by age alone (frailty comes later)."""
    m = params["mortality"]
    q = interp(age, m["knots_age"], m["knots_annual_prob"], log=True)
    dereg = params["registration"]["deregistration_rate"] * np.where(
        (age >= 18) & (age < 40), 1.6, 0.8
    )
    return 1 - (1 - q) ** years * (1 - dereg) ** years


def draw_people(
    params: dict[str, Any],
    rng: np.random.Generator,
    n_list: int,
    practice_decile: int,
    share_65_plus: float,
    rurality: str,
    window: Window,
) -> dict[str, np.ndarray]:
    """People ever registered in the window: about ``n_list`` still registered at its end."""
    years = window.days / YEAR
    w = age_band_weights(params, share_65_plus)
    mid = np.arange(19) * 5 + 2.5
    leave = leave_probability(params, mid, years)
    pool_w = w / (1 - leave)
    n = round(n_list * pool_w.sum())
    band = rng.choice(19, size=n, p=pool_w / pool_w.sum())
    width = np.where(band == 18, 9.0, 5.0)
    age = band * 5 + rng.random(n) * width  # age at the window's end, had they lived
    birth = window.end - np.floor(age * YEAR).astype(np.int64)
    age = (window.end - birth) / YEAR

    s = params["sex"]
    kx = [0, 64.9, *[float(k) for k in s["male_share_by_age"]]]
    ky = [s["male_share_under_65"], s["male_share_under_65"], *s["male_share_by_age"].values()]
    male = rng.random(n) < np.interp(age, kx, ky)

    d = params["deprivation"]
    imd = np.clip(np.round(practice_decile + rng.normal(0, d["patient_spread_sd"], n)), 1, 10)
    imd = imd.astype(np.int8)
    dep = (5.5 - imd) / 4.5  # +1 most deprived, -1 least

    e = params["ethnicity"]["shares"]
    groups = list(e)
    base = np.asarray(list(e.values()))
    tilt = np.where(imd <= 3, 2.0, 1.0) * {"urban": 1.3, "town": 0.8, "rural": 0.45}[rurality]
    nonwhite = np.clip((1 - base[0]) * tilt, 0, 0.9)
    u = rng.random(n)
    cum_other = np.cumsum(base[1:]) / base[1:].sum()
    eth = np.where(u < 1 - nonwhite, 0, 1 + np.searchsorted(cum_other, rng.random(n)))
    eth = np.minimum(eth, len(groups) - 1)

    people = {
        "age": age,
        "birth": birth,
        "male": male,
        "imd": imd,
        "dep": dep,
        "z": rng.standard_normal(n),
        "ethnicity": eth.astype(np.int8),
    }
    people["ethnicity_labels"] = np.asarray(groups)
    draw_lifestyle(params, rng, people)
    return people


def draw_lifestyle(
    params: dict[str, Any], rng: np.random.Generator, p: dict[str, np.ndarray]
) -> None:
    ls = params["lifestyle"]
    n = len(p["age"])
    adult = p["age"] >= 16
    k = np.log(ls["smoking_deprivation_ratio"]) / 2
    cur = (
        ls["smoking_current"]
        * np.exp(k * p["dep"])
        / np.cosh(k)
        * np.where(p["age"] > 70, 0.6, 1.0)
    )
    ex = ls["smoking_ex"] * np.clip((p["age"] - 16) / 40, 0.2, 1.4)
    u = rng.random(n)
    smoking = np.where(~adult, 0, np.where(u < cur, 2, np.where(u < cur + ex, 1, 0)))
    p["smoking"] = smoking.astype(np.int8)  # 0 never, 1 ex, 2 current


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------
def condition_logit_parts(
    params: dict[str, Any], p: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Everything in each register's log-odds but the solved intercept and deprivation slope."""
    regs = params["conditions"]["registers"]
    out = {}
    for code in REGISTER_CODES:
        r = regs[code]
        x = np.interp(p["age"], AGE_KNOTS, r["age_logodds"])
        x = x + r["male"] * p["male"] + r["z_loading"] * p["z"]
        if code in SMOKING_LOGODDS:
            cur, ex = SMOKING_LOGODDS[code]
            x = x + np.where(p["smoking"] == 2, cur, np.where(p["smoking"] == 1, ex, 0.0))
        x = np.where(p["age"] >= MIN_AGE[code], x, -np.inf)
        out[code] = x
    return out


def systematic_sample(rng: np.random.Generator, prob: np.ndarray) -> np.ndarray:
    """Select people with the given inclusion probabilities, keeping the total near its mean.

    Systematic PPS sampling in a random order: each person is selected with exactly their
    probability, but the number selected is always within one of ``prob.sum()``, so small
    registers in a small population do not wander from their calibrated prevalence by chance.
    """
    order = rng.permutation(len(prob))
    cum = np.cumsum(prob[order]) + rng.random()
    hits = np.diff(np.floor(cum), prepend=np.floor(cum[0] - prob[order][0])) > 0
    out = np.zeros(len(prob), dtype=bool)
    out[order] = hits
    return out


def draw_conditions(
    parts: dict[str, np.ndarray], coef: dict[str, tuple[float, float]], dep: np.ndarray, rng
) -> np.ndarray:
    """A boolean matrix, people × registers."""
    n = len(dep)
    has = np.zeros((n, len(REGISTER_CODES)), dtype=bool)
    for j, code in enumerate(REGISTER_CODES):
        a, b = coef[code]
        has[:, j] = systematic_sample(rng, sigmoid(parts[code] + a + b * dep))
    return has


# ---------------------------------------------------------------------------------------------
# Households and frailty
# ---------------------------------------------------------------------------------------------
def age_band(age: np.ndarray) -> np.ndarray:
    """Five-year age band index, 0 (0-4) to 18 (90+)."""
    return np.clip((np.asarray(age) // 5).astype(np.int64), 0, 18)


def draw_households(
    params: dict[str, Any],
    rng,
    p: dict[str, np.ndarray],
    has: np.ndarray,
    care_home_beds: int,
    turnover: float = 1.0,
) -> None:
    """Care home, housebound, living alone and carer flags.

    ``turnover`` is how many residents pass through a bed in the window for each one still
    there at its end (residents who die are replaced), so the beds are full at the extract date.
    """
    h = params["households"]
    n = len(p["age"])
    age = p["age"]
    dem = has[:, REGISTER_CODES.index("DEM")]
    care = np.zeros(n, dtype=bool)
    residents = round(care_home_beds * h["care_home_occupancy"] * turnover)
    eligible = np.flatnonzero(age >= h["care_home_knots_age"][0])
    if residents and len(eligible):
        w = interp(age[eligible], h["care_home_knots_age"], h["care_home_knots_weight"], log=True)
        w = w * np.exp(0.5 * p["z"][eligible] + h["care_home_dementia_logodds"] * dem[eligible])
        w = w * np.where(p["male"][eligible], 1.0, h["care_home_female_ratio"])
        k = min(residents, len(eligible))
        chosen = rng.choice(eligible, size=k, replace=False, p=w / w.sum())
        care[chosen] = True
    hb = interp(age, h["housebound_knots_age"], h["housebound_knots_prob"], log=True)
    hb = np.clip(hb * np.exp(0.7 * p["z"] + 0.6 * dem - 0.25), 0, 0.9)
    housebound = (rng.random(n) < hb) & ~care
    alone_p = np.where(
        age >= 65, h["lives_alone_65_plus"], np.where(age >= 18, h["lives_alone_under_65"], 0)
    )
    lives_alone = (rng.random(n) < alone_p) & ~care
    carer = (rng.random(n) < h["carer_adult_share"] * ((age >= 18) & (age < 85))) & ~care
    p.update(care_home=care, housebound=housebound, lives_alone=lives_alone, carer=carer)


def frailty_log_propensity(
    params: dict[str, Any], p: dict[str, np.ndarray], n_ltc: np.ndarray
) -> np.ndarray:
    c = params["frailty"]["propensity"]
    return (
        c["age_per_decade"] * (np.minimum(p["age"], 100) - 75) / 10
        + c["z"] * p["z"]
        + c["per_condition"] * n_ltc
        + c["deprivation"] * p["dep"]
        + c["care_home"] * p["care_home"]
        + c["housebound"] * p["housebound"]
    )


def other_deficit_matrix(
    params: dict[str, Any], logf: np.ndarray, scale: float, u: np.ndarray
) -> np.ndarray:
    """Which of the 'other' deficits each person has, given uniform draws ``u`` (people × deficits)."""
    w = np.asarray(list(params["frailty"]["other_deficits"].values()))
    rate = scale * np.exp(logf)[:, None] * w[None, :]
    return u < -np.expm1(-rate)


# ---------------------------------------------------------------------------------------------
# Medicines
# ---------------------------------------------------------------------------------------------
def medicine_classes(params: dict[str, Any]) -> tuple[str, ...]:
    m = params["medications"]
    names = {c for pairs in m["by_condition"].values() for c, _ in pairs}
    return tuple(sorted(names | set(m["other_classes"])))


# ---------------------------------------------------------------------------------------------
# Appointments: role mix, modes and categories
# ---------------------------------------------------------------------------------------------
CATEGORIES = tuple(reference.appointment_categories()["code"])
ACUTE_CATEGORIES = {
    "general_acute",
    "clinical_triage",
    "unplanned_activity",
    "walk_in",
    "home_visit",
    "care_home_visit",
}
ROLE_CATEGORIES: dict[str, dict[str, float]] = {
    "gp": {
        "general_acute": 0.36,
        "general_routine": 0.29,
        "clinical_triage": 0.23,
        "unplanned_activity": 0.04,
        "planned_clinics": 0.03,
        "non_contractual": 0.01,
        "walk_in": 0.02,
        "external_service": 0.02,
    },
    "practice_nurse": {
        "planned_clinics": 0.45,
        "planned_procedure": 0.30,
        "general_routine": 0.14,
        "general_acute": 0.05,
        "group_consultation": 0.02,
        "walk_in": 0.02,
        "external_service": 0.02,
    },
    "hca": {"planned_procedure": 0.65, "planned_clinics": 0.25, "general_routine": 0.10},
    "nursing_associate": {"planned_procedure": 0.60, "planned_clinics": 0.40},
    "clinical_pharmacist": {
        "medication_review": 0.60,
        "planned_clinics": 0.25,
        "general_routine": 0.15,
    },
    "pharmacy_technician": {"medication_review": 0.50, "planned_clinics": 0.50},
    "advanced_practitioner": {
        "general_acute": 0.55,
        "clinical_triage": 0.30,
        "general_routine": 0.15,
    },
    "physician_associate": {
        "general_acute": 0.55,
        "clinical_triage": 0.20,
        "general_routine": 0.25,
    },
    "paramedic": {"general_acute": 0.60, "clinical_triage": 0.25, "unplanned_activity": 0.15},
    "fcp": {"general_routine": 0.60, "general_acute": 0.40},
    "mental_health_practitioner": {"general_routine": 0.70, "general_acute": 0.30},
    "splw": {"social_prescribing": 0.90, "group_consultation": 0.10},
    "health_wellbeing_coach": {"social_prescribing": 0.70, "group_consultation": 0.30},
    "care_coordinator": {"planned_clinics": 0.55, "general_routine": 0.45},
    "dietitian": {"planned_clinics": 0.80, "general_routine": 0.10, "group_consultation": 0.10},
    "podiatrist": {"planned_clinics": 0.80, "planned_procedure": 0.20},
    "occupational_therapist": {"planned_clinics": 0.80, "general_routine": 0.20},
}
HOME_VISITING_ROLES = {
    "gp",
    "practice_nurse",
    "hca",
    "nursing_associate",
    "advanced_practitioner",
    "paramedic",
    "care_coordinator",
    "clinical_pharmacist",
    "occupational_therapist",
    "podiatrist",
}
BANK_HOLIDAYS = (
    "2024-04-01",  # Easter Monday
    "2024-05-06",
    "2024-05-27",
    "2024-08-26",
    "2024-12-25",
    "2024-12-26",
    "2025-01-01",
    "2025-04-18",
    "2025-04-21",
    "2025-05-05",
    "2025-05-26",
    "2025-08-25",
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-03",
    "2026-04-06",
)


def day_weights(params: dict[str, Any], window: Window, weekdays_only: bool = True) -> np.ndarray:
    """Relative demand on each day of the window (0 when the practice is closed)."""
    s = params["appointments"]["seasonality"]
    days = np.arange(window.start, window.end + 1)
    d64 = DAY0 + days
    month = (d64.astype("datetime64[M]").astype(int) % 12 + 9) % 12  # April = 0
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    w = np.asarray(s["month"])[month]
    if weekdays_only:
        wd = np.asarray(s["weekday"] + [0.0, 0.0])
        w = w * wd[weekday]
        hol = np.isin(d64, np.asarray(BANK_HOLIDAYS, dtype="datetime64[D]"))
        w[hol] = 0.0
    cal_month = d64.astype("datetime64[M]").astype(int) % 12 + 1
    day_of_month = (d64 - d64.astype("datetime64[M]")).astype(int) + 1
    xmas = (cal_month == 12) & (day_of_month >= 22)
    w[xmas] *= s["christmas_week"]
    return w


def sample_days(
    rng, weights: np.ndarray, window: Window, lo: np.ndarray, hi: np.ndarray, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``k[i]`` days for each person in [lo[i], hi[i]] with the given day weights.

    Returns (owner index, day) for every drawn event. People whose interval holds no open day
    get none.
    """
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    a = cum[np.clip(lo - window.start, 0, window.days)]
    b = cum[np.clip(hi - window.start + 1, 0, window.days)]
    k = np.where(b > a, k, 0)
    owner = np.repeat(np.arange(len(k)), k)
    u = a[owner] + rng.random(len(owner)) * (b - a)[owner]
    idx = np.searchsorted(cum, u, side="right") - 1
    return owner, window.start + np.clip(idx, 0, window.days - 1)
