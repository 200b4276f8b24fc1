"""Small Block Kit constructors shared by every feature's views.

Every text passes through `clip` with the limit of the field it fills (see shared/slack/limits.json),
and user-typed text through `escape`, so no view can be refused by Slack for its size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
CONTEXT_ELEMENTS_MAX = 10
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TITLE_MAX = 24


def escape(text: str) -> str:
    """mrkdwn control characters in user text (Slack's own rule: only &, < and >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text or " ")}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: Sequence[tuple[str, str]]) -> Block:
    """A two-column section; at most ten fields (Slack's limit), each within 2000 characters."""
    return {"type": "section",
            "fields": [mrkdwn(f"*{label}*\n{value}", FIELD_MAX) for label, value in pairs[:10]]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS_MAX] if t]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None,
           confirm: dict[str, Any] | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id,
                      "value": value}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"text": plain(text, OPTION_TEXT_MAX), "value": value}
    if description:
        item["description"] = plain(description, OPTION_TEXT_MAX)
    return item


def text_input(block_id: str, label: str, *, multiline: bool = False, initial: str | None = None,
               placeholder: str | None = None, optional: bool = False, max_length: int | None = None,
               hint: str | None = None) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": block_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[: max_length or 3000]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if max_length:
        element["max_length"] = max_length
    return _input(block_id, label, element, optional=optional, hint=hint)


def radio_input(block_id: str, label: str, options: Sequence[dict[str, Any]], *,
                initial: str | None = None, hint: str | None = None) -> Block:
    element: Block = {"type": "radio_buttons", "action_id": block_id, "options": list(options)}
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return _input(block_id, label, element, hint=hint)


def select_input(block_id: str, label: str, options: Sequence[dict[str, Any]] = (), *,
                 groups: Sequence[tuple[str, Sequence[dict[str, Any]]]] = (),
                 initial: str | None = None, placeholder: str = "Choose…", optional: bool = False) -> Block:
    element: Block = {"type": "static_select", "action_id": block_id, "placeholder": plain(placeholder, 150)}
    if groups:
        element["option_groups"] = [{"label": plain(name, 75), "options": list(items)[:100]}
                                     for name, items in groups[:100]]
        every = [o for _, items in groups for o in items]
    else:
        element["options"] = list(options)[:100]
        every = list(options)
    chosen = [o for o in every if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return _input(block_id, label, element, optional=optional)


def checkbox_input(block_id: str, label: str, options: Sequence[dict[str, Any]], *,
                   initial: Sequence[str] = (), optional: bool = True) -> Block:
    element: Block = {"type": "checkboxes", "action_id": block_id, "options": list(options)[:10]}
    chosen = [o for o in options if o["value"] in initial]
    if chosen:
        element["initial_options"] = chosen
    return _input(block_id, label, element, optional=optional)


def user_input(block_id: str, label: str, *, optional: bool = False, hint: str | None = None,
               initial: str | None = None) -> Block:
    element: Block = {"type": "users_select", "action_id": block_id, "placeholder": plain("Choose a person")}
    if initial:
        element["initial_user"] = initial
    return _input(block_id, label, element, optional=optional, hint=hint)


def date_input(block_id: str, label: str, *, optional: bool = False, hint: str | None = None,
               initial: str | None = None) -> Block:
    """A datepicker; Slack submits the day chosen as `YYYY-MM-DD`."""
    element: Block = {"type": "datepicker", "action_id": block_id, "placeholder": plain("Choose a day")}
    if initial:
        element["initial_date"] = initial
    return _input(block_id, label, element, optional=optional, hint=hint)


def _input(block_id: str, label: str, element: Block, *, optional: bool = False,
           hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def modal(callback_id: str, title: str, blocks: Sequence[Block], *, submit: str | None = "Submit",
          private_metadata: str = "", close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": plain(title, TITLE_MAX),
                            "close": plain(close, TITLE_MAX), "blocks": list(blocks)[:VIEW_BLOCKS_MAX],
                            "private_metadata": private_metadata}
    if submit:
        view["submit"] = plain(submit, TITLE_MAX)
    return view


def date(at: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack renders `<!date>` in each reader's own timezone; the fallback is UTC."""
    fallback = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback}>"


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_nobody yet_"


def channel(channel_id: str) -> str:
    return f"<#{channel_id}>"


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def _unlink(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("!date^"):
        return label or target
    if target.startswith(("@", "#")):
        return target
    if target.startswith("!"):
        return "@" + target[1:]
    return f"{label} ({target})" if label else target


def as_text(blocks: Sequence[Block]) -> str:
    """Blocks as a terminal would show them (for `supportbot demo` and logs)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            if "text" in block:
                lines.append(block["text"]["text"])
            lines += [f["text"].replace("*\n", "*: ") for f in block.get("fields", [])]
        elif kind == "context":
            lines.append("  " + " · ".join(e.get("text", "") for e in block["elements"]))
        elif kind == "divider":
            lines.append("—" * 40)
        elif kind == "actions":
            lines.append(" ".join(f"[{e.get('text', e.get('placeholder', {})).get('text', '…')}]"
                                  for e in block["elements"]))
        elif kind == "input":
            element = block.get("element", {})
            shown = element.get("initial_value") or (element.get("initial_option") or {}).get("text", {}).get("text")
            lines.append(f"{block['label']['text']}: ⟦{shown or '…'}⟧")
    text = "\n".join(lines)
    return _LINK.sub(_unlink, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
