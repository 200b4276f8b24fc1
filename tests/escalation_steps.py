"""Steps shared by the escalation tests: the way an agent fills the form and presses buttons."""

from __future__ import annotations

from typing import Any

from tests.kit.driver import Reply, SlackDriver
from tests.kit.fake_slack import Call, FakeSlack

GOOD = {
    "customer": "ACME Corp",
    "summary": "Checkout fails for ACME",
    "details": "Every card payment returns 502 since 09:10.",
    "tickets": "https://acme.zendesk.com/agent/tickets/4411\n#9001",
    "severity": "critical",
    "impact": "widespread",
    "urgency": "blocking",
}


def path_option(view: dict[str, Any], name: str) -> str:
    """The option value of the escalation path called `name` in the form's path select."""
    for block in view["blocks"]:
        element = block.get("element", {})
        if block.get("block_id") != "path":
            continue
        options = list(element.get("options", []))
        for group in element.get("option_groups", []):
            options += group["options"]
        for option in options:
            if option["text"]["text"] == name:
                return str(option["value"])
    raise AssertionError(f"no escalation path {name!r} in the form")


async def open_form(bot: SlackDriver, slack: FakeSlack, user: str, text: str = "") -> dict[str, Any]:
    before = slack.count("views.open")
    reply = await bot.command("/escalate", text, user=user)
    assert reply.status == 200, reply.body
    await slack.await_for("views.open", before + 1, timeout=10)  # opened just after the answer
    opened = slack.last("views.open")
    assert opened.ok, opened.response
    return dict(opened.response["view"])


async def escalate(bot: SlackDriver, slack: FakeSlack, user: str, *, path: str = "Engineering",
                   **overrides: Any) -> tuple[Reply, dict[str, Any]]:
    view = await open_form(bot, slack, user)
    values = {**GOOD, **overrides}
    values["path"] = path_option(view, path)
    reply = await bot.submit(view, user=user, **{k: v for k, v in values.items() if v is not None})
    return reply, view


def card(slack: FakeSlack, channel: str) -> Call:
    """The escalation card as last posted or updated in `channel` (blocks and ts)."""
    posted = card_post(slack, channel)
    updates = [c for c in slack.calls("chat.update", channel=channel) if c.args.get("ts") == posted.ts]
    return updates[-1] if updates else posted


def card_post(slack: FakeSlack, channel: str) -> Call:
    """The latest top-level message in `channel` (not a thread reply): the card as first posted."""
    posts = [c for c in slack.calls("chat.postMessage", channel=channel) if c.ok and not c.thread_ts]
    assert posts, f"nothing was posted in {channel}"
    return posts[-1]


async def press(bot: SlackDriver, slack: FakeSlack, action_id: str, *, user: str, channel: str,
                **selection: Any) -> Reply:
    shown = card(slack, channel)
    message = {"ts": card_post(slack, channel).ts, "blocks": shown.blocks,
               "text": shown.text}
    value = None
    for block in shown.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                value = element.get("value")
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"the card has no {action_id} control")
    return await bot.click(action_id, user=user, value=value, message=message, channel=channel, **selection)
