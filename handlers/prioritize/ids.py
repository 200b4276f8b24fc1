"""`/prioritize` IDs, shared by builders, listeners and tests."""

PROPOSE_FORM = "prioritize.propose"
SCORE_FORM = "prioritize.score"
TRACK_FORM = "prioritize.track"
TEAM = "prioritize_team"
"""The proposal form's team picker (block and action)."""

TITLE = "title"
DESCRIPTION = "description"
LINK = "link"
OWNER = "owner"
TARGET = "target_date"
KPI = "kpi"
