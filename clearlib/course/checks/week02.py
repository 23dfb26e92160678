"""Week 02's checks (working with tables): the usual mistakes of its questions, by name.

Each check recomputes from the synthetic PCN what the usual mistakes give (alone and together)
and fails with a message naming them when the learner's answer equals one. None of them computes
the right answer: the assignment's hidden tests do.
"""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from clearlib.course.checks._core import has_index, is_table, no_missing, same
from clearlib.course.checks.week01 import AGE_BAND_LABELS, _age, _band, _combine, pcn_frames

__all__ = [
    "counts_appointments_once",
    "longest_home_visits_rows",
    "march_rows",
    "rate_by_age_band_mistakes",
    "rate_by_practice_mistakes",
    "rate_by_role_mistakes",
    "zeros_counted",
]

_MARCH, _APRIL = pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01")
_YEAR_START, _NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")

# The usual mistakes of a rate: each is a choice of numerator, denominator or scale.
_BOTH_STATUSES = "You counted DNAs and cancellations too: count attended appointments only."
_BOTH_YEARS = (
    "You counted both years: keep appointments that start from 1 April 2025 and before "
    "1 April 2026."
)
_EVERYONE = (
    "You divided by everyone ever registered. The denominator is the listed patients at "
    "31 March 2026."
)
_NO_1000 = "Multiply by 1,000 to get a rate per 1,000 patients."
_PER_100 = "That is a rate per 100 patients (a percentage): multiply by 1,000, not 100."


def _appointments_of(ids: pd.Series) -> pd.DataFrame:
    """The appointments whose ids are in ``ids`` (any year), indexed by appointment_id."""
    a = pcn_frames().pcn.appointments
    return a[a["appointment_id"].isin(ids)]


def march_rows(table: pd.DataFrame, name: str = "pharmacist_phone_mar") -> None:
    """Check every row is a clinical pharmacist's telephone appointment in March 2026, that
    31 March is not missing and that no status was left out.

    The rows are looked up by ``appointment_id``; only the mistakes are named, not the answer.
    """
    is_table(table, name)
    start = table["start"]
    if not pd.api.types.is_datetime64_any_dtype(start):
        raise AssertionError(f"Keep start as a date-time column in {name}.")
    if not ((start >= _MARCH) & (start < _APRIL)).all():
        raise AssertionError(f"Some rows of {name} start outside March 2026.")
    rows = _appointments_of(table["appointment_id"])
    if len(rows) < len(table):
        raise AssertionError(f"Some appointment_id values of {name} are not in appointments.")
    if (rows["role"].astype(str) != "clinical_pharmacist").any():
        raise AssertionError(
            f'Some rows of {name} are not with a clinical pharmacist: role == "clinical_pharmacist".'
        )
    if (rows["mode"].astype(str) != "telephone").any():
        raise AssertionError(
            f'Some rows of {name} are not telephone appointments: filter mode == "telephone" '
            '(appointments["mode"], not appointments.mode).'
        )
    a = pcn_frames().pcn.appointments
    march = a[
        (a["start"] >= _MARCH)
        & (a["start"] < _APRIL)
        & (a["role"] == "clinical_pharmacist")
        & (a["mode"] == "telephone")
    ]
    on_31 = march[march["start"] >= pd.Timestamp("2026-03-31")]
    if len(on_31) and not (table["start"] >= pd.Timestamp("2026-03-31")).any():
        raise AssertionError(
            f"The appointments on 31 March are missing from {name}: a filter like "
            'start <= "2026-03-31" stops at midnight at the start of that day. '
            'Use start < pd.Timestamp("2026-04-01").'
        )
    if march["status"].nunique() > 1 and table["status"].nunique() == 1:
        raise AssertionError(
            f"{name} holds one status only ({table['status'].iloc[0]}): the question asks for "
            "appointments of any status, so do not filter on status."
        )


def longest_home_visits_rows(table: pd.DataFrame, name: str = "longest_home_visits") -> None:
    """Check every row is an attended home visit that starts in 2025/26."""
    start = table["start"]
    if not ((start >= _YEAR_START) & (start < _NEXT_YEAR_START)).all():
        raise AssertionError(
            f"Some rows of {name} start outside the year: keep appointments that start from "
            "1 April 2025 and before 1 April 2026."
        )
    rows = _appointments_of(table["appointment_id"])
    if (rows["mode"].astype(str) != "home_visit").any():
        raise AssertionError(f'Some rows of {name} are not home visits: mode == "home_visit".')
    if (rows["status"].astype(str) != "attended").any():
        raise AssertionError(
            f"Some rows of {name} were not attended (DNAs or cancellations): filter status == "
            '"attended" before you sort.'
        )


