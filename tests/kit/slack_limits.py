"""Slack's documented Block Kit / view limits, as numbers: where the facts live and how they load.

The numbers come from ``<repo>/../shared/slack/limits.json`` (override the folder with the
``SLACK_FACTS_DIR`` environment variable); the defaults of :class:`Limits` are only a fallback for
when that file is missing. :mod:`tests.kit.block_limits` checks blocks and views against them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED_FACTS = REPO.parent / "shared" / "slack"
VENDORED_FACTS = REPO / "tests" / "slack_facts"


def facts_dir() -> Path:
    """Folder holding the Slack reference files (limits.json, payloads/...): the team's shared/slack
    beside the checkout when it is there, else the copy in tests/slack_facts (a checkout on its own)."""
    override = os.environ.get("SLACK_FACTS_DIR")
    if override:
        return Path(override)
    return SHARED_FACTS if SHARED_FACTS.is_dir() else VENDORED_FACTS


@dataclass(frozen=True)
class Limits:
    """Block Kit / view limits. Defaults are the fallback used when limits.json is missing."""

    blocks_per_message: int = 50
    blocks_per_view_max: int = 100
    blocks_per_view_min: int = 1
    view_title: int = 24
    view_submit: int = 24
    view_close: int = 24
    view_private_metadata: int = 3000
    view_callback_id: int = 255
    view_external_id: int = 255
    block_id: int = 255
    action_id: int = 255
    section_text_max: int = 3000
    section_text_min: int = 1
    section_fields: int = 10
    section_field_chars: int = 2000
    header_text: int = 150
    markdown_text: int = 12000
    actions_elements: int = 25
    context_elements: int = 10
    input_label: int = 2000
    input_hint: int = 2000
    placeholder: int = 150
    plain_text_input_min_length_lo: int = 0
    plain_text_input_min_length_hi: int = 3000
    plain_text_input_max_length_lo: int = 1
    plain_text_input_max_length_hi: int = 3000
    static_select_options: int = 100
    static_select_option_groups: int = 100
    checkboxes_radio_options: int = 10
    overflow_options_min: int = 1
    overflow_options_max: int = 5
    option_text: int = 75
    option_value: int = 150
    button_text: int = 75
    button_value: int = 2000
    button_url: int = 3000
    confirm_title: int = 100
    confirm_text: int = 300
    confirm_confirm: int = 30
    confirm_deny: int = 30
    image_alt_text: int = 2000
    image_url: int = 3000
    schedule_max_future_days: int = 120


# field name -> (limits.json key, sub key, index into a [lo, hi] "range" or None)
_JSON_KEYS: dict[str, tuple[str, str, int | None]] = {
    "blocks_per_message": ("blocks_per_message", "max", None),
    "blocks_per_view_max": ("blocks_per_modal_or_home", "max", None),
    "blocks_per_view_min": ("blocks_per_modal_or_home", "min", None),
    "view_title": ("view_title_modal", "max_chars", None),
    "view_submit": ("view_submit_text", "max_chars", None),
    "view_close": ("view_close_text", "max_chars", None),
    "view_private_metadata": ("view_private_metadata", "max_chars", None),
    "view_callback_id": ("view_callback_id", "max_chars", None),
    "view_external_id": ("view_external_id", "max_chars", None),
    "block_id": ("block_id", "max_chars", None),
    "action_id": ("action_id", "max_chars", None),
    "section_text_max": ("section_text", "max_chars", None),
    "section_text_min": ("section_text", "min_chars", None),
    "section_fields": ("section_fields", "max_items", None),
    "section_field_chars": ("section_fields", "max_chars_each", None),
    "header_text": ("header_text", "max_chars", None),
    "markdown_text": ("markdown_block_text", "max_chars", None),
    "actions_elements": ("actions_block_elements", "max", None),
    "context_elements": ("context_block_elements", "max", None),
    "input_label": ("input_label", "max_chars", None),
    "input_hint": ("input_hint", "max_chars", None),
    "placeholder": ("placeholder", "max_chars", None),
    "plain_text_input_min_length_lo": ("plain_text_input_min_length", "range", 0),
    "plain_text_input_min_length_hi": ("plain_text_input_min_length", "range", 1),
    "plain_text_input_max_length_lo": ("plain_text_input_max_length", "range", 0),
    "plain_text_input_max_length_hi": ("plain_text_input_max_length", "range", 1),
    "static_select_options": ("static_select_options", "max", None),
    "static_select_option_groups": ("static_select_options", "option_groups_max", None),
    "checkboxes_radio_options": ("checkboxes_radio_options", "max", None),
    "overflow_options_min": ("overflow_options", "min", None),
    "overflow_options_max": ("overflow_options", "max", None),
    "option_text": ("option_text", "max_chars", None),
    "option_value": ("option_value", "max_chars", None),
    "button_text": ("button_text", "max_chars", None),
    "button_value": ("button_value", "max_chars", None),
    "button_url": ("button_url", "max_chars", None),
    "confirm_title": ("confirm_object", "title_max", None),
    "confirm_text": ("confirm_object", "text_max", None),
    "confirm_confirm": ("confirm_object", "confirm_max", None),
    "confirm_deny": ("confirm_object", "deny_max", None),
    "image_alt_text": ("image_alt_text", "max_chars", None),
    "image_url": ("image_alt_text", "image_url_max", None),
    "schedule_max_future_days": ("chat_scheduleMessage", "post_at_max_future_days", None),
}


def _lookup(raw: dict[str, Any], key: str, sub: str, index: int | None) -> int | None:
    entry = raw.get(key)
    value = entry.get(sub) if isinstance(entry, dict) else None
    if index is not None:
        value = value[index] if isinstance(value, list) and len(value) > index else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_limits(path: Path | None = None) -> Limits:
    """Read limits.json; any number missing there (or the whole file) keeps its fallback."""
    path = path or facts_dir() / "limits.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Limits()
    found = {name: _lookup(raw, *_JSON_KEYS[name]) for name in (f.name for f in fields(Limits))}
    return replace(Limits(), **{k: v for k, v in found.items() if v is not None})


LIMITS = load_limits()
