"""Block Kit identifiers of the escalation feature, shared by builders, listeners and tests."""

# Modals (callback_id)
ESCALATION_FORM = "escalation.form"
UPDATE_FORM = "escalation.update"
PRIORITY_FORM = "escalation.priority"
RESOLVE_FORM = "escalation.resolve"
REOPEN_FORM = "escalation.reopen"
DRAFT_SETUP_FORM = "escalation.draft_setup"
DRAFT_FORM = "escalation.draft"
MERGE_FORM = "escalation.merge_form"

# Buttons and selects on the escalation message (action_id)
ACKNOWLEDGE = "escalation.acknowledge"
ASSIGN = "escalation.assign"
POST_UPDATE = "escalation.post_update"
CHANGE_PRIORITY = "escalation.change_priority"
RESOLVE = "escalation.resolve"
REOPEN = "escalation.reopen"
DRAFT_UPDATE = "escalation.draft_update"
WAIT_ON_CUSTOMER = "escalation.wait_on_customer"
RESUME = "escalation.resume"
MERGE = "escalation.merge"

# Input blocks of the escalation form (block_id; each input's action_id is the same string)
CUSTOMER = "customer"
SUMMARY = "summary"
DETAILS = "details"
TICKETS = "tickets"
SEVERITY = "severity"
IMPACT = "impact"
URGENCY = "urgency"
PATH = "path"
OWNER = "owner"

# Input blocks of the follow-up modals
UPDATE_TEXT = "update_text"
UPDATE_AUDIENCE = "update_audience"
NEW_PRIORITY = "new_priority"
REASON = "reason"
OUTCOME = "outcome"
ROOT_CAUSE = "root_cause"
CUSTOMER_TOLD = "customer_told"
CUSTOMER_TZ = "customer_tz"
NAME_OWNER = "name_owner"
DRAFT_TEXT = "draft_text"
MERGE_TARGET = "merge_target"

# Blocks of the escalation message
ACTIONS_BLOCK = "escalation_actions"
