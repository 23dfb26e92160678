"""Invariants that hold for any seed (hypothesis draws the seeds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearlib._config import EXTRACT_DATE, WINDOW_START
from clearlib.data._dictionary import data_dictionary
from clearlib.synth import load_spec
from clearlib.synth._generate import generate_pcn

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
EXTRACT = pd.Timestamp(EXTRACT_DATE)


@pytest.fixture(scope="module")
def spec(tiny_spec_path: Path):
    return load_spec(tiny_spec_path)


def _end_of_record(patients: pd.DataFrame) -> pd.Series:
    return patients[["died_on", "deregistered_on"]].min(axis=1).fillna(EXTRACT)


@SETTINGS
@given(seed=SEEDS)
def test_activity_only_while_registered_and_alive(spec, seed: int) -> None:
    """No appointment before registration, after death or after leaving; none outside the window."""
    t = generate_pcn(spec, "SYN-PCN01", seed=seed)
    p = t["patients"].set_index("patient_id")
    ap = t["appointments"].join(p[["registered_on", "died_on", "deregistered_on"]], on="patient_id")
    day = ap["start"].dt.normalize()
    assert (day >= ap["registered_on"]).all()
    assert (day >= pd.Timestamp(WINDOW_START)).all() and (day <= EXTRACT).all()
    assert not (day >= ap["died_on"]).any(), "appointment on or after death"
    assert not (day > ap["deregistered_on"]).any(), "appointment after leaving"
    assert (ap["booked_on"] <= day).all()
    he = t["hospital_events"].join(p[["died_on"]], on="patient_id")
    assert not (he["start"] > he["died_on"]).any()
    admitted = he["end"].notna()
    assert (he.loc[admitted, "end"] >= he.loc[admitted, "start"]).all()
    assert (
        he.loc[admitted, "length_of_stay_days"] == (he["end"] - he["start"]).dt.days[admitted]
    ).all()


@SETTINGS
@given(seed=SEEDS)
def test_efi_is_deficits_over_36_and_dates_are_possible(spec, seed: int) -> None:
    """Each deficit is recorded once per patient, so eFI = deficits / 36 lies in [0, 1];
    nothing is recorded before birth or after the record ends."""
    t = generate_pcn(spec, "SYN-PCN01", seed=seed)
    p = t["patients"].set_index("patient_id")
    d = t["frailty_deficits"]
    assert not d.duplicated(["patient_id", "deficit"]).any()
    efi = d.groupby("patient_id", observed=True).size() / 36
    assert efi.between(0, 1).all()
    for table, col in (
        ("frailty_deficits", "first_recorded_on"),
        ("conditions", "diagnosed_on"),
        ("medications", "started_on"),
    ):
        x = t[table].join(p[["birth_date"]], on="patient_id")
        ends = _end_of_record(p).reindex(x["patient_id"]).to_numpy()
        assert (x[col] >= x["birth_date"]).all(), f"{table}.{col} before birth"
        assert (x[col].to_numpy() <= ends).all(), f"{table}.{col} after the record ends"
    assert not t["conditions"].duplicated(["patient_id", "condition"]).any()
    assert (p["died_on"].dropna() > p.loc[p["died_on"].notna(), "birth_date"]).all()


@SETTINGS
@given(seed=SEEDS)
def test_every_foreign_key_resolves(spec, seed: int) -> None:
    """Every foreign key of the data dictionary finds its row."""
    t = generate_pcn(spec, "SYN-PCN01", seed=seed)
    for name, table in data_dictionary().items():
        for fk in table.foreign_keys:
            child = t[name][list(fk.fields)].dropna().astype(str)
            parent = t[fk.table][list(fk.reference_fields)].astype(str)
            keys = set(map(tuple, parent.to_numpy()))
            missing = [row for row in map(tuple, child.to_numpy()) if row not in keys]
            assert not missing, f"{name}.{fk.fields} → {fk.table}: {missing[:3]}"


@SETTINGS
@given(seed=SEEDS)
def test_list_sizes_add_up(spec, seed: int) -> None:
    """Each practice's list size equals its patients registered and alive at the extract date."""
    t = generate_pcn(spec, "SYN-PCN01", seed=seed)
    p = t["patients"]
    listed = p[p["died_on"].isna() & p["deregistered_on"].isna()]
    counts = listed.groupby("practice_code", observed=True).size()
    sizes = t["practices"].set_index("practice_code")["list_size"]
    assert (
        counts.reindex(sizes.index, fill_value=0).astype(int).to_dict()
        == sizes.astype(int).to_dict()
    )
    targets = {pr.code: pr.list_size for pr in spec.practices_of("SYN-PCN01")}
    for code, size in sizes.items():
        assert abs(size - targets[code]) <= 0.1 * targets[code] + 10, (
            f"{code}: {size} vs about {targets[code]}"
        )
