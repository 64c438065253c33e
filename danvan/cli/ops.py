"""Operator commands: ``serve`` (Prefect deployments) and ``bench`` (stage timings)."""

from __future__ import annotations
