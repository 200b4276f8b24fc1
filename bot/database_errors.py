"""A database that cannot be used, said in one line that names `DATABASE_URL`, what is wrong and what
to do — instead of a traceback."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.settings import SettingsError

EXAMPLES = "sqlite:///supportbot.db or postgresql://user:password@host:5432/supportbot"


class DatabaseUnusable(SettingsError):
    """One operator-worded line (`supportbot: …`, exit 2)."""


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return found


def explain(error: BaseException, url: str) -> DatabaseUnusable:
    """What went wrong with the database at `url`, for the operator."""
    try:
        parsed: URL | None = make_url(url)
    except ArgumentError:
        parsed = None
    shown = parsed.render_as_string(hide_password=True) if parsed is not None else url
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}" if parsed is not None else shown
    chain = _chain(error)
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain).lower()
    names = {type(e).__name__ for e in chain}

    def say(problem: str, action: str) -> DatabaseUnusable:
        return DatabaseUnusable(f"DATABASE_URL ({shown}): {problem}; {action}")

    if isinstance(error, NoSuchModuleError | ArgumentError) or "can't load plugin" in text:
        dialect = parsed.drivername if parsed is not None else url
        return say(f"unknown database kind {dialect!r}", f"use a URL like {EXAMPLES}")
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        file = parsed.database or "(memory)"
        if "readonly" in text or "read-only" in text:
            return say(f"the SQLite file {file} is read-only", "let supportbot write to the file and its folder")
        if "unable to open database file" in text:
            return say(f"cannot create or open the SQLite file {file}",
                       "check that its folder exists and that supportbot may write there")
        if "not a database" in text:
            return say(f"{file} is not a SQLite database", "point DATABASE_URL at a new file or a supportbot database")
        return say(f"SQLite refused: {chain[-1]}", "check the file and its folder")
    user = parsed.username if parsed is not None else None
    database = parsed.database if parsed is not None else None
    if "invalidpassworderror" in names or "password authentication failed" in text:
        return say(f"PostgreSQL refused the user {user!r} (wrong password)", "correct the user name or password")
    if "invalidauthorizationspecificationerror" in names or ("role" in text and "does not exist" in text):
        return say(f"PostgreSQL has no user {user!r}", "create the role or correct the user name")
    if "invalidcatalognameerror" in names or ("database" in text and "does not exist" in text):
        return say(f"the database {database!r} does not exist on {where}",
                   f"create it (createdb {database}) or correct the name")
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in text \
            or "nodename nor servname" in text or "temporary failure in name resolution" in text:
        host = parsed.host if parsed is not None else "?"
        return say(f"the host {host!r} is unknown", "correct the host name")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text \
            or "connect call failed" in text:
        return say(f"nothing answers at {where} (connection refused)",
                   "start the database server, or correct the host and port")
    if any(isinstance(e, TimeoutError) for e in chain) or "timeout" in text:
        return say(f"{where} did not answer in time", "check the host, the port and the network")
    last = chain[-1]
    return say(f"the database refused: {str(last).splitlines()[0] if str(last) else type(last).__name__}",
               "check DATABASE_URL")


def sqlite_file_unusable(url: str) -> DatabaseUnusable | None:
    """A SQLite file that cannot be opened, found before connecting: aiosqlite's worker thread outlives a
    failed connect and can write a traceback to stderr as the process exits, so a file that can't be
    opened is never handed to it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.database.startswith("file:"):
        return None
    file = Path(parsed.database)
    shown = parsed.render_as_string(hide_password=True)
    if file.exists():
        if file.is_dir() or not os.access(file, os.R_OK):
            return DatabaseUnusable(f"DATABASE_URL ({shown}): cannot open the SQLite file {file}; "
                                    "check that it is a file supportbot may read and write")
        return None
    folder = file.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return DatabaseUnusable(f"DATABASE_URL ({shown}): cannot create or open the SQLite file {file}; "
                                "check that its folder exists and that supportbot may write there")
    return None
