"""Named disclosure policies: which counts are hidden, and how the rest are rounded.

A project chooses one policy (the project workbook's ``disclosure_policy`` parameter) and every
table, figure and number it publishes passes through :func:`clearlib.privacy.suppress` and
:func:`clearlib.privacy.check_publishable` under that policy.

``hide-1-4`` (the default)
    Counts from 1 to 4 are hidden; the rest are shown as they are; a 0 is shown. The usual rule
    for tables of counts of patients in NHS primary care reporting, and clearlib's behaviour
    before policies existed.

``nhs-hide-1-7-round-5``
    NHS Digital (now NHS England) secondary care disclosure control for Hospital Episode
    Statistics (HES) and the Emergency Care Data Set, from September 2018, since extended to
    other NHS Digital datasets (for example SRHAD, 2020). Below national level: a 0 is shown
    as 0; a count from 1 to 7 is replaced by ``*``; every other count is rounded to the
    nearest 5. Row and column totals are calculated from the unrounded counts and then rounded
    in the same way, so a table's rounded cells need not add up to its rounded total.
    https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018
    https://digital.nhs.uk/data-and-information/find-data-and-publications/statement-of-administrative-sources/methodological-changes/changes-to-the-sexual-and-reproductive-health-activity-dataset-disclosure-control-methodology-for-2019-20

``opensafely-redact-7-round-5``
    OpenSAFELY's output-checking rule: redact every count of 7 or fewer ("any statistic
    describing 7 or fewer patients ... should be redacted"), then round every count to the
    nearest 5 ("Rounding does not remove the need to redact counts <=7. You should first redact
    counts <=7 and then round to the nearest 5"). Counts of zero "can be retained in general".
    https://docs.opensafely.org/releasing-files/ (sections "Redacting counts less than or
    equal to 7" and "Rounding counts"). OpenSAFELY also documents *midpoint 6* rounding
    (0 stays 0; 1-6 become 3, 7-12 become 9, 13-18 become 15 ...), which it recommends only
    for the numerators and denominators of rates where zero-is-zero and unbiasedness matter;
    it is the separate policy ``opensafely-midpoint-6``.

Totals
------
clearlib follows one convention for every policy: a total printed in a table is calculated
from the *unrounded* counts (it is an input to :func:`~clearlib.privacy.suppress`, like any
other cell) and then hidden or rounded on its own, exactly as NHS Digital does. OpenSAFELY's
guide instead prints totals recalculated as the sum of the rounded, redacted cells; a project
releasing through OpenSAFELY that needs its totals to add up should recompute them from the
published cells after :func:`~clearlib.privacy.suppress`. Under every policy, secondary
suppression then makes sure no printed total can give back a hidden cell by subtraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from clearlib._exceptions import ConfigError, DataError

__all__ = ["DEFAULT_POLICY", "POLICIES", "Policy", "policy"]

#: How counts that are shown are rounded: to the nearest multiple of the base (``"nearest"``,
#: halves up), or OpenSAFELY's midpoint rounding (``"midpoint"``: 1 to base map to base/2 ...).
RoundingMethod = Literal["nearest", "midpoint"]


@dataclass(frozen=True)
class Policy:
    """A disclosure policy: which counts are hidden, how the others are rounded, and why.

    Attributes
    ----------
    name : str
        The policy's name, e.g. ``"nhs-hide-1-7-round-5"``.
    description : str
        A one-sentence plain-English description (see :meth:`describe`).
    threshold : int
        Counts from 1 to ``threshold`` are hidden (primary suppression); 0 hides nothing.
        ``hide-1-4`` has threshold 4.
    rounding : int or None
        The rounding base for counts that are shown (5: the nearest 5), or None for none.
    rounding_method : {"nearest", "midpoint"}
        ``"nearest"``: the nearest multiple of ``rounding`` (halves up); ``"midpoint"``:
        OpenSAFELY's midpoint rounding, ``ceil(x / base) * base - base // 2`` for ``x > 0``.
    zero_is_safe : bool
        True: a 0 is shown (it is a true zero). False: zeros are hidden too.
    source : str
        Where the rule comes from (an organisation and a URL).
    """

    name: str
    description: str
    threshold: int
    rounding: int | None = None
    rounding_method: RoundingMethod = "nearest"
    zero_is_safe: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, int) or isinstance(self.threshold, bool):
            raise ConfigError(f"Policy threshold must be a whole number; found {self.threshold!r}.")
        if self.threshold < 0:
            raise ConfigError(f"Policy threshold must be 0 or more; found {self.threshold}.")
        if self.rounding is not None and (
            not isinstance(self.rounding, int)
            or isinstance(self.rounding, bool)
            or self.rounding < 2
        ):
            raise ConfigError(
                f"Policy rounding must be None or a whole number of 2 or more; found "
                f"{self.rounding!r}."
            )
        if self.rounding_method not in ("nearest", "midpoint"):
            raise ConfigError(
                f"Policy rounding_method must be 'nearest' or 'midpoint'; found "
                f"{self.rounding_method!r}."
            )

    # ----------------------------------------------------------------------------------------
    def describe(self) -> str:
        """One plain-English sentence for a dashboard or report footer.

        Examples
        --------
        >>> policy("nhs-hide-1-7-round-5").describe()
        'Counts of 1 to 7 are hidden and the rest rounded to the nearest 5 (NHS England convention for HES and GP data).'
        """
        return self.description

    def hides(self, count: float) -> bool:
        """True if a count of this size must not be shown (primary suppression).

        Examples
        --------
        >>> [policy("hide-1-4").hides(n) for n in (0, 1, 4, 5)]
        [False, True, True, False]
        """
        if count == 0:
            return not self.zero_is_safe
        return 1 <= count <= self.threshold

    def round(self, count: int) -> int:
        """Round one count as this policy rounds the counts it shows (unchanged if no rounding).

        Examples
        --------
        >>> p = policy("nhs-hide-1-7-round-5")
        >>> [p.round(n) for n in (8, 12, 13, 17, 18, 103)]
        [10, 10, 15, 15, 20, 105]
        >>> [policy("opensafely-midpoint-6").round(n) for n in (0, 1, 6, 7, 12, 13)]
        [0, 3, 3, 9, 9, 15]
        """
        base = self.rounding
        if base is None:
            return int(count)
        n = int(count)
        if self.rounding_method == "midpoint":
            return 0 if n == 0 else -(-n // base) * base - base // 2
        return (n + base // 2) // base * base

    def protect(self, count: int) -> int | None:
        """The count as it may be published: None if it must be hidden, else rounded.

        For a single number outside a table (a headline figure). A count shown next to others
        that add up to a known total needs :func:`clearlib.privacy.suppress` instead.

        Examples
        --------
        >>> p = policy("opensafely-redact-7-round-5")
        >>> p.protect(7) is None, p.protect(8), p.protect(0)
        (True, 10, 0)
        """
        if self.hides(count):
            return None
        return self.round(count)

    def is_rounded(self, count: float) -> bool:
        """True if a shown count is a value this policy's rounding can produce.

        Examples
        --------
        >>> p = policy("nhs-hide-1-7-round-5")
        >>> p.is_rounded(15), p.is_rounded(16)
        (True, False)
        """
        base = self.rounding
        if base is None:
            return True
        if self.rounding_method == "midpoint":
            return count == 0 or (count + base // 2) % base == 0
        return count % base == 0

    @property
    def hidden_range(self) -> str:
        """The counts hidden, in words: ``"1 to 4"``, ``"0 to 7"``, ``"none"``."""
        low = 0 if not self.zero_is_safe else 1
        if self.threshold < low:
            return "0" if low == 0 else "none"
        return f"{low} to {self.threshold}" if self.threshold > low else f"{low}"

    def __str__(self) -> str:
        return self.name


_SOURCE_HES = (
    "NHS Digital, 'Disclosure control methodology for Hospital Episode Statistics (HES) and "
    "Emergency Care Data Set (ECDS)' (2018): https://digital.nhs.uk/data-and-information/"
    "data-tools-and-services/data-services/hospital-episode-statistics/"
    "change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018"
)
_SOURCE_OPENSAFELY = (
    "OpenSAFELY documentation, 'Safe outputs': redacting counts <=7 and rounding counts: "
    "https://docs.opensafely.org/releasing-files/"
)

_ALL = (
    Policy(
        name="hide-1-4",
        description=(
            "Counts of 1 to 4 are hidden, with any other counts that would let a total reveal "
            "them; the rest are shown as they are."
        ),
        threshold=4,
        source=(
            "The usual small-number rule for published NHS tables of patient counts "
            "(suppress 1 to 4, with secondary suppression); clearlib's default."
        ),
    ),
    Policy(
        name="nhs-hide-1-7-round-5",
        description=(
            "Counts of 1 to 7 are hidden and the rest rounded to the nearest 5 (NHS England "
            "convention for HES and GP data)."
        ),
        threshold=7,
        rounding=5,
        source=_SOURCE_HES,
    ),
    Policy(
        name="opensafely-redact-7-round-5",
        description=(
            "Counts of 7 or fewer are redacted and the rest rounded to the nearest 5 "
            "(OpenSAFELY's rule for releasing results)."
        ),
        threshold=7,
        rounding=5,
        source=_SOURCE_OPENSAFELY,
    ),
    Policy(
        name="opensafely-midpoint-6",
        description=(
            "Counts are rounded to OpenSAFELY's 'midpoint 6' (0 stays 0, 1 to 6 show as 3, "
            "7 to 12 as 9, and so on), so no count is shown exactly."
        ),
        threshold=0,
        rounding=6,
        rounding_method="midpoint",
        source=_SOURCE_OPENSAFELY + " (section 'Midpoint 6 rounding')",
    ),
)

#: Every named policy, by name.
POLICIES: Mapping[str, Policy] = MappingProxyType({p.name: p for p in _ALL})

#: The policy used when none is named.
DEFAULT_POLICY = "hide-1-4"


def policy(name: str | Policy = DEFAULT_POLICY) -> Policy:
    """The disclosure policy called ``name`` (a Policy is returned unchanged).

    Parameters
    ----------
    name : str or Policy
        One of ``hide-1-4`` (default), ``nhs-hide-1-7-round-5``,
        ``opensafely-redact-7-round-5`` or ``opensafely-midpoint-6``.

    Raises
    ------
    clearlib.ConfigError
        If no policy has that name; the message lists the known ones.

    Examples
    --------
    >>> p = policy("nhs-hide-1-7-round-5")
    >>> p.threshold, p.rounding
    (7, 5)
    >>> policy(p) is p
    True
    """
    if isinstance(name, Policy):
        return name
    if isinstance(name, str) and name in POLICIES:
        return POLICIES[name]
    known = ", ".join(POLICIES)
    raise ConfigError(
        f"Unknown disclosure policy {name!r}. Expected one of: {known}. What to do: set the "
        "project's disclosure_policy to one of these names, or pass a clearlib.privacy.Policy."
    )


def resolve(name: str | Policy, threshold: int | None) -> Policy:
    """The policy to apply: ``name``, with the old ``threshold=`` keyword applied if given.

    ``threshold`` keeps its historical meaning (counts from 1 to ``threshold - 1`` are hidden):
    ``threshold=5`` is ``hide-1-4``; another value makes a custom policy from ``name``.
    """
    chosen = policy(name)
    if threshold is None:
        return chosen
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise DataError(
            f"threshold must be a whole number of 1 or more (found {threshold!r}); the usual "
            "rule hides counts from 1 to 4, threshold=5. Better: choose a named policy, "
            f"policy=..., one of {', '.join(POLICIES)}."
        )
    if threshold - 1 == chosen.threshold:
        return chosen
    if threshold == 1:
        description = "No count is hidden"
    else:
        hidden = f"1 to {threshold - 1}" if threshold > 2 else "1"
        description = f"Counts of {hidden} are hidden"
    if chosen.rounding and chosen.rounding_method == "nearest":
        description += f" and the rest rounded to the nearest {chosen.rounding}"
    return Policy(
        name=f"{chosen.name} (threshold {threshold})",
        description=description + ".",
        threshold=threshold - 1,
        rounding=chosen.rounding,
        rounding_method=chosen.rounding_method,
        zero_is_safe=chosen.zero_is_safe,
        source=f"{chosen.source} (threshold changed: counts below {threshold} are hidden)",
    )
