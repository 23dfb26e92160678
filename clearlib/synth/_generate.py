"""Generate one PCN's tables from a spec: the pure, seeded core of ``clearlib.synth``.

``generate_pcn(spec, pcn_code, seed)`` returns every table of one PCN. Calibration runs once
per spec (and process) on a national reference population, so a practice's figures follow its
own age and deprivation mix rather than being forced to the national ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clearlib import reference
from clearlib._config import LARGE_TABLES, TABLES, WINDOW_START
from clearlib._exceptions import DataError
from clearlib.data._store import arrow_schema, from_arrow, to_arrow, write_parquet
from clearlib.synth import _model as m
from clearlib.synth._spec import PracticeSpec, Spec

__all__ = [
    "Calibration",
    "PCNTables",
    "calibrate",
    "generate_pcn",
    "published_quintile_ratios",
]

NONE = np.iinfo(np.int64).max  # "no date" while dates are whole days
MODES = ("face_to_face", "telephone", "video_online", "home_visit")
STATUSES = ("attended", "dna", "cancelled")
HOSPITAL_TYPES = ("ae", "emergency_admission", "elective_admission", "outpatient")
SMOKING = ("never", "ex", "current")


# ---------------------------------------------------------------------------------------------
# Published targets from the QOF table FACTS.md names (clearlib/reference/)
# ---------------------------------------------------------------------------------------------
def published_quintile_ratios(csv_path: str | None = None) -> dict[str, float]:
    """Crude prevalence in IMD deciles 1-2 over deciles 9-10, per QOF register (QOF 2019/20)."""
    from clearlib._config import REFERENCE_DIR

    path = csv_path or (REFERENCE_DIR / "qof_2019_20_prevalence_by_imd_decile.csv")
    df = pd.read_csv(path)
    df = df[df["imd_overall"].str.fullmatch(r"\d+")]  # England's deciles; Wales is listed apart
    df = df.assign(imd_overall=df["imd_overall"].astype(int))
    q1 = df[df["imd_overall"] <= 2].groupby("group_code")[["register", "list"]].sum()
    q5 = df[df["imd_overall"] >= 9].groupby("group_code")[["register", "list"]].sum()
    ratio = (q1["register"] / q1["list"]) / (q5["register"] / q5["list"])
    return {k: float(v) for k, v in ratio.items()}


# ---------------------------------------------------------------------------------------------
# Calibration on a national reference population
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Values solved so that a national-shaped population meets the spec's targets."""

    condition_coef: dict[str, tuple[float, float]]  # register -> (intercept, deprivation slope)
    frailty_scale: float
    appointment_scale: float
    dna_intercept: float
    emergency_scale: float
    ae_scale: float
    elective_scale: float
    outpatient_scale: float
    #: per five-year age band: divides the age curve's relative rate by the band's mean of the
    #: other factors (conditions, frailty, ...), so appointments by age follow ``rate_knots``
    appointment_age_adjust: tuple[float, ...] = (1.0,) * 19
    #: per five-year age band (at the window's start): the mean of the hazard ratios (frailty,
    #: palliative care, sex), so deaths by age follow the life table while frailty sorts who dies
    mortality_norm: tuple[float, ...] = (1.0,) * 19
    #: care-home residents drawn per resident still there at the extract date
    care_home_turnover: float = 1.0


REFERENCE_PER_DECILE = 12_000


def _reference_people(
    params: dict[str, Any], rng: np.random.Generator
) -> list[dict[str, np.ndarray]]:
    d = params["deprivation"]
    win = m.window_of(params)
    out = []
    for decile in range(1, 11):
        share = (
            d["share_65_plus_decile1"]
            + (d["share_65_plus_decile10"] - d["share_65_plus_decile1"]) * (decile - 1) / 9
        )
        out.append(m.draw_people(params, rng, REFERENCE_PER_DECILE, decile, share, "town", win))
    return out


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = [k for k in parts[0] if k != "ethnicity_labels"]
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _solve_condition(
    parts_r, dep, q1, q5, w1, w0, prev: float, ratio: float
) -> tuple[float, float]:
    """Intercept and deprivation slope giving the register's prevalence and quintile ratio.

    ``w1`` and ``w0`` weigh each person by their chance of still being listed at the extract
    date if they are, or are not, on the register (they differ where the register itself
    changes survival, as palliative care does).
    """

    from scipy import optimize

    # people below the register's minimum age (log-odds -inf) are never on it: they only add
    # their weight to those off it, so the solver works on the others alone
    keep = np.isfinite(parts_r)
    base, dep_k, w1_k, w0_k = parts_r[keep], dep[keep], w1[keep], w0[keep]
    groups = []
    for sel in (np.ones(len(parts_r), dtype=bool), q1, q5):
        k = sel[keep]
        groups.append((k, w1_k[k], w0_k[k], float(w0[sel & ~keep].sum()) + float(w0_k[k].sum())))

    def prevalences(p: np.ndarray) -> list[float]:
        out = []
        for k, a1, a0, off_total in groups:
            pk = p[k]
            on = float((pk * a1).sum())
            out.append(on / (on + off_total - float((pk * a0).sum())))
        return out

    def eqs(x: np.ndarray) -> list[float]:
        p = m.sigmoid(base + x[0] + x[1] * dep_k)
        whole, most, least = prevalences(p)
        return [np.log(whole / prev), np.log(most / least / ratio)]

    sol = optimize.root(eqs, x0=[-1.0, 0.1], method="hybr")
    return float(sol.x[0]), float(sol.x[1])


#: Calibrations solved or read in this process, by population digest.
_CALIBRATIONS: dict[str, Calibration] = {}

#: Spec keys that say which practices to generate; calibration does not depend on them.
_STRUCTURE_KEYS = (
    "pcns",
    "draw_practices",
    "name",
    "description",
    "seed",
    "extends",
    "path",
    "scale",
)


