"""The KPI figures' shared pieces: `Figures` (what storage computes for a window of local days) and
`minutes_between`, the SQL for a duration on either engine; `first_contact`, FCR's condition in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Float, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.rules import first_contact as fcr
from bot.rules.kpi import BY_KEY


class minutes_between(FunctionElement[float]):
    """Minutes from the first timestamp to the second, in SQL on either engine."""

    type = Float()
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"((julianday({compiler.process(second, **kw)}) - julianday({compiler.process(first, **kw)})) * 1440.0)"


@compiles(minutes_between, "postgresql")
def _minutes_postgres(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(second, **kw)} - {compiler.process(first, **kw)})) / 60.0)"


def first_contact(agent_replies: Any, reopens: Any) -> ColumnElement[bool]:
    """`bot.rules.first_contact.first_contact_resolved` as SQL over a ticket's columns: true or false for a ticket
    whose agent replies are known (count those with `count(agent_replies)`), NULL otherwise."""
    return and_(agent_replies <= fcr.MAX_AGENT_REPLIES, reopens <= fcr.MAX_REOPENS)


@dataclass(frozen=True)
class Figures:
    """Every metric's value over a span of local days, and how many tickets (ratings, escalations) each
    value rests on."""

    first: date
    last: date
    values: dict[str, float | None] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No ticket or escalation activity and no logged figure in the span."""
        activity = ("created", "solved", "escalations_opened", "escalations_resolved")
        logged = any(n for key, n in self.samples.items() if key not in BY_KEY)
        return not logged and not any(self.values.get(key) for key in activity)
