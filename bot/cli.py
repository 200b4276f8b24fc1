"""`supportbot` (also `python -m bot`): run the bot and operate it."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import cli_helpdesk, config_file
from bot.clock import utcnow
from bot.database_errors import explain, sqlite_file_unusable
from bot.rules.team_config import ConfigError, parse_teams, render_teams
from bot.settings import Settings, SettingsError, load_settings
from handlers import all_jobs
from handlers.job_runs import JobRun
from handlers.jobs import UnknownJob, find
from storage import helpdesks, teams
from storage.db import make_engine, session_factory
from storage.migrate import current, upgrade

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from bot.app import Supportbot

log = logging.getLogger("supportbot")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    root.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate the database, start the scheduler, serve Slack",
                              epilog=f"environment (or a .env file): {', '.join(_environment())}")
    run.add_argument("--http", action="store_true", help="serve HTTP even when SLACK_APP_TOKEN is set")
    run.add_argument("--port", type=int, default=3000,
                     help="HTTP mode's port; Socket Mode serves only GET /healthz there (default: %(default)s)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP mode's address (default: %(default)s, every interface)")
    run.add_argument("--no-scheduler", action="store_true", help="serve Slack only; run no jobs")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations")

    config = commands.add_parser("config", help="teams configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    apply = config_commands.add_parser("apply", help="upsert teams from a YAML file")
    apply.add_argument("file", type=Path, metavar="FILE", help="the teams YAML file to apply")
    apply.add_argument("--dry-run", action="store_true",
                       help="print what would change (teams, settings, memberships) and change nothing")
    apply.add_argument("--yes", action="store_true",
                       help="confirm that a list written empty (members: []) deactivates the people it had")
    config_commands.add_parser("show", help="print the effective configuration as YAML")

    jobs = commands.add_parser("jobs", help="scheduled jobs")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_commands.add_parser("list", help="one job a line, its name first")
    width = max(len(job.name) for job in all_jobs())
    run_job = jobs_commands.add_parser("run", help="run one job once, as if the clock read --now",
                                       formatter_class=argparse.RawDescriptionHelpFormatter,
                                       epilog="jobs:\n" + "\n".join(f"  {job.name:<{width}}  {job.description}"
                                                                   for job in all_jobs()))
    run_job.add_argument("name", metavar="NAME", help="one of the jobs below (`supportbot jobs list`)")
    run_job.add_argument("--now", type=_instant, default=None, help="ISO-8601 instant (default: now)")
    jobs_commands.add_parser("failed", help="scheduled work Slack refused: parked, or failing and retried")
    retry = jobs_commands.add_parser("retry", help="send parked (or failing) work now, by its key or --all")
    retry.add_argument("keys", nargs="*", metavar="KEY", help="a key `jobs failed` lists")
    retry.add_argument("--all", action="store_true", help="everything `jobs failed` lists")

    tickets = commands.add_parser("tickets", help="helpdesk tickets")
    tickets_commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    tickets_import = tickets_commands.add_parser("import", help="load helpdesk tickets from CSV")
    tickets_import.add_argument("file", type=Path)
    tickets_import.add_argument("--team", metavar="KEY", default=None,
                                help="the team of rows that name none (an export with no team column)")
    tickets_import.add_argument("--timezone", metavar="ZONE", default="UTC",
                                help="IANA zone of times written without an offset (default: %(default)s)")
    tickets_import.add_argument("--date-format", choices=("day-first", "month-first"), default=None,
                                help="how dates such as 03/05/2024 read (default: as the file's other dates show)")

    cli_helpdesk.add_commands(commands)

    demo = commands.add_parser("demo", help="build a demo database and show what each feature would show")
    demo.add_argument("--json", action="store_true", help="print each message's raw Block Kit, one JSON object a line")
    return root


def _version() -> str:
    try:
        return version("supportbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _environment() -> list[str]:
    """The variables `Settings` reads, by the names the environment uses."""
    return [field.alias or name.upper() for name, field in Settings.model_fields.items()]


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 instant, got {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
        logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines hold SQL parameters: pulse answers
        return asyncio.run(dispatch(args, settings))
    except (SettingsError, ConfigError, UnknownJob, FileNotFoundError) as error:
        print(f"supportbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return await serve(settings, http=args.http, host=args.host, port=args.port,
                           scheduler=not args.no_scheduler)
    if args.command == "db":
        print(await migrate(settings))
        return 0
    if args.command == "config" and args.config_command == "apply":
        print(await apply_config(settings, args.file, dry_run=args.dry_run, yes=args.yes))
        return 0
    if args.command == "config":
        print(await show_config(settings), end="")
        return 0
    if args.command == "jobs" and args.jobs_command == "list":
        from handlers import all_jobs

        for job in all_jobs():
            print(f"{job.name}\t{job.description}")
        return 0
    if args.command == "jobs" and args.jobs_command in ("failed", "retry"):
        return await parked_work(settings, args.jobs_command, args.keys if args.jobs_command == "retry" else [],
                                 every=args.jobs_command == "failed" or args.all)
    if args.command == "jobs":
        run = await run_job(settings, args.name, args.now or utcnow())
        print(f"{args.name}: {run.summary()}")
        if run.parked:
            print("supportbot: what was parked waits for `supportbot jobs retry` (`supportbot jobs failed` lists it)",
                  file=sys.stderr)
        return 0 if run.ok else 1
    if args.command == "tickets":
        from bot.tickets_import import ImportRefused, check_file, import_tickets, time_zone

        try:
            zone = time_zone(args.timezone)
            check_file(args.file)  # said before the database is touched
            async with database(settings) as engine:
                return await import_tickets(engine, args.file, team=args.team, now=utcnow(), zone=zone,
                                            dates=args.date_format)
        except ImportRefused as refused:
            print(f"supportbot: {refused}", file=sys.stderr)
            return 2
    if args.command == "helpdesk":
        return await cli_helpdesk.dispatch(args, settings, database)
    from bot.demo import run_demo

    path = await run_demo(settings, as_json=args.json)
    if not args.json:
        print(f"\nThe demo database is {path}: `DATABASE_URL=sqlite:///{path} supportbot config show` shows its team.")
    return 0


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The migrated database; whatever stops it from being used (a bad URL, a server that does not answer,
    a file that cannot be written) becomes one line naming DATABASE_URL."""
    if (unusable := sqlite_file_unusable(settings.database_url)) is not None:
        raise unusable
    try:
        engine = make_engine(settings.database_url)
    except Exception as error:
        raise explain(error, settings.database_url) from None
    try:
        await upgrade(engine)
        yield engine
    except (SQLAlchemyError, OSError) as error:
        raise explain(error, settings.database_url) from None
    finally:
        await engine.dispose()


