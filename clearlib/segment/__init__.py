"""Population segmentation: frailty, multimorbidity, Bridges to Health, risk, clusters, cohorts.

The steps of anticipatory care on a PCN's records, each one vectorised over the whole list:

- :func:`efi` and :func:`ltc_counts`: the electronic Frailty Index and long-term condition
  counts as at any date;
- :func:`segment_features` (as at a date) and :class:`BridgesToHealth`: one of eight segments
  per person by rules that are data (:func:`bridges_rules`), and :func:`segment_profile`;
- :func:`build_features` (strictly before an index date), :func:`build_outcome` (emergency
  admission in the year after), :class:`RiskModel`, :func:`check_no_leakage`, and the
  judging helpers :func:`auc_ci`, :func:`calibration_by_decile`, :func:`capture`,
  :func:`capture_curve`, :func:`metrics_by_group`;
- :class:`PopulationClusters` and :func:`compare_segmentations`: clusters beside Bridges to
  Health;
- :class:`Cohort` (rules to a list with reasons and an exclusion waterfall) and
  :func:`size_needs` (hours a year).

Examples
--------
>>> import clearlib
>>> from clearlib import segment
>>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
>>> features = segment.segment_features(pcn)  # doctest: +SKIP
>>> segments = segment.BridgesToHealth().fit(features).assign(features)  # doctest: +SKIP
>>> segment.segment_profile(features, segments)  # doctest: +SKIP
"""

from clearlib.segment._bridges import (
    BRIDGES_RULES,
    UNIT_COSTS,
    BridgesToHealth,
    bridges_rules,
    segment_profile,
    unit_costs,
)
from clearlib.segment._cluster import (
    CLUSTER_FEATURES,
    PopulationClusters,
    SegmentComparison,
    clustering_features,
    compare_segmentations,
)
from clearlib.segment._cohort import (
    NEEDS_ASSUMPTIONS,
    PROACTIVE_CARE_RULES,
    Cohort,
    CohortResult,
    join_risk,
    needs_assumptions,
    size_needs,
)
from clearlib.segment._data import known_before
from clearlib.segment._features import (
    ACUTE_CATEGORIES,
    DEFAULT_INDEX_DATE,
    LeakageReport,
    build_features,
    build_outcome,
    check_no_leakage,
    equity_groups,
    feature_dictionary,
    segment_features,
)
from clearlib.segment._frailty import EFI_CATEGORIES, efi
from clearlib.segment._metrics import (
    AUCResult,
    auc_ci,
    calibration_by_decile,
    capture,
    capture_curve,
    metrics_by_group,
)
from clearlib.segment._multimorbidity import LTC_REGISTERS, REGISTERS, ltc_counts
from clearlib.segment._risk import RiskModel, flag_top
from clearlib.segment._rules import CohortRule, Rule, read_rules, rules_frame

__all__ = [
    "ACUTE_CATEGORIES",
    "BRIDGES_RULES",
    "CLUSTER_FEATURES",
    "DEFAULT_INDEX_DATE",
    "EFI_CATEGORIES",
    "LTC_REGISTERS",
    "NEEDS_ASSUMPTIONS",
    "PROACTIVE_CARE_RULES",
    "REGISTERS",
    "UNIT_COSTS",
    "AUCResult",
    "BridgesToHealth",
    "Cohort",
    "CohortResult",
    "CohortRule",
    "LeakageReport",
    "PopulationClusters",
    "RiskModel",
    "Rule",
    "SegmentComparison",
    "auc_ci",
    "bridges_rules",
    "build_features",
    "build_outcome",
    "calibration_by_decile",
    "capture",
    "capture_curve",
    "check_no_leakage",
    "clustering_features",
    "compare_segmentations",
    "efi",
    "equity_groups",
    "feature_dictionary",
    "flag_top",
    "join_risk",
    "known_before",
    "ltc_counts",
    "metrics_by_group",
    "needs_assumptions",
    "read_rules",
    "rules_frame",
    "segment_features",
    "segment_profile",
    "size_needs",
    "unit_costs",
]
