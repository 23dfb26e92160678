"""Realism profile: every calibration target, its published value and source, what a dataset shows.

``profile(bundle)`` measures a dataset against the targets of the spec it was made from. The
same measures serve ``clearlib data profile``, the realism tests and the lessons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib._config import EXTRACT_DATE
from clearlib.data._population import registered_at

__all__ = ["RealismProfile", "profile"]

INDEX_DATE = pd.Timestamp("2025-04-01")  # start of the second year: eFI as at, admissions after


@dataclass
class RealismProfile:
    """The outcome of :func:`profile`: one row per calibration target.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``group``, ``target``, ``published``, ``observed``, ``tolerance``, ``within``,
        ``source``. ``published`` and ``observed`` are numbers in the same unit; ``within`` is
        ``None`` for figures shown for information only.
    name : str
        The dataset's name.
    """

    table: pd.DataFrame
    name: str = "dataset"

    @property
    def checked(self) -> pd.DataFrame:
        """The rows that carry a tolerance."""
        return self.table[self.table["within"].notna()]

    @property
    def all_within_tolerance(self) -> bool:
        """True when every checked target is within its tolerance."""
        return bool(self.checked["within"].astype(bool).all())

    @property
    def failures(self) -> pd.DataFrame:
        """The checked targets outside tolerance."""
        c = self.checked
        return c[~c["within"].astype(bool)]

    def render(self, console: Any = None) -> None:
        """Print the profile: one table per group of targets, its sources beneath."""
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        console.print(f"[bold]Realism profile: {self.name}[/bold]")
        for group, rows in self.table.groupby("group", sort=False):
            t = Table(title=group, title_justify="left", title_style="bold", expand=False)
            for col, justify in (
                ("target", "left"),
                ("published", "right"),
                ("observed", "right"),
                ("tolerance", "left"),
                ("ok", "center"),
            ):
                t.add_column(col, justify=justify, overflow="fold")
            for row in rows.itertuples():
                if row.within is None or pd.isna(row.within):
                    ok = ""
                else:
                    ok = "[green]yes[/green]" if row.within else "[red]NO[/red]"
                t.add_row(
                    str(row.target),
                    _fmt(row.published, row.unit),
                    _fmt(row.observed, row.unit),
                    str(row.tolerance),
                    ok,
                )
            console.print(t)
            for source in dict.fromkeys(rows["source"]):
                if source:
                    console.print(f"  [dim]Source: {source}[/dim]")
            console.print()
        n = len(self.checked)
        bad = len(self.failures)
        verdict = (
            "[green]every target within tolerance[/green]"
            if bad == 0
            else f"[red]{bad} of {n} targets outside tolerance[/red]"
        )
        console.print(f"{n} checked targets: {verdict}")


def _fmt(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, str):
        return v
    if unit == "%":
        return f"{100 * v:.2f}%" if abs(v) < 0.01 else f"{100 * v:.1f}%"
    if unit == "x":
        return f"{v:.2f}"
    return f"{v:.2f}"


class _Rows:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        group,
        target,
        published,
        observed,
        *,
        rel=None,
        points=None,
        source="",
        unit="",
        within=None,
        tolerance=None,
    ):
        if rel is not None:
            within = bool(abs(observed / published - 1) <= rel) if published else None
            tolerance = f"±{rel:.0%} relative"
        elif points is not None:
            within = bool(abs(observed - published) * 100 <= points)
            tolerance = f"±{points:g} points"
        self.rows.append(
            {
                "group": group,
                "target": target,
                "published": published,
                "observed": float(observed) if observed is not None else np.nan,
                "tolerance": tolerance or "",
                "within": within,
                "source": source,
                "unit": unit,
            }
        )


def _age_at(patients: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """Age in years (fractional), as the calibration targets use it."""
    return (when - patients["birth_date"]).dt.days / 365.25


def efi_counts(deficits: pd.DataFrame, patient_ids: pd.Index, when: pd.Timestamp) -> pd.Series:
    """Deficits ever recorded up to ``when``, per patient (0 for none)."""
    d = deficits[deficits["first_recorded_on"] <= when]
    return d.groupby("patient_id", observed=True).size().reindex(patient_ids, fill_value=0)


def efi_category(counts: pd.Series) -> pd.Series:
    """eFI category from a deficit count (Clegg 2016: 0-4 fit, 5-8 mild, 9-13 moderate, 14+ severe)."""
    return pd.cut(counts, [-1, 4, 8, 13, 36], labels=["fit", "mild", "moderate", "severe"])


_AGE_BANDS = (-1, 4.999, 14.999, 44.999, 64.999, 74.999, 84.999, 200)
_AGE_LABELS = ("0-4", "5-14", "15-44", "45-64", "65-74", "75-84", "85+")


def person_years_each(pts: pd.DataFrame, P: dict[str, Any], extract: pd.Timestamp) -> pd.Series:
    """Each patient's registered years in the window (0 for none)."""
    start = pd.Timestamp(P["window"]["start"])
    lo = pts["registered_on"].where(pts["registered_on"] > start, start)
    hi = pts[["died_on", "deregistered_on"]].min(axis=1).fillna(extract).clip(upper=extract)
    return ((hi - lo).dt.days.clip(lower=0) + 1) / 365.25