async def migrate(settings: Settings) -> str:
    async with database(settings) as engine:
        revision = await current(engine)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"database {shown} is up to date: revision {revision}, the latest"


async def apply_config(settings: Settings, file: Path, *, dry_run: bool = False, yes: bool = False) -> str:
    text = _read(file)
    parse_teams(text)  # a bad file is said before the database is touched
    async with database(settings) as engine:
        return "\n".join(await config_file.apply_file(engine, text, now=utcnow(), dry_run=dry_run, yes=yes))


async def show_config(settings: Settings) -> str:
    async with database(settings) as engine, session_factory(engine)() as session:
        sources = [found.config for found in await helpdesks.sources(session)]
        return render_teams(await teams.effective(session), sources)


async def run_job(settings: Settings, name: str, now: datetime) -> JobRun:
    """One run of the job: what it did and each due unit it could not do (Slack refused it, or it raised)."""
    from bot.app import create_app
    from handlers import all_jobs

    job = find(all_jobs(), name)
    async with database(settings) as engine:
        bot = create_app(settings, engine=engine)
        try:
            return await bot.services.metrics.run(job, bot.services, now)
        finally:
            await bot.close()


async def parked_work(settings: Settings, action: str, keys: list[str], *, every: bool) -> int:
    """`jobs failed` (one line per unit; nothing when all is well) or `jobs retry`."""
    from bot.app import create_app
    from handlers import all_jobs
    from handlers.parked import failed_work, retry

    if action == "retry" and not keys and not every:
        print("supportbot: jobs retry needs the KEYs to send (as `supportbot jobs failed` lists them) or --all",
              file=sys.stderr)
        return 2
    async with database(settings) as engine:
        bot = create_app(settings, engine=engine)
        try:
            found = await failed_work(bot.services, None if every else keys)
            if action == "failed":
                for failure in found:
                    state = "parked" if failure.parked else "failing"
                    print(f"{failure.key}\t{failure.job}\t{state}\t{failure.attempts} attempts\t{failure.error}\t"
                          f"since {_shown(failure.first_failed_at)}\tdue {_shown(failure.as_of)}")
                return 0
            unknown = sorted(set(keys) - {failure.key for failure in found})
            if unknown:
                print(f"supportbot: nothing failed under {', '.join(unknown)} (see `supportbot jobs failed`)",
                      file=sys.stderr)
                return 2
            retried = await retry(bot.services, all_jobs(), found)
        finally:
            await bot.close()
    for outcome in retried:
        print(outcome.line())
    if not retried:
        print("nothing to retry")
    return 0 if all(outcome.outcome in ("sent", "not due") for outcome in retried) else 1


