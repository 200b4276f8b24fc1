"""The demo's Slack: a Web API client that prints what the bot would send — readably with `rich`, or as the
raw Block Kit (`supportbot demo --json`, one JSON object a line) — and answers like Slack."""

from __future__ import annotations

import itertools
import json as jsonlib
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from handlers.blocks import as_text

SHOWN = {"chat.postMessage": "posts in", "chat.update": "updates its message in", "chat.postEphemeral": "shows",
         "views.publish": "publishes the Home tab of"}


class Transcript(AsyncWebClient):
    def __init__(self, people: Mapping[str, str], names: Mapping[str, str], *, as_json: bool = False) -> None:
        super().__init__(token="xoxb-demo")
        self.people, self.names, self.as_json = people, names, as_json
        self.console = Console(width=110, highlight=False, soft_wrap=False)
        self.quiet = False  # while the demo's history is made
        self._ts = itertools.count(1)
        self._last: tuple[str, str] | None = None  # (method, body) of the message printed last

    def say(self, step: str) -> None:
        """A step of the story."""
        if self.as_json:
            print(jsonlib.dumps({"step": step}, ensure_ascii=False))
        else:
            self.console.print(Text(f"\n▶ {step}", style="bold"))

    def show(self, title: str, blocks: Sequence[Mapping[str, Any]]) -> None:
        """What a person sees privately (a command's answer)."""
        self._print("shows", title, {"blocks": list(blocks)})

    def note(self, text: str) -> None:
        if self.as_json:
            print(jsonlib.dumps({"note": text}, ensure_ascii=False))
        else:
            self.console.print(Text(f"└─ {text}"))

    def named(self, text: str) -> str:
        """Slack IDs as the people and channels of the demo."""
        for slack_id, name in self.names.items():
            text = text.replace(f"@{slack_id}", name).replace(f"#{slack_id}", name).replace(slack_id, name)
        return text

    def _print(self, verb: str, where: str, args: Mapping[str, Any]) -> None:
        if self.as_json:
            print(jsonlib.dumps({"supportbot": verb, "where": where, "text": args.get("text"),
                                 "blocks": args.get("blocks")}, ensure_ascii=False))
            return
        blocks = args.get("blocks")
        body = self.named(as_text(blocks) if blocks else as_text([{"type": "section", "text": {"text": args["text"]}}]))
        if self._last == (verb, body):  # the same card in the team's channel too: say where, once
            self.note(f"and the same in {where}")
            return
        self._last = (verb, body)
        self.console.print(Panel(Text(body), title=f"supportbot {verb} {where}", title_align="left", expand=False))

    async def api_call(self, api_method: str, *, json: dict[str, Any] | None = None,
                       **kwargs: Any) -> AsyncSlackResponse:
        args = {**(kwargs.get("data") or {}), **(kwargs.get("params") or {}), **(json or {})}
        channel = str(args.get("channel") or args.get("user_id") or "")
        if api_method in SHOWN and not self.quiet:
            where = self.names.get(channel, channel) + (" (thread)" if args.get("thread_ts") else "")
            view = args.get("view")
            if isinstance(view, str):
                view = jsonlib.loads(view)
            self._print(SHOWN[api_method], where, {"blocks": view["blocks"]} if view else args)
        ts = f"1700000000.{next(self._ts):06d}"
        data: dict[str, Any] = {"ok": True, "channel": channel, "ts": ts,
                                "permalink": f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if api_method == "users.info":
            user = str(args.get("user", ""))
            data["user"] = {"id": user, "real_name": self.people.get(user, user), "tz": "America/New_York"}
        return AsyncSlackResponse(client=self, http_verb="POST", api_url=api_method, req_args={}, data=data,
                                  headers={}, status_code=200)
