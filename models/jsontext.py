"""JSON text from the database decoded fast: the read path's figures, scores and lists.

Why: a 25,000-unit ``status`` decodes 25,000 figures documents (and at least as many lists),
and the standard library's decoder was a fifth of its time. ``orjson`` (already installed with
Prefect) decodes the same documents to the same values about three times faster. It is stricter
than ``json`` (no ``NaN``, integers within 64 bits): anything it refuses is decoded by ``json``
as before, so what a read returns never changes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: str) -> Any:
    """``json.loads(text)``, the same value, mostly by ``orjson``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
