"""Datasets: load a bundle, the data dictionary, realism profiles, and validation of extracts."""

from clearlib.data._bundle import PCNData
from clearlib.data._dictionary import DataDictionary, data_dictionary
from clearlib.data._load import load_pcn
from clearlib.data._population import age_at, age_band, registered_at
from clearlib.data._profile import RealismProfile, profile
from clearlib.data._store import read_dataset, verify
from clearlib.data._validate import ValidationReport, validate

__all__ = [
    "DataDictionary",
    "PCNData",
    "RealismProfile",
    "ValidationReport",
    "age_at",
    "age_band",
    "data_dictionary",
    "load_pcn",
    "profile",
    "read_dataset",
    "registered_at",
    "validate",
    "verify",
]
