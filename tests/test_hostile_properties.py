"""Hostile input, generated (hypothesis): slash-command text for every command, view submissions for every
modal the app registers, block actions with unknown ids or garbage values, webhook bodies and CSV rows,
thousands of them in all. Whatever arrives: no 5xx, no ERROR log or traceback, Slack refuses none of the
app's calls, nothing is stored from what the app refused, and no text Slack renders as mrkdwn holds a live
mention or link that only the input held (user text is escaped: `&lt;!channel&gt;`).

One world (tests/roles_world.py: two teams, escalations, a stand-up, a pulse round, an initiative) serves
every example of a test; the database is counted before and after each. HOSTILE_EXAMPLES scales the number
of examples (1 by default: about 1,700 in 40-80 s on SQLite or PostgreSQL; 0.1 for a quick look)."""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from bot.tickets_import import ImportRefused, import_tickets
from handlers.payloads import UNREADABLE
from storage import teams
from storage.kpi_models import Ticket
from storage.models import Base
from tests import hostile_strategies as hs
from tests.conftest import Clock
from tests.kit import block_limits
from tests.kit.driver import TEAM_ID, Reply, SlackDriver, state_of
from tests.kit.fake_slack import FakeSlack
from tests.roles_world import PEOPLE, WORLD, World, filled
from tests.test_hostile_payloads import rendered
from tests.test_tickets_webhook import TOKEN, URL, serve

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")  # a 100,000-deep body's
SCALE = float(os.environ.get("HOSTILE_EXAMPLES", "1"))


