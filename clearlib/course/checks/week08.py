"""Week 08 checks (anticipatory care cohorts): each question's usual mistakes, by name.

Each check takes a learner's answer, and what it is built on (``people``, their own earlier
answers), and fails with a message naming the mistake: a rule broken (someone under 65 on the
frailty route), a count that does not add up, or an answer equal to what a usual mistake gives,
recomputed here. None of them works out the right answer; the hidden tests in the assignment
do that.

Examples
--------
>>> import pandas as pd
>>> people = pd.DataFrame({"age": [70, 50]}, index=["P1", "P2"])
>>> flags_everyone(pd.Series([True, False], index=["P1", "P2"]), "frail", people)
>>> flags_everyone(pd.Series([True, False]), "frail", people)
Traceback (most recent call last):
AssertionError: frail should have one value per person in people, indexed like people and in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import is_number, is_table

__all__ = [
    "DECISIONS",
    "any_route",
    "cohort_is_who_is_left",
    "cohort_rules",
    "decisions_for_each",
    "exclusions_among_people_still_in",
    "exclusions_come_last",
    "flags_everyone",
    "frailty_route",
    "needs_hours_units",
    "nominations",
    "risk_route",
    "routes_decide_first",
    "sized_on_the_cohort",
    "stated_times",
    "top_five_percent",
    "total_and_wte",
    "waterfall_adds_up",
]

#: The words a decision about a vignette may take.
DECISIONS = ["already in", "nominate", "excluded", "not needed"]
_WATERFALL = ["population", "meets no include rule", "care home resident", "end of life", "cohort"]


def _fail(message: str) -> None:
    raise AssertionError(message)


def _flags(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=bool)


# Questions 1 and 2 ---------------------------------------------------------------------------


def flags_everyone(value: Any, name: str, people: pd.DataFrame) -> None:
    """Check a True/False pandas Series with one value per person, indexed like ``people``."""
    is_table(value, name, kind="Series", empty_hint="it should flag everyone in people")
    if not value.index.equals(people.index):
        _fail(
            f"{name} should have one value per person in people, indexed like people and in "
            "the same order."
        )
    if value.isna().any():
        _fail(f"{name} has missing values (NaN): every person is either True or False.")


def top_five_percent(top5: pd.Series, people: pd.DataFrame) -> None:
    """Check ``top5`` flags ceil(5%) of the adults with a score, the highest risks, no children.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"risk": [0.9, 0.1, None] + [0.2] * 17})
    >>> top_five_percent(pd.Series([True] + [False] * 19), people)
    >>> top_five_percent(pd.Series([False, True] + [False] * 18), people)
    Traceback (most recent call last):
    AssertionError: top5 holds the LOWEST risks, or not the highest: someone flagged has a lower risk than someone not flagged. Sort highest first (sort_values(ascending=False)).
    """
    flag = _flags(top5)
    risk = people["risk"].to_numpy(dtype=float)
    scored = np.isfinite(risk)
    k, n_scored = int(flag.sum()), int(scored.sum())
    want = int(np.ceil(0.05 * n_scored))
    if k == int(np.ceil(0.05 * len(people))) != want:
        _fail(
            f"top5 flags 5% of everyone on the list ({k:,}), children included; the top 5% is "
            f"of the {n_scored:,} adults with a risk score."
        )
    if (flag & ~scored).any():
        _fail("top5 flags people with no risk score (children): they cannot be in the top 5%.")
    if k != want:
        _fail(
            f"top5 flags {k:,} people; 5% of the {n_scored:,} adults with a score is "
            f"{0.05 * n_scored:,.2f}, rounded up to {want:,}: take exactly that many."
        )
    if k and (~flag & scored).any() and risk[flag].min() < risk[~flag & scored].max():
        _fail(
            "top5 holds the LOWEST risks, or not the highest: someone flagged has a lower risk "
            "than someone not flagged. Sort highest first (sort_values(ascending=False))."
        )


def frailty_route(frail: pd.Series, people: pd.DataFrame) -> None:
    """Check ``frail`` keeps to the rule: aged 65 or over, and 9 or more deficits.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"age": [70, 64, 65], "efi_deficits": [9, 12, 3]})
    >>> frailty_route(pd.Series([True, False, False]), people)
    >>> frailty_route(pd.Series([True, True, False]), people)
    Traceback (most recent call last):
    AssertionError: frail includes people under 65: the frailty route is for people aged 65 or over (age >= 65).
    """
    flag, age, efi = _flags(frail), people["age"].to_numpy(), people["efi_deficits"].to_numpy()
    if (flag & (age < 65)).any():
        _fail(
            "frail includes people under 65: the frailty route is for people aged 65 or over "
            "(age >= 65)."
        )
    if (flag & (efi < 9)).any():
        _fail(
            "frail includes people with fewer than 9 deficits: moderate frailty starts at 9 "
            "(mild is 5 to 8)."
        )
    if (~flag & (age == 65) & (efi >= 9)).any():
        _fail("frail leaves out people aged exactly 65: aged 65 or over is age >= 65, not > 65.")
    if (~flag & (age >= 65) & (efi == 9)).any():
        _fail("frail leaves out people with exactly 9 deficits: moderate is 9 or more (>= 9).")


def risk_route(high_risk: pd.Series, top5: pd.Series, people: pd.DataFrame) -> None:
    """Check ``high_risk`` keeps to the rule: in ``top5`` and 2 or more conditions."""
    flag, top, ltc = _flags(high_risk), _flags(top5), people["ltc_count"].to_numpy()
    if (flag & ~top).any():
        _fail("high_risk includes people outside top5: the risk route starts from your top5.")
    if (flag & (ltc < 2)).any():
        _fail(
            "high_risk includes people with fewer than 2 long-term conditions: the risk route is "
            "top5 and 2 or more conditions (ltc_count >= 2)."
        )
    if (~flag & top & (ltc == 2)).any():
        _fail(
            "high_risk leaves out people in top5 with exactly 2 conditions: 2 or more is "
            "ltc_count >= 2, not > 2."
        )


def nominations(nominated: pd.Series, mdt_nominated: Sequence[Any]) -> None:
    """Check ``nominated`` flags the MDTs' nominations, each once."""
    n, want = int(_flags(nominated).sum()), len(set(mdt_nominated))
    if n != want:
        _fail(
            f"nominated flags {n:,} people; the MDTs nominated {want:,}: "
            "people.index.isin(MDT_NOMINATED)."
        )


