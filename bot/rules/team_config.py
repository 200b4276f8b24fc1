"""The teams YAML (DESIGN.md section 2), validated by pydantic.

Errors name the path of the bad value, e.g. `teams[0].standup.time: expected HH:MM`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

from bot.rules.business_hours import public_holidays
from bot.rules.config_fields import HHMM, Section
from bot.rules.customer_updates import DRAFT_MAX, STAGES, Stage, check_template
from bot.rules.helpdesk_config import MATCH_KEYS, HelpdeskConfig, TeamHelpdesk
from bot.rules.oncall_config import OnCallConfig
from bot.rules.paging import PagingConfig

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS: list[Day] = ["mon", "tue", "wed", "thu", "fri"]


class ConfigError(Exception):
    """The file is not a valid teams configuration; `problems` are `path: message` lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown timezone {value!r}: expected an IANA name like Europe/Paris") from None
    return value


def _pattern(regex: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.fullmatch(regex, value):
            raise ValueError(f"expected {what}, got {value!r}")
        return value

    return AfterValidator(check)


def _used_twice(keys: list[str]) -> str | None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def _country(value: str) -> str:
    public_holidays(value)  # ValueError names the bad code
    return value


TimeZoneName = Annotated[str, AfterValidator(_timezone)]
UserId = Annotated[str, _pattern(r"[UW][A-Z0-9]{2,31}", "a Slack user ID like U0123ABCD")]
ChannelId = Annotated[str, _pattern(r"[CGD][A-Z0-9]{2,31}", "a Slack channel ID like C0123ABCD")]
Key = Annotated[str, _pattern(r"[a-z0-9][a-z0-9_-]{0,63}", "a short lowercase key like tier1")]


class Channels(Section):
    escalations: ChannelId | None = None
    digest: ChannelId | None = None
    standup: ChannelId | None = None


class EscalationPathConfig(Section):
    key: Key
    name: Annotated[str, Field(min_length=1, max_length=75)]
    channel: ChannelId


class StandupConfig(Section):
    time: HHMM = "09:30"
    days: list[Day] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    reminder_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 60
    window_hours: Annotated[int, Field(ge=1, le=24)] = 4
    holidays: list[date] = Field(default_factory=list, max_length=366)
    """Team days off (YYYY-MM-DD): nobody is prompted."""
    mood: bool = True
    """Ask the optional mood 1–5 after the questions."""
    questions: list[Annotated[str, Field(min_length=1, max_length=150)]] | None = None


def _enough_to_stay_anonymous(value: int) -> int:
    if value < 3:
        raise ValueError(f"must be at least 3 (got {value}): with fewer respondents, answers could be "
                         "traced back to people")
    return value


class PulseConfig(Section):
    day: Day = "fri"
    time: HHMM = "14:00"
    close_after_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 72
    min_responses: Annotated[StrictInt, AfterValidator(_enough_to_stay_anonymous), Field(le=10_000)] = 5
    """Results are shown only when at least this many people answered; never below 3."""
    questions: Annotated[list[Annotated[str, Field(min_length=1, max_length=150)]],
                         Field(min_length=3, max_length=5)] | None = None
    """The 1–5 questions of future rounds (3 to 5; the eNPS question and the comment are always asked)."""


class DigestConfig(Section):
    time: HHMM = "09:00"


class KpiTargets(Section):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # "inf" is no target (nor JSON)

    first_response_minutes: Annotated[float, Field(gt=0)] = 60
    resolution_hours: Annotated[float, Field(gt=0)] = 24
    csat_percent: Annotated[float, Field(ge=0, le=100)] = 90
    fcr_percent: Annotated[float, Field(ge=0, le=100)] = 70
    escalation_sla_percent: Annotated[float, Field(ge=0, le=100)] = 90


CRITERIA = ("csat", "churn", "cost", "feasibility", "alignment")
"""The scorecard's criteria: impact on customer satisfaction, on churn, on support costs; feasibility; alignment
with business goals."""


Criterion = Literal["csat", "churn", "cost", "feasibility", "alignment"]
DEFAULT_WEIGHTS: dict[Criterion, int] = {"csat": 30, "churn": 25, "cost": 20, "feasibility": 15, "alignment": 10}


def _whole(weights: dict[Criterion, int]) -> dict[Criterion, int]:
    total = sum(weights.values())
    if total != 100:
        raise ValueError(f"the weights add up to {total}%, not 100%")
    return weights


class ScorecardConfig(Section):
    weights: Annotated[dict[Criterion, Annotated[StrictInt, Field(ge=0, le=100)]], AfterValidator(_whole)] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """Percent per criterion, adding up to 100; a criterion left out weighs nothing."""


def _template(stage: Stage) -> AfterValidator:
    return AfterValidator(lambda text: check_template(stage, text))


Text = Annotated[str, Field(min_length=1, max_length=DRAFT_MAX)]


class StageTemplates(Section):
    """Customer-update templates by stage; a stage left out uses the wider one, then the default."""

    new: Annotated[Text, _template("new")] | None = None
    in_progress: Annotated[Text, _template("in_progress")] | None = None
    resolved: Annotated[Text, _template("resolved")] | None = None


class CustomerUpdatesConfig(StageTemplates):
    """Templates for every priority, and a priority's own (`P1: {in_progress: ...}`)."""

    P1: StageTemplates | None = None
    P2: StageTemplates | None = None
    P3: StageTemplates | None = None
    P4: StageTemplates | None = None

    def templates(self) -> dict[str, dict[str, str]]:
        """{"": every priority's, "P1": P1's own, ...} without the stages left out."""
        found = {"": StageTemplates.model_dump(self, include=set[str](STAGES), exclude_none=True)}
        for priority in ("P1", "P2", "P3", "P4"):
            own = getattr(self, priority)
            if own is not None:
                found[priority] = own.model_dump(exclude_none=True)
        return found


class BusinessHoursConfig(Section):
    start: HHMM = "09:00"
    end: HHMM = "17:00"
    days: list[Day] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> BusinessHoursConfig:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class PriorityOverride(Section):
    ack_minutes: Annotated[StrictInt, Field(gt=0)] | None = None
    update_minutes: Annotated[StrictInt, Field(gt=0)] | None = None
    resolve_minutes: Annotated[StrictInt, Field(gt=0)] | None = None
    business_hours: StrictBool | None = None


class EscalationPolicyConfig(Section):
    business_hours: BusinessHoursConfig = Field(default_factory=BusinessHoursConfig)
    priorities: dict[Literal["P1", "P2", "P3", "P4"], PriorityOverride] = Field(default_factory=dict)
    paging: PagingConfig | None = None
    """Page PagerDuty or Opsgenie per priority (`bot.rules.paging`); none: no pages."""
    on_call: OnCallConfig | None = None
    """The DM chain for teams without a paging product (`bot.rules.oncall`)."""


class TeamConfig(Section):
    key: Key
    name: Annotated[str, Field(min_length=1, max_length=200)]
    timezone: TimeZoneName = "UTC"
    members: list[UserId] = Field(default_factory=list)
    managers: list[UserId] = Field(default_factory=list)
    channels: Channels = Field(default_factory=Channels)
    escalation_paths: list[EscalationPathConfig] = Field(default_factory=list)
    escalation_policy: EscalationPolicyConfig = Field(default_factory=EscalationPolicyConfig)
    standup: StandupConfig = Field(default_factory=StandupConfig)
    pulse: PulseConfig = Field(default_factory=PulseConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    kpi_targets: KpiTargets = Field(default_factory=KpiTargets)
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig)
    customer_updates: CustomerUpdatesConfig = Field(default_factory=CustomerUpdatesConfig)
    helpdesk: TeamHelpdesk | None = None
    """Which helpdesk source's tickets are the team's (`helpdesks[].key`, and a group or brand to match)."""
    holidays_country: Annotated[str, AfterValidator(_country)] | None = None
    """A country's public holidays (`GB`, `US`, `DE`, or a subdivision like `US-CA`: the `holidays` package's
    codes) close the business-hours SLA clocks, as the team's own `standup.holidays` do."""

    @model_validator(mode="after")
    def _unique_path_keys(self) -> TeamConfig:
        twice = _used_twice([path.key for path in self.escalation_paths])
        if twice:
            raise ValueError(f"escalation path key {twice!r} is used twice")
        paging = self.escalation_policy.paging
        unknown = sorted(set(paging.paths) - {path.key for path in self.escalation_paths}) if paging else []
        if unknown:
            raise ValueError(f"escalation_policy.paging.paths: {unknown[0]!r} is not one of the team's escalation "
                             "paths")
        return self

    def settings(self) -> dict[str, Any]:
        """The sections stored as the team's settings document."""
        sections = ("standup", "pulse", "digest", "kpi_targets", "escalation_policy", "scorecard",
                    "customer_updates", "helpdesk", "holidays_country")
        return self.model_dump(mode="json", include=set(sections), exclude_none=True)


class TeamsFile(Section):
    teams: list[TeamConfig]
    helpdesks: list[HelpdeskConfig] | None = None
    """None (no `helpdesks:` key): the stored sources are left as they are."""

    @model_validator(mode="after")
    def _unique_team_keys(self) -> TeamsFile:
        twice = _used_twice([team.key for team in self.teams])
        if twice:
            raise ValueError(f"team key {twice!r} is used twice")
        if self.helpdesks is not None:
            twice = _used_twice([source.key for source in self.helpdesks])
            if twice:
                raise ValueError(f"helpdesk key {twice!r} is used twice")
            known = {source.key: source.kind for source in self.helpdesks}
            for team in self.teams:
                if team.helpdesk is not None and team.helpdesk.source not in known:
                    raise ValueError(f"team {team.key}: helpdesk source {team.helpdesk.source!r} is not in "
                                     f"helpdesks (known: {', '.join(sorted(known)) or 'none'})")
                if team.helpdesk is not None:
                    kind = known[team.helpdesk.source]
                    allowed = MATCH_KEYS.get(kind, ())
                    wrong = sorted(set(team.helpdesk.match.labels()) - set(allowed))
                    if wrong:
                        raise ValueError(f"team {team.key}: {kind} tickets match by "
                                         f"{' or '.join(allowed)}, not by {', '.join(wrong)}")
        return self


MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required",
}


