"""`supportbot jobs failed` and `supportbot jobs retry`: the scheduled work Slack refused, and sending it.

A failure row names the job that owns the unit and the `now` of the run that first failed to send it. A
retry makes the chosen units due again (their rows and unfinished claims go) and runs each owning job once
as of that instant. Jobs are idempotent: everything else they would do then is done already and skipped, so
only the retried units go out, with all their follow-up effects (the posted message's ts stored, the parts
that waited for it sent after it). What the job no longer finds due as of that instant (the member answered
meanwhile, the escalation was deleted) is not sent and is reported as such; what Slack refuses again is
counted afresh, and parked again after its attempts. A retry whose job raised leaves the units it could not
try as they were (parked or failing, their attempts and error kept): nothing is lost or silently forgotten. An
outbox message the job ran fine for but did not send (it waits behind an earlier message of its card) stays in
the outbox, due: the next tick sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from handlers.jobs import Job, UnknownJob, find
from handlers.services import Services
from storage import failures
from storage.failures import Failure

log = logging.getLogger(__name__)
Outcome = Literal["sent", "failed", "parked", "not due", "kept", "waiting"]


@dataclass(frozen=True)
class Retried:
    key: str
    outcome: Outcome
    detail: str = ""

    def line(self) -> str:
        said = {"sent": "sent", "failed": "not sent: Slack refused it again; the job's next tick retries it",
                "parked": "not sent: Slack refused it again; parked again",
                "not due": "not sent: its job no longer has it to do (nothing is kept)",
                "kept": "not tried: its job failed; kept as it was",
                "waiting": "not sent yet: it waits in the outbox behind an earlier message; the next tick sends it",
                }[self.outcome]
        return f"{self.key}\t{said}{f' ({self.detail})' if self.detail else ''}"


async def failed_work(services: Services, keys: Sequence[str] | None = None) -> list[Failure]:
    async with services.db() as session:
        return await failures.listed(session, keys)


async def retry(services: Services, jobs: list[Job], chosen: Sequence[Failure]) -> list[Retried]:
    """Send `chosen` now: each owning job is run as of the instant of its first failure."""
    if not chosen:
        return []
    async with services.db() as session:
        await failures.unpark(session, [failure.key for failure in chosen])
        await session.commit()
    broken: set[tuple[datetime, str]] = set()
    for as_of, name in sorted({(failure.as_of, failure.job) for failure in chosen}):
        try:
            done = await services.metrics.run_job(find(jobs, name), services, as_of)
        except UnknownJob:
            log.warning("no job is named %s any more: its parked work stays parked", name)
            broken.add((as_of, name))
            continue
        except Exception:
            log.exception("job %s as of %s failed while retrying its parked work", name, as_of.isoformat())
            broken.add((as_of, name))
            continue
        log.info("job %s as of %s: %d done", name, as_of.isoformat(), done)
    return await _outcomes(services, chosen, broken)


async def _outcomes(services: Services, chosen: Sequence[Failure],
                    broken: set[tuple[datetime, str]]) -> list[Retried]:
    found: list[Retried] = []
    async with services.db() as session:
        now_failing = {failure.key: failure for failure in await failures.listed(session, [f.key for f in chosen])}
        untried: list[Failure] = []
        for failure in chosen:
            again = now_failing.get(failure.key)
            if await failures.done(session, failure.key):
                found.append(Retried(failure.key, "sent"))
            elif again is not None:
                found.append(Retried(failure.key, "parked" if again.parked else "failed", again.error))
            elif (failure.as_of, failure.job) in broken:
                untried.append(failure)
                found.append(Retried(failure.key, "kept"))
            elif failure.in_outbox and await failures.waiting(session, failure.key):
                found.append(Retried(failure.key, "waiting"))
            else:
                found.append(Retried(failure.key, "not due", f"as of {failure.as_of.isoformat()}"))
        await failures.restore(session, untried)
        await session.commit()
    return found