def _rate_variants(by: str, *, per_group: bool = True) -> list[tuple[str, Any]]:
    """Every combination of the usual rate mistakes, with what it gives (the right one left out).

    The rate is appointments per 1,000 patients for each value of the column ``by``; the
    denominator is the patients of each group (``per_group``) or of the whole PCN.
    """
    d = pcn_frames()
    a = d.pcn.appointments
    numerators = {
        (): d.attended,
        (_BOTH_STATUSES,): d.year,
        (_BOTH_YEARS,): a[a["status"] == "attended"],
        (_BOTH_STATUSES, _BOTH_YEARS): a,
    }
    denominators = {(): d.listed, (_EVERYONE,): d.patients}
    scales = {(): 1000, (_NO_1000,): 1, (_PER_100,): 100}
    out = []
    for (nk, num), (dk, den), (sk, scale) in itertools.product(
        numerators.items(), denominators.items(), scales.items()
    ):
        names = nk + dk + sk
        if not names:
            continue
        top = num.groupby(by, observed=True).size()
        bottom = den.groupby(by, observed=True).size() if per_group else len(den)
        out.append((_combine(names), top / bottom * scale))
    return out


def rate_by_practice_mistakes(value: pd.Series, name: str = "rate_by_practice") -> None:
    """Fail if the rates per practice are what a usual mistake, or two together, gives: all
    statuses, both years, everyone ever registered, or no × 1,000."""
    codes = sorted(pcn_frames().pcn.practices["practice_code"].astype(str))
    is_table(value, name, kind="Series")
    have = sorted(str(i) for i in value.index)
    if have != codes:
        raise AssertionError(
            f"{name} should have one entry per practice ({', '.join(codes)}); its index is "
            f"{[str(i) for i in value.index]}."
        )
    no_missing(value, name, "check both Series are indexed by practice_code")
    for message, mistaken in _rate_variants("practice_code"):
        if same(value, mistaken):
            raise AssertionError(message)


def rate_by_role_mistakes(value: pd.Series, name: str = "rate_by_role") -> None:
    """Check one entry per role seen (none with 0), highest first, and no usual rate mistake."""
    is_table(value, name, kind="Series")
    d = pcn_frames()
    if (value <= 0).any():
        raise AssertionError(
            f"Some roles in {name} have a rate of 0: leave out roles with no appointments "
            "(groupby(..., observed=True))."
        )
    roles = set(d.attended["role"].astype(str))
    index = [str(r) for r in value.index]
    if set(index) != roles and set(index) > roles:
        raise AssertionError(
            f"{name} has roles with no attended appointment in the year, {sorted(set(index) - roles)}:"
            " count the year's attended appointments only."
        )
    for message, mistaken in _rate_variants("role", per_group=False):
        if same(value, mistaken):
            raise AssertionError(message)
    if set(index) != roles:
        raise AssertionError(
            f"{name} should have one entry per role seen in the year's attended appointments; "
            f"missing {sorted(roles - set(index))}, extra {sorted(set(index) - roles)}."
        )
    if not value.is_monotonic_decreasing:
        raise AssertionError(
            f"Sort {name} from the highest rate to the lowest: sort_values(ascending=False)."
        )


