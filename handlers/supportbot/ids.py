"""`/supportbot` block, action and callback IDs, shared by builders, listeners and tests."""

SETUP_FORM = "supportbot.setup"

KEY = "team_key"
NAME = "team_name"
TIMEZONE = "team_timezone"
DIGEST_TIME = "team_digest_time"
MEMBERS = "team_members"
MANAGERS = "team_managers"
CHANNELS = {"escalations": "channel_escalations", "standup": "channel_standup", "digest": "channel_digest"}
PATHS_SHOWN = 5
PATH_NAME = "path_{}_name"
PATH_CHANNEL = "path_{}_channel"

OPEN_SETUP = "supportbot.open_setup"