def any_route(
    included: pd.Series, frail: pd.Series, high_risk: pd.Series, nominated: pd.Series
) -> None:
    """Check ``included`` is anyone meeting at least one of the three routes.

    Examples
    --------
    >>> import pandas as pd
    >>> f, h, n = (pd.Series(v) for v in ([True, False], [False, False], [False, True]))
    >>> any_route(f | h | n, f, h, n)
    >>> any_route(f & h & n, f, h, n)
    Traceback (most recent call last):
    AssertionError: included keeps people who meet ALL the routes: a person is in if they meet ANY one (use |, not &).
    """
    inc = _flags(included)
    f, h, n = _flags(frail), _flags(high_risk), _flags(nominated)
    if np.array_equal(inc, f | h | n):
        return
    if np.array_equal(inc, f & h & n):
        _fail(
            "included keeps people who meet ALL the routes: a person is in if they meet ANY one "
            "(use |, not &)."
        )
    _fail("included should be frail | high_risk | nominated: anyone who meets at least one route.")


# Question 3 ----------------------------------------------------------------------------------


def waterfall_adds_up(waterfall: Any, people: pd.DataFrame) -> None:
    """Check the waterfall's columns and five rules in order, and that each row adds up.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame(index=range(10))
    >>> rows = [("population", "start", 0, 10), ("meets no include rule", "include", 6, 4),
    ...         ("care home resident", "exclude", 1, 3), ("end of life", "exclude", 1, 1),
    ...         ("cohort", "result", 0, 2)]
    >>> waterfall_adds_up(pd.DataFrame(rows, columns=["rule", "action", "removed", "remaining"]),
    ...                   people)
    Traceback (most recent call last):
    AssertionError: The waterfall does not add up at row 3 (end of life): 3 - 1 = 2, but remaining says 1. Count each exclusion among the people still in at that step.
    """
    is_table(waterfall, "waterfall")
    missing = [c for c in ("rule", "action", "removed", "remaining") if c not in waterfall]
    if missing:
        _fail(f"waterfall needs the columns rule, action, removed, remaining; missing {missing}.")
    rules = waterfall["rule"].astype(str).tolist()
    if sorted(rules) == sorted(_WATERFALL) and rules != _WATERFALL:
        _fail(
            f"The rows are out of order: {rules}. Exclusions go in the PCN's order, care home "
            f"residents first, then end of life: {_WATERFALL}."
        )
    if rules != _WATERFALL:
        _fail(
            f"waterfall should have exactly these 5 rules, in order: {_WATERFALL}; it has {rules}."
        )
    remaining = waterfall["remaining"].astype(int).tolist()
    removed = waterfall["removed"].astype(int).tolist()
    if remaining[0] != len(people):
        _fail(
            f"The first row should be everyone on the list ({len(people):,}); it is "
            f"{remaining[0]:,}."
        )
    for j in range(1, 4):
        if remaining[j] != remaining[j - 1] - removed[j]:
            _fail(
                f"The waterfall does not add up at row {j} ({rules[j]}): {remaining[j - 1]:,} - "
                f"{removed[j]:,} = {remaining[j - 1] - removed[j]:,}, but remaining says "
                f"{remaining[j]:,}. Count each exclusion among the people still in at that step."
            )
    if remaining[4] != remaining[3] or removed[4] != 0:
        _fail("The last row (cohort) should repeat the remaining of the row above, with 0 removed.")


