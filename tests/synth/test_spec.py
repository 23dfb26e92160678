"""Population specs: every shipped spec is sound, and a bad spec reports all its problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearlib import SpecError
from clearlib._config import specs_dir
from clearlib.synth import available_specs, load_spec
from clearlib.synth._spec import _load_merged
from clearlib.synth._speccheck import check_params


def test_every_shipped_spec_loads_and_checks() -> None:
    """Every spec in datasets/synthetic/specs loads; all problems of all specs are listed at once."""
    problems = []
    for path in sorted(specs_dir().glob("*.toml")):
        merged = _load_merged(path)
        problems += [f"{path.name}: {p}" for p in check_params(merged, source=str(path))]
    assert not problems, "\n".join(problems)
    assert set(available_specs()) >= {"default", "ics"}
    assert "population" not in available_specs(), "the abstract base spec is not generated alone"


def test_default_spec_is_one_pcn_of_five_varied_practices() -> None:
    """The default spec: one PCN, five practices, about 48,000 patients, one with care homes."""
    spec = load_spec("default")
    assert len(spec.pcn_codes) == 1
    assert len(spec.practices) == 5
    assert 45_000 <= spec.total_list_size <= 51_000
    assert sum(p.care_home_beds > 0 for p in spec.practices) == 1
    assert {p.rurality for p in spec.practices} >= {"urban", "rural"}
    assert len({p.imd_decile for p in spec.practices}) == 5
    assert len({p.list_size for p in spec.practices}) == 5


def test_ics_spec_is_eighteen_pcns_and_the_bnssg_population() -> None:
    """The ICS spec draws 18 PCNs totalling 1,026,000 patients, about 5.4 practices per PCN."""
    spec = load_spec("ics")
    assert len(spec.pcn_codes) == 18
    assert spec.total_list_size == 1_026_000
    assert 4.0 <= len(spec.practices) / 18 <= 7.0
    assert len({p.code for p in spec.practices}) == len(spec.practices)
    assert load_spec("ics").practices == spec.practices, "drawing practices is deterministic"


def test_a_bad_spec_reports_every_problem_at_once(tmp_path: Path) -> None:
    """Three separate mistakes in one spec give one SpecError naming all three."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        """
schema_version = 1
extends = "population"
name = "bad"

[[pcns]]
code = "PCN-ONE"
assumption = "test"

[[pcns.practices]]
code = "SYN-G001"
name = "A"
list_size = 5000
imd_decile = 11
rurality = "urban"
clinical_system = "EMIS Web"
care_home_beds = 0
share_65_plus = 0.2

[lifestyle]
smoking_current = 0.99
""",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        load_spec(bad)
    message = str(info.value)
    assert "PCN-ONE" in message
    assert "imd_decile: expected 1-10, found 11" in message
    assert "smoking_current + smoking_ex should be at most 1" in message
    assert "3 problem(s)" in message


def test_an_intervention_must_name_a_practice_of_the_spec(tmp_path: Path) -> None:
    """A spec that inherits an intervention for a practice it no longer has says so."""
    spec = tmp_path / "moved.toml"
    spec.write_text(
        'schema_version = 1\nextends = "default"\nname = "moved"\n[[pcns]]\ncode = "SYN-PCN01"\n'
        'assumption = "test"\n[[pcns.practices]]\ncode = "SYN-G009"\nname = "A"\nlist_size = 900\n'
        'imd_decile = 5\nrurality = "town"\nclinical_system = "Vision"\ncare_home_beds = 0\n'
        "share_65_plus = 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(
        SpecError, match=r"\[\[interventions\]\]\[0\]\.practice: 'SYN-G003' is not a practice"
    ):
        load_spec(spec)


def test_numbers_without_a_source_are_refused(tmp_path: Path) -> None:
    """A table of numbers with neither 'source' nor 'assumption' beside it is a problem."""
    spec = tmp_path / "nosource.toml"
    spec.write_text(
        'schema_version = 1\nextends = "default"\n[madeup]\nrate = 0.5\n', encoding="utf-8"
    )
    with pytest.raises(SpecError, match=r"\[madeup\]: numbers without a 'source' or 'assumption'"):
        load_spec(spec)


def test_unknown_spec_name_lists_the_available_ones() -> None:
    """Asking for a spec that does not exist names the ones that do."""
    with pytest.raises(SpecError, match="the specs available are default, ics"):
        load_spec("nonesuch")


def test_scaled_spec_multiplies_list_sizes() -> None:
    """A scaled spec keeps its practices and multiplies each list size."""
    spec = load_spec("default")
    big = spec.scaled(4)
    assert [p.code for p in big.practices] == [p.code for p in spec.practices]
    assert [p.list_size for p in big.practices] == [4 * p.list_size for p in spec.practices]
    with pytest.raises(SpecError):
        spec.scaled(0)


def test_the_digest_follows_the_generator_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new generator model version changes the digest, so cached datasets are made again."""
    from clearlib.synth import _spec

    spec = load_spec("default")
    before = spec.digest()
    assert before == load_spec("default").digest(), "the digest is stable"
    monkeypatch.setattr(_spec, "GENERATOR_VERSION", _spec.GENERATOR_VERSION + 1)
    assert spec.digest() != before
