"""Pure Block Kit validation against Slack's documented limits.

The numbers come from ``<repo>/../shared/slack/limits.json`` (override the folder with the
``SLACK_FACTS_DIR`` environment variable), loaded by :mod:`tests.kit.slack_limits` (re-exported
here); its constants are only a fallback for when that file is missing. ``problems()`` and
``view_problems()`` return one human-readable string per violation, so feature tests can simply
assert ``problems(blocks) == []``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from .slack_limits import LIMITS, REPO, SHARED_FACTS, VENDORED_FACTS, Limits, facts_dir, load_limits

__all__ = [
    "KNOWN_BLOCK_TYPES",
    "LIMITS",
    "REPO",
    "SHARED_FACTS",
    "VENDORED_FACTS",
    "Limits",
    "Surface",
    "facts_dir",
    "load_limits",
    "problems",
    "view_problems",
]

Surface = Literal["message", "modal", "home"]

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
