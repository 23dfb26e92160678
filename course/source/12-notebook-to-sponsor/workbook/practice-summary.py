# The practice-summary workbook, one cell after each "# %%" line (the layout JupyterLab's
# Jupytext extension calls "percent format"). The assignment's build_workbook() turns it into
# workbook/practice-summary.ipynb, with your parameters cell in place of the empty one below.
# ruff: noqa: F821 (practice_code, as_at, older_age and output_dir come from the parameters cell)

# %% [markdown]
# # Practice summary
#
# One practice's list on one date: how many people are registered, how many are older people
# (aged `older_age` or over), and how many live in a care home, are housebound or are carers.
# Run it once per practice with Papermill; each run writes `summary.json` to its `output_dir`.

# %% tags=["parameters"]

# %%
import json
from pathlib import Path

import pandas as pd

import clearlib
from clearlib.data import age_at, registered_at

pcn = clearlib.load_pcn(tables=["practices", "patients"])
date = pd.Timestamp(as_at)
practice = pcn.practices.set_index("practice_code").loc[practice_code]
patients = pcn.patients[pcn.patients["practice_code"] == practice_code]
listed = patients[registered_at(patients, date)]
older = listed[age_at(listed, date) >= older_age]
print(
    f"{practice['name']} on {date:%d %B %Y}: {len(listed):,} registered, {len(older):,} aged {older_age}+"
)

# %%
summary = {
    "practice_code": practice_code,
    "practice_name": str(practice["name"]),
    "as_at": f"{date:%Y-%m-%d}",
    "older_age": older_age,
    "list_size": len(listed),
    "older_people": len(older),
    "older_percent": round(100 * len(older) / len(listed), 1),
    "care_home_residents": int(listed["care_home_resident"].sum()),
    "housebound": int(listed["housebound"].sum()),
    "carers": int(listed["carer"].sum()),
}
folder = Path(output_dir)
folder.mkdir(parents=True, exist_ok=True)
(folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
pd.Series(summary, name="summary")