def exclusions_among_people_still_in(
    waterfall: pd.DataFrame, included: pd.Series, people: pd.DataFrame
) -> None:
    """Check each exclusion is counted among the people still in, not on the whole list."""
    removed = waterfall["removed"].astype(int).tolist()
    inc = _flags(included)
    care = people["care_home_resident"].to_numpy(dtype=bool)
    pc = people["PC"].to_numpy(dtype=bool)
    if removed[1] != int((~inc).sum()):
        _fail(
            f"'meets no include rule' should remove the people your included leaves out "
            f"({int((~inc).sum()):,}); yours removes {removed[1]:,}."
        )
    if removed[2] == int(care.sum()) != int((inc & care).sum()):
        _fail(
            "You removed every care home resident on the list; count only those who met an "
            "include route (the people still in)."
        )
    if removed[3] == int(pc.sum()) != int((inc & ~care & pc).sum()):
        _fail(
            "You removed everyone on the palliative care register; count only those STILL IN "
            "after the care home exclusion."
        )
    if removed[3] == int((inc & pc).sum()) != int((inc & ~care & pc).sum()):
        _fail(
            "'end of life' counts people already removed as care home residents: count PC "
            "patients STILL IN after the care home exclusion (each person is removed once, by "
            "the first rule that applies)."
        )


def cohort_is_who_is_left(cohort: Any, waterfall: pd.DataFrame, people: pd.DataFrame) -> None:
    """Check ``cohort`` is rows of ``people``, each once, as many as the waterfall ends with."""
    is_table(cohort, "cohort", empty_hint="it should hold the people left after the exclusions")
    if not (cohort.index.is_unique and set(cohort.index) <= set(people.index)):
        _fail("cohort should be rows of people, each once: people[still_in].")
    end = int(waterfall["remaining"].iloc[-1])
    if len(cohort) != end:
        _fail(
            f"cohort has {len(cohort):,} rows but the waterfall ends at {end:,}: they should be "
            "the same people, those left after both exclusions."
        )


# Question 4 ----------------------------------------------------------------------------------


