"""Pure rules: the domain of supportbot, with no Slack, no SQL and no clock (time is an argument)."""
