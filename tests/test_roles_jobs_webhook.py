"""The roles walk (tests/test_roles.py) extended to the two ways in that are not a Slack listener.

- The tickets webhook: every way of calling it without its one token (there is no per-team token: the
  token admits tickets of any team, so "another team's token" cannot exist) is a 401 that reads nothing and
  changes nothing; the right token, for contrast, stores the ticket. `tests/test_tickets_webhook.py` already
  covers no header, a wrong token, the token without a scheme, Basic and an empty bearer; these are the rest.
- The scheduled jobs: in a world of two teams with nobody and no channel in common, every job runs through
  a whole day (stand-up prompts, reminders and summary, the digest, the pulse ask, reminder and report, SLA
  reminders, the weekly review); every message any job sends goes to a person or channel of one team and
  carries nothing of the other (its name, key, people, channels or escalations).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from storage import teams
from tests.conftest import SIGNING_SECRET, Clock
from tests.escalation_steps import card_post, escalate
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack
from tests.kit.signing import signed_headers
from tests.test_roles import fingerprint
from tests.test_tickets_webhook import TICKET, TOKEN, URL, bearer, serve

# ---------------------------------------------------------------- the webhook


@pytest.fixture
async def hooked(settings: Settings, clock: Clock) -> AsyncIterator[tuple[httpx.AsyncClient, Supportbot]]:
    app = await serve(settings, clock, TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.asgi()),
                                 base_url="http://supportbot.test") as client:
        yield client, app
    await app.close()


BODY = json.dumps(TICKET)
CALLERS: dict[str, dict[str, Any]] = {
    "the token in the query string": {"params": {"token": TOKEN}},
    "the token in a header of its own": {"headers": {"X-Supportbot-Token": TOKEN, "X-Webhook-Token": TOKEN}},
    "the token and one character more": {"headers": bearer(TOKEN + "0")},
    "the token but its last character": {"headers": bearer(TOKEN[:-1])},
    "the token in another case": {"headers": bearer(TOKEN.upper())},
    "the token under another scheme": {"headers": {"Authorization": f"Token {TOKEN}"}},
    "the token as a second credential": {"headers": {"Authorization": f"Bearer wrong, Bearer {TOKEN}"}},
    "the Slack signing secret as the token": {"headers": bearer(SIGNING_SECRET)},
    "the bot token as the token": {"headers": bearer("xoxb-test-token")},
    "a request Slack signed, with no token": {"headers": signed_headers(SIGNING_SECRET, BODY, int(time.time()),
                                                                        content_type="application/json")},
    "no token and a body over the cap": {"content": "[" + ",".join([BODY] * 5000) + "]"},
}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_the_webhook_refuses_whoever_lacks_its_token(caller: str,
                                                           hooked: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, app = hooked
    request = {"content": BODY, **CALLERS[caller]}
    headers = {"Content-Type": "application/json", **request.pop("headers", {})}
    before = await fingerprint(app)
    answer = await client.post(URL, headers=headers, **request)
    assert (answer.status_code, answer.headers.get("www-authenticate")) == (401, "Bearer"), answer.text
    assert await fingerprint(app) == before, "a refused call changed the database"


async def test_with_its_token_the_same_call_stores_the_ticket(hooked: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, app = hooked
    before = await fingerprint(app)
    answer = await client.post(URL, content=BODY, headers={"Content-Type": "application/json", **bearer()})
    assert answer.status_code == 200, answer.text
    assert await fingerprint(app) != before


# ---------------------------------------------------------------- the jobs

TEAMS = {
    "north": {"name": "North Support", "tz": "America/New_York", "members": ["U0N1", "U0N2"], "managers": ["U0NM"],
              "channels": {"escalations": "C0NESC", "digest": "C0NDIG", "standup": "C0NSTD"},
              "path": ("Engineering", "C0NENG")},
    "south": {"name": "South Support", "tz": "Europe/Berlin", "members": ["U0S1", "U0S2"], "managers": ["U0SM"],
              "channels": {"escalations": "C0SESC", "digest": "C0SDIG", "standup": "C0SSTD"},
              "path": ("Billing", "C0SBIL")},
}
MONDAY = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
"""The jobs run every 30 minutes from here until Tuesday 06:00 UTC: all of both teams' Monday."""
WRITES = {"chat.postMessage": "channel", "chat.update": "channel", "chat.postEphemeral": "user",
          "files.completeUploadExternal": "channel_id", "views.publish": "user_id", "views.open": None}


