"""The generator's tables: the columns of the data dictionary, seeded, with fake identifiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearlib.data._dictionary import data_dictionary
from clearlib.synth import load_spec
from clearlib.synth._generate import generate_pcn

KIND = {  # how a dictionary type shows in a generated frame
    "string": lambda s: pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype),
    "integer": lambda s: pd.api.types.is_integer_dtype(s),
    "number": lambda s: pd.api.types.is_float_dtype(s),
    "boolean": lambda s: pd.api.types.is_bool_dtype(s),
    "date": lambda s: pd.api.types.is_datetime64_any_dtype(s),
    "datetime": lambda s: pd.api.types.is_datetime64_any_dtype(s),
}


@pytest.fixture(scope="module")
def tiny(tiny_spec_path: Path) -> dict[str, pd.DataFrame]:
    spec = load_spec(tiny_spec_path)
    return generate_pcn(spec, "SYN-PCN01")


def test_tables_have_the_dictionary_columns_and_types(tiny: dict[str, pd.DataFrame]) -> None:
    """Every generated table has exactly the dictionary's columns, in order, of its types."""
    dictionary = data_dictionary()
    assert set(tiny) == set(dictionary)
    for name, frame in tiny.items():
        table = dictionary[name]
        assert list(frame.columns) == list(table.field_names), name
        for f in table.fields:
            assert KIND[f.type](frame[f.name]), (
                f"{name}.{f.name}: {frame[f.name].dtype} is not {f.type}"
            )
            if f.required:
                assert frame[f.name].notna().all(), f"{name}.{f.name} has blanks"
            if f.enum:
                values = set(frame[f.name].dropna().astype(str))
                assert values <= set(f.enum), f"{name}.{f.name}: {values - set(f.enum)}"


def test_same_seed_same_tables_other_seed_other_population(tiny_spec_path: Path) -> None:
    """Generating twice with one seed gives equal tables; another seed gives different people."""
    spec = load_spec(tiny_spec_path)
    a = generate_pcn(spec, "SYN-PCN02", seed=11)
    b = generate_pcn(spec, "SYN-PCN02", seed=11)
    c = generate_pcn(spec, "SYN-PCN02", seed=12)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["patients"]["birth_date"].equals(c["patients"]["birth_date"])


def test_a_pcn_does_not_depend_on_which_other_pcns_exist(tiny_spec_path: Path) -> None:
    """A PCN's tables come from (spec, PCN, seed) alone, so PCNs can be made in any order."""
    spec = load_spec(tiny_spec_path)
    first = generate_pcn(spec, "SYN-PCN02")
    generate_pcn(spec, "SYN-PCN01")
    again = generate_pcn(spec, "SYN-PCN02")
    pd.testing.assert_frame_equal(first["appointments"], again["appointments"])


def test_identifiers_look_fake_and_are_unique(tiny: dict[str, pd.DataFrame]) -> None:
    """Identifiers start SYN- and keys are unique."""
    for table, key, pattern in (
        ("patients", "patient_id", r"SYN-P\d{9}"),
        ("appointments", "appointment_id", r"SYN-A\d{11}"),
        ("hospital_events", "event_id", r"SYN-H\d{10}"),
        ("staff", "staff_id", r"SYN-S\d{6}"),
        ("practices", "practice_code", r"SYN-G\d{3}"),
    ):
        ids = tiny[table][key].astype(str)
        assert ids.str.fullmatch(pattern).all(), f"{table}.{key}"
        assert ids.is_unique, f"{table}.{key} repeats"


def test_unknown_pcn_is_a_clear_error(tiny_spec_path: Path) -> None:
    """Asking for a PCN the spec does not have names the ones it does."""
    from clearlib import SpecError

    with pytest.raises(SpecError, match="its PCNs are SYN-PCN01, SYN-PCN02"):
        generate_pcn(load_spec(tiny_spec_path), "SYN-PCN09")


def test_rosters_are_sized_to_activity(tiny: dict[str, pd.DataFrame]) -> None:
    """Each role's WTE grows with its booked appointments; PCN-employed roles are ARRS-funded."""
    staff, ap = tiny["staff"], tiny["appointments"]
    wte = staff.groupby("role", observed=True)["wte"].sum()
    booked = ap[ap["status"] != "cancelled"].groupby("role", observed=True).size()
    assert set(booked.index) <= set(wte.index), "every role with appointments has staff"
    assert wte["gp"] > wte.get("splw", 0)
    assert (staff.loc[staff["practice_code"].isna(), "arrs_funded"]).all()
    assert not staff.loc[staff["practice_code"].notna(), "arrs_funded"].any()
    assert ((staff["wte"] > 0) & (staff["wte"] <= 1)).all()
    assert staff.loc[staff["role"] == "gp", "afc_band"].isna().all()
    assert np.isin(ap["staff_id"].astype(str), staff["staff_id"].astype(str)).all()


def test_the_default_pcn_carries_a_change_with_a_known_effect(default_pcn) -> None:
    """From 1 April 2025 Abbey Fields (SYN-G003) adds care-coordinator reviews for its frail
    cohort; the other practices, the comparison group, do not change."""
    ap = default_pcn.appointments
    cc = ap[(ap["role"] == "care_coordinator") & (ap["national_category"] == "planned_clinics")]
    after = cc["start"] >= pd.Timestamp("2025-04-01")
    at_g003 = cc["practice_code"] == "SYN-G003"
    g003 = after[at_g003].sum() / max((~after[at_g003]).sum(), 1)
    others = after[~at_g003].sum() / max((~after[~at_g003]).sum(), 1)
    assert g003 > 2.5 * others, (g003, others)
    assert 0.6 < others < 1.6, "the comparison practices are steady"


