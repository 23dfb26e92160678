"""Synthetic PCN and ICS datasets from declarative population specs."""

from clearlib.synth._export import EXPORT_SYSTEMS, make_export, write_export
from clearlib.synth._generate import PCNTables, generate_pcn
from clearlib.synth._messy import make_messy, write_messy
from clearlib.synth._run import generate
from clearlib.synth._spec import PracticeSpec, Spec, available_specs, load_spec

__all__ = [
    "EXPORT_SYSTEMS",
    "PCNTables",
    "PracticeSpec",
    "Spec",
    "available_specs",
    "generate",
    "generate_pcn",
    "load_spec",
    "make_export",
    "make_messy",
    "write_export",
    "write_messy",
]
