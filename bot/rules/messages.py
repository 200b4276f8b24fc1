"""A message for Slack, as data: what a flow writes to the outbox in the same transaction as its state change.

The dispatcher (`handlers.outbox`) sends it later: `method` with `args`, after filling in `refs` from the
messages already sent (the `ts` and `channel` of a card, for its update or a reply in its thread; its
permalink, for a DM that links to it). Messages of one `group` go out one after another in the order they
were written (a card before its thread replies, its updates in order); of several waiting messages with the
same `coalesce`, only the latest is sent (a card's latest state). `then` names what storage records once it
is sent (`storage.outbox.AFTER_SENT`), e.g. the card's ts on the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.rules.keys import Key

LINK = "\u2063link\u2063"
"""Stands in a text for a permalink the dispatcher fills in (`Ref.of_text`)."""


@dataclass(frozen=True)
class Ref:
    """A value known once another message is sent: its `ts`, `channel`, or `permalink` (put in the text in
    place of `LINK`; the text `fallback` is sent when Slack gives no permalink)."""

    kind: Literal["ts", "channel", "permalink"]
    of: str
    fallback: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "of": self.of, "fallback": self.fallback}


@dataclass(frozen=True)
class Message:
    key: Key
    method: str
    args: dict[str, Any]
    group: str
    refs: dict[str, Ref] = field(default_factory=dict)
    coalesce: str | None = None
    then: dict[str, Any] | None = None

    @property
    def depends_on(self) -> set[str]:
        return {ref.of for ref in self.refs.values()}


def post(key: Key, channel: str, text: str, *, group: str, blocks: list[Any] | None = None,
         thread_of: str | None = None, then: dict[str, Any] | None = None, link_to: str | None = None,
         fallback: str | None = None) -> Message:
    """chat.postMessage to `channel` (in the thread of the message keyed `thread_of`; with the permalink of the
    message keyed `link_to` in place of `LINK` in `text`, or `fallback` without one)."""
    args: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
    if blocks is not None:
        args["blocks"] = blocks
    refs: dict[str, Ref] = {}
    if thread_of:
        refs["thread_ts"] = Ref("ts", thread_of)
    if link_to:
        refs["text"] = Ref("permalink", link_to, fallback)
    return Message(key, "chat.postMessage", args, group, refs, then=then)


def update(key: Key, of: str, text: str, *, group: str, blocks: list[Any] | None = None,
           coalesce: str | None = None, then: dict[str, Any] | None = None) -> Message:
    """chat.update of the message keyed `of` (its channel and ts filled in when sent)."""
    args: dict[str, Any] = {"text": text}
    if blocks is not None:
        args["blocks"] = blocks
    return Message(key, "chat.update", args, group, {"channel": Ref("channel", of), "ts": Ref("ts", of)},
                   coalesce=coalesce, then=then)
