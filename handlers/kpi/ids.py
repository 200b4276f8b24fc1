"""Block Kit identifiers of the KPI feature, shared by builders, listeners and tests."""

# Modal (callback_id)
TARGETS_FORM = "kpi.targets"
TEAM = "kpi_team"
"""The targets form's team picker (block and action)."""

# Input blocks of the targets form (block_id = action_id = the KpiTargets field)
FIRST_RESPONSE_MINUTES = "first_response_minutes"
RESOLUTION_HOURS = "resolution_hours"
CSAT_PERCENT = "csat_percent"
FCR_PERCENT = "fcr_percent"
ESCALATION_SLA_PERCENT = "escalation_sla_percent"