def world_yaml() -> str:
    out = "teams:\n"
    for key, t in TEAMS.items():
        channels = ", ".join(f"{k}: {v}" for k, v in t["channels"].items())
        out += (f"  - key: {key}\n    name: {t['name']}\n    timezone: {t['tz']}\n"
                f"    members: [{', '.join(t['members'])}]\n    managers: [{', '.join(t['managers'])}]\n"
                f"    channels: {{{channels}}}\n"
                f"    escalation_paths: [{{key: {t['path'][0].lower()}, name: {t['path'][0]}, "
                f"channel: {t['path'][1]}}}]\n"
                "    standup: {time: \"09:30\", reminder_minutes: 60, window_hours: 4}\n"
                "    pulse: {day: mon, time: \"10:00\", close_after_hours: 4, min_responses: 3}\n"
                "    digest: {time: \"09:00\"}\n")
    return out


def reach(key: str) -> set[str]:
    """Whom and where a message of team `key` may go."""
    t = TEAMS[key]
    return {*t["members"], *t["managers"], *t["channels"].values(), t["path"][1]}


def marks(key: str, refs: list[str]) -> re.Pattern[str]:
    """Anything in a message that belongs to team `key`."""
    t = TEAMS[key]
    words = [t["name"], key, *reach(key), *refs]
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")


def recipient(call: Call) -> str:
    field = WRITES[call.method]
    return str(call.args.get(field) if field else "")


def content(call: Call) -> str:
    args = call.args
    return " ".join(str(args.get(k) or "") for k in ("text", "blocks", "initial_comment", "files", "view"))


async def test_every_job_sends_each_team_s_work_to_that_team_only(app: Supportbot, bot: SlackDriver,
                                                                  slack: FakeSlack, clock: Clock) -> None:
    clock.now = MONDAY
    for t in TEAMS.values():
        for person in (*t["members"], *t["managers"]):
            slack.add_user(person, tz=t["tz"])
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(world_yaml()), now=MONDAY - timedelta(days=30))
        await session.commit()
    app.services.directory.invalidate()
    refs: dict[str, list[str]] = {}
    for key, t in TEAMS.items():
        reply, _ = await escalate(bot, slack, t["members"][0], path=t["path"][0])
        assert reply.status == 200, reply.body
        refs[key] = re.findall(r"ESC-\d+", str(card_post(slack, t["path"][1]).blocks))[:1]
    assert all(refs.values()) and refs["north"] != refs["south"], refs
    first = len(slack.calls())

    while clock.now < MONDAY + timedelta(hours=30):
        clock.advance(minutes=30)
        for job in app.jobs:
            await app.services.metrics.run_job(job, app.services, clock.now)

    sent = [c for c in slack.calls()[first:] if c.method in WRITES and c.ok]
    leaks = []
    for call in sent:
        to = recipient(call)
        owner = next((key for key in TEAMS if to in reach(key)), None)
        other = next((key for key in TEAMS if key != owner), None)
        if owner is None or other is None or marks(other, refs[other]).search(content(call)):
            leaks.append(f"{call.method} to {to or '?'}: {str(call.args.get('text'))[:120]}")
    assert leaks == [], "a job's message reached someone outside the team it concerns, or carried another team's"
    for key, t in TEAMS.items():  # and the day did happen, for both teams
        texts = {to: [str(c.args.get("text")) for c in sent if recipient(c) == to] for to in reach(key)}
        assert all(any(x.startswith("Time for your *") for x in texts[m]) for m in t["members"]), texts
        assert all(any(x.startswith("Time for the weekly") for x in texts[m]) for m in t["members"]), texts
        assert all(any(x.startswith("Pulse results") for x in texts[m]) for m in t["managers"]), texts
        assert any("📊" in content(c) for c in sent if recipient(c) == t["channels"]["digest"])
        assert any(str(c.args.get("text")).startswith("Weekly escalation review") for c in sent
                   if recipient(c) == t["channels"]["escalations"]), texts[t["channels"]["escalations"]]
        assert any(c.thread_ts and str(c.args.get("text"))[:1] in "⏳🚨" for c in sent
                   if recipient(c) in (t["path"][1], t["channels"]["escalations"])), "no SLA reminder"
        assert any(str(c.args.get("text")).startswith(f"{t['name']} Stand-up") for c in sent
                   if recipient(c) == t["channels"]["standup"]), texts[t["channels"]["standup"]]
