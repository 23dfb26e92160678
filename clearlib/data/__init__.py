"""Datasets: load a bundle, the data dictionary, and validation of extracts."""

from clearlib.data._bundle import PCNData

__all__ = ["PCNData"]
