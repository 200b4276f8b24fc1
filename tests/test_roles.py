"""Roles in one place: a table of who may do what (bot/rules/roles.py), and a walk over every listener the
app registers, driven as a stranger, a member of another team, a member, a manager and a workspace admin.
A listener nobody listed here fails `test_every_listener_is_walked`; one that lets the wrong person act
fails its row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Supportbot
from bot.rules.roles import ALLOWED, Can, Standing, refusal
from handlers import FEATURES
from storage.models import Base
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.roles_world import PEOPLE, World

MEM, MGR, OTH, ADM = "member", "manager", "other", "admin"


@pytest.mark.parametrize("can, roles, allowed", [
    (Can.WORK_ESCALATIONS, {"member"}, True), (Can.WORK_ESCALATIONS, {"manager"}, True),
    (Can.WORK_ESCALATIONS, set(), False), (Can.WORK_ESCALATIONS, {"admin"}, False),
    (Can.ANSWER_STANDUP, {"member"}, True), (Can.ANSWER_STANDUP, {"manager"}, False),
    (Can.SET_UP_STANDUP, {"manager"}, True), (Can.SET_UP_STANDUP, {"member"}, False),
    (Can.ANSWER_PULSE, {"member"}, True), (Can.ANSWER_PULSE, {"manager"}, False),
    (Can.SEE_PULSE_RESULTS, {"manager"}, True), (Can.SEE_PULSE_RESULTS, {"member"}, False),
    (Can.SET_UP_PULSE, {"manager"}, True), (Can.MANAGE_KPIS, {"manager"}, True), (Can.MANAGE_KPIS, {"member"}, False),
    (Can.EDIT_TEAM, {"manager"}, True), (Can.EDIT_TEAM, {"admin"}, True), (Can.EDIT_TEAM, {"member"}, False),
    (Can.CREATE_TEAM, {"admin"}, True), (Can.CREATE_TEAM, {"manager"}, False),
    (Can.CONNECT_HELPDESK, {"admin"}, True), (Can.CONNECT_HELPDESK, {"manager"}, False),
    (Can.TRACK_INITIATIVES, {"manager"}, True), (Can.TRACK_INITIATIVES, {"member"}, False),
])
def test_who_may_do_what(can: Can, roles: set[str], allowed: bool) -> None:
    assert bool(ALLOWED[can] & Standing(frozenset(roles)).roles) is allowed  # type: ignore[arg-type]


def test_every_refusal_says_who_can() -> None:
    assert refusal(Can.CREATE_TEAM, None) == "Only a Slack workspace admin or owner can create a support team."
    assert refusal(Can.SEE_PULSE_RESULTS, None).startswith("Only a team's managers can see its pulse results")


Run = Callable[[World, str], Awaitable[Any]]


async def command(w: World, user: str, name: str, text_: str = "") -> Any:
    return await w.bot.command(name, text_, user=user)


async def click(w: World, user: str, action: str, value: str, **selection: Any) -> Any:
    return await w.bot.click(action, user=user, value=value, channel="C0ENG", **selection)


def opened_by(opener: str, open_: Run, changes: dict[str, Any] | None = None) -> Callable[[World], Awaitable[Run]]:
    """A form opened by `opener` (who may), then submitted by the person walked."""
    async def prepare(w: World) -> Run:
        await open_(w, PEOPLE[opener])
        form = w.last_form()
        return lambda w, user: w.submit(user, form, **(changes or {}))
    return prepare


def direct(run: Run) -> Callable[[World], Awaitable[Run]]:
    async def prepare(w: World) -> Run:
        return run
    return prepare


def esc(action: str, resolved: bool = False) -> Run:
    return lambda w, user: click(w, user, action, str(w.resolved if resolved else w.escalation))


def drafted(opener: str) -> Callable[[World], Awaitable[Run]]:
    """Draft customer update opened by `opener`; the person walked submits the choices, then the draft they get
    back (only the second step changes anything)."""
    async def prepare(w: World) -> Run:
        await esc("escalation.draft_update")(w, PEOPLE[opener])
        form = w.last_form()

        async def run(w: World, user: str) -> Any:
            reply = await w.submit(user, form, customer_tz="UTC")
            if reply.json.get("response_action") == "update":
                await w.submit(user, reply.json["view"])
            return reply
        return run
    return prepare


def draft_written(writer: str) -> Callable[[World], Awaitable[Run]]:
    """A draft written by `writer`, marked as sent by the person walked."""
    async def prepare(w: World) -> Run:
        await esc("escalation.draft_update")(w, PEOPLE[writer])
        reply = await w.submit(PEOPLE[writer], w.last_form(), customer_tz="UTC")
        draft = reply.json["view"]
        return lambda w, user: w.submit(user, draft)
    return prepare


def standup(action: str) -> Run:
    return lambda w, user: click(w, user, action, f"tier1|{w.clock.now.date().isoformat()}")


def picked(opener: str, open_: Run, picker: str) -> Callable[[World], Awaitable[Run]]:
    """A form opened by `opener`, then its team picker set to Tier 1 by the person walked."""
    async def prepare(w: World) -> Run:
        await open_(w, PEOPLE[opener])
        form = w.last_form()
        return lambda w, user: w.bot.click(picker, user=user, view=form, selected_option={"value": "tier1"})
    return prepare


def waiting(opener: str) -> Callable[[World], Awaitable[Run]]:
    """The open escalation put on Waiting on customer by `opener`; the person walked presses Resume."""
    async def prepare(w: World) -> Run:
        await esc("escalation.wait_on_customer")(w, PEOPLE[opener])
        return esc("escalation.resume")
    return prepare


def merging(opener: str) -> Callable[[World], Awaitable[Run]]:
    """Merge into… opened by `opener` on the open escalation, a second open one offered to merge it into."""
    async def prepare(w: World) -> Run:
        other = await w.escalate("high")
        await esc("escalation.merge")(w, PEOPLE[opener])
        form = w.last_form()
        return lambda w, user: w.submit(user, form, merge_target=str(other))
    return prepare


CASES: dict[tuple[str, str], list[tuple[Callable[[World], Awaitable[Run]], set[str]]]] = {
    ("command", "/escalate"): [(direct(lambda w, u: command(w, u, "/escalate")), {MEM, MGR, OTH})],
    ("view", "escalation.form"): [(opened_by(MEM, lambda w, u: command(w, u, "/escalate"),
                                            {"customer": "Globex", "summary": "Forged?"}), {MEM, MGR})],
    ("action", "escalation.acknowledge"): [(direct(esc("escalation.acknowledge")), {MEM, MGR})],
    ("action", "escalation.assign"): [(direct(lambda w, u: click(w, u, "escalation.assign", str(w.escalation),
                                                                 selected_user="U0MATE")), {MEM, MGR})],
    ("action", "escalation.post_update"): [(direct(esc("escalation.post_update")), {MEM, MGR})],
    ("action", "escalation.change_priority"): [(direct(esc("escalation.change_priority")), {MEM, MGR})],
    ("action", "escalation.resolve"): [(direct(esc("escalation.resolve")), {MEM, MGR})],
    ("action", "escalation.reopen"): [(direct(esc("escalation.reopen", resolved=True)), {MEM, MGR})],
    ("view", "escalation.update"): [(opened_by(MEM, esc("escalation.post_update"), {"update_text": "Still on it"}),
                                     {MEM, MGR})],
    ("view", "escalation.priority"): [(opened_by(MEM, esc("escalation.change_priority"),
                                                 {"new_priority": "P1", "reason": "Worse"}), {MEM, MGR})],
    ("view", "escalation.resolve"): [(opened_by(MEM, esc("escalation.resolve"),
                                                {"outcome": "Done", "root_cause": None, "customer_told": None}),
                                      {MEM, MGR})],
    ("action", "escalation.wait_on_customer"): [(direct(esc("escalation.wait_on_customer")), {MEM, MGR})],
    ("action", "escalation.resume"): [(waiting(MEM), {MEM, MGR})],
    ("action", "escalation.draft_update"): [(direct(esc("escalation.draft_update")), {MEM, MGR})],
    ("action", "escalation.merge"): [(direct(esc("escalation.merge")), {MEM, MGR})],
    ("view", "escalation.merge_form"): [(merging(MEM), {MEM, MGR})],
    ("view", "escalation.draft_setup"): [(drafted(MEM), {MEM, MGR})],
    ("view", "escalation.draft"): [(draft_written(MEM), {MEM, MGR})],
    ("view", "escalation.reopen"): [(opened_by(MEM, esc("escalation.reopen", resolved=True), {"reason": "Back"}),
                                     {MEM, MGR})],
    ("command", "/standup"): [(direct(lambda w, u: command(w, u, "/standup")), {MEM, OTH}),
                              (direct(lambda w, u: command(w, u, "/standup", "setup")), {MGR}),
                              (direct(lambda w, u: command(w, u, "/standup", "away 2026-12-24")), {MEM, OTH})],
    ("action", "standup_start"): [(direct(standup("standup_start")), {MEM})],
    ("action", "standup_edit"): [(direct(standup("standup_edit")), {MEM})],
    ("action", "standup_skip"): [(direct(standup("standup_skip")), {MEM})],
    ("action", "standup_escalate_blocker"): [(direct(lambda w, u: click(
        w, u, "standup_escalate_blocker", f"tier1|{w.clock.now.date().isoformat()}|U0MATE")), {MEM, MGR})],
    ("view", "standup_form"): [(opened_by(MEM, standup("standup_start"), {"standup_q0": "Forged"}), {MEM})],
    ("view", "standup_setup"): [(opened_by(MGR, lambda w, u: command(w, u, "/standup", "setup"),
                                           {"setup_time": "10:45"}), {MGR})],
    ("command", "/pulse"): [(direct(lambda w, u: command(w, u, "/pulse")), {MEM}),
                            (direct(lambda w, u: command(w, u, "/pulse", "setup")), {MGR})],
    ("action", "pulse.open_answer"): [(direct(lambda w, u: click(w, u, "pulse.open_answer", str(w.round_id))), {MEM})],
    ("view", "pulse.answer"): [(opened_by(MEM, lambda w, u: click(w, u, "pulse.open_answer", str(w.round_id))), {MEM})],
    ("view", "pulse.setup"): [(opened_by(MGR, lambda w, u: command(w, u, "/pulse", "setup"), {"time": "10:45"}),
                               {MGR})],
    ("command", "/kpi"): [(direct(lambda w, u: command(w, u, "/kpi", "targets")), {MGR}),
                          (direct(lambda w, u: command(w, u, "/kpi", "log nps 42")), {MGR})],
    ("view", "kpi.targets"): [(opened_by(MGR, lambda w, u: command(w, u, "/kpi", "targets"),
                                         {"first_response_minutes": "45"}), {MGR})],
    ("command", "/supportbot"): [(direct(lambda w, u: command(w, u, "/supportbot", "setup")), {MGR, ADM}),
                                 (direct(lambda w, u: command(w, u, "/supportbot", "setup new")), {ADM})],
    ("action", "supportbot.open_setup"): [(direct(lambda w, u: click(w, u, "supportbot.open_setup", "new")), {ADM})],
    ("view", "supportbot.setup"): [(opened_by(MGR, lambda w, u: command(w, u, "/supportbot", "setup"),
                                              {"team_name": "Tier 1 Care"}), {MGR, ADM})],
    ("command", "/prioritize"): [(direct(lambda w, u: command(w, u, "/prioritize")), {MEM, MGR, OTH}),
                                 (direct(lambda w, u: command(w, u, "/prioritize", f"done {w.initiative} Shipped")),
                                  {MGR}),
                                 # U0MATE proposed it: the member walked here did not, so only the manager may
                                 (direct(lambda w, u: command(w, u, "/prioritize", f"edit {w.initiative}")), {MGR})],
    ("view", "prioritize.propose"): [(opened_by(MEM, lambda w, u: command(w, u, "/prioritize"),
                                                {"title": "Forged?"}), {MEM, MGR})],
    ("view", "prioritize.score"): [(opened_by(MEM, lambda w, u: command(w, u, "/prioritize", f"score {w.initiative}")),
                                    {MEM, MGR})],
    ("view", "prioritize.track"): [(opened_by(MGR, lambda w, u: command(w, u, "/prioritize", f"edit {w.initiative}"),
                                              {"kpi": "csat"}), {MGR})],
    ("action", "standup_team"): [(picked(MEM, lambda w, u: command(w, u, "/standup"), "standup_team"), {MEM})],
    ("action", "standup_setup_team"): [(picked(MGR, lambda w, u: command(w, u, "/standup", "setup"),
                                               "standup_setup_team"), {MGR})],
    ("action", "team"): [(picked(MGR, lambda w, u: command(w, u, "/pulse", "setup"), "team"), {MGR})],
    ("action", "kpi_team"): [(picked(MGR, lambda w, u: command(w, u, "/kpi", "targets"), "kpi_team"), {MGR})],
    ("action", "prioritize_team"): [(picked(MEM, lambda w, u: command(w, u, "/prioritize"), "prioritize_team"),
                                     {MEM, MGR})],
    ("event", "app_home_opened"): [],  # everyone's own Home: tests/test_app_home.py
}


class Recorder:
    """Stands in for the Bolt app while each feature registers, to list what it listens to."""

    def __init__(self) -> None:
        self.listeners: set[tuple[str, str]] = set()

    def _on(self, kind: str, name: str) -> Callable[[Any], Any]:
        self.listeners.add((kind, name))
        return lambda function: function

    def command(self, name: str) -> Callable[[Any], Any]:
        return self._on("command", name)

    def action(self, name: str) -> Callable[[Any], Any]:
        return self._on("action", name)

    def view(self, name: str) -> Callable[[Any], Any]:
        return self._on("view", name)

    def event(self, name: str) -> Callable[[Any], Any]:
        return self._on("event", name)

    def middleware(self, function: Any) -> Any:
        return function


def test_every_listener_is_walked() -> None:
    recorder = Recorder()
    for feature in FEATURES:
        feature.register(recorder)  # type: ignore[arg-type]
    assert recorder.listeners == set(CASES)


async def fingerprint(app: Supportbot) -> list[Any]:
    """Everything stored, but who Slack says people are (a cache any request may refresh)."""
    async with app.services.engine.connect() as connection:
        found = []
        for table in Base.metadata.sorted_tables:
            if table.name != "people":
                found.append(sorted(map(repr, (await connection.execute(text(f"SELECT * FROM {table.name}"))).all())))
    return found


WALK = [(listener, index, kind) for listener, cases in CASES.items() for index in range(len(cases)) for kind in PEOPLE]


@pytest.mark.parametrize("listener, index, kind", WALK, ids=[f"{on[1]}#{i}-{k}" for on, i, k in WALK])
async def test_only_those_allowed_act(listener: tuple[str, str], index: int, kind: str, app: Supportbot,
                                      bot: SlackDriver, slack: FakeSlack, clock: Clock) -> None:
    prepare, allowed = CASES[listener][index]
    world = await World(app, bot, slack, clock).build()
    run = await prepare(world)
    before, writes = await fingerprint(app), world.writes()
    await run(world, PEOPLE[kind])
    acted = await fingerprint(app) != before or world.writes() > writes
    assert acted is (kind in allowed), f"{listener} as {kind}: {'acted' if acted else 'did nothing'}"
