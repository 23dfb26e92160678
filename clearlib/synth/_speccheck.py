"""Checks of a merged population spec. Every problem is collected; none stops the others."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from clearlib import reference

__all__ = ["check_params"]

PROVENANCE_KEYS = ("source", "assumption")
PRACTICE_CODE = re.compile(r"^SYN-G\d{3}$")
PCN_CODE = re.compile(r"^SYN-PCN\d{2}$")
RURALITY = {"urban", "town", "rural"}
CLINICAL_SYSTEMS = {"EMIS Web", "SystmOne", "Vision"}
REQUIRED_SECTIONS = (
    "window",
    "age",
    "sex",
    "deprivation",
    "ethnicity",
    "registration",
    "mortality",
    "households",
    "lifestyle",
    "conditions",
    "frailty",
    "medications",
    "appointments",
    "hospital",
    "workforce",
)


def _has_numbers(table: dict[str, Any]) -> bool:
    def numeric(v: Any) -> bool:
        if isinstance(v, bool):
            return False
        if isinstance(v, int | float):
            return True
        if isinstance(v, list):
            return any(numeric(x) for x in v)
        return False

    return any(numeric(v) for v in table.values())


def _has_provenance(table: dict[str, Any]) -> bool:
    return any(k.startswith(PROVENANCE_KEYS) for k in table)


def _walk(
    table: dict[str, Any], path: str, inherited: bool
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    here = inherited or _has_provenance(table)
    yield path, table, here
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _walk(value, f"{path}.{key}" if path else key, here)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                yield from _walk(item, f"{path}.{key}[{i}]" if path else f"{key}[{i}]", here)


def _share_sum(problems: list[str], where: str, values: Any, total: float = 1.0) -> None:
    try:
        s = float(sum(values))
    except TypeError:
        problems.append(f"{where}: expected a list of numbers, found {values!r}")
        return
    if abs(s - total) > 0.011 * total:
        problems.append(f"{where}: shares should add up to {total:g}, found {s:.4f}")


def check_params(params: dict[str, Any], source: str = "spec") -> list[str]:
    """Return every problem in a merged spec (an empty list when it is sound).

    Examples
    --------
    >>> check_params({"schema_version": 99})[0]
    'schema_version: expected 1, found 99'
    """
    problems: list[str] = []
    if params.get("schema_version") != 1:
        problems.append(f"schema_version: expected 1, found {params.get('schema_version')!r}")
        return problems
    for section in REQUIRED_SECTIONS:
        if section not in params:
            problems.append(f"[{section}]: missing section (the base spec 'population' has it)")
    # provenance: every table with numbers carries a source or an assumption (itself or a parent)
    for path, table, covered in _walk(params, "", False):
        if path and _has_numbers(table) and not covered:
            problems.append(
                f"[{path}]: numbers without a 'source' or 'assumption' beside them; cite "
                "datasets/FACTS.md (or the tables it names) or label the values as an assumption"
            )
    if problems:
        return problems

    problems += _check_population(params)
    if not params.get("abstract"):  # a base spec holds parameters, not practices
        problems += _check_practices(params)
    return problems


def _check_population(p: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if not p["window"]["start"] < p["window"]["end"]:
        problems.append("[window]: start must be before end")
    bands = p["age"]["band_shares"]
    if len(bands) != 19:
        problems.append(f"[age].band_shares: expected 19 five-year bands, found {len(bands)}")
    _share_sum(problems, "[age].band_shares", bands, 100.0)
    _share_sum(problems, "[ethnicity].shares", p["ethnicity"]["shares"].values())

    ls = p["lifestyle"]
    if ls["smoking_current"] + ls["smoking_ex"] > 1:
        problems.append(
            f"[lifestyle]: smoking_current + smoking_ex should be at most 1, found "
            f"{ls['smoking_current'] + ls['smoking_ex']:.2f}"
        )
    for path, table, _ in _walk(p, "", False):
        for key, value in table.items():
            is_share = key.endswith("_share") or key.startswith("share_")
            if is_share and isinstance(value, int | float) and not 0 <= value <= 1:
                problems.append(f"[{path}].{key}: a share must be between 0 and 1, found {value}")

    registers = p["conditions"]["registers"]
    known = set(reference.conditions()["code"])
    for code in sorted(known - set(registers)):
        problems.append(f"[conditions.registers]: register {code} is missing")
    for code, reg in sorted(registers.items()):
        where = f"[conditions.registers].{code}"
        if code not in known:
            problems.append(f"{where}: unknown QOF register; known: {', '.join(sorted(known))}")
            continue
        if not 0 < reg.get("prevalence", -1) < 0.5:
            problems.append(f"{where}.prevalence: expected a share between 0 and 0.5")
        if len(reg.get("age_logodds", [])) != 6:
            problems.append(f"{where}.age_logodds: expected 6 values (ages 0,20,40,60,80,100)")
    for code in p["conditions"]["ratio_checked"]:
        if code not in registers:
            problems.append(f"[conditions].ratio_checked: {code} is not a register")

    deficits = set(reference.efi_deficits()["code"])
    for code in p["frailty"]["other_deficits"]:
        if code not in deficits:
            problems.append(f"[frailty].other_deficits: {code} is not one of the 36 eFI deficits")
    _share_sum(
        problems, "[frailty].target_shares_65_plus", p["frailty"]["target_shares_65_plus"].values()
    )

    roles = set(reference.roles()["code"])
    role_shares = p["appointments"]["roles"]["shares"]
    for code in role_shares:
        if code not in roles:
            problems.append(f"[appointments.roles].shares: unknown role {code}")
    _share_sum(problems, "[appointments.roles].shares", role_shares.values())
    _share_sum(problems, "[appointments].mode_shares", p["appointments"]["mode_shares"].values())
    for role in role_shares:
        mix = p["appointments"]["modes"].get(role)
        if mix is None:
            problems.append(f"[appointments.modes]: no mode mix for role {role}")
        else:
            _share_sum(problems, f"[appointments.modes].{role}", mix)
        if role not in p["workforce"]["slot_minutes"]:
            problems.append(f"[workforce].slot_minutes: no slot length for role {role}")
    lead = p["appointments"]["lead_time"]
    for profile in ("acute", "planned"):
        if len(lead[profile]) != len(lead["bands_days"]):
            problems.append(f"[appointments.lead_time].{profile}: one share per band expected")
        _share_sum(problems, f"[appointments.lead_time].{profile}", lead[profile])
    for table, key in (("mortality", "knots"), ("households", "housebound_knots")):
        ages, values = (
            p[table][f"{key}_age"],
            p[table][f"{key}_prob" if table == "households" else "knots_annual_prob"],
        )
        if len(ages) != len(values):
            problems.append(f"[{table}]: knot ages and values differ in length")
    return problems


def _check_practices(p: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if "pcns" not in p and "draw_practices" not in p:
        problems.append("the spec needs [[pcns]] with [[pcns.practices]], or [draw_practices]")
        return problems
    seen: set[str] = set()
    for i, pcn in enumerate(p.get("pcns", [])):
        where = f"[[pcns]][{i}]"
        if not PCN_CODE.match(str(pcn.get("code", ""))):
            problems.append(f"{where}.code: expected like SYN-PCN01, found {pcn.get('code')!r}")
        if not pcn.get("practices"):
            problems.append(f"{where}: no practices")
        for j, pr in enumerate(pcn.get("practices", [])):
            w = f"{where}.practices[{j}]"
            code = str(pr.get("code", ""))
            if not PRACTICE_CODE.match(code):
                problems.append(f"{w}.code: expected like SYN-G001, found {code!r}")
            if code in seen:
                problems.append(f"{w}.code: {code} is used twice")
            seen.add(code)
            if not isinstance(pr.get("list_size"), int) or not 100 <= pr["list_size"] <= 200_000:
                problems.append(
                    f"{w}.list_size: expected a whole number 100-200,000, found {pr.get('list_size')!r}"
                )
            if pr.get("imd_decile") not in range(1, 11):
                problems.append(f"{w}.imd_decile: expected 1-10, found {pr.get('imd_decile')!r}")
            if pr.get("rurality") not in RURALITY:
                problems.append(
                    f"{w}.rurality: expected one of {sorted(RURALITY)}, found {pr.get('rurality')!r}"
                )
            if pr.get("clinical_system") not in CLINICAL_SYSTEMS:
                problems.append(
                    f"{w}.clinical_system: expected one of {sorted(CLINICAL_SYSTEMS)}, found {pr.get('clinical_system')!r}"
                )
            if not isinstance(pr.get("care_home_beds"), int) or pr["care_home_beds"] < 0:
                problems.append(
                    f"{w}.care_home_beds: expected a whole number ≥ 0, found {pr.get('care_home_beds')!r}"
                )
            if not 0.03 <= float(pr.get("share_65_plus", -1)) <= 0.5:
                problems.append(
                    f"{w}.share_65_plus: expected 0.03-0.5, found {pr.get('share_65_plus')!r}"
                )
    roles = set(reference.roles()["code"])
    window = p.get("window", {})
    for i, change in enumerate(p.get("interventions", [])):
        w = f"[[interventions]][{i}]"
        if seen and change.get("practice") not in seen:
            problems.append(
                f"{w}.practice: {change.get('practice')!r} is not a practice of this spec"
            )
        start = change.get("starts_on")
        if window and not (window["start"] < start <= window["end"]):
            problems.append(f"{w}.starts_on: expected a date inside the window, found {start!r}")
        for key in ("emergency_admission_change", "gp_appointment_change"):
            if not -1 <= change.get(key, 0) <= 0:
                problems.append(
                    f"{w}.{key}: expected a reduction between -1 and 0, found {change.get(key)!r}"
                )
        for role in change.get("extra_appointments_per_person_year", {}):
            if role not in roles:
                problems.append(f"{w}.extra_appointments_per_person_year: unknown role {role!r}")
    draw = p.get("draw_practices")
    if draw:
        if not 1 <= draw.get("pcn_count", 0) <= 99:
            problems.append("[draw_practices].pcn_count: expected 1-99")
        if draw.get("total_list_size", 0) < 1000:
            problems.append("[draw_practices].total_list_size: expected at least 1,000")
        _share_sum(
            problems,
            "[draw_practices].clinical_system_shares",
            draw["clinical_system_shares"].values(),
        )
        _share_sum(problems, "[draw_practices].rurality_shares", draw["rurality_shares"].values())
    return problems