def error_path(loc: Sequence[int | str]) -> str:
    """('teams', 0, 'standup', 'time') -> 'teams[0].standup.time'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        message = MESSAGES.get(item["type"], str(item["msg"]).removeprefix("Value error, "))
        problems.append(f"{error_path(item['loc'])}: {message}")
    return problems


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"line {line}: key {key!r} appears twice (first on line {first}); only one is allowed")
        self.line = line


class _UniqueKeysLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error instead of the last one
    silently winning (a second `members:` would otherwise replace the first list)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DuplicateKey(key, line, seen[key])
                seen[key] = line
            except TypeError:  # an unhashable key: the base loader says so
                continue
        return super().construct_mapping(node, deep=deep)


REQUIRED_IN_FILE = ("members", "managers")
"""Keys every team of a file must write out, even as `[]`: a key left out must not read as "nobody"."""


def _left_out(data: dict[Any, Any]) -> list[str]:
    listed = data.get("teams")
    if not isinstance(listed, list):
        return []
    return [f"teams[{index}].{key}: required (write `{key}: []` for none)" for index, team in enumerate(listed)
            if isinstance(team, dict) for key in REQUIRED_IN_FILE if key not in team]


def parse_teams(text: str) -> TeamsFile:
    """Parse and validate a teams YAML document, or raise ConfigError naming every bad path (a repeated key
    by its line; a team's `members` and `managers` must be written, even empty)."""
    try:
        data = yaml.load(text, Loader=_UniqueKeysLoader)  # a SafeLoader
    except DuplicateKey as error:
        raise ConfigError([str(error)]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise ConfigError([f"{where}: not valid YAML ({getattr(error, 'problem', error)})"]) from None
    if not isinstance(data, dict):
        raise ConfigError(["(file): expected a mapping with a `teams:` list"])
    missing = _left_out(data)
    try:
        parsed = TeamsFile.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe(error) + missing) from None
    if missing:
        raise ConfigError(missing)
    return parsed


def render_teams(teams: Sequence[TeamConfig], helpdesks: Sequence[HelpdeskConfig] = ()) -> str:
    """The effective configuration as YAML, in the same shape `parse_teams` reads (helpdesks name where their
    credentials are, never hold them)."""
    document: dict[str, Any] = {"teams": [team.model_dump(mode="json", exclude_none=True) for team in teams]}
    if helpdesks:
        document["helpdesks"] = [source.model_dump(mode="json", exclude_none=True) for source in helpdesks]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
