"""The dispatcher: sends what the outbox holds, in the background, with the send-once guarantees.

After a flow commits (`storage.unit.UnitOfWork.commit`) the dispatcher is woken and sends in an asyncio task
that no request awaits; the `outbox` job (every minute), and every job that writes messages, sends what a
crash or an outage left. Each message is claimed (a lease) before it is sent and completed after, so two
senders — two replicas, or a tick and a wake — never send one twice, and a crash duplicates at most
`AT_ONCE`: the ones in flight and those sent but not recorded yet (a sender keeps its place until its message
is recorded, a few to a commit: `RECORD_AFTER`). A message
waits behind the earlier unsent messages of its group (a card before its replies, its updates in order) and
for the messages its references name; of several waiting updates of one card only the latest goes. Slack's
refusals are counted on the row (`bot.rules.delivery_failures`): not tried again before the next tick, parked
after `MAX_ATTEMPTS` (or at once when permanent) for `supportbot jobs retry`. A 429 blocks its method (and
channel, for chat.postMessage) for `Retry-After` here, in the dispatcher: its client
has no rate-limit retry handler, so nothing ever sleeps on Slack's behalf inside a request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.delivery_failures import MAX_ATTEMPTS, kind_of, parks
from bot.rules.messages import LINK
from handlers.metrics import Metrics, running_job, unit_failed
from storage import outbox
from storage.db import SessionFactory

log = logging.getLogger(__name__)
RETRY_LATER = timedelta(seconds=30)
"""After a failed attempt a message waits this long (the next tick tries it; a wake does not)."""
AT_ONCE = 8
"""Groups sent at the same time."""
CRASH_DUPLICATES = AT_ONCE
"""At most this many go out twice after a crash: a sender keeps its place until its send is recorded."""
CLOSE_GRACE = 10.0
"""Seconds a shutdown waits for the form being opened and the messages in flight."""
RECORD_AFTER = 4
"""Sent messages recorded in one commit (fewer when nothing else is in flight). A sender keeps its place among
the `AT_ONCE` until its message is recorded, so a crash finds at most `AT_ONCE` sent but not recorded."""
CLAIMED_PER_SENDER = 4
"""Messages claimed per round for each one sent at once: a crash leaves at most `AT_ONCE` × this many claimed
(taken over after the lease), and a 429 gives back at most that many untried."""
PER_CHANNEL = frozenset({"chat.postMessage"})
"""Methods Slack limits per channel too."""


Transport = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""Sends a message of a method that is not Slack's (`pagerduty.enqueue`, `files.uploadV2` with its bytes in the
row): the row's args in, what storage keeps of the answer out; `Refused` when the other side says no."""


Settled = Callable[[str, str, "str | None"], Awaitable[None]]
"""Told (key, method, code) when a transport's message is parked (its failure's code) or sent (None): e.g. an
escalation's card says that its page failed, and no longer once one went."""


class Refused(Exception):
    """A transport's refusal: `code` as `bot.rules.delivery_failures` names it (a permanent code parks the row at
    once), `retry_after` seconds when the other side rate-limited (a 429 with `Retry-After`)."""

    def __init__(self, code: str, *, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.retry_after = retry_after


def failure_code(error: BaseException) -> str | None:
    """The code a failed send is known by (see bot.rules.delivery_failures), or None when `error` is not
    Slack's (or a transport's) refusal nor a failed connection to it (a bug: it is raised as it is)."""
    if isinstance(error, Refused):
        return error.code
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        code = error.response.get("error")
        found = code if isinstance(code, str) and code else f"http_{status}"
        if (status == 429 or status >= 500) and kind_of(found) == "permanent":
            return f"http_{status}"  # Slack down or busy, whatever the body says
        return found
    if isinstance(error, SlackRequestError):
        return "request_error"
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(error, (aiohttp.ClientError, OSError)):
        return "connection_error"
    return None


def dispatch_client(client: AsyncWebClient) -> AsyncWebClient:
    """`client` (its session, token and URL) without its rate-limit retry handler: a 429 is the dispatcher's.
    A client of another kind (the demo's transcript) is used as it is."""
    if type(client) is not AsyncWebClient:
        return client
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                          session=client.session, logger=client.logger,
                          retry_handlers=[h for h in client.retry_handlers
                                          if not isinstance(h, AsyncRateLimitErrorRetryHandler)])


