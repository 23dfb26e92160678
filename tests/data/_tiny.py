"""A tiny, valid PCN dataset written by hand, for tests that must not depend on the generator.

Two practices in one PCN, four staff, six patients (one died, one moved away), and a few rows
of every other table. Every value obeys ``datasets/synthetic/README.md``. ``tiny_tables()``
gives the tables as the text of a CSV export; ``tiny_bundle()`` gives them typed, as a
:class:`clearlib.PCNData`; ``copies`` repeats the patients (with new identifiers) when a
test needs more rows.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from clearlib.data import PCNData
from clearlib.data._dictionary import data_dictionary

CSV = {
    "practices": """\
practice_code,pcn_code,name,list_size,imd_decile,rurality,clinical_system,care_home_beds
SYN-G001,SYN-PCN01,Riverside Surgery,3,2,urban,EMIS Web,40
SYN-G002,SYN-PCN01,Hillview Practice,1,8,rural,SystmOne,0
""",
    "staff": """\
staff_id,pcn_code,practice_code,role,afc_band,wte,arrs_funded,start_date
SYN-S001001,SYN-PCN01,SYN-G001,gp,,1.0,false,2015-09-01
SYN-S001002,SYN-PCN01,SYN-G001,practice_nurse,6,0.8,false,2019-01-14
SYN-S002001,SYN-PCN01,SYN-G002,gp,,0.6,false,2010-04-01
SYN-S901001,SYN-PCN01,,clinical_pharmacist,7,1.0,true,2021-06-07
""",
    "patients": """\
patient_id,practice_code,sex,birth_date,imd_decile,ethnicity,registered_on,deregistered_on,died_on,lives_alone,care_home_resident,housebound,carer,smoking_status,bmi
SYN-P001000001,SYN-G001,F,1938-05-17,2,White,1990-02-01,,,true,false,true,false,ex,24.1
SYN-P001000002,SYN-G001,M,1961-11-30,1,Asian,2001-07-15,,,false,false,false,true,current,31.4
SYN-P001000003,SYN-G001,F,2019-03-08,3,Black,2019-03-20,,,false,false,false,false,never,
SYN-P001000004,SYN-G001,M,1930-01-22,2,White,1985-06-03,,2025-01-09,false,true,false,false,never,19.8
SYN-P002000001,SYN-G002,F,1975-08-14,8,Mixed,2005-10-10,,,false,false,false,false,never,27.0
SYN-P002000002,SYN-G002,M,1988-12-02,9,Other,2012-04-18,2024-11-30,,true,false,false,false,ex,22.5
""",
    "conditions": """\
patient_id,condition,diagnosed_on
SYN-P001000001,HYP,2005-03-14
SYN-P001000001,AF,2018-09-02
SYN-P001000002,DM,2016-05-23
SYN-P001000004,DEM,2022-02-11
SYN-P002000001,AST,1990-06-30
""",
    "frailty_deficits": """\
patient_id,deficit,first_recorded_on
SYN-P001000001,hypertension,2005-03-14
SYN-P001000001,falls,2024-12-01
SYN-P001000004,memory_cognitive_problems,2022-02-11
SYN-P001000004,requirement_for_care,2023-05-05
""",
    "medications": """\
patient_id,medicine_class,started_on,stopped_on
SYN-P001000001,antihypertensive,2005-04-01,
SYN-P001000001,anticoagulant,2018-09-10,
SYN-P001000002,antidiabetic,2016-06-01,2024-10-01
""",
    "appointments": """\
