"""Tỉnh mẫu: the bundled fictional province that ``danvan demo`` and the tests run a cycle on.

Quảng Ngãi (``QNG``) with real place names but invented contacts and figures: provincial
departments, two districts with their offices and communes (three tiers), a few communes
directly under the province (the two-tier layout since July 2025) and one merged commune kept
inactive. The criteria sets are modelled on Quyết định 436/QĐ-UBND of Quảng Ngãi.
The previous year uses the same org tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_dir() -> Path:
    """The folder holding ``org.yaml``, ``criteria.yaml``, ``criteria-xa.yaml`` and ``plan.yaml``.

    The package is installed as plain files (never zipped), so its resources are a real folder.
    """
    return Path(str(files(__name__)))