class Outbox:
    def __init__(self, db: SessionFactory, client: AsyncWebClient, clock: Callable[[], datetime],
                 metrics: Metrics | None = None, *, background: bool = True,
                 transports: dict[str, Transport] | None = None) -> None:
        self.db = db
        self.transports: dict[str, Transport] = dict(transports or {})
        """Methods sent by something other than the Slack client, by name (the composition fills it in)."""
        self.on_settled: list[Settled] = []
        """Who is told a transport's message was parked or sent (the composition adds them)."""
        self.client = dispatch_client(client)
        self.clock = clock
        self.metrics = metrics
        self.background = background
        self._blocked: dict[str, float] = {}  # "method" or "method@channel" -> monotonic end of its Retry-After
        self._runner: asyncio.Task[None] | None = None
        self._again = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished: list[list[Any]] = []  # sent rows not completed yet: [id, then, result, recorded]
        self._sending = 0  # sends waiting on Slack (or a transport) now
        self._completing = asyncio.Lock()

    # ------------------------------------------------------------------ waking and waiting

    def wake(self) -> None:
        """Something was committed: send it soon, in the background (never awaited by the caller)."""
        if not self.background:
            return
        if self._runner is not None and not self._runner.done():
            self._again = True
            return
        self._runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.send_due(self.clock())
            except Exception:
                log.exception("the outbox dispatcher failed; the next tick sends what waits")
            if not self._again:
                return

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` (a view call Slack ties to a trigger) after the request is answered."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, now: datetime | None = None, *, limit: float = 60.0) -> int:
        """Wait for what runs in the background, then send everything due, waiting out rate limits (at most
        `limit` seconds): for tests and `jobs run outbox`."""
        deadline = time.monotonic() + limit
        sent = 0
        while True:
            pending = [t for t in (self._runner, *self._tasks) if t is not None and not t.done()]
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            sent += await self.send_due(now or self.clock())
            blocked = [end for end in self._blocked.values() if end > time.monotonic()]
            if not blocked or time.monotonic() >= deadline or not await self._anything_waits(now or self.clock()):
                if not any(t is not None and not t.done() for t in (self._runner, *self._tasks)):
                    return sent
            else:
                await asyncio.sleep(min(min(blocked), deadline) - time.monotonic())

    async def _anything_waits(self, now: datetime) -> bool:
        async with self.db() as session:
            return any(r.parked_at is None and (r.not_before is None or r.not_before <= now)
                       for r in await outbox.waiting(session, limit=100))

    async def close(self, *, grace: float = CLOSE_GRACE) -> None:
        """On shutdown: let a form being opened and the message in flight finish (a deploy must not cut off an
        agent mid-escalation, nor leave a sent message unrecorded), at most `grace` seconds; then stop. What is
        left waits in the outbox for the next process."""
        pending = [t for t in (self._runner, *self._tasks) if t is not None and not t.done()]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()

    # ------------------------------------------------------------------ sending

    async def send_due(self, now: datetime) -> int:
        """Send every message that may go now, group heads first, until none is left; how many went (card
        updates not counted: a job reports the messages people receive)."""
        sent, limit = 0, asyncio.Semaphore(AT_ONCE)
        while True:
            batch = await self._claim_heads(now)
            if not batch:
                return sent

            held: list[int] = []

            async def one(row: outbox.Head, done: dict[str, dict[str, Any]], held: list[int]) -> bool:
                async with limit:
                    if self._limited(row.method, row.args):  # a 429 came meanwhile: not tried, not counted
                        held.append(row.id)
                        return False
                    return await self._send(row, done, now)

            rows, done = batch
            try:
                outcomes = await asyncio.gather(*(one(row, done, held) for row in rows))
            finally:
                await self._flush(now)  # what was sent is recorded before the next round claims what follows it
            if held:
                async with self.db() as session:
                    await outbox.release_all(session, held)
                    await session.commit()
            sent += sum(went for went, row in zip(outcomes, rows, strict=True) if row.method != "chat.update")
            if not any(outcomes):
                return sent

    async def _claim_heads(self, now: datetime) -> tuple[list[outbox.Head], dict[str, dict[str, Any]]] | None:
        """Claim up to `AT_ONCE` × `CLAIMED_PER_SENDER` group heads that may go now: read a page of heads at a
        time (`outbox.heads`: only those rows, rate-limited methods left out in the query), mark the superseded
        ones and look again from the start when they uncovered their groups' next messages."""
        at = datetime.now(UTC)  # leases are real time
        cap = AT_ONCE * CLAIMED_PER_SENDER
        held = {name for name, end in self._blocked.items() if "@" not in name and end > time.monotonic()}
        ready: list[outbox.Head] = []
        seen: set[int] = set()
        marked: set[int] = set()  # superseded here
        asked: set[str] = set()
        done: dict[str, dict[str, Any]] = {}
        after, uncovered = 0, False
        async with self.db() as session:
            while len(ready) < cap:
                page = await outbox.heads(session, now=now, at=at, after=after, limit=cap, held=held)
                gone = [head.id for head in page if head.superseded and head.id not in marked]
                if gone:
                    await outbox.supersede(session, gone, now=now, at=at)
                    marked.update(gone)
                    uncovered = True
                fresh = [head for head in page if not head.superseded and head.id not in seen]
                seen.update(head.id for head in fresh)
                wanted = {ref["of"] for head in fresh for ref in head.refs.values()} - asked
                asked.update(wanted)
                done.update(await outbox.results(session, sorted(wanted)))
                ready += [head for head in fresh if all(ref["of"] in done for ref in head.refs.values())
                          and not self._limited(head.method, head.args)]
                if len(page) == cap:
                    after = page[-1].id
                elif uncovered:
                    after, uncovered = 0, False  # a superseded update's successor may come before `after`
                else:
                    break
            ready = ready[:cap]
            taken = set(await outbox.claim(session, [head.id for head in ready], now=now, at=at))
            if marked or taken:
                await session.commit()
        rows = [head for head in ready if head.id in taken]
        self._count("claimed", len(rows))
        return (rows, done) if rows else None

    async def _send(self, row: outbox.Head, done: dict[str, dict[str, Any]], now: datetime) -> bool:
        args = dict(row.args)
        self._sending += 1
        try:
            for name, ref in row.refs.items():
                target = done[ref["of"]]
                if ref["kind"] == "permalink":
                    link = await self._permalink(target)
                    args[name] = str(args[name]).replace(LINK, link) if link else ref.get("fallback") or args[name]
                else:
                    args[name] = target[ref["kind"]]
            transport = self.transports.get(row.method)
            if transport is not None:
                result = dict(await transport(args))
            else:
                answer = await getattr(self.client, row.method.replace(".", "_"))(**args)
                result = {"channel": answer.get("channel") or args.get("channel"), "ts": answer.get("ts")}
        except Exception as error:
            self._sending -= 1
            if self._sending == 0:
                await self._flush(now)  # nothing else in flight: record the sent ones waiting
            code = failure_code(error)
            if code is None:
                log.exception("%s could not be sent: a bug, not Slack's refusal; the next tick tries again", row.key)
                async with self.db() as session:
                    await outbox.release(session, row.id)
                    await session.commit()
                return False
            await self._failed(row, error, code, now)
            return False
        except BaseException:
            self._sending -= 1
            raise
        self._sending -= 1
        await self._complete([row.id, row.then, result], now)
        self._count("sent")
        if transport is not None:
            await self._settled(row, None)
        return True

    async def _settled(self, row: outbox.Head, code: str | None) -> None:
        for tell in self.on_settled:
            try:
                await tell(row.key, row.method, code)
            except Exception:
                log.exception("%s: telling that it was %s failed", row.key, "parked" if code else "sent")

    async def _complete(self, sent: list[Any], now: datetime) -> None:
        """Record a sent row, with others: once `RECORD_AFTER` wait or nothing else is in flight (one commit for
        a round of a few). Returns once it is recorded: until then its sender keeps its place among `AT_ONCE`."""
        recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._finished.append([*sent, recorded])
        if len(self._finished) >= RECORD_AFTER or self._sending == 0:
            await self._flush(now)
        await recorded

    async def _flush(self, now: datetime) -> None:
        """Complete every sent row not recorded yet, in one commit."""
        async with self._completing:
            batch, self._finished = self._finished, []
            if not batch:
                return
            try:
                async with self.db() as session:
                    await outbox.complete(session, [(row_id, then, result) for row_id, then, result, _ in batch],
                                          now=now)
                    await session.commit()
            finally:  # a failed commit is raised to the sender that flushed; the rows' leases run out
                for *_, recorded in batch:
                    if not recorded.done():
                        recorded.set_result(None)

    async def _permalink(self, target: dict[str, Any]) -> str | None:
        try:
            found = await self.client.chat_getPermalink(channel=target["channel"], message_ts=target["ts"])
        except SlackApiError:
            return None
        return str(found["permalink"])

    def _limited(self, method: str, args: dict[str, Any]) -> bool:
        now = time.monotonic()
        return any(self._blocked.get(name, 0.0) > now for name in _limits(method, args))

    async def _failed(self, row: outbox.Head, error: BaseException, code: str, now: datetime) -> None:
        rate_limited = False
        wait: float | None = None
        if isinstance(error, Refused):
            wait = error.retry_after
        elif isinstance(error, SlackApiError) and getattr(error.response, "status_code", 0) == 429:
            wait = _retry_after(error)
        if wait is not None:
            rate_limited = True
            for name in _limits(row.method, row.args):
                self._blocked[name] = time.monotonic() + wait
            if self.background:
                asyncio.get_running_loop().call_later(wait, self.wake)
        job, as_of = running_job() or ("outbox", now)
        park = parks(code, row.attempts + 1)
        async with self.db() as session:
            attempts = await outbox.failed(session, row.id, code, job=job, as_of=as_of, now=now, park=park,
                                           retry_at=None if rate_limited else now + RETRY_LATER)
            await session.commit()
        unit_failed(row.key, code, parked=park)
        if park:
            self._count("parked")
            if row.method in self.transports:
                await self._settled(row, code)
            why = "a permanent error" if kind_of(code) == "permanent" else f"{attempts} failed attempts"
            log.warning("%s parked after %s (Slack said %s): no job retries it; `supportbot jobs retry %s` sends it",
                        row.key, why, code, row.key)
            return
        self._count("failed")
        log.warning("%s not sent (Slack said %s, attempt %d of %d); %s", row.key, code, attempts, MAX_ATTEMPTS,
                    "sent when Slack's Retry-After has passed" if rate_limited else "the next tick retries it")

    def _count(self, outcome: Any, times: int = 1) -> None:
        if self.metrics is not None:
            for _ in range(times):
                self.metrics.delivery(outcome)


def _limits(method: str, args: dict[str, Any]) -> list[str]:
    names = [method]
    if method in PER_CHANNEL and args.get("channel"):
        names.append(f"{method}@{args['channel']}")
    return names


def _retry_after(error: SlackApiError) -> float:
    headers = getattr(error.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(1.0, float(value if isinstance(value, str) else value[0]))
            except (ValueError, IndexError):
                break
    return 1.0