def cohort_rules(result: Any, people: pd.DataFrame) -> None:
    """Check clearlib's cohort: three include rules then the two exclusions in order, and none
    of the usual slips in the include conditions (> for >=, a route without its second part)."""
    from clearlib import segment

    if not isinstance(result, segment.CohortResult):
        _fail(
            "result should come from segment.Cohort(rules).evaluate(table); it is a "
            f"{type(result).__name__}."
        )
    actions = [r.action for r in result.rules]
    if actions != ["include"] * 3 + ["exclude"] * 2:
        _fail(
            "rules should be three include rules then two exclude rules, in that order; they "
            f"are {actions}."
        )
    excludes = [r.condition.strip() for r in result.rules[3:]]
    if excludes != ["care_home_resident", "PC"]:
        _fail(
            f"The exclusions are {excludes}: they go in the PCN's order, care home residents "
            "first (care_home_resident), then end of life (PC)."
        )
    includes = " | ".join(" ".join(r.condition.split()) for r in result.rules[:3])
    slips = [
        (r"efi_deficits\s*>\s*9", "The frailty rule needs 9 or more deficits (>= 9, not > 9)."),
        (r"age\s*>\s*65", "The frailty rule is for people aged 65 or over (>= 65, not > 65)."),
        (r"ltc_count\s*>\s*2", "The risk rule needs 2 or more conditions (>= 2, not > 2)."),
    ]
    for pattern, message in slips:
        if re.search(pattern, includes):
            _fail(message)
    for rule in result.rules[:3]:
        words = set(re.findall(r"\w+", rule.condition))
        if "efi_deficits" in words and "age" not in words:
            _fail(f"{rule.name!r}: the frailty rule is for people aged 65 or over (age >= 65).")
        if "risk_top5" in words and "ltc_count" not in words:
            _fail(
                f"{rule.name!r}: the risk rule needs 2 or more conditions as well: "
                "risk_top5 and ltc_count >= 2."
            )
    if len(result.members) and not set(result.members.index) <= set(people.index):
        _fail("result.members holds people who are not in people: evaluate a table made from it.")


# Question 5: the vignettes -------------------------------------------------------------------


def decisions_for_each(
    decisions: Any, reasons: Any, vignettes: pd.DataFrame, *, min_words: int = 4
) -> None:
    """Check one decision (a word of ``DECISIONS``) and one reason per vignette.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"age": [80]}, index=pd.Index(["A"], name="vignette"))
    >>> decisions_for_each({"A": "nominate"}, {"A": "falls and lives alone now"}, v)
    >>> decisions_for_each({"A": "yes"}, {"A": "falls and lives alone now"}, v)
    Traceback (most recent call last):
    AssertionError: decisions['A'] is 'yes'; use one of ['already in', 'nominate', 'excluded', 'not needed'].
    """
    labels = [str(i) for i in vignettes.index]
    for name, value in (("decisions", decisions), ("reasons", reasons)):
        if not isinstance(value, Mapping):
            _fail(f"{name} should be a dict, one entry per vignette: {{'A': ..., 'B': ...}}.")
        keys = sorted(str(k) for k in value)
        if keys != sorted(labels):
            _fail(f"{name} should have one entry for each vignette, {labels}; it has {keys}.")
    for label in labels:
        word = str(decisions[label]).strip().lower()
        if word not in DECISIONS:
            _fail(f"decisions[{label!r}] is {decisions[label]!r}; use one of {DECISIONS}.")
        reason = str(reasons[label]).strip()
        if len(reason.split()) < min_words or "YOUR ANSWER" in reason.upper():
            _fail(
                f"Give a reason for vignette {label} in a short sentence ({min_words} words or "
                "more): what tips the decision."
            )


def _decision(decisions: Mapping[Any, Any], label: str) -> str:
    return str(decisions[label]).strip().lower()


def exclusions_come_last(decisions: Mapping[Any, Any], vignettes: pd.DataFrame) -> None:
    """Check the two exclusions are applied after every route, the MDT's nominations too."""
    for label, row in vignettes.iterrows():
        excluded = bool(row["care_home_resident"]) or bool(row["PC"])
        said = _decision(decisions, str(label))
        if excluded and said != "excluded":
            _fail(
                f"Vignette {label} is {'in a care home' if row['care_home_resident'] else 'on the palliative care register'}"
                f" and you said {said!r}: the exclusions apply after every route, the MDT's "
                "nominations too (Enhanced Health in Care Homes or end-of-life care covers them)."
            )
        if not excluded and said == "excluded":
            _fail(
                f"You excluded vignette {label}, but neither exclusion applies: the definition "
                "excludes only care home residents and people on the palliative care register."
            )