def rate_by_age_band_mistakes(value: pd.Series, name: str = "rate_by_age_band") -> None:
    """Check the 19 bands in order, no missing rate, and none of the usual mistakes: dividing
    by the whole list instead of each band, the numerator or the denominator taking in patients
    no longer on the list, and the usual rate mistakes."""
    is_table(value, name, kind="Series")
    labels = [str(i).replace("\u2013", "-") for i in value.index]
    has_index(pd.Series(value.to_numpy(), index=labels), name, AGE_BAND_LABELS)
    no_missing(value, name, "divide two Series that share the age-band index")
    d = pcn_frames()
    mine = pd.Series(value.to_numpy(dtype=float), index=AGE_BAND_LABELS)
    band = d.listed[["patient_id", "age_band"]]
    everyone = pd.DataFrame(
        {
            "patient_id": d.patients["patient_id"],
            "age_band": _band(_age(d.patients["birth_date"], d.extract_date)),
        }
    )

    def per_band(appts: pd.DataFrame, lookup: pd.DataFrame) -> pd.Series:
        joined = appts.merge(lookup, on="patient_id", validate="many_to_one")
        return joined.groupby("age_band", observed=False).size().reindex(AGE_BAND_LABELS)

    def size(lookup: pd.DataFrame) -> pd.Series:
        return lookup.groupby("age_band", observed=False).size().reindex(AGE_BAND_LABELS)

    num, num_all = per_band(d.attended, band), per_band(d.attended, everyone)
    whole = (
        f"You divided each band's appointments by the whole list ({len(d.listed):,} patients): "
        "divide by the listed patients in each band (listed.groupby('age_band').size())."
    )
    leavers = (
        "Your numerator includes appointments of patients who are no longer on the list: join to "
        "listed, so numerator and denominator are the same people."
    )
    everyone_band = (
        "Your denominator counts everyone ever registered in each band: use the listed patients."
    )
    variants = [
        (whole, num / len(d.listed) * 1000),
        (_combine([whole, leavers]), num_all / len(d.listed) * 1000),
        (_combine([whole, _NO_1000]), num / len(d.listed)),
        (leavers, num_all / size(band) * 1000),
        (everyone_band, num / size(everyone) * 1000),
        (_combine([leavers, everyone_band]), num_all / size(everyone) * 1000),
        (_NO_1000, num / size(band)),
        (_BOTH_STATUSES, per_band(d.year, band) / size(band) * 1000),
    ]
    for message, mistaken in variants:
        if same(mine, mistaken.astype(float)):
            raise AssertionError(message)


def zeros_counted(n_none: Any, mean: Any) -> None:
    """Check the patients with no attended appointment are counted (a left join) and count as
    0 in the average; and that the average is per listed patient of listed patients' visits."""
    d = pcn_frames()
    counts = d.attended.groupby("patient_id").size()
    seen = d.listed["patient_id"].isin(counts.index)
    if n_none == 0:
        raise AssertionError(
            "n_no_appointments is 0: an inner join drops the patients with no appointments. Start "
            'from the listed patients and join how="left".'
        )
    any_status = d.year.groupby("patient_id").size()
    if n_none == int((~d.listed["patient_id"].isin(any_status.index)).sum()):
        raise AssertionError(
            "n_no_appointments counts patients with no appointment of any status: a patient who "
            "only missed or cancelled appointments had no attended one."
        )
    if same(mean, counts[d.listed["patient_id"][seen]].mean()):
        raise AssertionError(
            "Your average leaves out patients with no appointments: fill their missing count "
            "with 0 first (fillna(0))."
        )
    if same(mean, len(d.attended) / len(d.listed)):
        raise AssertionError(
            "mean_appointments_per_patient takes in appointments of patients no longer on the "
            "list: count the listed patients' appointments (the left join does that)."
        )


def counts_appointments_once(value: Any, name: str = "appts_hyp_or_dm") -> None:
    """Fail on the usual mistakes of counting appointments of patients on two registers:
    counting patients instead of appointments, counting an appointment twice after a join,
    keeping patients no longer on the list, or one register only."""
    d = pcn_frames()
    c = d.pcn.conditions
    both = c[c["condition"].isin(["HYP", "DM"])]
    patients_msg = (
        f"{name} counts patients, not appointments: count the rows of the appointments whose "
        "patient is on either register."
    )
    twice = (
        "Each appointment of a patient on both registers is counted twice: joining appointments "
        "to conditions multiplies rows. Filter with .isin() on the patients, or count distinct "
        "appointment_id."
    )
    leavers = (
        "You counted appointments of patients no longer on the list: keep listed patients only."
    )
    # registers per appointment: 0, 1 or 2 (the rows a join to conditions would make)
    who = d.attended["patient_id"]
    listed = who.isin(d.listed["patient_id"]).to_numpy()
    registers = who.map(both.groupby("patient_id", observed=True).size()).fillna(0).to_numpy()
    on_one = registers > 0
    variants = [
        (patients_msg, int(d.listed["patient_id"].isin(both["patient_id"]).sum())),
        (patients_msg, int(both["patient_id"].nunique())),
        (patients_msg, int(who[listed & on_one].nunique())),
        (patients_msg, int(who[on_one].nunique())),
        (twice, int(registers[listed].sum())),
        (_combine([twice, leavers]), int(registers.sum())),
        (leavers, int(on_one.sum())),
    ]
    for register in ("HYP", "DM"):
        one = c.loc[c["condition"] == register, "patient_id"]
        variants.append(
            (
                f"{name} counts the {register} register only: the question asks for patients on "
                "the hypertension or the diabetes register (or both), "
                '.isin(["HYP", "DM"]).',
                int((who.isin(one).to_numpy() & listed).sum()),
            )
        )
    for message, mistaken in variants:
        if same(value, mistaken):
            raise AssertionError(message)
