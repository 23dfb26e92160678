"""Datasets: load a bundle, the data dictionary, realism profiles, validation and import of extracts."""

from clearlib.data._bundle import PCNData
from clearlib.data._codelists import CodeList, CodeListSet, read_codelist
from clearlib.data._dictionary import DataDictionary, data_dictionary
from clearlib.data._import import ImportReport, import_extract
from clearlib.data._load import load_pcn
from clearlib.data._mapping import ExtractMapping, MappingError, load_mapping
from clearlib.data._population import age_at, age_band, registered_at
from clearlib.data._profile import RealismProfile, profile
from clearlib.data._store import read_dataset, verify
from clearlib.data._validate import ValidationReport, validate

__all__ = [
    "CodeList",
    "CodeListSet",
    "DataDictionary",
    "ExtractMapping",
    "ImportReport",
    "MappingError",
    "PCNData",
    "RealismProfile",
    "ValidationReport",
    "age_at",
    "age_band",
    "data_dictionary",
    "import_extract",
    "load_mapping",
    "load_pcn",
    "profile",
    "read_codelist",
    "read_dataset",
    "registered_at",
    "validate",
    "verify",
]
