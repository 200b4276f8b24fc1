"""What a manager reads in the App Home: shell commands only in a workspace admin's Home, the time left to each
open escalation's next SLA, and the last pulse result with its change judged against the noise and the rolling
figure beside it."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Supportbot
from bot.rules.pulse import questions_of
from bot.rules.team_config import PulseConfig
from storage import pulse
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import escalate
from tests.kit.block_limits import view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.test_app_home import open_home

SHELL = "supportbot tickets import"
NEWCOMER = "U0NEWCOMER"


async def test_only_a_workspace_admin_s_home_names_the_shell_command(bot: SlackDriver, slack: FakeSlack,
                                                                   team: TeamPeople, clock: Clock) -> None:
    manager = str((await open_home(bot, slack, team.manager)).view)
    assert "No KPI data yet: ask your Slack admin to connect the helpdesk." in manager and SHELL not in manager
    slack.add_user(team.manager, is_admin=True)
    assert SHELL not in str((await open_home(bot, slack, team.manager)).view)  # the cache knew them an hour ago
    clock.advance(days=1)  # the cache is a day old: this Home is written, Slack asked, and the Home written again
    admin = str((await open_home(bot, slack, team.manager)).view)
    assert f"`{SHELL} FILE` on the server loads a helpdesk export" in admin
    assert "see the README's *Helpdesk tickets* section" in admin
    member = str((await open_home(bot, slack, team.agent)).view)
    assert SHELL not in member and "helpdesk" not in member  # a member's Home has no KPI section at all


async def test_a_newcomer_s_checklist_names_the_shell_command_only_to_an_admin(bot: SlackDriver, slack: FakeSlack,
                                                                             team: TeamPeople, clock: Clock) -> None:
    slack.add_user(NEWCOMER)
    newcomer = (await open_home(bot, slack, NEWCOMER)).view
    assert newcomer is not None and not view_problems(newcomer)
    assert "Getting started" in str(newcomer) and SHELL not in str(newcomer)
    assert "ask your Slack admin to connect the helpdesk" in str(newcomer)
    slack.add_user(NEWCOMER, is_admin=True)
    clock.advance(days=1)
    admin = (await open_home(bot, slack, NEWCOMER)).view
    assert admin is not None and f"`{SHELL} export.csv` on the server" in str(admin)


async def test_an_admin_s_first_home_names_the_shell_command_once_slack_has_said_who_they_are(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    """Nobody is asked about before their Home is written: the first one shows less, and the one written when
    Slack has answered shows what an admin may see."""
    slack.add_user(NEWCOMER, is_admin=True)
    bot.settle = False
    await bot.event({"type": "app_home_opened", "user": NEWCOMER, "channel": "D0HOME", "tab": "home"})
    assert slack.count("users.info") == 0  # nothing asked of Slack before the answer
    await bot.bot.services.outbox.drain()
    assert [c.args.get("user") for c in slack.calls("users.info")] == [NEWCOMER]
    home = slack.home(NEWCOMER)
    assert home is not None and f"`{SHELL} export.csv` on the server" in str(home)


async def test_open_escalations_show_the_time_left_to_the_next_sla(bot: SlackDriver, slack: FakeSlack,
                                                                   team: TeamPeople, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)  # P1: acknowledge within 15 min, update hourly, resolve in 4 h
    clock.advance(minutes=3)
    mine = (await open_home(bot, slack, team.agent)).view
    assert mine is not None and not view_problems(mine)
    assert "ack due in 12 min" in str(mine)
    clock.advance(minutes=70)
    late = str((await open_home(bot, slack, team.manager)).view)
    assert "⏰ *ack overdue by 58 min*" in late  # the most overdue clock first (the update is 13 min late)


async def _round(app: Supportbot, clock: Clock, week: str, days_ago: int, enps_answers: list[int]) -> None:
    tier1 = (await app.services.directory.current()).find("tier1")
    assert tier1 is not None
    closes = clock.now - timedelta(days=days_ago)
    async with app.services.db() as session:
        of = await pulse.open_round(session, tier1.id, week=week, day=closes.date(),
                                    questions=questions_of(PulseConfig()), min_responses=5,
                                    opens_at=closes - timedelta(hours=72), closes_at=closes)
        for n, score in enumerate(enps_answers):
            await pulse.cast(session, of.id, [(0, 2 + n % 3), (1, 4), (2, 4), (3, 3), (4, score)], None)
            await session.commit()


async def test_the_last_pulse_is_judged_against_the_noise_beside_the_rolling_figure(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    await _round(app, clock, "2026-W43", 14, [10, 9, 8, 6, 3, 9])  # +17
    await _round(app, clock, "2026-W44", 7, [10, 9, 8, 10, 3, 9])  # one person's 6 became a 10: +50
    view = (await open_home(bot, slack, team.manager)).view
    assert view is not None and not view_problems(view)
    texts = [block["text"]["text"] for block in view["blocks"] if block["type"] == "section"]
    assert ("Last pulse (2026-W44, 6 answers): score *3.5 / 5* (±0 vs 2026-W43, within the noise), eNPS *+50* "
            "(+33 vs 2026-W43, within the noise)\n2-round: score *3.5 / 5*, eNPS *+33* (12 answers)") in texts
    assert "Changes within the noise for 6 answers are not flagged" in str(view)
