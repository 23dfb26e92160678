"""Synthetic PCN and ICS datasets from declarative population specs."""

from clearlib.synth._generate import generate_pcn
from clearlib.synth._messy import make_messy, write_messy
from clearlib.synth._run import generate
from clearlib.synth._spec import PracticeSpec, Spec, available_specs, load_spec

__all__ = [
    "PracticeSpec",
    "Spec",
    "available_specs",
    "generate",
    "generate_pcn",
    "load_spec",
    "make_messy",
    "write_messy",
]
