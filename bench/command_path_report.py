"""The figures and verdict of `bench.command_path`: one round's measurements, their summary, the report (the
goal's ratio, supportbot ÷ bare, and on the writing paths the informational supportbot ÷ bare+sql)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.command_path_counts import Counts
from bench.command_path_durable import BARE_SQL
from bench.command_path_paths import EXPECTED
from bench.command_path_servers import NOISY, QUIET, QUIET_WAIT, REPEATS
from bot.rules.percentiles import percentile

GOALS: dict[str, tuple[float, float | None]] = {"escalate": (0.8, 1.5), "submit": (0.5, None),
                                                "acknowledge": (0.5, None)}
"""Per path, the throughput ratio supportbot ÷ bare must reach and the p99 ratio it must stay under (None: only
reported). The writing paths store the change and its messages, the bare app nothing: bare+sql, the floor of a
durable path, is itself near 0.5×."""


@dataclass
class Round:
    server: str
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    app_cpu: float = 0.0  # CPU seconds of the loaded server
    load_cpu: float = 0.0  # of the fake Slack and the load generator
    core0: float = 0.0  # busy share of the app core (anything running there), from /proc/stat
    core1: float = 0.0  # busy share of the load core
    other: float = 0.0  # CPU on the two cores not used by this benchmark's processes, in cores
    stolen: float = 0.0  # share of the two cores the hypervisor took
    calls: dict[str, int] = field(default_factory=dict)  # Web API calls per method, at the fake Slack
    ran_out: bool = False  # the open escalations to acknowledge ran out before the round's end
    noisy: bool = False  # kept although other work used over NOISY (it did in every repeat too)
    unsent: int = 0  # supportbot's messages still in its outbox when the round's calls were counted

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1



@dataclass
class Figures:
    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # app CPU per request
    app: float  # share of a core the app process used
    core0: float
    load: float  # share of a core the fake Slack and the load generator used
    core1: float
    other: float
    stolen: float

    @classmethod
    def of(cls, rounds: list[Round]) -> Figures:
        latencies = [latency for r in rounds for latency in r.latencies]
        requests, elapsed = sum(r.requests for r in rounds), sum(r.elapsed for r in rounds)

        def mean(share: list[float]) -> float:  # weighted by each round's length
            return sum(s * r.elapsed for s, r in zip(share, rounds, strict=True)) / elapsed

        app_cpu = sum(r.app_cpu for r in rounds)
        return cls(requests, requests / elapsed, (percentile(latencies, 50) or 0.0) * 1000,
                   (percentile(latencies, 99) or 0.0) * 1000, app_cpu / max(len(latencies), 1) * 1000,
                   app_cpu / elapsed, mean([r.core0 for r in rounds]), sum(r.load_cpu for r in rounds) / elapsed,
                   mean([r.core1 for r in rounds]), mean([r.other for r in rounds]), mean([r.stolen for r in rounds]))

    def row(self, label: str, server: str) -> str:
        return (f"{label:>5}  {server:10} {self.requests:8} {self.rate:7.0f} {self.p50_ms:7.1f} {self.p99_ms:7.1f}"
                f" {self.cpu_ms:7.2f} {self.app:6.0%} {self.core0:6.0%} {self.load:6.0%} {self.core1:6.0%}"
                f" {self.other:6.0%} {self.stolen:6.0%}")


HEADER = (f"{'round':>5}  {'server':10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7}"
          f" {'app':>6} {'core 0':>6} {'load':>6} {'core 1':>6} {'other':>6} {'stolen':>6}")
LEGEND = f"""columns: requests answered in the round(s), requests per second, latency percentiles, app CPU per request
  (its /proc/PID/stat), then shares of one core: used by the app process (app), busy core 0 (/proc/stat: the
  apps' core), used by the fake Slack + load generator (load), busy core 1 (theirs), CPU used on the two cores
  by anything else (other: other processes, kernel work not charged to a process), taken by the hypervisor (stolen).
  Each round waits for a quiet machine (other < {QUIET:.0%}, at most {QUIET_WAIT:.0f} s or a round's length); a
  round with other > {NOISY:.0%} is run again (at most --repeats times, {REPEATS} by default); only the last run
  counts in "all"."""


@dataclass
class Verdict:
    database: str
    path: str
    throughput: float
    p99: float
    cpu: float
    failures: int
    counts: Counts | None = None

    @property
    def met(self) -> bool:
        throughput, p99 = GOALS[self.path]
        return self.throughput >= throughput and (p99 is None or self.p99 <= p99) and \
            (self.counts is None or self.counts.met)

    def line(self) -> str:
        throughput, p99 = GOALS[self.path]
        return (f"goal, {self.path} on {self.database}: {'MET' if self.met else 'NOT MET'}: throughput ratio "
                f"{self.throughput:.2f} (goal ≥ {throughput}), p99 ratio {self.p99:.2f}"
                + (f" (goal ≤ {p99})" if p99 is not None else "")
                + (f"; {self.counts.line()}" if self.counts else "")
                + (f"; {self.failures} failed request(s): the run FAILED" if self.failures else ""))


def ratio(mine: float, theirs: float) -> float:
    return mine / theirs if theirs else float("nan")


def report(database: str, path: str, rounds: list[Round]) -> Verdict:
    failures = sum(r.requests - len(r.latencies) for r in rounds)
    for r in rounds:
        for what, count in sorted(r.failures.items()):
            print(f"  FAILED: {count} request(s) to {r.server}: {what}")
        for method, each in EXPECTED[path].items():
            if r.calls.get(method, 0) < each * len(r.latencies):
                print(f"  FAILED: {r.server} answered {len(r.latencies)} but the fake Slack saw "
                      f"{r.calls.get(method, 0)} {method} (expected {each} each)")
                failures += len(r.latencies) - r.calls.get(method, 0) // each
        if r.unsent:
            print(f"  FAILED: {r.unsent} of {r.server}'s messages were still unsent in its outbox when counted")
            failures += r.unsent
        if r.ran_out:
            print(f"  note: a {r.server} round ran out of open escalations before its end (raise --pool)")
        if r.calls.get("crashes"):
            print(f"  FAILED: the fake Slack crashed {r.calls['crashes']} time(s) during a {r.server} round")
            failures += r.calls["crashes"]
    names = [server for server in ("bare", "supportbot", BARE_SQL) if any(r.server == server for r in rounds)]
    for server in names:
        its = [r for r in rounds if r.server == server]
        answered = max(sum(len(r.latencies) for r in its), 1)
        methods = sorted({m for r in its for m in r.calls if m != "crashes"})
        print(f"  Slack calls per answered request, {server}: " + ", ".join(
            f"{m} {sum(r.calls.get(m, 0) for r in its) / answered:.2f}" for m in methods))
    figures = {server: Figures.of([r for r in rounds if r.server == server]) for server in names}
    base, mine, floor = figures["bare"], figures["supportbot"], figures.get(BARE_SQL)
    for server, summary in figures.items():
        print(summary.row("all", server))
    if max(f.core1 for f in figures.values()) > 0.9 and min(f.core0 for f in figures.values()) < 0.9:
        print("  note: core 1 (fake Slack + load generator) was busier than the apps' core 0: the load side may be"
              " the limit")
    if any(r.noisy for r in rounds):
        print(f"  note: {sum(r.noisy for r in rounds)} round(s) kept although other work used over {NOISY:.0%} of a"
              " core (the machine was shared): those figures are noisy")
    verdict = Verdict(database, path, mine.rate / base.rate, mine.p99_ms / base.p99_ms, mine.cpu_ms / base.cpu_ms,
                      failures)
    throughput, p99 = GOALS[path]
    print(f"ratio (supportbot ÷ bare), {path} on {database}: throughput {verdict.throughput:.2f} "
          f"(goal ≥ {throughput}: {'met' if verdict.throughput >= throughput else 'NOT met'}), "
          f"p99 {verdict.p99:.2f}" + (f" (goal ≤ {p99}: {'met' if verdict.p99 <= p99 else 'NOT met'})" if p99 else "")
          + ", "
          f"CPU per request {verdict.cpu:.2f}; p50 {mine.p50_ms / base.p50_ms:.2f}; "
          f"{'all' if not failures else 'NOT all'} {sum(f.requests for f in figures.values())} answers were empty 200s")
    if floor is not None:
        print(f"ratio (supportbot ÷ {BARE_SQL}), {path} on {database}: throughput {ratio(mine.rate, floor.rate):.2f}, "
              f"p99 {ratio(mine.p99_ms, floor.p99_ms):.2f}, CPU per request {ratio(mine.cpu_ms, floor.cpu_ms):.2f}; "
              f"p50 {ratio(mine.p50_ms, floor.p50_ms):.2f} (informational; {BARE_SQL} ÷ bare: throughput "
              f"{ratio(floor.rate, base.rate):.2f}, p99 {ratio(floor.p99_ms, base.p99_ms):.2f}, CPU per request "
              f"{ratio(floor.cpu_ms, base.cpu_ms):.2f})")
    return verdict