def population_digest(spec: Spec) -> str:
    """A hash of what calibration depends on: the population parameters and model version."""
    import json

    from clearlib.synth._spec import GENERATOR_VERSION

    population = {k: v for k, v in spec.params.items() if k not in _STRUCTURE_KEYS}
    blob = json.dumps([population, GENERATOR_VERSION], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _calibration_file(digest: str) -> Path:
    from clearlib._config import data_dir

    return data_dir() / ".calibration" / f"{digest}.json"


def _read_calibration(digest: str) -> Calibration | None:
    import json

    try:
        doc = json.loads(_calibration_file(digest).read_text(encoding="utf-8"))
        doc["condition_coef"] = {k: tuple(v) for k, v in doc["condition_coef"].items()}
        for key in ("appointment_age_adjust", "mortality_norm"):
            doc[key] = tuple(doc[key])
        return Calibration(**doc)
    except (OSError, ValueError, TypeError, KeyError):
        return None  # none yet, or unreadable: solve it again


def _write_calibration(digest: str, cal: Calibration) -> None:
    """Keep a calibration for later runs (atomically; a read-only data folder is no error)."""
    import dataclasses
    import json
    import os
    import secrets

    file = _calibration_file(digest)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.{os.getpid()}-{secrets.token_hex(4)}")
        tmp.write_text(json.dumps(dataclasses.asdict(cal)), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass


def use_calibration(spec: Spec, cal: Calibration) -> None:
    """Use ``cal`` for ``spec``'s population in this process (a worker given its parent's)."""
    _CALIBRATIONS[population_digest(spec)] = cal


def calibrate(spec: Spec) -> Calibration:
    """Solve the spec's free scales on a national reference population.

    Solved once per population: specs that differ only in their practices (the default PCN,
    a scaled copy, the ICS, a test spec) share one calibration. It is kept in this process
    and in ``<data_dir>/.calibration/`` (JSON; floats round-trip exactly), so later runs and
    worker processes do not solve it again.
    """
    digest = population_digest(spec)
    cal = _CALIBRATIONS.get(digest) or _read_calibration(digest)
    if cal is None:
        import json

        # solved on the JSON form of the population (keys sorted, dates as text), as it always
        # has been: dict order decides the order of random draws in calibration
        population = {k: v for k, v in spec.params.items() if k not in _STRUCTURE_KEYS}
        cal = _calibrate(json.loads(json.dumps(population, sort_keys=True, default=str)))
        _write_calibration(digest, cal)
    _CALIBRATIONS[digest] = cal
    return cal


def _calibrate(params: dict[str, Any]) -> Calibration:
    """Two passes: the second weights each reference person by their chance of still being
    registered at the extract date (targets are measured on the list then) and by their
    registered time in the window (rates are per person-year)."""
    rng = np.random.default_rng(12345)
    win = m.window_of(params)
    p = _concat(_reference_people(params, rng))
    n = len(p["age"])
    dep = p["dep"]
    q1, q5 = p["imd"] <= 2, p["imd"] >= 9
    ratios = published_quintile_ratios()
    parts = m.condition_logit_parts(params, p)
    regs = params["conditions"]["registers"]
    beds = round(params["households"]["reference_care_home_beds_per_1000"] * n / 1000)
    fr = params["frailty"]
    old = p["age"] >= 65
    u_cond = rng.random((n, len(m.REGISTER_CODES)))
    u_other = rng.random((n, len(fr["other_deficits"])))
    u_other[p["age"] < 18] = 1.0
    hh_seed = int(rng.integers(1 << 31))
    listed = np.ones(n)
    listed_if_pc = {True: listed, False: listed}
    exposure = np.ones(n)
    mortality_norm = np.ones(19)
    turnover = 1.0
    for _pass in range(2):
        coef = {
            code: _solve_condition(
                parts[code],
                dep,
                q1,
                q5,
                listed_if_pc[True] if code == "PC" else listed,
                listed_if_pc[False] if code == "PC" else listed,
                regs[code]["prevalence"],
                ratios[code],
            )
            for code in m.REGISTER_CODES
        }
        has = np.column_stack(
            [
                u_cond[:, j] < m.sigmoid(parts[code] + coef[code][0] + coef[code][1] * dep)
                for j, code in enumerate(m.REGISTER_CODES)
            ]
        )
        hh_rng = np.random.default_rng(hh_seed)
        m.draw_households(params, hh_rng, p, has, beds, turnover)
        n_ltc = has.sum(axis=1)
        logf = m.frailty_log_propensity(params, p, n_ltc)
        owner, _cls, stopped = _draw_medicines(params, hh_rng, p, has, logf)
        poly = np.bincount(owner[~stopped], minlength=n) >= 5
        base = _implied_deficits(params, hh_rng, p, has, poly)
        scale = _solve_frailty_scale(
            params, base[old].sum(axis=1), logf[old], u_other[old], listed[old]
        )
        others = m.other_deficit_matrix(params, logf, scale, u_other)
        n_def = base.sum(axis=1) + others.sum(axis=1)
        p["palliative"] = has[:, m.REGISTER_CODES.index("PC")]
        mortality_norm = _mortality_norm(params, p, n_def, win)
        for flag in (True, False):
            p["palliative"] = np.full(n, flag)
            d, lv = _leave_probabilities(params, p, n_def, win, mortality_norm)
            listed_if_pc[flag] = (1 - d) * (1 - lv)
        p["palliative"] = has[:, m.REGISTER_CODES.index("PC")]
        p_die, p_leave = _leave_probabilities(params, p, n_def, win, mortality_norm)
        if p["care_home"].any():
            turnover = float(1 / (1 - p_die[p["care_home"]]).mean())
        listed = (1 - p_die) * (1 - p_leave)
        exposure = (
            1 - (p_die + p_leave) / 2
        )  # leavers are registered for half the window on average

    a = params["appointments"]
    h = params["hospital"]

    def per_person_year(rel: np.ndarray) -> float:
        return float((rel * exposure).sum() / exposure.sum())

    appt_adjust = _appointment_age_adjust(params, p, n_ltc, n_def, exposure)
    appt_rel = _appointment_relative_rate(params, p, n_ltc, n_def, appt_adjust)
    appt_scale = a["per_patient_per_year"] / per_person_year(appt_rel)
    em_scale = h["emergency_admissions_per_person_year"] / per_person_year(
        _emergency_relative_rate(params, p, n_ltc, n_def)
    )
    ae_rel, el_rel, op_rel = _other_hospital_relative_rates(p, has, n_ltc)
    ae_only = (
        h["ae_per_person_year"]
        - h["ae_via_admission_share"] * h["emergency_admissions_per_person_year"]
    )

    # DNA intercept: solve on a sample of the reference population's own appointments
    sub = rng.random(n) < 0.25
    ps = {k: v[sub] for k, v in p.items()}
    lo = np.full(int(sub.sum()), win.start, dtype=np.int64)
    hi = np.full(int(sub.sum()), win.end, dtype=np.int64)
    appts = _appointments(
        params,
        rng,
        ps,
        has[sub],
        n_def[sub],
        poly[sub],
        appt_rel[sub] * appt_scale,
        lo,
        hi,
        win,
        dna_intercept=None,
    )
    from scipy import optimize

    x = appts["dna_logit"][appts["status"] != 2]
    dna_intercept = optimize.brentq(lambda b: m.sigmoid(x + b).mean() - a["dna_share"], -12, 4)
    return Calibration(
        condition_coef=coef,
        frailty_scale=scale,
        appointment_scale=float(appt_scale),
        dna_intercept=float(dna_intercept),
        emergency_scale=float(em_scale),
        ae_scale=float(ae_only / per_person_year(ae_rel)),
        elective_scale=float(h["elective_per_person_year"] / per_person_year(el_rel)),
        outpatient_scale=float(h["outpatient_per_person_year"] / per_person_year(op_rel)),
        appointment_age_adjust=tuple(float(x) for x in appt_adjust),
        mortality_norm=tuple(float(x) for x in mortality_norm),
        care_home_turnover=turnover,
    )


def _band_means(band: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of ``values`` in each of the 19 five-year bands (1 where a band is empty)."""
    total = np.bincount(band, weights=values * weights, minlength=19)
    count = np.bincount(band, weights=weights, minlength=19)
    return np.where(count > 0, total / np.where(count > 0, count, 1), 1.0)


def _appointment_age_adjust(params, p, n_ltc, n_def, exposure) -> np.ndarray:
    """Per band: the age curve's mean over the band's mean of the full relative rate."""
    band = m.age_band(p["age"])
    base = _appointment_age_sex_rate(params, p)
    full = _appointment_relative_rate(params, p, n_ltc, n_def)
    return _band_means(band, base, exposure) / _band_means(band, full, exposure)


def _mortality_norm(params, p, n_def, win) -> np.ndarray:
    """Per band at the window's start: the mean hazard ratio of the people in it."""
    age_start = np.maximum(p["age"] - win.days / m.YEAR, 0)
    rel = _mortality_hazard_ratio(params, p, n_def)
    return _band_means(m.age_band(age_start), rel, np.ones(len(rel)))


def _solve_frailty_scale(params, implied, logf, u, weight) -> float:
    """The scale of 'other' deficits that makes the fit share of people 65+ its target."""
    from scipy import optimize

    fr = params["frailty"]
    fit_max = fr["category_max_deficits"]["fit"]

    def gap(log_scale: float) -> float:
        extra = m.other_deficit_matrix(params, logf, np.exp(log_scale), u).sum(axis=1)
        fit = (implied + extra) <= fit_max
        return float((fit * weight).sum() / weight.sum()) - fr["target_shares_65_plus"]["fit"]

    return float(np.exp(optimize.brentq(gap, -12, 4, xtol=1e-4)))


# ---------------------------------------------------------------------------------------------
# Steps shared by calibration and generation
# ---------------------------------------------------------------------------------------------
def _draw_medicines(params, rng, p, has, logf):
    """Repeat medicines: (owner, class index, stopped in window) for each repeat."""
    med = params["medications"]
    classes = m.medicine_classes(params)
    cidx = {c: i for i, c in enumerate(classes)}
    owners, cls = [], []
    for code, pairs in med["by_condition"].items():
        j = m.REGISTER_CODES.index(code)
        idx = np.flatnonzero(has[:, j])
        for name, share in pairs:
            take = idx[rng.random(len(idx)) < share]
            owners.append(take)
            cls.append(np.full(len(take), cidx[name]))
    lam = m.interp(p["age"], med["other_mean_knots_age"], med["other_mean_knots"]) * np.exp(
        0.5 * np.clip(logf, -4, 3)
    )
    k = rng.poisson(lam)
    own = np.repeat(np.arange(len(k)), k)
    other = np.asarray([cidx[c] for c in med["other_classes"]])
    owners.append(own)
    cls.append(other[rng.integers(0, len(other), len(own))])
    owner = np.concatenate(owners)
    c = np.concatenate(cls)
    key = np.unique(owner.astype(np.int64) * 1000 + c)
    owner, c = (key // 1000).astype(np.int64), (key % 1000).astype(np.int64)
    stopped = rng.random(len(owner)) < med["stop_share"]
    return owner, c, stopped


def _implied_deficits(params, rng, p, has, poly) -> np.ndarray:
    """Deficits implied by registers, household facts and polypharmacy (people × 36)."""
    n = len(p["age"])
    d = np.zeros((n, len(m.DEFICIT_CODES)), dtype=bool)
    for code, deficit in m.REGISTER_DEFICIT.items():
        d[:, m.DEFICIT_INDEX[deficit]] |= has[:, m.REGISTER_CODES.index(code)]
    d[:, m.DEFICIT_INDEX["housebound"]] |= p["housebound"]
    d[:, m.DEFICIT_INDEX["requirement_for_care"]] |= p["care_home"] | (
        p["housebound"] & (rng.random(n) < 0.5)
    )
    d[:, m.DEFICIT_INDEX["social_vulnerability"]] |= (
        p["lives_alone"] & (p["age"] >= 65) & (rng.random(n) < 0.35)
    )
    d[:, m.DEFICIT_INDEX["polypharmacy"]] |= poly
    return d


def _other_deficits(params, rng, logf, scale, age) -> np.ndarray:
    names = list(params["frailty"]["other_deficits"])
    u = rng.random((len(logf), len(names)))
    u[age < 18] = 1.0  # eFI is a measure for adults; children carry none of these
    drawn = m.other_deficit_matrix(params, logf, scale, u)
    out = np.zeros((len(logf), len(m.DEFICIT_CODES)), dtype=bool)
    for j, name in enumerate(names):
        out[:, m.DEFICIT_INDEX[name]] = drawn[:, j]
    return out


def _appointment_age_sex_rate(params, p) -> np.ndarray:
    """The published-shaped rate by age and sex, before conditions and frailty."""
    a = params["appointments"]
    age = p["age"]
    rel = m.interp(age, a["rate_knots_age"], a["rate_knots"])
    ratio = np.where((age >= 15) & (age < 65), a["female_ratio"], a["female_ratio_other_ages"])
    return rel * np.where(p["male"], 1.0, ratio)


def _appointment_relative_rate(params, p, n_ltc, n_def, age_adjust=None) -> np.ndarray:
    a = params["appointments"]
    rel = _appointment_age_sex_rate(params, p)
    if age_adjust is not None:
        rel = rel * np.asarray(age_adjust)[m.age_band(p["age"])]
    rel = rel * (1 + a["per_condition"]) ** n_ltc * (1 + a["per_deficit"]) ** n_def
    rel = (
        rel
        * np.exp(a["deprivation"] * p["dep"])
        * np.where(p["care_home"], 1 + a["care_home"], 1.0)
    )
    return rel


def _emergency_relative_rate(params, p, n_ltc, n_def) -> np.ndarray:
    h = params["hospital"]
    rel = m.interp(p["age"], h["emergency_rate_knots_age"], h["emergency_rate_knots"])
    capped = np.minimum(n_def, h["emergency_deficit_cap"])
    rel = (
        rel
        * (1 + h["emergency_per_deficit"] * capped)
        * (1 + h["emergency_per_condition"]) ** n_ltc
    )
    rel = (
        rel
        * np.exp(h["emergency_deprivation"] * p["dep"])
        * np.where(p["care_home"], 1 + h["emergency_care_home"], 1.0)
    )
    return rel


def _other_hospital_relative_rates(p, has, n_ltc):
    age = p["age"]
    ae = np.interp(
        age, [0, 5, 18, 30, 50, 70, 85, 100], [1.3, 0.7, 1.1, 1.0, 0.8, 0.9, 1.5, 1.7]
    ) * np.exp(0.3 * p["dep"])
    can = has[:, m.REGISTER_CODES.index("CAN")]
    el = (
        np.interp(age, [0, 18, 40, 60, 75, 90, 100], [0.2, 0.4, 0.7, 1.3, 1.8, 1.3, 0.8])
        * (1 + 1.5 * can)
        * 1.08**n_ltc
    )
    op = (
        np.interp(age, [0, 18, 40, 60, 75, 90, 100], [0.5, 0.5, 0.8, 1.2, 1.6, 1.3, 1.0])
        * 1.15**n_ltc
        * (1 + 1.0 * can)
    )
    return ae, el, op


def _role_probabilities(params, p, has, n_ltc, n_def, poly) -> np.ndarray:
    """Each person's chance that an appointment is with each role (people × roles)."""
    shares = params["appointments"]["roles"]["shares"]
    roles = list(shares)
    age = p["age"]
    reg = {c: has[:, m.REGISTER_CODES.index(c)] for c in ("DEP", "MH", "DM", "OB", "RA")}
    frail = n_def >= 9
    mult = {
        "practice_nurse": (1 + 0.35 * n_ltc) * np.where(age < 1, 3.0, 1.0),
        "hca": 1 + 0.2 * n_ltc,
        "nursing_associate": 1 + 0.2 * n_ltc,
        "clinical_pharmacist": 1 + 2.0 * poly,
        "pharmacy_technician": 1 + 2.0 * poly,
        "mental_health_practitioner": (1 + 4.0 * (reg["DEP"] | reg["MH"])) * (age >= 16),
        "splw": (1 + 1.5 * p["lives_alone"] + 0.5 * (p["dep"] > 0.3)) * (age >= 16),
        "health_wellbeing_coach": (1 + 1.5 * reg["OB"] + 1.0 * reg["DM"]) * (age >= 16),
        "care_coordinator": (1 + 3.0 * frail + 2.0 * p["care_home"]) * (age >= 16),
        "fcp": (1 + 0.8 * reg["RA"]) * (age >= 16),
        "dietitian": 1 + 2.0 * (reg["OB"] | reg["DM"]),
        "podiatrist": (1 + 3.0 * reg["DM"]) * (age >= 16),
        "occupational_therapist": 1 + 2.0 * frail,
        "paramedic": 1 + 1.0 * p["housebound"],
        "advanced_practitioner": 1 + 1.0 * p["housebound"] + 1.5 * p["care_home"],
        "physician_associate": np.ones(len(age)),
    }
    n = len(age)
    gp_share = np.where(p["care_home"], shares["gp"] * 0.8, shares["gp"])
    w = np.zeros((n, len(roles)))
    for j, r in enumerate(roles):
        if r == "gp":
            continue
        w[:, j] = shares[r] * mult.get(r, 1.0)
    w *= ((1 - gp_share) / w.sum(axis=1))[:, None]
    w[:, roles.index("gp")] = gp_share
    return w


def _choose_rows(rng, prob_rows: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """For each event, a column drawn from its owner's probability row."""
    cum = np.cumsum(prob_rows, axis=1, dtype=np.float32)
    cum /= cum[:, -1:]
    u = rng.random(len(owner), dtype=np.float32)
    out = np.empty(len(owner), dtype=np.int64)
    # process in chunks so memory stays small on big PCNs
    step = 500_000
    for s in range(0, len(owner), step):
        o = owner[s : s + step]
        out[s : s + step] = (cum[o] < u[s : s + step, None]).sum(axis=1)
    return np.minimum(out, prob_rows.shape[1] - 1)


def _dna_month_logodds(params, days: np.ndarray) -> np.ndarray:
    """The DNA log-odds of each appointment's month (April first; 0 where the spec has none)."""
    months = params["appointments"]["dna"].get("month_logodds")
    if not months:
        return np.zeros(len(days))
    month = ((m.DAY0 + days).astype("datetime64[M]").astype(np.int64) % 12 + 9) % 12
    return np.asarray(months, dtype=float)[month]


def _appointments(params, rng, p, has, n_def, poly, rate, lo, hi, win, dna_intercept):
    """Appointments for a set of people over their registered days in the window."""
    a = params["appointments"]
    n_ltc = has.sum(axis=1)
    heter = rng.gamma(a["heterogeneity_shape"], 1 / a["heterogeneity_shape"], len(rate))
    exposure = np.maximum(hi - lo + 1, 0) / m.YEAR
    lam = rate * heter * exposure / (1 - a["cancelled_share"])
    k = rng.poisson(lam)
    weights = m.day_weights(params, win)
    owner, days = m.sample_days(rng, weights, win, lo, hi, k)
    ne = len(owner)
    roles = list(a["roles"]["shares"])
    role = _choose_rows(rng, _role_probabilities(params, p, has, n_ltc, n_def, poly), owner)

    # mode by role; people at home or in care homes are often seen there
    modes = np.empty(ne, dtype=np.int8)
    for j, r in enumerate(roles):
        sel = role == j
        mix = np.asarray(a["modes"][r], dtype=float)
        modes[sel] = np.searchsorted(
            np.cumsum(mix) / mix.sum(), rng.random(int(sel.sum())), side="right"
        )
    at_home = (p["housebound"] | p["care_home"])[owner]
    visiting = np.isin(role, [roles.index(r) for r in m.HOME_VISITING_ROLES if r in roles])
    home = at_home & visiting & (rng.random(ne) < np.where(p["care_home"][owner], 0.35, 0.12))
    modes[home] = 3
    modes = np.minimum(modes, 3)

    # national category by role, then overrides for home visits and care homes
    cat_index = {c: i for i, c in enumerate(m.CATEGORIES)}
    cats = np.empty(ne, dtype=np.int8)
    for j, r in enumerate(roles):
        sel = np.flatnonzero(role == j)
        table = m.ROLE_CATEGORIES[r]
        probs = np.asarray(list(table.values()))
        pick = np.searchsorted(np.cumsum(probs) / probs.sum(), rng.random(len(sel)), side="right")
        cats[sel] = np.asarray([cat_index[c] for c in table])[np.minimum(pick, len(table) - 1)]
    in_care_home = p["care_home"][owner]
    cats[home & ~in_care_home] = cat_index["home_visit"]
    ch_visit = home & in_care_home
    cats[ch_visit] = np.where(
        rng.random(int(ch_visit.sum())) < 0.6,
        cat_index["care_home_round"],
        cat_index["care_home_visit"],
    )
    cc = in_care_home & (role == roles.index("care_coordinator"))
    cats[cc] = cat_index["care_home_assessment"]
    medrev = poly[owner] & (role == roles.index("clinical_pharmacist")) & (rng.random(ne) < 0.3)
    cats[medrev] = cat_index["medication_review"]

    # lead time: acute categories are mostly booked the same day
    lt = a["lead_time"]
    acute = np.isin(cats, [cat_index[c] for c in m.ACUTE_CATEGORIES])
    bands = np.asarray(lt["bands_days"])
    band = np.where(
        acute,
        np.searchsorted(np.cumsum(lt["acute"]), rng.random(ne), side="right"),
        np.searchsorted(np.cumsum(lt["planned"]), rng.random(ne), side="right"),
    )
    band = np.minimum(band, len(bands) - 1)
    lead = bands[band, 0] + np.floor(rng.random(ne) * (bands[band, 1] - bands[band, 0] + 1)).astype(
        np.int64
    )

    # status: cancelled at random; DNA more likely with long waits, deprivation, young adults
    dna_cfg = a["dna"]
    age_e = p["age"][owner]
    dna_logit = (
        dna_cfg["per_week_of_lead_time"] * lead / 7
        + dna_cfg["deprivation"] * p["dep"][owner]
        + dna_cfg["young_adult"] * ((age_e >= 16) & (age_e < 36))
        + _dna_month_logodds(params, days)
    )
    status = np.zeros(ne, dtype=np.int8)
    status[rng.random(ne) < a["cancelled_share"]] = 2
    u = rng.random(ne)
    if dna_intercept is not None:
        status[(status == 0) & (u < m.sigmoid(dna_logit + dna_intercept))] = 1
    return {
        "owner": owner,
        "day": days,
        "role": role,
        "mode": modes,
        "category": cats,
        "lead": lead,
        "status": status,
        "dna_logit": dna_logit,
    }


# ---------------------------------------------------------------------------------------------
# One practice
# ---------------------------------------------------------------------------------------------
def _seed_for(seed: int, code: str) -> np.random.Generator:
    h = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "little")
    return np.random.default_rng([int(seed), h])


def _mortality_hazard_ratio(params, p, n_def) -> np.ndarray:
    """Each person's hazard of death relative to others of their age: frailty, palliative, sex."""
    mort = params["mortality"]
    fr = params["frailty"]["category_max_deficits"]
    hr = mort["frailty_hazard_ratio"]
    cat_hr = np.where(
        n_def <= fr["fit"],
        hr["fit"],
        np.where(
            n_def <= fr["mild"],
            hr["mild"],
            np.where(n_def <= fr["moderate"], hr["moderate"], hr["severe"]),
        ),
    )
    # frailty hazard ratios apply to adults 50+ (eFI is validated at 65+)
    rel = np.where(p["age"] >= 50, cat_hr, 1.0) * np.where(p["palliative"], 6.0, 1.0)
    return rel * np.where(p["male"], mort["male_hazard_ratio"], 1.0)


def _leave_probabilities(params, p, n_def, win, norm=None):
    """Chance of dying, and of leaving the practice alive, within the window.

    ``norm`` (per five-year band at the window's start) divides each person's hazard ratio by
    their band's mean, so deaths by age follow the life table and frailty sorts who dies.
    """
    mort = params["mortality"]
    age_start = np.maximum(p["age"] - win.days / m.YEAR, 0)
    q = m.interp(age_start, mort["knots_age"], mort["knots_annual_prob"], log=True)
    rel = _mortality_hazard_ratio(params, p, n_def)
    if norm is not None:
        rel = rel / np.asarray(norm)[m.age_band(age_start)]
    years = win.days / m.YEAR
    p_die = 1 - (1 - np.clip(q * rel, 0, 0.95)) ** years
    r = params["registration"]
    dereg_rate = r["deregistration_rate"] * np.where((p["age"] >= 18) & (p["age"] < 40), 1.6, 0.8)
    dereg_rate = np.where(p["care_home"], 0.0, dereg_rate)
    p_leave = 1 - (1 - dereg_rate) ** years
    return p_die, p_leave


def _lifecycle(params, rng, p, n_def, win, norm=None):
    """Registration, death and leaving, as whole days (NONE where it did not happen)."""
    n = len(p["age"])
    p_die, p_leave = _leave_probabilities(params, p, n_def, win, norm)
    r = params["registration"]
    born = p["birth"]
    alive_from = np.maximum(born, win.start)
    die = rng.random(n) < p_die
    died = np.where(
        die,
        alive_from + np.floor(rng.random(n) * np.maximum(win.end - alive_from, 1)).astype(np.int64),
        NONE,
    )
    died = np.where(died <= born, NONE, died)
    leave = (rng.random(n) < p_leave) & (died == NONE)
    dereg = np.where(
        leave,
        alive_from + np.floor(rng.random(n) * np.maximum(win.end - alive_from, 1)).astype(np.int64),
        NONE,
    )
    end_rec = np.minimum(np.minimum(died, dereg), win.end)
    # registration: born in the window -> registered within six weeks of birth; some joined in the
    # window; the rest joined years ago (never before birth)
    newborn = born >= win.start
    joined_recently = ~newborn & (
        rng.random(n)
        < r["new_registration_share"] * np.where((p["age"] >= 18) & (p["age"] < 40), 1.8, 0.8)
    )
    long_ago = (
        win.start
        - 1
        - np.floor(rng.exponential(r["years_registered_mean"] * m.YEAR, n)).astype(np.int64)
    )
    reg = np.where(long_ago < born, born + rng.integers(3, 60, n), long_ago)
    reg = np.minimum(reg, win.start - 1)
    reg = np.where(reg < born, born, reg)
    span = np.maximum(end_rec - win.start, 1)
    recent = win.start + np.floor(rng.random(n) * span).astype(np.int64)
    reg = np.where(joined_recently, recent, reg)
    reg = np.where(newborn, np.minimum(born + rng.integers(3, 42, n), end_rec), reg)
    return reg, died, dereg, end_rec


def _dates_before(rng, earliest: np.ndarray, latest: np.ndarray, power: float = 1.6) -> np.ndarray:
    """Dates between ``earliest`` and ``latest``, weighted toward ``latest``."""
    span = np.maximum(latest - earliest, 0)
    return latest - np.floor(span * rng.random(len(span)) ** power).astype(np.int64)


def _sort_order(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort(keys)`` (last key first, ties in their order) as one stable integer sort.

    The keys are whole numbers ≥ 0; they are packed into one int64 when they fit (a single
    stable sort is several times faster than lexsort's one per key).

    >>> _sort_order(np.array([2, 1, 1, 0]), np.array([1, 1, 0, 1])).tolist()
    [2, 3, 1, 0]
    """
    if not all(np.issubdtype(k.dtype, np.integer) for k in keys):
        return np.lexsort(keys)
    spans = [int(k.max()) + 1 if len(k) else 1 for k in keys]
    if any(int(k.min()) < 0 for k in keys if len(k)) or np.prod(spans, dtype=float) >= 2**62:
        return np.lexsort(keys)
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    for key, span in zip(reversed(keys), reversed(spans), strict=True):
        packed *= span
        packed += key
    return np.argsort(packed, kind="stable")


def _dates(d: np.ndarray) -> pa.Array:
    """Whole days since 1970 (``NONE`` where there is no date) as an Arrow date32 array.

    >>> _dates(np.array([0, NONE, 19000])).to_pylist()
    [datetime.date(1970, 1, 1), None, datetime.date(2022, 1, 8)]
    """
    missing = d == NONE
    days = np.where(missing, 0, d).astype(np.int32)
    return pa.array(days, pa.date32(), mask=missing if missing.any() else None)


def _codes(values: np.ndarray, labels: tuple[str, ...] | list[str]) -> pa.Array:
    """Code indices as an Arrow string array of their labels.

    >>> _codes(np.array([1, 0, 1]), ("F", "M")).to_pylist()
    ['M', 'F', 'M']
    """
    return pa.array(list(labels), pa.string()).take(pa.array(np.asarray(values, dtype=np.int64)))


#: Every number of 1 to 4 digits as zero-padded ASCII text, by width.
_DIGITS = {g: np.array([f"{i:0{g}d}" for i in range(10**g)], dtype=f"S{g}") for g in (1, 2, 3, 4)}


def _ids(prefix: str, index: int, serial: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as ``SYN-P001000042``: prefix, practice number, serial + 1 padded.

    Built as fixed-width ASCII bytes straight into an Arrow string array (no Python strings).

    >>> _ids("SYN-A", 7, np.arange(3), 4).to_pylist()
    ['SYN-A0070001', 'SYN-A0070002', 'SYN-A0070003']
    """
    number = np.asarray(serial, dtype=np.int64) + 1
    head = f"{prefix}{index:03d}"
    if len(number) and (number.max() >= 10**width or number.min() < 0):  # wider than the pad
        digits = pc.utf8_lpad(pc.cast(pa.array(number), pa.string()), width, "0")
        return pc.binary_join_element_wise(head, digits, "")
    start = len(head)
    size = start + width
    data = np.empty((len(number), size), dtype=np.uint8)
    data[:, :start] = np.frombuffer(head.encode("ascii"), dtype=np.uint8)
    end = size
    while end > start:  # up to four digits at a time, from the right, looked up as text
        g = min(4, end - start)
        number, low = np.divmod(number, 10**g)
        data[:, end - g : end] = _DIGITS[g][low].view(np.uint8).reshape(len(low), g)
        end -= g
    offsets = np.arange(0, (len(data) + 1) * size, size, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table in its storage schema (``clearlib.data._store.arrow_schema``), checked for blanks.

    >>> _table("conditions", {"patient_id": pa.array(["SYN-P001000001"]),
    ...     "condition": pa.array(["DM"]), "diagnosed_on": _dates(np.array([19000]))}).num_rows
    1
    """
    schema = arrow_schema(name)
    data = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
    blank = [f.name for f in schema if not f.nullable and data.column(f.name).null_count]
    if blank:
        raise DataError(
            f"{name}: the generator left blanks in {', '.join(blank)}, which the data contract "
            "says are always filled. This is a fault in clearlib.synth: please report it."
        )
    return data


def _practice(spec: Spec, cal: Calibration, pr: PracticeSpec, seed: int) -> dict[str, Any]:
    params = spec.params
    rng = _seed_for(seed, pr.code)
    win = m.window_of(params)
    p = m.draw_people(params, rng, pr.list_size, pr.imd_decile, pr.share_65_plus, pr.rurality, win)
    n = len(p["age"])
    parts = m.condition_logit_parts(params, p)
    has = m.draw_conditions(parts, cal.condition_coef, p["dep"], rng)
    m.draw_households(params, rng, p, has, pr.care_home_beds, cal.care_home_turnover)
    n_ltc = has.sum(axis=1)
    logf = m.frailty_log_propensity(params, p, n_ltc)
    med_owner, med_cls, med_stopped = _draw_medicines(params, rng, p, has, logf)
    poly = np.bincount(med_owner[~med_stopped], minlength=n) >= 5
    deficits = _implied_deficits(params, rng, p, has, poly) | _other_deficits(
        params, rng, logf, cal.frailty_scale, p["age"]
    )
    n_def = deficits.sum(axis=1)
    p["palliative"] = has[:, m.REGISTER_CODES.index("PC")]
    reg, died, dereg, end_rec = _lifecycle(params, rng, p, n_def, win, cal.mortality_norm)

    # ---- dates of conditions, deficits and medicines (never after the record ends)
    diag_cfg = params["conditions"]["diagnosis"]["earliest_age"]
    c_owner, c_reg = np.nonzero(has)
    earliest_age = np.asarray(
        [diag_cfg.get(code, diag_cfg["default"]) for code in m.REGISTER_CODES]
    )
    earliest = p["birth"][c_owner] + np.floor(
        np.maximum(earliest_age[c_reg], np.asarray([m.MIN_AGE[c] for c in m.REGISTER_CODES])[c_reg])
        * m.YEAR
    ).astype(np.int64)
    latest = end_rec[c_owner]
    earliest = np.minimum(earliest, latest)
    diag = _dates_before(rng, earliest, latest)
    diag_of = np.full((n, len(m.REGISTER_CODES)), NONE, dtype=np.int64)
    diag_of[c_owner, c_reg] = diag

    d_owner, d_idx = np.nonzero(deficits)
    implied = np.full((n, len(m.DEFICIT_CODES)), NONE, dtype=np.int64)
    for code, deficit in m.REGISTER_DEFICIT.items():
        j = m.DEFICIT_INDEX[deficit]
        implied[:, j] = np.minimum(implied[:, j], diag_of[:, m.REGISTER_CODES.index(code)])
    first = implied[d_owner, d_idx]
    age_days = np.floor(np.maximum(p["age"][d_owner] - 45, 0.5) * m.YEAR).astype(np.int64)
    fresh = end_rec[d_owner] - np.floor(
        np.minimum(
            rng.exponential(params["frailty"]["years_recorded_mean"] * m.YEAR, len(d_owner)),
            age_days,
        )
    ).astype(np.int64)
    first = np.where(first == NONE, fresh, first)
    first = np.maximum(first, p["birth"][d_owner])  # never before birth (babies carry some)

    med_start_lo = np.maximum(
        p["birth"][med_owner] + int(16 * m.YEAR), reg[med_owner] - int(8 * m.YEAR)
    )
    med_start = _dates_before(
        rng, np.minimum(med_start_lo, end_rec[med_owner]), end_rec[med_owner], power=1.3
    )
    med_stop = np.where(
        med_stopped,
        np.minimum(
            np.maximum(med_start, win.start) + rng.integers(30, 400, len(med_owner)),
            end_rec[med_owner],
        ),
        NONE,
    )
    # polypharmacy is first recorded when the fifth current repeat started
    poly_idx = m.DEFICIT_INDEX["polypharmacy"]
    cur = ~med_stopped
    order = np.lexsort((med_start[cur], med_owner[cur]))
    o_sorted, s_sorted = med_owner[cur][order], med_start[cur][order]
    rank = np.arange(len(o_sorted)) - np.searchsorted(o_sorted, o_sorted, side="left")
    fifth = np.full(n, NONE, dtype=np.int64)
    fifth[o_sorted[rank == 4]] = s_sorted[rank == 4]
    is_poly = d_idx == poly_idx
    first[is_poly] = np.where(
        fifth[d_owner[is_poly]] != NONE, fifth[d_owner[is_poly]], first[is_poly]
    )

    # ---- activity while registered in the window
    lo = np.maximum(reg, win.start)
    hi = np.where(died != NONE, died - 1, end_rec)
    rate = (
        _appointment_relative_rate(params, p, n_ltc, n_def, cal.appointment_age_adjust)
        * cal.appointment_scale
    )
    ap = _appointments(params, rng, p, has, n_def, poly, rate, lo, hi, win, cal.dna_intercept)
    hosp = _hospital(params, cal, rng, p, has, n_ltc, n_def, lo, hi, win)
    for change in params.get("interventions", []):
        if change["practice"] == pr.code:
            ap, hosp = _apply_intervention(
                params, change, rng, p, n_def, ap, hosp, lo, hi, win, cal
            )

    return {
        "practice": pr,
        "p": p,
        "has": has,
        "reg": reg,
        "died": died,
        "dereg": dereg,
        "c_owner": c_owner,
        "c_reg": c_reg,
        "diag": diag,
        "d_owner": d_owner,
        "d_idx": d_idx,
        "first": first,
        "med_owner": med_owner,
        "med_cls": med_cls,
        "med_start": med_start,
        "med_stop": med_stop,
        "ap": ap,
        "hosp": hosp,
        "rng": rng,
    }


def _apply_intervention(params, change, rng, p, n_def, ap, hosp, lo, hi, win, cal):
    """A change that starts partway through the window, with a known effect on its cohort.

    Events after the start are thinned (exact for Poisson counts), and the new service's
    appointments are added, so before/after and comparison-practice analyses recover the effect.
    """
    start = m.day(change["starts_on"])
    cohort = (n_def >= change["cohort_min_deficits"]) & ~p["care_home"]
    em_type = HOSPITAL_TYPES.index("emergency_admission")
    drop = (
        cohort[hosp["owner"]]
        & (hosp["kind"] == em_type)
        & (hosp["start"] >= start)
        & (rng.random(len(hosp["owner"])) < -change["emergency_admission_change"])
    )
    hosp = {k: v[~drop] for k, v in hosp.items()}
    roles = list(params["appointments"]["roles"]["shares"])
    gp_drop = (
        cohort[ap["owner"]]
        & (ap["role"] == roles.index("gp"))
        & (ap["day"] >= start)
        & (rng.random(len(ap["owner"])) < -change["gp_appointment_change"])
    )
    ap = {k: v[~gp_drop] for k, v in ap.items()}
    weights = m.day_weights(params, win)
    cat_index = {c: i for i, c in enumerate(m.CATEGORIES)}
    for role, per_year in change["extra_appointments_per_person_year"].items():
        c_lo = np.maximum(lo, start)
        exposure = np.maximum(hi - c_lo + 1, 0) / m.YEAR
        k = rng.poisson(per_year * exposure * cohort)
        owner, days = m.sample_days(rng, weights, win, c_lo, hi, k)
        ne = len(owner)
        home = p["housebound"][owner] & (rng.random(ne) < 0.5)
        mode = np.where(home, 3, np.where(rng.random(ne) < 0.3, 1, 0)).astype(np.int8)
        lead = rng.integers(7, 22, ne)
        dna_logit = params["appointments"]["dna"][
            "per_week_of_lead_time"
        ] * lead / 7 + _dna_month_logodds(params, days)
        status = np.where(rng.random(ne) < m.sigmoid(dna_logit + cal.dna_intercept), 1, 0).astype(
            np.int8
        )
        extra = {
            "owner": owner,
            "day": days,
            "role": np.full(ne, roles.index(role)),
            "mode": mode,
            "category": np.full(ne, cat_index["planned_clinics"], dtype=np.int8),
            "lead": lead,
            "status": status,
            "dna_logit": dna_logit,
        }
        ap = {k: np.concatenate([ap[k], extra[k].astype(ap[k].dtype)]) for k in ap}
    return ap, hosp


def _mean_sqrt_gamma(shape: float) -> float:
    """E[sqrt(G)] for G ~ Gamma(shape, scale=1/shape), so sqrt(G) can be rescaled to mean 1."""
    from scipy.special import gammaln

    return float(np.exp(gammaln(shape + 0.5) - gammaln(shape)) / np.sqrt(shape))


def _hospital(params, cal, rng, p, has, n_ltc, n_def, lo, hi, win):
    h = params["hospital"]
    exposure = np.maximum(hi - lo + 1, 0) / m.YEAR
    shape = h["emergency_heterogeneity_shape"]
    heter = rng.gamma(shape, 1 / shape, len(exposure))
    em_rate = _emergency_relative_rate(params, p, n_ltc, n_def) * cal.emergency_scale * heter
    ae_rel, el_rel, op_rel = _other_hospital_relative_rates(p, has, n_ltc)
    every_day = m.day_weights(params, win, weekdays_only=False)
    weekdays = m.day_weights(params, win)
    parts = []
    for kind, lam, w in (
        (1, em_rate, every_day),
        (0, ae_rel * cal.ae_scale * np.sqrt(heter) / _mean_sqrt_gamma(shape), every_day),
        (2, el_rel * cal.elective_scale, weekdays),
        (3, op_rel * cal.outpatient_scale, weekdays),
    ):
        k = rng.poisson(lam * exposure)
        owner, days = m.sample_days(rng, w, win, lo, hi, k)
        parts.append((np.full(len(owner), kind, dtype=np.int8), owner, days))
    kind = np.concatenate([x[0] for x in parts])
    owner = np.concatenate([x[1] for x in parts])
    start = np.concatenate([x[2] for x in parts])
    # most emergency admissions arrive through A&E the same day
    em = np.flatnonzero(kind == 1)
    via = em[rng.random(len(em)) < h["ae_via_admission_share"]]
    kind = np.concatenate([kind, np.zeros(len(via), dtype=np.int8)])
    owner = np.concatenate([owner, owner[via]])
    start = np.concatenate([start, start[via]])
    # length of stay
    ages = p["age"][owner]
    los_cfg = h["los_mean_days_by_age"]
    mean_los = np.interp(ages, [float(a) for a in los_cfg], list(los_cfg.values())) * (
        1 + 0.04 * n_def[owner]
    )
    los = np.full(len(owner), -1, dtype=np.int64)
    e = kind == 1
    los[e] = rng.geometric(1 / (1 + mean_los[e])) - 1
    el = kind == 2
    day_case = rng.random(int(el.sum())) < h["elective_day_case_share"]
    los[el] = np.where(day_case, 0, rng.geometric(1 / 4.0, int(el.sum())))
    return {"kind": kind, "owner": owner, "start": start, "los": los}


# ---------------------------------------------------------------------------------------------
# Staff rosters, sized to the activity
# ---------------------------------------------------------------------------------------------
PRACTICE_ROLES = ("gp", "practice_nurse", "hca")


def _roster(
    params, pcn_code: str, pcn_index: int, hours: dict[tuple[str | None, str], float], rng
) -> pd.DataFrame:
    wf = params["workforce"]
    roles = reference.roles().set_index("code")
    afc_band = dict(zip(roles.index, roles["afc_band"], strict=True))  # (one look-up per row
    arrs_eligible = dict(zip(roles.index, roles["arrs_eligible"], strict=True))  # is slow)
    pieces = wf["wte_pieces"]
    rows = []
    counters: dict[int, int] = {}
    weeks_paid = wf["hours_per_wte"] * (1 - wf["annual_leave_share"])
    for (practice, role), appt_hours in sorted(
        hours.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1])
    ):
        share = wf["appointment_time_share"].get(role, wf["appointment_time_share"]["default"])
        wte_needed = appt_hours / (weeks_paid * share)
        owner_num = int(practice[-3:]) if practice else 900 + pcn_index
        remaining = wte_needed
        people = []
        while remaining > 0.15 or not people:
            piece = next((x for x in pieces if x <= remaining + 0.1), pieces[-1])
            piece = pieces[int(rng.integers(0, 2))] if remaining > 1.5 else piece
            people.append(piece)
            remaining -= piece
        for wte in people:
            counters[owner_num] = counters.get(owner_num, 0) + 1
            band = afc_band[role]
            start = WINDOW_START.toordinal() - int(rng.integers(30, 365 * 20))
            rows.append(
                {
                    "staff_id": f"SYN-S{owner_num:03d}{counters[owner_num]:03d}",
                    "pcn_code": pcn_code,
                    "practice_code": practice,
                    "role": role,
                    "afc_band": band if band else None,
                    "wte": float(wte),
                    "arrs_funded": practice is None and bool(arrs_eligible[role]),
                    "start_date": np.datetime64(pd.Timestamp.fromordinal(start).date(), "s"),
                }
            )
    df = pd.DataFrame(rows)
    df["practice_code"] = df["practice_code"].astype("str")
    df["afc_band"] = df["afc_band"].astype("str")
    for c in ("staff_id", "pcn_code", "role"):
        df[c] = df[c].astype("str")
    df["start_date"] = df["start_date"].astype("datetime64[s]")
    return df


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
class PCNTables(Mapping[str, pd.DataFrame]):
    """Every table of one PCN, as :func:`generate_pcn` returns them.

    A mapping of table name to pandas DataFrame, with the dtypes of a loaded dataset. The large
    tables are built as Arrow tables, practice by practice, when first needed: either read
    (``tables["appointments"]``, kept), or written with :meth:`write`, one Parquet file per
    practice, each practice's tables dropped once written (memory holds one practice's tables
    at a time, whatever the PCN's size).

    Examples
    --------
    >>> small = {t: arrow_schema(t).empty_table() for t in ("practices", "staff")}
    >>> tables = PCNTables(small, iter([]))  # a PCN without practices, for the example
    >>> sorted(tables)[:3], tables["appointments"].shape, tables.arrow("patients").num_rows
    (['appointments', 'conditions', 'frailty_deficits'], (0, 11), 0)
    """

    def __init__(
        self,
        small: dict[str, pa.Table],
        practices: Iterator[tuple[str, dict[str, pa.Table]]],
    ) -> None:
        self._small = small
        self._pending: Iterator[tuple[str, dict[str, pa.Table]]] | None = practices
        self._large: list[tuple[str, dict[str, pa.Table]]] | None = None
        self._written: Path | None = None
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(name)
        if name not in self._frames:
            self._frames[name] = from_arrow(self.arrow(name), name)
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)

    def arrow(self, name: str) -> pa.Table:
        """One table in its storage schema, sorted by its key (all the PCN's practices).

        Raises
        ------
        DataError
            If the large tables were already written with :meth:`write` (they are not kept).
        """
        if name in self._small:
            return self._small[name]
        if self._large is None:
            if self._pending is None:
                raise DataError(
                    f"the {name} table of this PCN was written to {self._written} and not kept: "
                    "read it from there, or call generate_pcn again."
                )
            self._large = list(self._pending)
            self._pending = None
        if not self._large:
            return arrow_schema(name).empty_table()
        return pa.concat_tables([tables[name] for _code, tables in self._large])

    def write(self, folder: str | Path) -> dict[str, int]:
        """Write the large tables into a dataset folder: ``<table>/<practice code>.parquet``.

        Returns
        -------
        dict of str to int
            Rows written, by file path relative to ``folder`` (POSIX separators).
        """
        folder = Path(folder)
        practices: Iterable[tuple[str, dict[str, pa.Table]]]
        if self._large is not None:  # already built and kept: write those
            practices = self._large
        elif self._pending is not None:
            practices, self._pending, self._written = self._pending, None, folder
        else:
            raise DataError(
                f"this PCN's large tables were already written to {self._written}; "
                "call generate_pcn again to write them elsewhere."
            )
        written: dict[str, int] = {}
        for code, tables in practices:
            for table in LARGE_TABLES:
                rel = f"{table}/{code}.parquet"
                write_parquet(tables[table], folder / rel)
                written[rel] = tables[table].num_rows
        return written


def generate_pcn(spec: Spec, pcn_code: str, seed: int | None = None) -> PCNTables:
    """Every table for one PCN of a spec, deterministic in (spec, pcn_code, seed).

    Returns
    -------
    PCNTables
        A mapping of table name to DataFrame (dtypes as :func:`clearlib.load_pcn` gives);
        ``.arrow(name)`` gives a table in its storage schema and ``.write(folder)`` writes the
        large tables one file per practice.

    Examples
    --------
    >>> from clearlib.synth import load_spec
    >>> tables = generate_pcn(load_spec("default"), "SYN-PCN01")  # doctest: +SKIP
    >>> sorted(tables)  # doctest: +SKIP
    ['appointments', 'conditions', 'frailty_deficits', 'hospital_events', 'medications', 'patients', 'practices', 'staff']
    """
    seed = spec.seed if seed is None else int(seed)
    practices = spec.practices_of(pcn_code)
    if not practices:
        from clearlib._exceptions import SpecError

        raise SpecError(
            f"spec {spec.name!r} has no PCN {pcn_code!r}; its PCNs are {', '.join(spec.pcn_codes)}"
        )
    cal = calibrate(spec)
    params = spec.params
    roles = list(params["appointments"]["roles"]["shares"])
    slot = params["workforce"]["slot_minutes"]
    win = m.window_of(params)
    weeks = win.days / 7
    sims = [_practice(spec, cal, pr, seed) for pr in practices]

    # roster: practice roles per practice; other roles PCN-wide
    hours: dict[tuple[str | None, str], float] = {}
    for s in sims:
        ap = s["ap"]
        booked = ap["status"] != 2
        counts = np.bincount(ap["role"][booked], minlength=len(roles))
        for j, r in enumerate(roles):
            key = (s["practice"].code if r in PRACTICE_ROLES else None, r)
            hours[key] = hours.get(key, 0.0) + counts[j] * slot[r] / 60 / weeks
    pcn_index = spec.pcn_codes.index(pcn_code) + 1
    staff = _roster(
        params,
        pcn_code,
        pcn_index,
        {k: v for k, v in hours.items() if v > 0},
        _seed_for(seed, pcn_code + "/staff"),
    )

    practice_rows = []
    for s in sims:
        pr: PracticeSpec = s["practice"]
        listed = int(((s["died"] == NONE) & (s["dereg"] == NONE)).sum())
        practice_rows.append(
            {
                "practice_code": pr.code,
                "pcn_code": pr.pcn_code,
                "name": pr.name,
                "list_size": listed,
                "imd_decile": pr.imd_decile,
                "rurality": pr.rurality,
                "clinical_system": pr.clinical_system,
                "care_home_beds": pr.care_home_beds,
            }
        )
    small = {
        "practices": to_arrow(pd.DataFrame(practice_rows), "practices"),
        "staff": to_arrow(staff, "staff"),
    }
    return PCNTables(small, _practices_tables(params, sims, staff, roles, win))


def _practices_tables(
    params, sims: list[dict[str, Any]], staff: pd.DataFrame, roles: list[str], win: m.Window
) -> Iterator[tuple[str, dict[str, pa.Table]]]:
    """Each practice's large tables in turn; a practice's simulation is let go once used."""
    staff_ids = pa.array(staff["staff_id"].to_numpy(dtype=object), pa.string())
    while sims:
        s = sims.pop(0)
        yield s["practice"].code, _practice_tables(params, s, staff, staff_ids, roles, win)


def _practice_tables(
    params, s, staff: pd.DataFrame, staff_ids: pa.Array, roles: list[str], win: m.Window
) -> dict[str, pa.Table]:
    """One practice's large tables, as Arrow tables in their storage schema and key order.

    Rows come out in key order: identifiers are zero-padded serials and the code lists are in
    alphabetical order, so sorting by integer keys gives the order the strings would.
    """
    pr: PracticeSpec = s["practice"]
    p = s["p"]
    rng = s["rng"]
    n = len(p["age"])
    pid = _ids("SYN-P", pr.index, np.arange(n), 6)
    ls = params["lifestyle"]
    adult = p["age"] >= 18
    ob = s["has"][:, m.REGISTER_CODES.index("OB")]
    recorded = adult & ((rng.random(n) < ls["bmi_recorded_adult_share"]) | ob)
    bmi = np.where(
        ob,
        30 + rng.gamma(2.0, 2.6, n),
        np.clip(rng.normal(ls["bmi_mean"] - 1.5, ls["bmi_sd"] * 0.8, n), 16, 29.9),
    )
    bmi = np.round(bmi, 1)
    patients = _table(
        "patients",
        {
            "patient_id": pid,
            "practice_code": pa.repeat(pr.code, n),
            "sex": _codes(np.where(p["male"], 1, 0), ("F", "M")),
            "birth_date": _dates(p["birth"]),
            "imd_decile": pa.array(p["imd"].astype(np.int64)),
            "ethnicity": _codes(p["ethnicity"], p["ethnicity_labels"]),
            "registered_on": _dates(s["reg"]),
            "deregistered_on": _dates(s["dereg"]),
            "died_on": _dates(s["died"]),
            "lives_alone": pa.array(p["lives_alone"], pa.bool_()),
            "care_home_resident": pa.array(p["care_home"], pa.bool_()),
            "housebound": pa.array(p["housebound"], pa.bool_()),
            "carer": pa.array(p["carer"], pa.bool_()),
            "smoking_status": _codes(p["smoking"], SMOKING),
            "bmi": pa.array(bmi, pa.float64(), mask=~recorded),
        },
    )
    o = _sort_order(s["c_reg"], s["c_owner"])
    conditions = _table(
        "conditions",
        {
            "patient_id": pid.take(s["c_owner"][o]),
            "condition": _codes(s["c_reg"][o], m.REGISTER_CODES),
            "diagnosed_on": _dates(s["diag"][o]),
        },
    )
    o = _sort_order(s["d_idx"], s["d_owner"])
    deficits = _table(
        "frailty_deficits",
        {
            "patient_id": pid.take(s["d_owner"][o]),
            "deficit": _codes(s["d_idx"][o], m.DEFICIT_CODES),
            "first_recorded_on": _dates(s["first"][o]),
        },
    )
    classes = m.medicine_classes(params)
    o = _sort_order(s["med_cls"], s["med_owner"])
    medications = _table(
        "medications",
        {
            "patient_id": pid.take(s["med_owner"][o]),
            "medicine_class": _codes(s["med_cls"][o], classes),
            "started_on": _dates(s["med_start"][o]),
            "stopped_on": _dates(s["med_stop"][o]),
        },
    )

    # appointments: time of day, duration, staff member
    ap = s["ap"]
    a = params["appointments"]
    ne = len(ap["owner"])
    hrs = a["seasonality"]["hours"]
    slots = np.arange(hrs["start"] * 60, hrs["end"] * 60, 10)
    sw = np.where(slots < 12 * 60, hrs["morning_weight"], np.where(slots < 14 * 60, 0.6, 1.0))
    minute = slots[
        np.searchsorted(np.cumsum(sw) / sw.sum(), rng.random(ne), side="right").clip(
            0, len(slots) - 1
        )
    ]
    order = _sort_order(ap["owner"], minute.astype(np.int64), ap["day"] - win.start)
    ap = {k: v[order] for k, v in ap.items() if k != "dna_logit"}  # (already drawn from)
    minute = minute[order]
    start = ap["day"].astype(np.int64) * 86_400 + minute.astype(np.int64) * 60
    dur_cfg = a["durations"]
    means = np.asarray([dur_cfg.get(r, dur_cfg["default"]) for r in roles])
    mean = means[ap["role"], ap["mode"]]
    shape = 1 / dur_cfg["cv"] ** 2
    duration = np.round(rng.gamma(shape, mean / shape), 1)
    duration = np.where(ap["status"] == 0, np.maximum(duration, 1.0), 0.0)
    staff_rows = _assign_staff(rng, staff, pr.code, roles, ap["role"])
    role_codes = np.asarray([m.ROLE_CODES.index(r) for r in roles])
    appointments = _table(
        "appointments",
        {
            "appointment_id": _ids("SYN-A", pr.index, np.arange(ne), 8),
            "patient_id": pid.take(ap["owner"]),
            "practice_code": pa.repeat(pr.code, ne),
            "staff_id": staff_ids.take(staff_rows),
            "role": _codes(role_codes[ap["role"]], m.ROLE_CODES),
            "start": pa.array(start, pa.timestamp("s")),
            "booked_on": _dates(ap["day"] - ap["lead"]),
            "mode": _codes(ap["mode"], MODES),
            "national_category": _codes(ap["category"], m.CATEGORIES),
            "duration_min": pa.array(duration, pa.float64()),
            "status": _codes(ap["status"], STATUSES),
        },
    )
    h = s["hosp"]
    order = _sort_order(h["kind"], h["owner"], h["start"] - win.start)
    h = {k: v[order] for k, v in h.items()}
    death = s["died"][h["owner"]]
    los = h["los"]
    end = np.where(
        los >= 0,
        np.minimum(h["start"] + np.maximum(los, 0), np.where(death != NONE, death, NONE)),
        NONE,
    )
    stay = np.where(los >= 0, end - h["start"], 0).astype(np.int64)
    hospital = _table(
        "hospital_events",
        {
            "event_id": _ids("SYN-H", pr.index, np.arange(len(order)), 7),
            "patient_id": pid.take(h["owner"]),
            "type": _codes(h["kind"], HOSPITAL_TYPES),
            "start": _dates(h["start"]),
            "end": _dates(end),
            "length_of_stay_days": pa.array(stay, pa.int64(), mask=los < 0),
        },
    )
    return {
        "patients": patients,
        "conditions": conditions,
        "frailty_deficits": deficits,
        "medications": medications,
        "appointments": appointments,
        "hospital_events": hospital,
    }


def _assign_staff(
    rng, staff: pd.DataFrame, practice: str, roles: list[str], role_idx: np.ndarray
) -> np.ndarray:
    """The staff row (position in ``staff``) who holds each appointment, weighted by WTE."""
    out = np.zeros(len(role_idx), dtype=np.int64)
    code = staff["practice_code"]
    here = ((code == practice).fillna(False) | code.isna()).to_numpy(dtype=bool)
    staff_role = staff["role"].to_numpy(dtype=object)
    wte = staff["wte"].to_numpy(dtype=float)
    order = np.argsort(role_idx, kind="stable")
    bounds = np.searchsorted(role_idx[order], np.arange(len(roles) + 1))
    for j, r in enumerate(roles):
        sel = order[bounds[j] : bounds[j + 1]]
        if not len(sel):
            continue
        of_role = staff_role == r
        mine = np.flatnonzero(of_role & here)
        if not len(mine):
            mine = np.flatnonzero(of_role)
        w = wte[mine]
        pick = np.searchsorted(np.cumsum(w) / w.sum(), rng.random(len(sel)), side="right").clip(
            0, len(w) - 1
        )
        out[sel] = mine[pick]
    return out
