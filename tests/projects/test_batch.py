"""Tests of batches: a local process pool and a Dask cluster, failures, hangs, retries."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import clearlib.projects
from clearlib import ConfigError

NOTEBOOKS = Path(__file__).parent / "notebooks"
WRITES_SUMMARY = NOTEBOOKS / "writes_summary.ipynb"


def _summary_rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_local_pool_batch_survives_a_failure_a_hang_and_a_crash(in_tmp: Path, kernel_mark) -> None:
    """One run fails, one hangs (killed past kill_after), one's kernel dies, the other
    completes; no kernel stays; summary.csv has each run's values, status and headline."""
    result = clearlib.projects.batch(
        WRITES_SUMMARY,
        over={"behaviour": ["succeed", "fail", "hang", "die"]},
        jobs=2,
        timeout=60,
        kill_after=12,
        progress=False,
    )
    assert [r.status for r in result.runs] == ["succeeded", "failed", "timed_out", "failed"]
    reasons = [(r.manifest["failure"] or {}).get("reason") for r in result.runs]
    assert reasons == [None, "exception", "killed", "crashed"]
    assert not result.ok and [r.run_id for r in result.failed] == [
        r.run_id for r in result.runs[1:]
    ]
    assert kernel_mark() == []
    assert result.runs[0].manifest["execution"]["executor"] == "local pool of 2"
    assert result.folder.parent == in_tmp / "runs"
    assert not list(result.folder.glob(".*.partial"))
    rows = _summary_rows(result.folder)
    assert [r["behaviour"] for r in rows] == ["succeed", "fail", "hang", "die"]
    assert list(rows[0]) == [
        "run_id",
        "behaviour",
        "status",
        "duration_s",
        "cohort_size",
        "cohort_wte",
        "message",
    ]
    assert (rows[0]["cohort_size"], rows[0]["cohort_wte"], rows[0]["message"]) == ("10", "1.25", "")
    assert rows[1]["cohort_size"] == "" and "ValueError: asked to fail" in rows[1]["message"]
    assert "was stopped after 12 s" in rows[2]["message"]
    assert "its process and kernel were killed" in rows[2]["message"]
    assert "DeadKernelError: Kernel died" in rows[3]["message"]
    for row in rows:
        assert (result.folder / row["run_id"] / "manifest.json").is_file()
    message = result.message
    assert message.startswith(f"3 of 4 runs of {result.batch_id} did not succeed:")
    assert "--retry-failed" in message


def test_retry_failed_reruns_only_the_failed_runs(in_tmp: Path, data_folder: Path) -> None:
    """--retry-failed reruns the runs that failed, once their data is fixed, and keeps the rest;
    batch.json records the earlier attempt and summary.csv is updated."""
    broken = data_folder.parent / "broken-extract"
    broken.mkdir()
    (broken / "broken").write_text("marked broken for the test\n")
    first = clearlib.projects.batch(
        WRITES_SUMMARY,
        over={"data_source": [str(data_folder), str(broken)]},
        jobs=2,
        timeout=60,
        progress=False,
    )
    assert [r.status for r in first.runs] == ["succeeded", "failed"]
    (broken / "broken").unlink()
    second = clearlib.projects.batch(
        WRITES_SUMMARY, retry_failed=first.folder, timeout=60, progress=False
    )
    assert second.ok and second.folder == first.folder
    assert second.runs[0].run_id == first.runs[0].run_id  # not rerun
    assert second.runs[1].run_id != first.runs[1].run_id
    record = json.loads((first.folder / "batch.json").read_text(encoding="utf-8"))
    assert record["runs"][1]["previous"] == [first.runs[1].run_id]
    assert [r["status"] for r in _summary_rows(first.folder)] == ["succeeded", "succeeded"]
    assert (first.folder / first.runs[1].run_id / "manifest.json").is_file()  # kept
    # nothing left to retry: no run is made
    third = clearlib.projects.batch(WRITES_SUMMARY, retry_failed=first.folder, progress=False)
    assert [r.run_id for r in third.runs] == [r.run_id for r in second.runs]


def test_several_names_run_every_combination() -> None:
    """Two names of two values each give four runs, the first name varying slowest."""
    from clearlib.projects._batch import _combinations

    assert _combinations({"pcn_code": ["A", "B"], "scale": [1, 2]}) == [
        {"pcn_code": "A", "scale": 1},
        {"pcn_code": "A", "scale": 2},
        {"pcn_code": "B", "scale": 1},
        {"pcn_code": "B", "scale": 2},
    ]


def test_pcn_code_all_expands_to_every_pcn_of_the_data(tmp_path: Path) -> None:
    """pcn_codes lists a dataset's PCNs in the order of its practices table."""
    import pandas as pd

    from clearlib.data._store import to_arrow, write_parquet

    practices = pd.DataFrame(
        {
            "practice_code": ["SYN-G001", "SYN-G002", "SYN-G003"],
            "pcn_code": ["SYN-PCN02", "SYN-PCN01", "SYN-PCN02"],
            "name": ["A", "B", "C"],
            "list_size": [100, 200, 300],
            "imd_decile": [1, 2, 3],
            "rurality": ["urban", "urban", "rural"],
            "clinical_system": ["EMIS Web", "EMIS Web", "SystmOne"],
            "care_home_beds": [0, 0, 10],
        }
    )
    write_parquet(to_arrow(practices, "practices", sort=False), tmp_path / "practices.parquet")
    assert clearlib.projects.pcn_codes(tmp_path) == ["SYN-PCN02", "SYN-PCN01"]


def test_over_texts_are_read_for_each_parameters_type() -> None:
    """--over texts: text values stay text, numbers are numbers, each list value is one list."""
    over = clearlib.projects.parse_over(
        WRITES_SUMMARY, ["pcn_code=all", "scale=0.5,2", "scenario_files=a,[b, c]"]
    )
    assert over == {"pcn_code": ["all"], "scale": [0.5, 2], "scenario_files": [["a"], ["b", "c"]]}
    with pytest.raises(ConfigError, match="name=value1,value2"):
        clearlib.projects.parse_over(WRITES_SUMMARY, ["scale"])
    with pytest.raises(ConfigError, match="has no parameter 'colour'"):
        clearlib.projects.parse_over(WRITES_SUMMARY, ["colour=red,blue"])


def test_batch_options_are_checked_before_anything_runs(in_tmp: Path) -> None:
    """Bad jobs, a wrongly typed value, no values, or data twice: ConfigError, nothing written."""
    with pytest.raises(ConfigError, match="jobs must be a whole number"):
        clearlib.projects.batch(WRITES_SUMMARY, {"scale": [1.0]}, jobs=0)
    with pytest.raises(ConfigError, match="expects a float"):
        clearlib.projects.batch(WRITES_SUMMARY, {"scale": ["big"]})
    with pytest.raises(ConfigError, match="needs values to run over"):
        clearlib.projects.batch(WRITES_SUMMARY, {})
    with pytest.raises(ConfigError, match="either with --data or with --over data_source"):
        clearlib.projects.batch(WRITES_SUMMARY, {"data_source": ["a"]}, data="b")
    with pytest.raises(ConfigError, match="with their batch's own values"):
        clearlib.projects.batch(WRITES_SUMMARY, {"scale": [1.0]}, retry_failed=in_tmp)
    with pytest.raises(ConfigError, match=r"no readable batch\.json"):
        clearlib.projects.batch(WRITES_SUMMARY, retry_failed=in_tmp)
    assert not list(in_tmp.glob("runs/*"))