def bounded(examples: int) -> Any:
    return settings(max_examples=max(10, int(examples * SCALE)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


REFUSED_BY_SLACK = {"invalid_blocks", "invalid_arguments", "no_text"}
"""What Slack answers a call it cannot take: the app must never build one from input."""
UNSTORED = {"people"}
"""Who Slack says people are: a cache any request may refresh."""


class Problems(logging.Handler):
    """Every ERROR record, and every record carrying a traceback, while a test runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.found.append(f"{record.name}: {record.getMessage()[:300]}")


@pytest.fixture
def problems() -> Iterator[Problems]:
    handler, root = Problems(), logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
async def world(app: Supportbot, bot: SlackDriver, slack: FakeSlack, clock: Clock) -> World:
    return await World(app, bot, slack, clock).build()


COUNTED = [t.name for t in Base.metadata.sorted_tables if t.name not in UNSTORED]
COUNT_ALL = text("SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{name}")' for name in COUNTED))


async def counts(app: Supportbot) -> dict[str, int]:
    """The rows of every table, in one query."""
    async with app.services.engine.connect() as connection:
        return dict(zip(COUNTED, (await connection.execute(COUNT_ALL)).one(), strict=True))


class Watch:
    """What one example made the app do: its answer, the Slack calls, the log problems, the row counts."""

    def __init__(self, w: World, problems: Problems) -> None:
        self.w, self.problems = w, problems

    async def __aenter__(self) -> Watch:
        self.calls, self.logged = len(self.w.slack.calls()), len(self.problems.found)
        self.before = await counts(self.w.app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def check(self, reply: Reply, *, refused: bool) -> None:
        assert reply.status < 500, reply.body[:500]
        assert self.problems.found[self.logged:] == []
        calls = self.w.slack.calls()[self.calls:]
        assert [(c.method, c.error, c.response.get("errors")) for c in calls if c.error in REFUSED_BY_SLACK] == []
        data = reply.json if reply.body.startswith("{") else {}
        assert (block_limits.problems(data["blocks"]) if "blocks" in data else []) == []  # Slack would refuse them
        assert (block_limits.view_problems(data["view"]) if "view" in data else []) == []
        answer = rendered(data) if data else [reply.body]  # a bare text is mrkdwn
        texts = [t for c in calls for t in rendered(c.args)] + answer
        live = [t[:300] for t in texts if hs.LIVE.search(t)]
        assert live == [], "user text rendered as a live mention or link"
        if refused:
            assert await counts(self.w.app) == self.before, "refused input was stored"


def refusal(reply: Reply) -> bool:
    """An answer that says the input was refused: inline errors on the form, or the unreadable line."""
    data = reply.json if reply.body.startswith("{") else {}
    return data.get("response_action") == "errors" or UNREADABLE in reply.text


# ---------------------------------------------------------------- slash commands
@bounded(400)
@given(command=hs.slash_command, who=st.sampled_from(sorted(PEOPLE)))
@example(command=("/prioritize", "done 1 <!channel>"), who="manager")
async def test_slash_command_text(command: tuple[str, str], who: str, world: World, problems: Problems) -> None:
    name, typed = command
    async with Watch(world, problems) as watch:
        reply = await world.bot.command(name, typed, user=PEOPLE[who], channel="C0ENG")
        await watch.check(reply, refused=refusal(reply))
    assert reply.status == 200
    event(f"{name} {typed.split(' ')[0][:12]!r}: {'refused' if refusal(reply) else 'answered'}")


# ---------------------------------------------------------------- view submissions
OPENERS: dict[str, tuple[str, str, str, str]] = {
    # callback_id: (who opens it, "command"|"click", command or action_id, text or value)
    "escalation.form": ("member", "command", "/escalate", ""),
    "escalation.update": ("member", "click", "escalation.post_update", "{escalation}"),
    "escalation.priority": ("member", "click", "escalation.change_priority", "{escalation}"),
    "escalation.resolve": ("member", "click", "escalation.resolve", "{escalation}"),
    "escalation.reopen": ("member", "click", "escalation.reopen", "{resolved}"),
    "standup_form": ("member", "click", "standup_start", "tier1|{day}"),
    "standup_setup": ("manager", "command", "/standup", "setup"),
    "pulse.answer": ("member", "click", "pulse.open_answer", "{round_id}"),
    "pulse.setup": ("manager", "command", "/pulse", "setup"),
    "kpi.targets": ("manager", "command", "/kpi", "targets"),
    "supportbot.setup": ("manager", "command", "/supportbot", "setup"),
    "supportbot.setup new": ("admin", "command", "/supportbot", "setup new"),
    "prioritize.propose": ("member", "command", "/prioritize", ""),
    "prioritize.score": ("member", "command", "/prioritize", "score {initiative}"),
}


@pytest.fixture
async def forms(world: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every modal the app registers, opened as someone who may: callback_id -> (opener, view)."""
    w, forms = world, {}
    refs = {"escalation": w.escalation, "resolved": w.resolved, "round_id": w.round_id,
            "initiative": w.initiative, "day": w.clock.now.date().isoformat()}
    for name, (who, kind, what, arg) in OPENERS.items():
        before = w.slack.count("views.open")
        if kind == "command":
            await w.bot.command(what, arg.format(**refs), user=PEOPLE[who])
        else:
            await w.bot.click(what, user=PEOPLE[who], value=arg.format(**refs), channel="C0ENG")
        assert w.slack.count("views.open") == before + 1, f"{name} did not open"
        view = w.last_form()
        assert view["callback_id"] == name.split()[0]
        forms[name] = (PEOPLE[who], view)
    return forms


TEXT_INPUTS = ("plain_text_input", "url_text_input", "email_text_input", "number_input")


def element_junk(kind: str) -> st.SearchStrategy[Any]:
    """A value for an input element's state entry: hostile where it takes text, garbage where it picks."""
    if kind in TEXT_INPUTS:
        return st.fixed_dictionaries({"type": st.just(kind), "value": st.one_of(
            hs.short_text, hs.short_text, hs.short_text, hs.hostile_text, hs.wrong_type)})
    picked = st.one_of(hs.not_an_id, hs.wrong_type)
    key = {"static_select": "selected_option", "radio_buttons": "selected_option", "checkboxes": "selected_options",
           "users_select": "selected_user", "multi_users_select": "selected_users",
           "conversations_select": "selected_conversation"}.get(kind, "value")
    if key == "selected_option":
        value: st.SearchStrategy[Any] = st.one_of(st.fixed_dictionaries({"value": picked}), hs.wrong_type)
    elif key == "selected_options":
        value = st.one_of(st.lists(st.fixed_dictionaries({"value": picked}), max_size=3), hs.wrong_type)
    elif key == "selected_users":
        value = st.one_of(st.lists(picked, max_size=3), hs.wrong_type)
    else:
        value = picked
    return st.fixed_dictionaries({"type": st.one_of(st.just(kind), hs.wrong_type), key: value})


READ_BACK = {"escalation": (("/escalate", "ESC-{escalation}"), ("/escalate", "list"), ("/escalate", "mine")),
             "standup": (("/standup", "report"),), "prioritize": (("/prioritize", "list"),),
             "supportbot": (("/escalate", "list"), ("/prioritize", "list"))}
"""After a form is taken, the answers that show what it stored."""


def mutate(data: st.DataObject, state: dict[str, Any], inputs: dict[str, Any], texts: list[str]) -> None:
    """Junk in some inputs (hostile text, a value of the wrong type, a pick no list offers), some inputs
    missing or not objects, maybe an input the form never had."""
    mutated = data.draw(st.lists(st.sampled_from(texts), max_size=4, unique=True), label="texts") if texts else []
    if not mutated or data.draw(st.integers(0, 2), label="picks too?") == 0:
        mutated += data.draw(st.lists(st.sampled_from(sorted(inputs)), min_size=1, max_size=2, unique=True),
                             label="picks")
    for block in dict.fromkeys(mutated):
        element = inputs[block]
        how = data.draw(st.sampled_from(("junk",) * 8 + ("missing", "not an object")), label=block)
        if how == "junk":
            state[block] = {element["action_id"]: data.draw(element_junk(element["type"]), label=block)}
        elif how == "missing":
            del state[block]
        else:
            state[block] = data.draw(hs.wrong_type, label=block)
    if data.draw(st.integers(0, 4), label="extra block?") == 0:
        state[data.draw(hs.short_text, label="extra id")] = {"x": {"type": "plain_text_input",
                                                                     "value": data.draw(hs.hostile_text)}}


@bounded(400)
@given(data=st.data())
async def test_view_submission_state(data: st.DataObject, world: World, forms: dict[str, tuple[str, dict[str, Any]]],
                                     problems: Problems) -> None:
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    opener, view = forms[name]
    state = state_of(view, filled(view, {}))
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}
    texts = sorted(b for b, e in inputs.items() if e["type"] in TEXT_INPUTS)
    submitted = {**view, "id": "V0HOSTILE", "state": {"values": state}}
    user = opener
    typed_only: bool = data.draw(st.booleans(), label="text only?")
    if texts and typed_only:  # what a person can type: the form should take it
        for block in data.draw(st.lists(st.sampled_from(texts), min_size=1, max_size=4, unique=True), label="typed"):
            state[block][inputs[block]["action_id"]]["value"] = data.draw(hs.short_text, label=block)
    else:  # what only a broken or hostile client sends
        mutate(data, state, inputs, texts)
        if data.draw(st.integers(0, 3), label="metadata?") == 0:
            submitted["private_metadata"] = data.draw(st.one_of(hs.not_an_id, hs.wrong_type), label="metadata")
        user = data.draw(st.sampled_from([opener] * 3 + list(PEOPLE.values())), label="user")
    async with Watch(world, problems) as watch:
        reply = await world.bot.interact({"type": "view_submission", "trigger_id": "1.2.3", "response_urls": [],
                                          "user": {"id": user, "team_id": TEAM_ID}, "view": submitted})
        await watch.check(reply, refused=refusal(reply))
    event(f"{name}: {'refused' if refusal(reply) else 'taken'}")
    for command, typed in () if refusal(reply) else READ_BACK.get(name.split(".")[0].split("_")[0], ()):
        async with Watch(world, problems) as watch:  # what was stored, shown again
            shown = await world.bot.command(command, typed.format(escalation=world.escalation), user=opener)
            await watch.check(shown, refused=False)
    if name.startswith("supportbot.setup") and not refusal(reply):  # the team changed: put the world back
        async with world.app.services.db() as session:
            await teams.apply(session, parse_teams(WORLD), now=world.clock.now)
            await session.commit()
        world.app.services.directory.invalidate()


# ---------------------------------------------------------------- block actions
KNOWN_ACTIONS = ("escalation.acknowledge", "escalation.assign", "escalation.post_update",
                 "escalation.change_priority", "escalation.resolve", "escalation.reopen", "standup_start",
                 "standup_edit", "standup_skip", "standup_escalate_blocker", "pulse.open_answer",
                 "supportbot.open_setup")


@bounded(300)
@given(action_id=st.one_of(st.sampled_from(KNOWN_ACTIONS), hs.short_text), value=st.one_of(hs.not_an_id, hs.wrong_type),
       who=st.sampled_from(sorted(PEOPLE)), selected=st.one_of(st.none(), hs.not_an_id, hs.wrong_type),
       in_view=st.booleans())
async def test_block_action_values(action_id: str, value: Any, who: str, selected: Any, in_view: bool, world: World,
                                   problems: Problems) -> None:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                              "action_ts": "1700000000.000001"}
    if selected is not None:
        action |= {"type": "users_select", "selected_user": selected}
    payload: dict[str, Any] = {"type": "block_actions", "user": {"id": PEOPLE[who], "team_id": TEAM_ID},
                               "trigger_id": "1.2.3", "actions": [action],
                               "response_url": f"{world.bot.response_url}actions/{TEAM_ID}/1/x"}
    if in_view:
        payload |= {"container": {"type": "view", "view_id": "V0"}, "view": {"id": "V0", "type": "home",
                                                                            "blocks": []}}
    else:
        payload |= {"container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0ENG"},
                    "channel": {"id": "C0ENG"}, "message": {"ts": "1700000000.000100", "blocks": []}}
    async with Watch(world, problems) as watch:
        reply = await world.bot.interact(payload)
        await watch.check(reply, refused=True)  # no value here names a real escalation, day, round or team
    assert reply.status == 200 or (reply.status == 404 and action_id not in KNOWN_ACTIONS)  # Bolt: no listener


