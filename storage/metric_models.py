"""KPI tables (DESIGN.md 3.3): manual metrics, alert states, baselines. Part of `storage.models`."""

from __future__ import annotations

from storage.models import Base

__all__ = ["Base"]
