"""`/prioritize` IDs, shared by builders, listeners and tests."""

PROPOSE_FORM = "prioritize.propose"
SCORE_FORM = "prioritize.score"
TRACK_FORM = "prioritize.track"

TITLE = "title"
DESCRIPTION = "description"
LINK = "link"
OWNER = "owner"
TARGET = "target_date"
KPI = "kpi"