# ---------------------------------------------------------------- POST /webhooks/tickets
@pytest.fixture
async def webhook(settings: Settings, clock: Clock) -> Any:
    hooked = await serve(settings, clock, TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooked.asgi()),
                                 base_url="http://supportbot.test") as client:
        yield client, hooked
    await hooked.close()


async def tickets(app: Supportbot) -> int:
    async with app.services.db() as session:
        return (await session.scalar(select(func.count()).select_from(Ticket))) or 0


@bounded(400)
@given(body=hs.webhook_bodies())
async def test_webhook_bodies(body: bytes, webhook: Any, problems: Problems) -> None:
    client, app = webhook
    before, logged = await tickets(app), len(problems.found)
    answer = await client.post(URL, content=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                           "Content-Type": "application/json"})
    assert answer.status_code in (200, 413, 422), answer.text[:500]
    assert problems.found[logged:] == []
    if answer.status_code == 200:
        assert await tickets(app) - before == answer.json()["imported"]
    else:
        assert await tickets(app) == before
        assert answer.json()["errors" if answer.status_code == 422 else "error"]


# ---------------------------------------------------------------- supportbot tickets import
@bounded(200)
@given(rows=hs.ticket_rows(), shape=st.sampled_from(("rows", "short", "long")))
async def test_csv_rows(rows: list[dict[str, Any]], shape: str, app: Supportbot, world: World, tmp_path: Path,
                        problems: Problems) -> None:
    export = tmp_path / "export.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(hs.GENERIC)
    for row in rows:
        cells = [str(row[name]) for name in hs.GENERIC]
        writer.writerow(cells[:-2] if shape == "short" else [*cells, "extra"] if shape == "long" else cells)
    export.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    before, logged = await tickets(app), len(problems.found)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await import_tickets(app.services.engine, export, team=None, now=datetime(2026, 11, 3, tzinfo=UTC),
                                      out=out, err=err, terminal=False)
    except ImportRefused:
        assert await tickets(app) == before
        return
    assert problems.found[logged:] == []
    imported, updated, rejected = (int(part.split()[0].replace(",", "")) for part in out.getvalue().splitlines()[0]
                                   .split(", "))
    assert await tickets(app) - before == imported
    assert status == (1 if rejected else 0)
    unchanged = sum(int(line[1:].split()[0].replace(",", "")) for line in out.getvalue().splitlines()[1:])
    assert imported + updated + unchanged + rejected == len(rows)
