"""Stand-up block, action and callback IDs: shared by the builders, the listeners and the tests."""

START = "standup_start"
SKIP = "standup_skip"
EDIT = "standup_edit"
ESCALATE_BLOCKER = "standup_escalate_blocker"

FORM = "standup_form"
SETUP_FORM = "standup_setup"

TEAM = "standup_team"
"""The team picker of the answer form (block and action); SETUP_TEAM the setup form's."""
SETUP_TEAM = "standup_setup_team"

QUESTION = "standup_q{}"
MOOD = "standup_mood"

SETUP_TIME = "setup_time"
SETUP_DAYS = "setup_days"
SETUP_REMINDER = "setup_reminder"
SETUP_WINDOW = "setup_window"
SETUP_QUESTIONS = "setup_questions"
SETUP_HOLIDAYS = "setup_holidays"
SETUP_MOOD = "setup_mood"