def _age_bands(pts: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    return pd.cut(_age_at(pts, when), list(_AGE_BANDS), labels=list(_AGE_LABELS))


def _appointments_by_age(r: _Rows, P, pts, booked, years, extract) -> None:
    """Booked appointments per person-year by age band (ages at the extract date), and by sex."""
    cfg = P["appointments"].get("by_age")
    if not cfg:  # a dataset made from a spec without these targets
        return
    band = _age_bands(pts, extract)
    n = booked.groupby("patient_id", observed=True).size().reindex(pts.index, fill_value=0)
    py = years.groupby(band, observed=False).sum()
    rate = n.groupby(band, observed=False).sum() / py
    ref = rate["15-44"]
    tol = cfg["tolerance_relative"]
    src = cfg["source"] + " Sizes: " + cfg["assumption"]
    for label, target in cfg["rate_ratio_to_15_44"].items():
        r.add(
            "Appointments by age and sex",
            f"rate at {label} / rate at 15-44",
            target,
            rate[label] / ref,
            rel=tol,
            source=src,
            unit="x",
        )
    young = band == "15-44"
    by_sex = (
        n[young].groupby(pts.loc[young, "sex"], observed=True).sum()
        / years[young].groupby(pts.loc[young, "sex"], observed=True).sum()
    )
    r.add(
        "Appointments by age and sex",
        "women / men at 15-44",
        cfg["female_to_male_15_44"],
        by_sex.get("F", np.nan) / by_sex.get("M", np.nan),
        rel=tol,
        source=src,
        unit="x",
    )
    others = [x for x in _AGE_LABELS if x not in ("0-4", "85+")]
    highest = bool(rate["0-4"] > rate[["5-14", "15-44", "45-64"]].max()) and bool(
        rate["85+"] > rate[others].max()
    )
    r.add(
        "Appointments by age and sex",
        "highest under 65 at 0-4, highest overall at 85+",
        "yes",
        float(highest),
        within=highest,
        tolerance="shape",
        source=cfg["source"],
    )
    r.rows[-1]["observed"] = "yes" if highest else "no"


def _mortality(r: _Rows, P, pts, extract) -> None:
    """Deaths per person-year on the list: overall, by sex, and by older age band."""
    cfg = P["mortality"]
    if "crude_deaths_per_1000" not in cfg:
        return
    years = person_years_each(pts, P, extract)
    start = pd.Timestamp(P["window"]["start"])
    died = pts["died_on"].notna() & (pts["died_on"] >= start) & (pts["died_on"] <= extract)
    tol = cfg["tolerance"]
    src = cfg["targets_source"]
    r.add(
        "Deaths",
        "deaths per 1,000 person-years (crude)",
        cfg["crude_deaths_per_1000"],
        1000 * died.sum() / years.sum(),
        rel=tol["crude_relative"],
        source=src,
    )
    r.add(
        "Deaths",
        "share of deaths that are men",
        cfg["male_share_of_deaths"],
        (pts.loc[died, "sex"] == "M").mean(),
        points=tol["male_share_points"],
        source=src,
        unit="%",
    )
    # by age at the window's start, against the life-table knots the spec approximates
    age0 = _age_at(pts, start).clip(lower=0)
    knots_x = np.asarray(cfg["knots_age"], dtype=float)
    q = np.exp(np.interp(age0, knots_x, np.log(np.asarray(cfg["knots_annual_prob"]))))
    band = pd.cut(age0, [64.999, 74.999, 84.999, 200], labels=["65-74", "75-84", "85+"])
    for label in ("65-74", "75-84", "85+"):
        sel = band == label
        expected = float((q[sel.to_numpy()] * years[sel]).sum() / years[sel].sum())
        r.add(
            "Deaths",
            f"deaths per person-year at {label} (age at the window's start)",
            expected,
            died[sel].sum() / years[sel].sum(),
            rel=tol["by_age_relative"],
            source=cfg["assumption"],
            unit="%",
        )


def _care_homes(r: _Rows, P, reg, age) -> None:
    """Care-home residents on the list at the extract date."""
    h = P["households"]
    if "care_home_share_65_plus" not in h:
        return
    tol = h["care_home_tolerance"]
    src = h["care_home_source"]
    old = age >= 65
    res = reg["care_home_resident"].astype(bool)
    r.add(
        "Care homes",
        "share of people 65+ living in a care home",
        h["care_home_share_65_plus"],
        (res & old).sum() / max(old.sum(), 1),
        points=tol["share_65_plus_points"],
        source=src,
        unit="%",
    )
    residents = res & old
    if residents.sum():
        r.add(
            "Care homes",
            f"share of residents 65+ aged 85+ ({int(residents.sum())} residents)",
            h["care_home_85_plus_share"],
            (age[residents] >= 85).mean(),
            points=tol["age_85_plus_points"],
            source=src,
            unit="%",
        )
        r.add(
            "Care homes",
            "share of residents 65+ who are women",
            h["care_home_female_share"],
            (reg.loc[residents, "sex"] == "F").mean(),
            points=tol["female_points"],
            source=src,
            unit="%",
        )


def profile(data: Any, spec: Any = None) -> RealismProfile:
    """Measure a dataset against the calibration targets of its spec.

    Parameters
    ----------
    data : PCNData or str
        A dataset bundle, or the name of a spec to load with :func:`clearlib.load_pcn`.
    spec : Spec, optional
        The spec whose targets to use; by default the one named in the bundle's manifest,
        or ``default``.
    """
    from clearlib.synth import load_spec

    if isinstance(data, str):
        from clearlib import load_pcn

        data = load_pcn(data)
    if spec is not None:
        P, spec_name = spec.params, spec.name
    elif data.manifest.get("spec", {}).get("params"):  # the spec the dataset was made from
        P, spec_name = data.manifest["spec"]["params"], data.manifest["spec"].get("name", "dataset")
    else:
        fallback = load_spec("default")
        P, spec_name = fallback.params, fallback.name
    r = _Rows()
    extract = pd.Timestamp(EXTRACT_DATE)
    pts = data.patients.set_index("patient_id")
    listed = registered_at(pts, extract)
    reg = pts[listed]
    age = _age_at(reg, extract)
    n_list = len(reg)

    # --- age and sex
    a = P["age"]
    shares = np.asarray(a["band_shares"]) / 100
    band = np.minimum((age // 5).astype(int), 18)
    obs = band.value_counts(normalize=True).reindex(range(19), fill_value=0).to_numpy()
    src = a["source"]
    for b in range(19):
        label = f"{5 * b}-{5 * b + 4}" if b < 18 else "90+"
        r.add(
            "Age and sex",
            f"share aged {label}",
            shares[b],
            obs[b],
            points=a["tolerance_points"],
            source=src,
            unit="%",
        )
    r.add(
        "Age and sex",
        "share aged 65+",
        a["share_65_plus"],
        (age >= 65).mean(),
        points=2.0,
        source=src,
        unit="%",
    )
    r.add(
        "Age and sex",
        "share aged 0-17",
        a["share_0_17"],
        (age < 18).mean(),
        points=2.0,
        source=src,
        unit="%",
    )
    r.add(
        "Age and sex",
        "share male",
        P["sex"]["male_share"],
        (reg["sex"] == "M").mean(),
        points=1.5,
        source=P["sex"]["source"],
        unit="%",
    )

    # --- conditions
    cfg = P["conditions"]
    cond = data.conditions[data.conditions["diagnosed_on"] <= extract]
    cond = cond[cond["patient_id"].isin(reg.index)]
    counts = cond.groupby("condition", observed=True).size()
    for code, rr in cfg["registers"].items():
        r.add(
            "QOF prevalence (all ages)",
            code,
            rr["prevalence"],
            counts.get(code, 0) / n_list,
            rel=cfg["prevalence_tolerance"],
            source=cfg["source"],
            unit="%",
        )
    from clearlib.synth._generate import published_quintile_ratios

    ratios = published_quintile_ratios()
    q1 = reg.index[reg["imd_decile"] <= 2]
    q5 = reg.index[reg["imd_decile"] >= 9]
    small = min(len(q1), len(q5)) < 20_000
    for code in cfg["ratio_checked"]:
        ids = cond.loc[cond["condition"] == code, "patient_id"]
        p1 = ids.isin(q1).sum() / max(len(q1), 1)
        p5 = ids.isin(q5).sum() / max(len(q5), 1)
        observed = p1 / p5 if p5 else np.nan
        note = (
            f" (indicative: {len(q1):,} and {len(q5):,} people in the quintiles; check on 200,000+)"
            if small
            else ""
        )
        if small:
            r.add(
                "Deprivation gradient (IMD deciles 1-2 / 9-10)",
                code + note,
                ratios[code],
                observed,
                source="qof_2019_20_prevalence_by_imd_decile.csv",
                unit="x",
                tolerance="±25% on a large population",
            )
        else:
            r.add(
                "Deprivation gradient (IMD deciles 1-2 / 9-10)",
                code,
                ratios[code],
                observed,
                rel=cfg["ratio_tolerance"],
                source="qof_2019_20_prevalence_by_imd_decile.csv",
                unit="x",
            )

    # --- multimorbidity
    ltc = cond.groupby("patient_id", observed=True).size().reindex(reg.index, fill_value=0)
    bands = pd.cut(
        age, [-1, 17, 44, 64, 74, 200], labels=["0-17", "18-44", "45-64", "65-74", "75+"]
    )
    mm = (ltc >= 2).groupby(bands, observed=True).mean()
    rising = bool(np.all(np.diff(mm.to_numpy()) > 0))
    for label, v in mm.items():
        r.add(
            "Multimorbidity (2+ QOF registers)",
            f"share at {label}",
            None,
            v,
            source="McLean 2014: 8.1% at 25-34 to 76.1% at 75+ with 40 conditions; 20 QOF registers give lower counts",
            unit="%",
        )
    r.add(
        "Multimorbidity (2+ QOF registers)",
        "rises with every age band",
        None,
        float(rising),
        within=rising,
        tolerance="rising",
        source="FACTS.md §2 (Barnett 2012; McLean 2014)",
    )
    r.rows[-1]["observed"] = "yes" if rising else "no"
    r.rows[-1]["published"] = "rising"

    # --- frailty
    fr = P["frailty"]
    n_def = efi_counts(data.frailty_deficits, reg.index, extract)
    old = age >= 65
    cats = efi_category(n_def[old]).value_counts(normalize=True)
    for c, target in fr["target_shares_65_plus"].items():
        r.add(
            "eFI categories, people 65+",
            c,
            target,
            cats.get(c, 0.0),
            points=fr["tolerance_points"],
            source=fr["source"],
            unit="%",
        )
    mid = (age >= 50) & (age < 65)
    r.add(
        "eFI categories, people 65+",
        "mild or worse at 50-64",
        fr["mild_or_worse_50_64"],
        (n_def[mid] >= 5).mean(),
        points=5.0,
        source="FACTS.md §3 (BMC Geriatrics 2021)",
        unit="%",
    )

    # --- appointments
    ap_cfg = P["appointments"]
    ap = data.appointments
    booked = ap[ap["status"] != "cancelled"]
    start = pd.Timestamp(P["window"]["start"])
    lo = pts["registered_on"].where(pts["registered_on"] > start, start)
    hi = pts[["died_on", "deregistered_on"]].min(axis=1).fillna(extract).clip(upper=extract)
    person_years = ((hi - lo).dt.days.clip(lower=0) + 1).sum() / 365.25
    tol = ap_cfg["tolerance"]
    r.add(
        "Appointments (GPAD)",
        "appointments per patient per year",
        ap_cfg["per_patient_per_year"],
        len(booked) / person_years,
        rel=tol["per_patient_per_year"],
        source=ap_cfg["source"],
    )
    r.add(
        "Appointments (GPAD)",
        "share with a GP",
        ap_cfg["gp_share"],
        (booked["role"] == "gp").mean(),
        points=tol["gp_share_points"],
        source=ap_cfg["source"],
        unit="%",
    )
    modes = booked["mode"].value_counts(normalize=True)
    for mode, target in ap_cfg["mode_shares"].items():
        r.add(
            "Appointments (GPAD)",
            f"mode: {mode}",
            target,
            modes.get(mode, 0.0),
            points=tol["mode_points"],
            source=ap_cfg["source"],
            unit="%",
        )
    same_day = (booked["start"].dt.normalize() == booked["booked_on"]).mean()
    r.add(
        "Appointments (GPAD)",
        "booked the same day",
        ap_cfg["same_day_share"],
        same_day,
        points=tol["same_day_points"],
        source=ap_cfg["source"],
        unit="%",
    )
    dna = (booked["status"] == "dna").mean()
    r.add(
        "Appointments (GPAD)",
        "did not attend",
        ap_cfg["dna_share"],
        dna,
        points=tol["dna_points"],
        source=ap_cfg["source"],
        unit="%",
    )

    _appointments_by_age(r, P, pts, booked, person_years_each(pts, P, extract), extract)

    # seasonality: mean appointments per open weekday by month
    days = booked["start"].dt.normalize()
    per_day = days.value_counts()
    per_day = per_day[per_day.index.day_of_week < 5]
    by_month = per_day.groupby(per_day.index.month).mean()
    overall = per_day.mean()
    winter = by_month.reindex([10, 11, 12, 1, 2]).mean() / overall
    august = by_month.get(8, np.nan) / overall
    xmas = per_day[(per_day.index.month == 12) & (per_day.index.day >= 22)].mean() / overall
    s_src = P["appointments"]["seasonality"]["source"]
    r.add(
        "Seasonality",
        "Oct-Feb weekday activity vs the year",
        "> 1",
        winter,
        within=bool(winter > 1.02),
        tolerance="above 1.02",
        source=s_src,
        unit="x",
    )
    r.add(
        "Seasonality",
        "August weekday activity vs the year",
        "< 1",
        august,
        within=bool(august < 0.95),
        tolerance="below 0.95",
        source=s_src,
        unit="x",
    )
    r.add(
        "Seasonality",
        "late-December weekday activity vs the year",
        "< 1",
        xmas,
        within=bool(xmas < 0.9),
        tolerance="below 0.90",
        source=s_src,
        unit="x",
    )

    # durations by role and mode
    d_cfg = P["appointments"]["durations"]
    att = ap[ap["status"] == "attended"]
    dur = att.groupby(["role", "mode"], observed=True)["duration_min"].mean()
    for role in ("gp", "practice_nurse"):
        for j, mode in enumerate(("face_to_face", "telephone")):
            r.add(
                "Duration (minutes)",
                f"{role} {mode}",
                d_cfg[role][j],
                dur.get((role, mode), np.nan),
                rel=d_cfg["tolerance_share"],
                source=d_cfg["source"],
            )

    _mortality(r, P, pts, extract)
    _care_homes(r, P, reg, age)

    # --- hospital use
    h = P["hospital"]
    he = data.hospital_events
    ev = he["type"].value_counts()
    r.add(
        "Hospital use",
        "emergency admissions per person per year",
        h["emergency_admissions_per_person_year"],
        ev.get("emergency_admission", 0) / person_years,
        rel=h["tolerance_share"],
        source=h["assumption"],
    )
    r.add(
        "Hospital use",
        "A&E attendances per person per year",
        h["ae_per_person_year"],
        ev.get("ae", 0) / person_years,
        rel=h["tolerance_share"],
        source=h["source"],
    )
    all_adm = (ev.get("emergency_admission", 0) + ev.get("elective_admission", 0)) / person_years
    r.add(
        "Hospital use",
        "admissions of all types per 1,000 a year",
        "290-370",
        all_adm * 1000,
        within=bool(290 <= all_adm * 1000 <= 370),
        tolerance="290-370",
        source=h["source"],
    )

    # eFI rate ratios among people 65+ at the index date, emergency admissions in the next year
    at_index = registered_at(pts, INDEX_DATE)
    idx = pts[at_index & (_age_at(pts, INDEX_DATE) >= 65)]
    cat = efi_category(efi_counts(data.frailty_deficits, idx.index, INDEX_DATE))
    follow_end = INDEX_DATE + pd.Timedelta(days=364)
    em = he[
        (he["type"] == "emergency_admission")
        & (he["start"] >= INDEX_DATE)
        & (he["start"] <= follow_end)
    ]
    n_adm = em.groupby("patient_id", observed=True).size().reindex(idx.index, fill_value=0)
    stop = idx[["died_on", "deregistered_on"]].min(axis=1).fillna(follow_end).clip(upper=follow_end)
    years = ((stop - INDEX_DATE).dt.days.clip(lower=0) + 1) / 365.25
    rate = n_adm.groupby(cat, observed=False).sum() / years.groupby(cat, observed=False).sum()
    for c in ("mild", "moderate", "severe"):
        r.add(
            "Emergency admissions by eFI, people 65+",
            f"rate ratio {c} vs fit",
            h["efi_rate_ratio"][c],
            rate[c] / rate["fit"],
            rel=h["efi_tolerance"],
            source=h["efi_source"],
            unit="x",
        )
    ch = idx[idx["care_home_resident"]]
    if len(ch):
        ch_rate = n_adm.reindex(ch.index).sum() / years.reindex(ch.index).sum()
        lo_t, hi_t = h["care_home_65_plus_target"]
        r.add(
            "Emergency admissions by eFI, people 65+",
            f"care-home residents 65+ per person-year ({len(ch)} people)",
            f"{lo_t}-{hi_t}",
            ch_rate,
            source=h["source"],
            tolerance="shown only",
        )

    table = pd.DataFrame(r.rows)
    return RealismProfile(table=table, name=data.manifest.get("name", spec_name))
