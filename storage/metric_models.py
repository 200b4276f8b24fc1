"""KPI tables (DESIGN.md 3.3): manual metrics, metric alert states, baselines. Part of the schema in `storage.models`."""

from __future__ import annotations

from storage.models import Base

__all__ = ["Base"]