def routes_decide_first(decisions: Mapping[Any, Any], vignettes: pd.DataFrame) -> None:
    """Check "already in" means a rule brings the person in, and that nobody a rule brings in
    is nominated or turned away: judgement adds people the rules miss."""
    for label, row in vignettes.iterrows():
        if bool(row["care_home_resident"]) or bool(row["PC"]):
            continue
        frail = row["age"] >= 65 and row["efi_deficits"] >= 9
        risky = bool(row["risk_top5"]) and row["ltc_count"] >= 2
        said = _decision(decisions, str(label))
        if (frail or risky) and said != "already in":
            _fail(
                f"A rule already brings vignette {label} in ({'frailty' if frail else 'risk'} "
                f"route), and you said {said!r}: nominating adds nobody, and judgement only adds "
                "people the rules miss."
            )
        if not (frail or risky) and said == "already in":
            if row["efi_deficits"] >= 9 and row["age"] < 65:
                why = "the frailty route is for people aged 65 or over"
            elif 5 <= row["efi_deficits"] < 9 and row["age"] >= 65:
                why = f"{row['efi_deficits']} deficits is mild frailty; the route needs 9 or more"
            elif row["risk_top5"]:
                why = "the risk route needs 2 or more long-term conditions as well as a top 5% risk"
            else:
                why = "no route applies"
            _fail(f"You said vignette {label} is already in, but no rule brings them in: {why}.")


# Questions 6 and 7 ---------------------------------------------------------------------------


def stated_times(assumptions: Any, **agreed: Sequence[float]) -> None:
    """Check ``assumptions`` has the columns, four activities, the agreed numbers and a basis.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"activity": ["x"], "per_person_per_year": [1], "minutes_each": [30],
    ...                   "staff_per_activity": [1], "basis": ["assumption: guess"]})
    >>> stated_times(a, minutes_each=[45])
    Traceback (most recent call last):
    AssertionError: assumptions['minutes_each'] is [30.0]; the team agreed [45.0] (in the table's order).
    """
    columns = ["activity", "per_person_per_year", "minutes_each", "staff_per_activity", "basis"]
    is_table(assumptions, "assumptions")
    missing = [c for c in columns if c not in assumptions.columns]
    if missing:
        _fail(f"assumptions needs the columns {columns}; missing {missing}.")
    for column, values in agreed.items():
        got = assumptions[column].to_numpy(dtype=float).tolist()
        want = [float(v) for v in values]
        if got != want:
            _fail(
                f"assumptions[{column!r}] is {got}; the team agreed {want} (in the table's order)."
            )
    if not assumptions["basis"].astype(str).str.strip().str.len().gt(0).all():
        _fail("Give every activity a basis: say where each number comes from.")


