"""Storage: SQLAlchemy models, queries in domain terms, migrations. No Slack, no decisions."""

from storage import models  # noqa: F401  (every table module in one order, whichever storage module is imported first)
