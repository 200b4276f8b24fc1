"""`/prioritize` IDs, shared by builders, listeners and tests."""

PROPOSE_FORM = "prioritize.propose"
SCORE_FORM = "prioritize.score"

TITLE = "title"
DESCRIPTION = "description"
LINK = "link"