def needs_hours_units(
    needs_hours: Callable[[int, pd.DataFrame], Any], assumptions: pd.DataFrame
) -> None:
    """Check ``needs_hours`` against the usual unit slips of lesson 08.02, on 10 people:
    minutes not hours, staff left out, people instead of contacts, per month, and n_people
    ignored (recomputed from the learner's own assumptions)."""
    if not callable(needs_hours):
        _fail("needs_hours should be a function: def needs_hours(n_people, assumptions): ...")
    table = needs_hours(10, assumptions)
    is_table(table, "needs_hours(10, assumptions)")
    for column in ("activity", "contacts_per_year", "hours_per_year"):
        if column not in table.columns:
            _fail(
                "needs_hours should return the columns activity, contacts_per_year, "
                f"hours_per_year; missing {column!r}."
            )
    a = {
        c: assumptions[c].to_numpy(dtype=float)
        for c in assumptions.columns
        if c != "activity" and c != "basis"
    }
    contacts = 10 * a["per_person_per_year"]
    hours = table["hours_per_year"].to_numpy(dtype=float)
    if not np.allclose(table["contacts_per_year"].to_numpy(dtype=float), contacts):
        _fail(
            "contacts_per_year should be n_people x per_person_per_year: three follow-ups a year "
            "are three contacts per person."
        )
    full = contacts * a["minutes_each"] * a["staff_per_activity"]
    slips = [
        (full, "hours_per_year is in minutes: Divide by 60."),
        (
            contacts * a["minutes_each"] / 60,
            "hours_per_year leaves out staff_per_activity: an MDT review with five people "
            "present takes five people's time. Multiply by it.",
        ),
        (
            10 * a["minutes_each"] * a["staff_per_activity"] / 60,
            "hours_per_year counts people, not contacts: multiply by per_person_per_year.",
        ),
        (full / 60 / 12, "hours_per_year is per month: the question asks for hours per YEAR."),
    ]
    for wrong, message in slips:
        if np.allclose(hours, wrong) and not np.allclose(wrong, full / 60):
            _fail(message)
    double = needs_hours(20, assumptions)["hours_per_year"].to_numpy(dtype=float)
    if not np.allclose(double, 2 * hours):
        _fail(
            "needs_hours(20, ...) is not twice needs_hours(10, ...): use the n_people argument, "
            "not the size of your cohort."
        )


def total_and_wte(
    total_hours: Any, wte_needed: Any, needs: pd.DataFrame, hours_per_wte: float
) -> None:
    """Check ``total_hours`` is the sum of ``needs`` in hours, and ``wte_needed`` uses 42 weeks.

    Examples
    --------
    >>> import pandas as pd
    >>> needs = pd.DataFrame({"hours_per_year": [1000.0, 575.0]})
    >>> total_and_wte(1575.0, 1.0, needs, 37.5 * 42)
    >>> total_and_wte(1575.0, 1575 / (37.5 * 52), needs, 37.5 * 52)
    Traceback (most recent call last):
    AssertionError: wte_needed uses 52 weeks: nobody works every week of the year. Use HOURS_PER_WTE = 37.5 * 42.
    """
    is_number(total_hours, "total_hours")
    is_number(wte_needed, "wte_needed")
    total = float(needs["hours_per_year"].sum())
    if abs(total_hours - total * 60) < 1e-6 * max(1.0, total):
        _fail("total_hours is in minutes: divide by 60.")
    if abs(total_hours - total) > 1e-6 * max(1.0, total):
        _fail(
            f"total_hours should add up needs['hours_per_year'] ({total:,.1f}); it is "
            f"{total_hours:,.1f}."
        )
    if abs(hours_per_wte - 37.5 * 52) < 1e-9 or abs(wte_needed - total / (37.5 * 52)) < 1e-9:
        _fail(
            "wte_needed uses 52 weeks: nobody works every week of the year. Use "
            "HOURS_PER_WTE = 37.5 * 42."
        )
    if abs(hours_per_wte - 37.5 * 42) > 1e-9 or abs(wte_needed - total / hours_per_wte) > 1e-9:
        _fail("wte_needed should be total_hours / HOURS_PER_WTE, with HOURS_PER_WTE = 37.5 * 42.")


def sized_on_the_cohort(
    needs: pd.DataFrame,
    needs_hours: Callable[[int, pd.DataFrame], Any],
    assumptions: pd.DataFrame,
    cohort: pd.DataFrame,
    included: pd.Series,
) -> None:
    """Check ``needs`` is sized on the cohort (after the exclusions), using your own function."""
    hours = float(needs["hours_per_year"].sum())

    def total(n: int) -> float:
        return float(needs_hours(n, assumptions)["hours_per_year"].sum())

    n_in = int(_flags(included).sum())
    if n_in != len(cohort) and abs(hours - total(n_in)) < 1e-6 * max(1.0, hours):
        _fail("needs is sized on everyone who met a route, before the exclusions: use len(cohort).")
    if abs(hours - total(len(cohort))) > 1e-6 * max(1.0, hours):
        _fail("needs should be needs_hours(len(cohort), assumptions): the people in your cohort.")
