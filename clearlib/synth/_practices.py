"""Expand a spec into concrete practices: listed ones as they are, or drawn from distributions."""

from __future__ import annotations

from typing import Any

import numpy as np

from clearlib.synth._practice_spec import PracticeSpec

__all__ = ["expand_practices"]

_PLACES = (
    "Abbey",
    "Ashford",
    "Beacon",
    "Bridge",
    "Brook",
    "Castle",
    "Cedar",
    "Chapel",
    "Church",
    "Clifton",
    "Combe",
    "Court",
    "Downs",
    "Elm",
    "Fairfield",
    "Ferry",
    "Forest",
    "Gate",
    "Green",
    "Grove",
    "Harbour",
    "Heath",
    "High Street",
    "Hill",
    "Kings",
    "Lake",
    "Lime Tree",
    "Lodge",
    "Manor",
    "Market",
    "Meadow",
    "Mill",
    "Minster",
    "Moor",
    "Orchard",
    "Park",
    "Priory",
    "Quay",
    "Queens",
    "Riverside",
    "St Anne's",
    "St John's",
    "Station",
    "Tower",
    "Vale",
    "Valley",
    "Wells",
    "Westgate",
    "Willow",
    "Wood",
)
_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")
_PCN_NAMES = (
    "Bedminster",
    "Bridgwater Road",
    "Cabot",
    "Concord",
    "Fishponds",
    "Frome Valley",
    "Harbourside",
    "Inner City",
    "Kingswood",
    "Mendip Vale",
    "Nexus",
    "Pier Health",
    "Severnvale",
    "Southmead",
    "Stokes",
    "Weston",
    "Woodspring",
    "Yate",
)


def expand_practices(params: dict[str, Any]) -> tuple[PracticeSpec, ...]:
    """Every practice of a spec, in order, numbered from 1."""
    if "draw_practices" in params:
        return _draw(params)
    out = []
    for pcn in params["pcns"]:
        for pr in pcn["practices"]:
            out.append(
                PracticeSpec(
                    code=pr["code"],
                    pcn_code=pcn["code"],
                    name=pr["name"],
                    list_size=int(pr["list_size"]),
                    imd_decile=int(pr["imd_decile"]),
                    rurality=pr["rurality"],
                    clinical_system=pr["clinical_system"],
                    care_home_beds=int(pr["care_home_beds"]),
                    share_65_plus=float(pr["share_65_plus"]),
                    index=len(out) + 1,
                )
            )
    return tuple(out)


def _split_lognormal(rng: np.random.Generator, q: dict[str, float], n: int) -> np.ndarray:
    """Draw from a log-scale split normal matching a P10, median and P90."""
    median = q["median"]
    lo = np.log(median / q["p10"]) / 1.2816
    hi = np.log(q["p90"] / median) / 1.2816
    zz = rng.standard_normal(n)
    return median * np.exp(np.where(zz < 0, zz * lo, zz * hi))


def _draw(params: dict[str, Any]) -> tuple[PracticeSpec, ...]:
    d = params["draw_practices"]
    dep = params["deprivation"]
    rng = np.random.default_rng([int(params.get("seed", 0)), 7])
    n_pcn = int(d["pcn_count"])
    counts = np.clip(rng.poisson(d["practices_per_pcn_mean"] - 1, n_pcn) + 1, 1, 15)
    n = int(counts.sum())
    sizes = _split_lognormal(rng, d["practice_list_size"], n)
    sizes = np.maximum(np.round(sizes * d["total_list_size"] / sizes.sum()), 800).astype(int)
    sizes[np.argmax(sizes)] += int(d["total_list_size"]) - int(sizes.sum())
    # PCN deprivation spread evenly over the deciles, in a random order
    pcn_dec = rng.permutation(np.round(np.linspace(1, 10, n_pcn)).astype(int))
    systems = list(d["clinical_system_shares"])
    rural_names = list(d["rurality_shares"])
    care_home = rng.random(n) < d["care_home_practice_share"]
    total_beds = d["care_home_beds_per_1000"] * d["total_list_size"] / 1000
    beds = np.where(care_home, sizes, 0).astype(float)
    beds = np.round(beds * total_beds / max(beds.sum(), 1)).astype(int)
    lo, hi = dep["share_65_plus_decile1"], dep["share_65_plus_decile10"]
    places = rng.permutation(len(_PLACES))
    out = []
    i = 0
    for k in range(n_pcn):
        pcn_code = f"SYN-PCN{k + 1:02d}"
        system = systems[rng.choice(len(systems), p=list(d["clinical_system_shares"].values()))]
        for _ in range(counts[k]):
            decile = int(np.clip(pcn_dec[k] + rng.integers(-2, 3), 1, 10))
            rurality = rural_names[
                rng.choice(len(rural_names), p=list(d["rurality_shares"].values()))
            ]
            base = lo + (hi - lo) * (decile - 1) / 9
            bump = {"urban": -0.015, "town": 0.01, "rural": 0.045}[rurality]
            share = float(np.clip(base + bump + rng.normal(0, 0.03), 0.06, 0.32))
            place = _PLACES[places[i % len(_PLACES)]]
            kind = _KINDS[int(rng.integers(len(_KINDS)))]
            out.append(
                PracticeSpec(
                    code=f"SYN-G{i + 1:03d}",
                    pcn_code=pcn_code,
                    name=f"{place} {kind}"
                    + (f" {i // len(_PLACES) + 1}" if i >= len(_PLACES) else ""),
                    list_size=int(sizes[i]),
                    imd_decile=decile,
                    rurality=rurality,
                    clinical_system=system,
                    care_home_beds=int(beds[i]),
                    share_65_plus=round(share, 4),
                    index=i + 1,
                )
            )
            i += 1
    return tuple(out)


def pcn_name(params: dict[str, Any], pcn_code: str) -> str:
    """The PCN's name: from the spec, or invented for drawn PCNs."""
    for pcn in params.get("pcns", []):
        if pcn["code"] == pcn_code:
            return pcn.get("name", pcn_code)
    k = int(pcn_code[-2:]) - 1
    return f"{_PCN_NAMES[k % len(_PCN_NAMES)]} PCN"