def test_one_packed_sort_orders_rows_as_lexsort_does() -> None:
    """_sort_order gives np.lexsort's order, ties kept in place, whether or not keys pack."""
    from clearlib.synth._generate import _sort_order

    rng = np.random.default_rng(3)
    a, b, c = rng.integers(0, 5, 5000), rng.integers(0, 7, 5000), rng.integers(0, 900, 5000)
    assert np.array_equal(_sort_order(a, b, c), np.lexsort((a, b, c)))
    big = rng.integers(0, 2**40, 5000)  # too wide to pack: falls back to lexsort
    assert np.array_equal(_sort_order(a, big, big), np.lexsort((a, big, big)))
    floats = rng.random(5000)
    assert np.array_equal(_sort_order(a, floats), np.lexsort((a, floats)))


def test_identifiers_are_padded_serials_even_past_the_pad() -> None:
    """_ids writes prefix, practice number and serial + 1 zero-padded; wider serials still show."""
    from clearlib.synth._generate import _ids

    assert _ids("SYN-P", 12, np.array([0, 41, 999_998]), 6).tolist() == [
        "SYN-P012000001",
        "SYN-P012000042",
        "SYN-P012999999",
    ]
    assert _ids("SYN-H", 3, np.array([99, 1000]), 3).tolist() == ["SYN-H003100", "SYN-H0031001"]


def test_calibration_is_solved_once_per_population_and_kept(
    tiny_spec_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A population's calibration is solved once, kept on disk, and read back unchanged by a
    new process (here: an emptied in-process cache); another population is solved again."""
    import dataclasses

    from clearlib.synth import _generate

    monkeypatch.setenv("CLEAR_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(_generate, "_CALIBRATIONS", {})
    solved = []
    fake = _generate.Calibration(
        condition_coef={"DM": (-4.25, 0.125)},
        frailty_scale=0.2,
        appointment_scale=4.3,
        dna_intercept=-3.5,
        emergency_scale=0.1,
        ae_scale=0.26,
        elective_scale=0.22,
        outpatient_scale=1.1,
        appointment_age_adjust=tuple(0.9 + k / 100 for k in range(19)),
        mortality_norm=(1.25,) * 19,
        care_home_turnover=1.3,
    )

    def solve(population):
        solved.append(population)
        return fake

    monkeypatch.setattr(_generate, "_calibrate", solve)
    spec = load_spec(tiny_spec_path)
    assert _generate.calibrate(spec) == fake
    assert len(solved) == 1 and "pcns" not in solved[0], "solved on the population alone"
    assert len(list((tmp_path / ".calibration").glob("*.json"))) == 1
    monkeypatch.setattr(_generate, "_CALIBRATIONS", {})  # as a new process would start
    assert _generate.calibrate(spec) == fake
    assert _generate.calibrate(spec.scaled(2)) == fake, "practices do not change the population"
    assert len(solved) == 1
    other = dataclasses.replace(spec, params={**spec.params, "lifestyle": {"bmi_mean": 28.0}})
    _generate.calibrate(other)
    assert len(solved) == 2


def test_generated_files_are_those_the_data_contract_writer_makes(
    tiny_spec_path: Path, tmp_path: Path
) -> None:
    """The generator's own Arrow tables, written practice by practice, are byte for byte the
    files write_tables makes from the same tables as pandas frames (same types, same order)."""
    from clearlib._config import LARGE_TABLES
    from clearlib.data._store import write_tables

    spec = load_spec(tiny_spec_path)
    tables = generate_pcn(spec, "SYN-PCN01")
    codes = [p.code for p in spec.practices_of("SYN-PCN01")]
    frames = {name: tables[name] for name in LARGE_TABLES}
    expected = write_tables(frames, tmp_path / "contract", practice_codes=codes)
    assert tables.write(tmp_path / "generator") == expected
    for rel in expected:
        ours, theirs = tmp_path / "generator" / rel, tmp_path / "contract" / rel
        assert ours.read_bytes() == theirs.read_bytes(), rel


def test_large_tables_written_are_not_kept(tiny_spec_path: Path, tmp_path: Path) -> None:
    """Writing a PCN's large tables streams them practice by practice and keeps none: reading
    one afterwards, or writing again, is a DataError naming the folder; small tables stay."""
    from clearlib import DataError

    tables = generate_pcn(load_spec(tiny_spec_path), "SYN-PCN01")
    written = tables.write(tmp_path)
    large = ("appointments", "conditions", "frailty_deficits", "hospital_events")
    large += ("medications", "patients")
    assert sorted(written) == sorted(
        f"{table}/{code}.parquet" for table in large for code in ("SYN-G001", "SYN-G002")
    )
    assert written["patients/SYN-G001.parquet"] > 0
    assert list(tables["practices"]["practice_code"]) == ["SYN-G001", "SYN-G002"]
    with pytest.raises(DataError, match=str(tmp_path)):
        tables["patients"]
    with pytest.raises(DataError, match="already written"):
        tables.write(tmp_path / "again")
