"""Anticipatory (proactive) care cohorts: rules to a list with reasons, a waterfall, the workload.

NHS England's proactive care guidance (Dec 2023; FACTS.md §8) starts with people living at
home with moderate or severe frailty, found with population tools such as the eFI plus
clinical judgement; care-home residents are covered by Enhanced Health in Care Homes. A cohort
here is a list of :class:`CohortRule` steps:

1. **include** rules are alternatives: a person is in if they meet any one (each one they meet
   becomes a *reason*);
2. **exclude** rules then remove people, in order; the exclusion waterfall counts how many
   each step removes.

:func:`size_needs` turns the cohort into hours a year of the five components' activities,
with the minutes per activity an explicit assumption you can change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.segment._bridges import _numeric
from clearlib.segment._features import _source_of
from clearlib.segment._risk import flag_top
from clearlib.segment._rules import CohortRule, evaluate, parse, read_rules, rules_frame

__all__ = [
    "NEEDS_ASSUMPTIONS",
    "PROACTIVE_CARE_RULES",
    "Cohort",
    "CohortResult",
    "join_risk",
    "needs_assumptions",
    "size_needs",
]

#: The example proactive-care cohort (NHS England 2023, with a local risk route).
PROACTIVE_CARE_RULES: tuple[CohortRule, ...] = (
    CohortRule(
        "moderate or severe frailty",
        "efi_deficits >= 9",
        "include",
        "eFI of 9 or more deficits (moderate or severe, Clegg 2016)",
        "",
    ),
    CohortRule(
        "top 5% risk with 2+ conditions",
        "risk_top5 and ltc_count >= 2",
        "include",
        "in the top 5% of predicted emergency-admission risk and on 2 or more LTC registers",
        "A local addition: NHS England's cohort is frailty-led; the risk route and its 5% and "
        "2-condition thresholds are assumptions.",
    ),
    CohortRule(
        "care home resident",
        "care_home_resident",
        "exclude",
        "lives in a care home (covered by Enhanced Health in Care Homes)",
        "",
    ),
    CohortRule(
        "end of life",
        "PC",
        "exclude",
        "on the palliative care register (end-of-life care planning instead)",
        "The palliative care register stands in for 'end of life'.",
    ),
)


@dataclass
class CohortResult:
    """A cohort evaluated on a population.

    Attributes
    ----------
    members : pandas.DataFrame
        One row per person in the cohort (indexed like the population): ``reasons`` (the
        include rules met, joined with "; "), ``n_reasons``, and one boolean column per
        include rule.
    excluded : pandas.DataFrame
        People who met an include rule but were removed: ``excluded_by`` (the first exclude
        rule, in order, that removed them) and ``reasons``.
    waterfall : pandas.DataFrame
        ``step``, ``rule``, ``action``, ``removed``, ``remaining``: the population, then "meets
        no include rule", then each exclude rule in order, then the cohort.
    rule_counts : pandas.DataFrame
        For each rule: ``met`` (people in the population who meet it, regardless of the other
        rules) and, for include rules, ``only_this`` (people in by this rule alone).
    rules : list of CohortRule
        The rules evaluated.
    """

    members: pd.DataFrame
    excluded: pd.DataFrame
    waterfall: pd.DataFrame
    rule_counts: pd.DataFrame
    rules: list[CohortRule]

    def __len__(self) -> int:
        return len(self.members)

    @property
    def size(self) -> int:
        """People in the cohort."""
        return len(self.members)


class Cohort:
    """A cohort declared as rules: include any of, then exclude in order.

    Parameters
    ----------
    rules : sequence of CohortRule, DataFrame, str or Path, optional
        The steps (see :class:`CohortRule`). Default: :data:`PROACTIVE_CARE_RULES`. A DataFrame
        or a ``.toml``/``.csv`` file with the fields ``name``, ``condition``, ``action``,
        ``description``, ``assumption`` works too.
    name : str, default "Proactive care cohort"
        For titles.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"efi_deficits": [12, 10, 2, 15], "ltc_count": [3, 1, 0, 4],
    ...     "risk_top5": [False, False, False, True], "care_home_resident": [False, True, False, False],
    ...     "PC": [False, False, False, False]}, index=["a", "b", "c", "d"])
    >>> result = Cohort().evaluate(people)
    >>> result.members["reasons"].to_dict()
    {'a': 'moderate or severe frailty', 'd': 'moderate or severe frailty; top 5% risk with 2+ conditions'}
    >>> result.waterfall[["rule", "removed", "remaining"]]  # doctest: +NORMALIZE_WHITESPACE
                             rule  removed  remaining
    0                  population        0          4
    1       meets no include rule        1          3
    2          care home resident        1          2
    3                 end of life        0          2
    4                      cohort        0          2
    """

    def __init__(self, rules: Any = None, name: str = "Proactive care cohort") -> None:
        self.rules = rules
        self.name = name

    def rule_list(self) -> list[CohortRule]:
        """The rules as :class:`CohortRule` objects, checked."""
        rules = read_rules(PROACTIVE_CARE_RULES if self.rules is None else self.rules, CohortRule)
        if not any(r.action == "include" for r in rules):
            raise DataError(
                f"the cohort {self.name!r} has no include rule: nobody could be in it. Add a rule "
                "with action 'include'."
            )
        return rules

    def rules_frame(self) -> pd.DataFrame:
        """The rules as an editable DataFrame."""
        return rules_frame(self.rule_list())

    def evaluate(self, population: pd.DataFrame) -> CohortResult:
        """Apply the rules to a population: members with reasons, exclusions, the waterfall.

        Parameters
        ----------
        population : pandas.DataFrame
            One row per person with every column the rules use, e.g.
            :func:`clearlib.segment.segment_features` joined with risk flags by
            :func:`join_risk`.

        Returns
        -------
        CohortResult
        """
        rules = self.rule_list()
        if not isinstance(population, pd.DataFrame):
            raise DataError(
                f"population should be a DataFrame of features, one row per person; found "
                f"{type(population).__name__}."
            )
        cols = _columns(population, rules)
        n = len(population)
        met = {r.name: evaluate(parse(r.condition), cols, n) for r in rules}
        includes = [r for r in rules if r.action == "include"]
        excludes = [r for r in rules if r.action == "exclude"]
        inc = np.column_stack([met[r.name] for r in includes])
        any_inc = inc.any(axis=1)
        remaining = any_inc.copy()
        excluded_by = np.full(n, "", dtype=object)
        steps = [
            {"rule": "population", "action": "start", "removed": 0, "remaining": n},
            {
                "rule": "meets no include rule",
                "action": "include",
                "removed": int(n - any_inc.sum()),
                "remaining": int(any_inc.sum()),
            },
        ]
        for r in excludes:
            hit = remaining & met[r.name]
            excluded_by[hit] = r.name
            remaining &= ~hit
            steps.append(
                {
                    "rule": r.name,
                    "action": "exclude",
                    "removed": int(hit.sum()),
                    "remaining": int(remaining.sum()),
                }
            )
        steps.append(
            {"rule": "cohort", "action": "result", "removed": 0, "remaining": int(remaining.sum())}
        )
        waterfall = pd.DataFrame(steps)
        waterfall.insert(0, "step", range(len(waterfall)))

        names = np.array([r.name for r in includes], dtype=object)
        reasons = _reasons(inc, names)
        flags = pd.DataFrame(inc, index=population.index, columns=list(names))
        members = pd.concat(
            [
                pd.DataFrame(
                    {"reasons": reasons, "n_reasons": inc.sum(axis=1)}, index=population.index
                ),
                flags,
            ],
            axis=1,
        ).loc[remaining]
        dropped = any_inc & ~remaining
        excluded = pd.DataFrame(
            {"excluded_by": excluded_by[dropped], "reasons": reasons[dropped]},
            index=population.index[dropped],
        )
        counts = pd.DataFrame(
            {
                "rule": [r.name for r in rules],
                "action": [r.action for r in rules],
                "met": [int(met[r.name].sum()) for r in rules],
                "only_this": [
                    int((met[r.name] & (inc.sum(axis=1) == 1)).sum())
                    if r.action == "include"
                    else np.nan
                    for r in rules
                ],
            }
        )
        counts["only_this"] = counts["only_this"].astype("Int64")
        return CohortResult(members, excluded, waterfall, counts, rules)


def _reasons(inc: np.ndarray, names: np.ndarray) -> np.ndarray:
    out = np.full(inc.shape[0], "", dtype=object)
    rows = np.flatnonzero(inc.any(axis=1))
    if len(rows):
        keys, inverse = np.unique(inc[rows], axis=0, return_inverse=True)
        texts = np.asarray(["; ".join(names[k]) for k in keys], dtype=object)
        out[rows] = texts[inverse.ravel()]
    return out


def _columns(frame: pd.DataFrame, rules: list[CohortRule]) -> dict[str, np.ndarray]:
    needed = list(dict.fromkeys(c for r in rules for c in r.columns()))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems = []
        for c in missing:
            users = ", ".join(repr(r.name) for r in rules if c in r.columns())
            if c.startswith("risk_"):
                where = "add risk flags with clearlib.segment.join_risk(features, scores)"
            elif _source_of(c):
                where = f"it comes from {_source_of(c)} (clearlib.segment.segment_features)"
            else:
                where = "it is not a documented feature (clearlib.segment.feature_dictionary())"
            problems.append(f"{c!r} (used by {users}; {where})")
        raise DataError("the population has no column " + "; ".join(problems) + ".")
    return {c: _numeric(frame[c], c) for c in needed}


def join_risk(features: pd.DataFrame, scores: Any, fractions: Any = (0.02, 0.05)) -> pd.DataFrame:
    """Add risk, rank and top-k% flags to features; people without a score are not flagged.

    The flags are computed among the people scored (e.g. adults), as :func:`flag_top` does;
    anyone in ``features`` without a score gets ``risk`` NaN and every flag False.

    Parameters
    ----------
    features : pandas.DataFrame
        Indexed by ``patient_id`` (e.g. :func:`clearlib.segment.segment_features`).
    scores : pandas.Series
        Risk scores indexed by ``patient_id`` (e.g. ``model.risk(X)``).
    fractions : sequence of float, default (0.02, 0.05)
        Top fractions to flag (``risk_top2``, ``risk_top5``).

    Returns
    -------
    pandas.DataFrame
        ``features`` with ``risk``, ``risk_rank``, ``risk_percentile`` and the flag columns.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"age": [80, 5, 60]}, index=["a", "b", "c"])
    >>> join_risk(f, pd.Series([0.4, 0.1], index=["a", "c"]), fractions=[0.5])[["risk", "risk_top50"]]
       risk  risk_top50
    a   0.4        True
    b   NaN       False
    c   0.1       False
    """
    if not isinstance(scores, pd.Series):
        raise DataError(
            "scores should be a pandas Series indexed by patient_id (e.g. model.risk(X))."
        )
    unknown = scores.index.difference(features.index)
    if len(unknown):
        raise DataError(
            f"{len(unknown)} scored people are not in the features (e.g. {unknown[0]!r}); build "
            "both from the same dataset."
        )
    flags = flag_top(scores, fractions).reindex(features.index)
    for col in flags.columns:
        if col.startswith("risk_top"):
            flags[col] = flags[col].fillna(False).astype(bool)
    flags["risk_rank"] = flags["risk_rank"].astype("Int64")
    clash = [c for c in flags.columns if c in features.columns]
    return features.drop(columns=clash).join(flags)


# ---------------------------------------------------------------------------------------------
# Needs sizing
# ---------------------------------------------------------------------------------------------
#: Activities of proactive care per person a year: every number an *assumption* (no public
#: source gives times per activity; FACTS.md §8): change them to your team's.
NEEDS_ASSUMPTIONS = pd.DataFrame(
    {
        "activity": [
            "Proactive care needs assessment",
            "Personalised care and support plan",
            "Multidisciplinary team (MDT) review",
            "Scheduled follow-up",
        ],
        "per_person_per_year": [1.0, 1.0, 1.0, 3.0],
        "minutes_each": [60.0, 45.0, 15.0, 20.0],
        "staff_per_activity": [1, 1, 4, 1],
        "basis": [
            "assumption: one holistic assessment a year, about an hour, often at home",
            "assumption: writing and agreeing the plan with the person, 45 minutes",
            "assumption: 15 minutes of case discussion, four professionals present",
            "assumption: three 20-minute continuity contacts a year after the plan",
        ],
    }
)


def needs_assumptions() -> pd.DataFrame:
    """The activity assumptions of :func:`size_needs` (a copy to edit), each labelled.

    Examples
    --------
    >>> needs_assumptions()["activity"].tolist()[0]
    'Proactive care needs assessment'
    """
    return NEEDS_ASSUMPTIONS.copy()


def size_needs(
    cohort: Any, assumptions: pd.DataFrame | None = None, *, minutes: dict | None = None
) -> pd.DataFrame:
    """Hours a year of proactive-care activity for a cohort.

    ``hours = people x per_person_per_year x minutes_each x staff_per_activity / 60``.

    Parameters
    ----------
    cohort : CohortResult or int
        The cohort (or just its size).
    assumptions : pandas.DataFrame, optional
        Activities with ``activity``, ``per_person_per_year``, ``minutes_each``,
        ``staff_per_activity`` (and ``basis``). Default: :func:`needs_assumptions`.
    minutes : dict, optional
        ``{activity: minutes}`` to override some activities' minutes.

    Returns
    -------
    pandas.DataFrame
        One row per activity and a ``Total`` row: ``activity``, ``people``,
        ``per_person_per_year``, ``minutes_each``, ``staff_per_activity``,
        ``contacts_per_year``, ``hours_per_year``, ``basis``.

    Examples
    --------
    >>> needs = size_needs(100, minutes={"Scheduled follow-up": 30})
    >>> needs.set_index("activity")["hours_per_year"].round(1).to_dict()
    {'Proactive care needs assessment': 100.0, 'Personalised care and support plan': 75.0, 'Multidisciplinary team (MDT) review': 100.0, 'Scheduled follow-up': 150.0, 'Total': 425.0}
    """
    if isinstance(cohort, CohortResult):
        people = cohort.size
    elif isinstance(cohort, int | np.integer) and not isinstance(cohort, bool) and cohort >= 0:
        people = int(cohort)
    else:
        raise DataError(
            f"cohort should be a CohortResult (Cohort(...).evaluate(...)) or a number of people; "
            f"found {cohort!r}."
        )
    table = needs_assumptions() if assumptions is None else assumptions.copy()
    needed = ["activity", "per_person_per_year", "minutes_each", "staff_per_activity"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError(
            f"the assumptions table has no column {', '.join(map(repr, missing))}; start from "
            "clearlib.segment.needs_assumptions() and edit it."
        )
    if "basis" not in table.columns:
        table["basis"] = "given by the user"
    for activity, value in (minutes or {}).items():
        hit = table["activity"] == activity
        if not hit.any():
            raise DataError(
                f"no activity {activity!r} to set minutes for; the activities are "
                f"{', '.join(map(repr, table['activity']))}."
            )
        table.loc[hit, "minutes_each"] = float(value)
        table.loc[hit, "basis"] = "given by the user"
    for col in needed[1:]:
        values = pd.to_numeric(table[col], errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise DataError(
                f"assumption column {col!r} should hold numbers >= 0 for every activity."
            )
        table[col] = values.astype(float)
    out = table[[*needed, "basis"]].copy()
    out.insert(1, "people", people)
    out["contacts_per_year"] = people * out["per_person_per_year"]
    out["hours_per_year"] = (
        out["contacts_per_year"] * out["minutes_each"] * out["staff_per_activity"] / 60
    )
    total = {
        "activity": "Total",
        "people": people,
        "per_person_per_year": np.nan,
        "minutes_each": np.nan,
        "staff_per_activity": np.nan,
        "basis": "",
        "contacts_per_year": out["contacts_per_year"].sum(),
        "hours_per_year": out["hours_per_year"].sum(),
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    return out[
        [
            "activity",
            "people",
            "per_person_per_year",
            "minutes_each",
            "staff_per_activity",
            "contacts_per_year",
            "hours_per_year",
            "basis",
        ]
    ]
