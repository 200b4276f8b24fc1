"""Pure Block Kit validation against Slack's documented limits.

The numbers come from ``<repo>/../shared/slack/limits.json`` (override the folder with the
``SLACK_FACTS_DIR`` environment variable); the constants below are only a fallback for when that
file is missing. ``problems()`` and ``view_problems()`` return one human-readable string per
violation, so feature tests can simply assert ``problems(blocks) == []``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]


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

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text",
        "section", "video", "call", "table", "context_actions", "task_card", "plan", "alert", "card",
        "container", "carousel", "auth_provider",
    }
)  # fmt: skip

_OPTION_LIMITS: dict[str, str] = {
    "static_select": "static_select_options",
    "multi_static_select": "static_select_options",
    "checkboxes": "checkboxes_radio_options",
    "radio_buttons": "checkboxes_radio_options",
}


class _Checker:
    """Collects problems while walking one block list (or one view)."""

    def __init__(self, limits: Limits) -> None:
        self.lim = limits
        self.out: list[str] = []

    # -- primitives -------------------------------------------------------------------------------
    def add(self, where: str, message: str) -> None:
        self.out.append(f"{where}: {message}")

    def max_len(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(where, f"{len(value)} characters, more than {limit}")

    def max_items(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(where, f"{len(value)} items, more than {limit}")

    def text(
        self, where: str, obj: Any, limit: int | None, *, plain: bool = False, required: bool = False
    ) -> None:
        """Check a composition text object ({"type": "plain_text"|"mrkdwn", "text": ...})."""
        if obj is None:
            if required:
                self.add(where, "is required")
            return
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            self.add(where, "must be a text object with a string 'text'")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain and kind != "plain_text"):
            self.add(
                f"{where}.type", f"{kind!r} is not allowed here" + (" (plain_text only)" if plain else "")
            )
        if limit is not None:
            self.max_len(f"{where}.text", obj["text"], limit)

    # -- composition objects and elements ----------------------------------------------------------
    def option(self, where: str, opt: Any) -> None:
        if not isinstance(opt, dict):
            self.add(where, "option must be an object")
            return
        self.text(f"{where}.text", opt.get("text"), self.lim.option_text, required=True)
        self.max_len(f"{where}.value", opt.get("value"), self.lim.option_value)
        self.text(f"{where}.description", opt.get("description"), self.lim.option_text)

    def options(self, where: str, element: dict[str, Any]) -> None:
        kind = element.get("type", "")
        opts = element.get("options")
        groups = element.get("option_groups")
        if kind in _OPTION_LIMITS:
            self.max_items(f"{where}.options", opts, getattr(self.lim, _OPTION_LIMITS[kind]))
        if kind == "overflow":
            count = len(opts) if isinstance(opts, list) else 0
            if not self.lim.overflow_options_min <= count <= self.lim.overflow_options_max:
                lo, hi = self.lim.overflow_options_min, self.lim.overflow_options_max
                self.add(f"{where}.options", f"{count} options, must be {lo}..{hi}")
        if kind.endswith("static_select"):
            self.max_items(f"{where}.option_groups", groups, self.lim.static_select_option_groups)
        for i, opt in enumerate(opts if isinstance(opts, list) else []):
            self.option(f"{where}.options[{i}]", opt)
        for g, group in enumerate(groups if isinstance(groups, list) else []):
            inner = group.get("options") if isinstance(group, dict) else None
            for i, opt in enumerate(inner if isinstance(inner, list) else []):
                self.option(f"{where}.option_groups[{g}].options[{i}]", opt)

    def confirm(self, where: str, obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        self.text(f"{where}.title", obj.get("title"), self.lim.confirm_title, plain=True)
        self.text(f"{where}.text", obj.get("text"), self.lim.confirm_text)
        self.text(f"{where}.confirm", obj.get("confirm"), self.lim.confirm_confirm, plain=True)
        self.text(f"{where}.deny", obj.get("deny"), self.lim.confirm_deny, plain=True)

    def plain_text_input(self, where: str, element: dict[str, Any]) -> None:
        for key, lo, hi in (
            ("min_length", self.lim.plain_text_input_min_length_lo, self.lim.plain_text_input_min_length_hi),
            ("max_length", self.lim.plain_text_input_max_length_lo, self.lim.plain_text_input_max_length_hi),
        ):
            value = element.get(key)
            if value is not None and (not isinstance(value, int) or not lo <= value <= hi):
                self.add(f"{where}.{key}", f"{value!r} outside {lo}..{hi}")

    def element(self, where: str, element: Any) -> None:
        """Check one block element (button, select, input, image, text object in context...)."""
        if not isinstance(element, dict):
            self.add(where, "element must be an object")
            return
        kind = element.get("type")
        if not isinstance(kind, str):
            self.add(where, "element has no type")
            return
        self.max_len(f"{where}.action_id", element.get("action_id"), self.lim.action_id)
        self.text(f"{where}.placeholder", element.get("placeholder"), self.lim.placeholder, plain=True)
        self.confirm(f"{where}.confirm", element.get("confirm"))
        if kind == "button":
            self.text(f"{where}.text", element.get("text"), self.lim.button_text, plain=True, required=True)
            self.max_len(f"{where}.value", element.get("value"), self.lim.button_value)
            self.max_len(f"{where}.url", element.get("url"), self.lim.button_url)
        elif kind == "plain_text_input":
            self.plain_text_input(where, element)
        elif kind == "image":
            self.max_len(f"{where}.alt_text", element.get("alt_text"), self.lim.image_alt_text)
            self.max_len(f"{where}.image_url", element.get("image_url"), self.lim.image_url)
        if "options" in element or "option_groups" in element or kind == "overflow":
            self.options(where, element)

    def elements(self, where: str, items: Any, limit: int) -> None:
        if not isinstance(items, list) or not items:
            self.add(where, "must be a non-empty list")
            return
        self.max_items(where, items, limit)
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("type") in ("plain_text", "mrkdwn"):
                self.text(f"{where}[{i}]", item, None)
            else:
                self.element(f"{where}[{i}]", item)

    # -- blocks --------------------------------------------------------------------------------------
    def section(self, where: str, block: dict[str, Any]) -> None:
        text, flds = block.get("text"), block.get("fields")
        if text is None and not flds:
            self.add(where, "section needs text or fields")
        if text is not None:
            self.text(f"{where}.text", text, self.lim.section_text_max)
            body = text.get("text") if isinstance(text, dict) else None
            if isinstance(body, str) and len(body) < self.lim.section_text_min:
                self.add(f"{where}.text.text", f"shorter than {self.lim.section_text_min} character(s)")
        if flds is not None:
            self.max_items(f"{where}.fields", flds, self.lim.section_fields)
            for i, fld in enumerate(flds if isinstance(flds, list) else []):
                self.text(f"{where}.fields[{i}]", fld, self.lim.section_field_chars)
        if block.get("accessory") is not None:
            self.element(f"{where}.accessory", block["accessory"])

    def header(self, where: str, block: dict[str, Any]) -> None:
        self.text(f"{where}.text", block.get("text"), self.lim.header_text, plain=True, required=True)

    def actions(self, where: str, block: dict[str, Any]) -> None:
        self.elements(f"{where}.elements", block.get("elements"), self.lim.actions_elements)

    def context(self, where: str, block: dict[str, Any]) -> None:
        self.elements(f"{where}.elements", block.get("elements"), self.lim.context_elements)

    def input(self, where: str, block: dict[str, Any]) -> None:
        self.text(f"{where}.label", block.get("label"), self.lim.input_label, plain=True, required=True)
        self.text(f"{where}.hint", block.get("hint"), self.lim.input_hint, plain=True)
        if block.get("element") is None:
            self.add(f"{where}.element", "is required")
        else:
            self.element(f"{where}.element", block["element"])

    def markdown(self, where: str, block: dict[str, Any]) -> None:
        if not isinstance(block.get("text"), str):
            self.add(f"{where}.text", "is required")
        self.max_len(f"{where}.text", block.get("text"), self.lim.markdown_text)

    def image(self, where: str, block: dict[str, Any]) -> None:
        self.max_len(f"{where}.alt_text", block.get("alt_text"), self.lim.image_alt_text)
        self.max_len(f"{where}.image_url", block.get("image_url"), self.lim.image_url)

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.add(where, "block must be an object")
            return
        kind = block.get("type")
        if kind not in KNOWN_BLOCK_TYPES:
            self.add(f"{where}.type", f"unknown block type {kind!r}")
            return
        self.max_len(f"{where}.block_id", block.get("block_id"), self.lim.block_id)
        check = _BLOCK_CHECKS.get(str(kind))
        if check is not None:
            check(self, where, block)

    def blocks(self, blocks: Any, surface: Surface) -> None:
        if not isinstance(blocks, list):
            self.add("blocks", "must be a list")
            return
        if surface == "message":
            self.max_items("blocks", blocks, self.lim.blocks_per_message)
        else:
            self.max_items("blocks", blocks, self.lim.blocks_per_view_max)
            if len(blocks) < self.lim.blocks_per_view_min:
                self.add("blocks", f"a {surface} view needs at least {self.lim.blocks_per_view_min} block(s)")
        for i, block in enumerate(blocks):
            self.block(f"blocks[{i}]", block)
        for block_id in _duplicates(b.get("block_id") for b in blocks if isinstance(b, dict)):
            self.add("blocks", f"duplicate block_id {block_id!r}")


_BLOCK_CHECKS: dict[str, Callable[[_Checker, str, dict[str, Any]], None]] = {
    "section": _Checker.section,
    "header": _Checker.header,
    "actions": _Checker.actions,
    "context": _Checker.context,
    "input": _Checker.input,
    "markdown": _Checker.markdown,
    "image": _Checker.image,
}


def _duplicates(values: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    dups: list[Any] = []
    for value in values:
        if value is None:
            continue
        if value in seen and value not in dups:
            dups.append(value)
        seen.add(value)
    return dups


def problems(blocks: Any, surface: Surface = "message", limits: Limits = LIMITS) -> list[str]:
    """Every Block Kit limit violated by ``blocks`` on ``surface`` ("message", "modal" or "home")."""
    checker = _Checker(limits)
    checker.blocks(blocks, surface)
    return checker.out


def view_problems(view: Any, limits: Limits = LIMITS) -> list[str]:
    """Every limit violated by a modal or home-tab view (view fields plus its blocks)."""
    if not isinstance(view, dict):
        return ["view: must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view.type: {kind!r} is not 'modal' or 'home'"]
    checker = _Checker(limits)
    if kind == "modal":
        checker.text("view.title", view.get("title"), limits.view_title, plain=True, required=True)
        checker.text("view.submit", view.get("submit"), limits.view_submit, plain=True)
        checker.text("view.close", view.get("close"), limits.view_close, plain=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.add("view.submit", "is required when the view contains an input block")
    checker.max_len("view.private_metadata", view.get("private_metadata"), limits.view_private_metadata)
    checker.max_len("view.callback_id", view.get("callback_id"), limits.view_callback_id)
    checker.max_len("view.external_id", view.get("external_id"), limits.view_external_id)
    checker.blocks(view.get("blocks"), kind)
    return checker.out
