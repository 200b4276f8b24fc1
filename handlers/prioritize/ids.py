"""`/prioritize` IDs, shared by builders, listeners and tests."""

PROPOSE_FORM = "prioritize.propose"
SCORE_FORM = "prioritize.score"
TEAM = "prioritize_team"
"""The proposal form's team picker (block and action)."""

TITLE = "title"
DESCRIPTION = "description"
LINK = "link"
