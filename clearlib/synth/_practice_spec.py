"""One practice to generate: the record that specs expand into (no imports of its own, so
``_spec`` and ``_practices`` both use it without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PracticeSpec"]


@dataclass(frozen=True)
class PracticeSpec:
    """One practice to generate."""

    code: str
    pcn_code: str
    name: str
    list_size: int
    imd_decile: int
    rurality: str
    clinical_system: str
    care_home_beds: int
    share_65_plus: float
    index: int  # 1-based number of the practice in the whole dataset (used in identifiers)
