"""A tiny hand-written dataset whose every feature, segment and outcome is worked out by hand.

Index date 2025-04-01; extract date 2026-03-31 (the synthetic data's defaults).

=====  ==========================================================================================
P1     F, born 1940-01-01, IMD 1, housebound, lives alone. HYP (2005), HF (2020), PC on
       2025-06-01 (after the index date). 10 deficits before the index date, 1 after. Three
       repeat medicines: one current, one stopped 2025-05-01 (after the index date), one started
       2025-06-01. Prior year: 3 attended appointments (2 with a GP), 1 DNA; one attended
       appointment on 2024-03-15 (before the window) and one after the index date. Hospital:
       A&E and an emergency admission 2025-01-10 to 2025-01-15 (5 days); emergency admissions
       on 2025-06-01 and 2025-09-01 (the outcome: 2). As at the extract: segment 6 (PC).
P2     M, born 1960-06-15, IMD 10, Asian. COPD (2015), 5 deficits before the index date.
       Emergency admission 2025-03-25 to 2025-04-05: 7 bed days up to the index date; not an
       outcome (it started before). As at the extract: segment 7 (COPD with 5+ deficits).
P3     F, born 2025-12-01: not in the risk population; as at the extract aged under 1:
       segment 2.
P4     M, born 1990-05-05, registered 2025-06-01 (after the index date): not in the risk
       population. An attended general-acute appointment on 2026-02-15: segment 3.
P5     F, born 1950-03-03, died 2025-02-01: in neither population.
P6     M, born 1980-07-07, left the practice 2025-08-01: in the risk population (``left``);
       not registered at the extract.
P7     F, born 2010-10-10 (14 at the index date): below the risk model's minimum age. Asthma
       (2016): segment 4.
P8     M, born 1945-02-02, care-home resident, DEM (2018), 3 deficits. A&E on 2026-03-01:
       segment 8, also meets 4 and 3.
=====  ==========================================================================================
"""

from __future__ import annotations

import pandas as pd

INDEX = pd.Timestamp("2025-04-01")
EXTRACT = pd.Timestamp("2026-03-31")


def _dates(values):
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[s]")


def tiny_segment_data() -> dict[str, pd.DataFrame]:
    """The eight-patient dataset described in the module docstring, as a dict of tables."""
    patients = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(1, 9)],
            "practice_code": ["SYN-G001"] * 8,
            "sex": pd.Categorical(["F", "M", "F", "M", "F", "M", "F", "M"], categories=["F", "M"]),
            "birth_date": _dates(
                [
                    "1940-01-01",
                    "1960-06-15",
                    "2025-12-01",
                    "1990-05-05",
                    "1950-03-03",
                    "1980-07-07",
                    "2010-10-10",
                    "1945-02-02",
                ]
            ),
            "imd_decile": [1, 10, 5, 3, 4, 6, 7, 2],
            "ethnicity": pd.Categorical(
                ["White", "Asian", "White", "Black", "White", "Mixed", "Other", "White"]
            ),
            "registered_on": _dates(
                [
                    "1990-01-01",
                    "2000-01-01",
                    "2025-12-05",
                    "2025-06-01",
                    "1990-01-01",
                    "2010-01-01",
                    "2010-11-01",
                    "2000-01-01",
                ]
            ),
            "deregistered_on": _dates([None, None, None, None, None, "2025-08-01", None, None]),
            "died_on": _dates([None, None, None, None, "2025-02-01", None, None, None]),
            "lives_alone": [True, False, False, False, False, False, False, False],
            "care_home_resident": [False, False, False, False, False, False, False, True],
            "housebound": [True, False, False, False, False, False, False, False],
            "carer": [False] * 8,
        }
    )
    conditions = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P1", "P2", "P7", "P8"],
            "condition": ["HYP", "HF", "PC", "COPD", "AST", "DEM"],
            "diagnosed_on": _dates(
                ["2005-03-01", "2020-01-01", "2025-06-01", "2015-01-01", "2016-01-01", "2018-01-01"]
            ),
        }
    )
    p1_deficits = [f"d{i:02d}" for i in range(11)]
    deficits = pd.DataFrame(
        {
            "patient_id": ["P1"] * 11 + ["P2"] * 5 + ["P8"] * 3,
            "deficit": p1_deficits + [f"d{i:02d}" for i in range(5)] + ["d00", "d01", "d02"],
            "first_recorded_on": _dates(
                ["2019-01-01"] * 10 + ["2025-10-01"] + ["2018-01-01"] * 5 + ["2019-01-01"] * 3
            ),
        }
    )
    medications = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P1"],
            "medicine_class": ["statin", "loop_diuretic", "opioid"],
            "started_on": _dates(["2010-01-01", "2015-01-01", "2025-06-01"]),
            "stopped_on": _dates([None, "2025-05-01", None]),
        }
    )
    appointments = pd.DataFrame(
        {
            "appointment_id": [f"A{i}" for i in range(1, 8)],
            "patient_id": ["P1", "P1", "P1", "P1", "P1", "P1", "P4"],
            "role": ["gp", "gp", "practice_nurse", "gp", "gp", "gp", "gp"],
            "start": pd.to_datetime(
                [
                    "2024-05-01 09:00",
                    "2024-11-01 10:00",
                    "2025-03-31 16:30",
                    "2025-01-05 09:00",
                    "2024-03-15 09:00",
                    "2025-04-01 09:00",
                    "2026-02-15 11:00",
                ]
            ).astype("datetime64[s]"),
            "national_category": [
                "general_routine",
                "general_acute",
                "planned_clinics",
                "general_routine",
                "general_routine",
                "general_acute",
                "general_acute",
            ],
            "status": [
                "attended",
                "attended",
                "attended",
                "dna",
                "attended",
                "attended",
                "attended",
            ],
        }
    )
    hospital = pd.DataFrame(
        {
            "event_id": [f"H{i}" for i in range(1, 8)],
            "patient_id": ["P1", "P1", "P1", "P1", "P2", "P8", "P6"],
            "type": [
                "ae",
                "emergency_admission",
                "emergency_admission",
                "emergency_admission",
                "emergency_admission",
                "ae",
                "outpatient",
            ],
            "start": _dates(
                [
                    "2025-01-10",
                    "2025-01-10",
                    "2025-06-01",
                    "2025-09-01",
                    "2025-03-25",
                    "2026-03-01",
                    "2024-12-12",
                ]
            ),
            "end": _dates(
                [None, "2025-01-15", "2025-06-03", "2025-09-04", "2025-04-05", None, None]
            ),
        }
    )
    return {
        "patients": patients,
        "conditions": conditions,
        "frailty_deficits": deficits,
        "medications": medications,
        "appointments": appointments,
        "hospital_events": hospital,
    }