def _shown(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read(file: Path) -> str:
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")
    return file.read_text(encoding="utf-8")


async def serve(settings: Settings, *, http: bool, host: str, port: int, scheduler: bool) -> int:
    from bot.app import create_app

    settings.require_bot_token()
    use_http = http or not settings.socket_mode
    if use_http:
        settings.require_signing_secret()
    text = _read(settings.supportbot_config) if settings.supportbot_config else None
    if text is not None:
        parse_teams(text)  # a bad file is said before the database is touched
    async with database(settings) as engine:  # migrated, and the teams file applied if it changed, or one line why not
        if settings.supportbot_config is not None and text is not None:
            await config_file.apply_at_start(engine, settings.supportbot_config, text, now=utcnow())
    bot = create_app(settings, engine=engine)
    # Everything built so far lives as long as the process: keep it out of the garbage collector's full
    # collections, which otherwise freeze the event loop for tens of milliseconds under load.
    gc.collect()
    gc.freeze()
    try:
        await check_token(bot)
        if use_http:
            await serve_http(bot.asgi(scheduler=scheduler), host, port, settings.log_level)
        else:
            from bot.socket_mode import serve_socket_mode

            await serve_socket_mode(bot, scheduler=scheduler, host=host, port=port)
    finally:
        await bot.close()
    return 0


REFUSED_TOKENS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired")


async def check_token(bot: Supportbot) -> None:
    """Ask Slack who the bot token belongs to: refuse to start with a token Slack refuses, say which
    workspace and bot user it runs as, and start anyway (with a warning) when Slack cannot be reached."""
    try:
        who = await bot.services.client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        if code in REFUSED_TOKENS:
            raise SettingsError(f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token "
                                "(xoxb-…) again from the app's OAuth & Permissions page") from None
        log.warning("Slack did not confirm the bot token (%s); starting anyway", code)
        return
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        log.warning("Slack's Web API at %s is unreachable (%s); starting anyway, messages wait for it",
                    bot.settings.slack_api_url, error.__class__.__name__)
        return
    log.info("running as @%s (%s) in the workspace %s (%s)", who.get("user"), who.get("user_id"),
             who.get("team"), who.get("team_id"))


async def serve_http(asgi: Starlette, host: str, port: int, log_level: str) -> None:
    """uvicorn handles SIGTERM/SIGINT: it stops accepting, lets in-flight requests finish, then
    runs the lifespan shutdown (which stops the scheduler).

    Afterwards uvicorn re-raises the signal it caught to the handler that was installed before it
    started; with SIGTERM's default action that would kill the process (status -15) before our own
    cleanup. A no-op handler there lets `supportbot run` finish and exit 0."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(asgi, host=host, port=port, log_level=log_level.lower(),
                                           lifespan="on", timeout_graceful_shutdown=20))
    previous = {signum: signal.signal(signum, _stopped) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        await server.serve()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stopped(_signum: int, _frame: object) -> None:
    """Runs when uvicorn hands back a signal it already acted on."""