appointment_id,patient_id,practice_code,staff_id,role,start,booked_on,mode,national_category,duration_min,status
SYN-A00100000001,SYN-P001000001,SYN-G001,SYN-S001001,gp,2024-04-02 09:10:00,2024-03-28,face_to_face,general_routine,10,attended
SYN-A00100000002,SYN-P001000001,SYN-G001,SYN-S001002,practice_nurse,2024-06-11 14:30:00,2024-06-01,face_to_face,planned_clinics,20,attended
SYN-A00100000003,SYN-P001000002,SYN-G001,SYN-S901001,clinical_pharmacist,2024-09-05 11:00:00,2024-08-20,telephone,medication_review,30,attended
SYN-A00100000004,SYN-P001000003,SYN-G001,SYN-S001001,gp,2025-01-15 08:40:00,2025-01-15,telephone,general_acute,0,dna
SYN-A00100000005,SYN-P001000004,SYN-G001,SYN-S001001,gp,2024-10-03 13:00:00,2024-10-01,home_visit,home_visit,25,attended
SYN-A00200000001,SYN-P002000001,SYN-G002,SYN-S002001,gp,2025-02-20 10:20:00,2025-02-18,video_online,clinical_triage,12,attended
SYN-A00200000002,SYN-P002000002,SYN-G002,SYN-S002001,gp,2024-05-07 16:00:00,2024-05-07,face_to_face,general_acute,0,cancelled
SYN-A00200000003,SYN-P002000001,SYN-G002,SYN-S901001,clinical_pharmacist,2025-11-04 09:00:00,2025-10-21,face_to_face,medication_review,30,attended
""",
    "hospital_events": """\
event_id,patient_id,type,start,end,length_of_stay_days
SYN-H0010000001,SYN-P001000001,ae,2024-12-01,,
SYN-H0010000002,SYN-P001000001,emergency_admission,2024-12-01,2024-12-06,5
SYN-H0010000003,SYN-P001000004,elective_admission,2024-07-19,2024-07-19,0
SYN-H0020000001,SYN-P002000001,outpatient,2025-03-03,,
""",
}

#: Columns that hold a patient's identifier (renumbered when patients are copied).
_ID_COLUMNS = ("patient_id", "appointment_id", "event_id")


def tiny_tables(copies: int = 1) -> dict[str, pd.DataFrame]:
    """Every table as text, exactly as in a clean CSV export (blank cells are ``""``).

    With ``copies`` > 1 the patients and all their rows are repeated, each copy with its own
    identifiers (``SYN-P001000001`` becomes ``SYN-P001001001`` in copy 1, and so on), so the
    data stays valid; practices and staff are not repeated.
    """
    tables = {
        name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        for name, text in CSV.items()
    }
    if copies > 1:
        for name, df in tables.items():
            if name in ("practices", "staff"):
                continue
            parts = [df]
            for k in range(1, copies):
                part = df.copy()
                for col in _ID_COLUMNS:
                    if col in part:
                        # SYN-P001000001 -> SYN-P00100k001: the serial keeps its width.
                        part[col] = part[col].str.slice(0, 8) + f"{k:03d}" + part[col].str.slice(11)
                parts.append(part)
            tables[name] = pd.concat(parts, ignore_index=True)
        counts = tables["patients"].query("deregistered_on == '' and died_on == ''")
        sizes = counts.groupby("practice_code").size()
        practices = tables["practices"].copy()
        practices["list_size"] = (
            practices["practice_code"].map(sizes).fillna(0).astype(int).astype(str)
        )
        tables["practices"] = practices
    return tables


def tiny_bundle(copies: int = 1) -> PCNData:
    """The tiny dataset with typed columns (datetime64 dates, bool, Int64, float), as PCNData."""
    dd = data_dictionary()
    typed = {}
    for name, df in tiny_tables(copies).items():
        out = {}
        for f in dd[name].fields:
            s = df[f.name].replace("", None)
            if f.type in ("date", "datetime"):
                out[f.name] = pd.to_datetime(s)
            elif f.type == "boolean":
                out[f.name] = s.eq("true")
            elif f.type == "integer":
                out[f.name] = pd.to_numeric(s).astype("Int64")
            elif f.type == "number":
                out[f.name] = pd.to_numeric(s).astype(float)
            else:
                out[f.name] = s.astype("str")
        typed[name] = pd.DataFrame(out)
    return PCNData(**typed, manifest={"name": "tiny"})


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Write text tables as ``<table>.csv`` files in ``folder`` (created); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder
