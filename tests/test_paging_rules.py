"""Which pages an escalation's change implies, and the `escalation_policy.paging` configuration, as tables."""

from __future__ import annotations

import pytest

from bot.rules.paging import DEFAULT_PAGE, PagingConfig, at_breach, on_change
from bot.rules.team_config import ConfigError, parse_teams
from tests.conftest import TEAM_YAML


@pytest.mark.parametrize(("when", "kind", "status", "paged", "expected"), [
    ("creation", "opened", "open", False, "trigger"),
    ("breach", "opened", "open", False, None),
    ("never", "opened", "open", False, None),
    ("creation", "acknowledged", "acknowledged", True, "acknowledge"),
    ("creation", "acknowledged", "acknowledged", False, None),  # never paged: nothing to acknowledge
    ("never", "acknowledged", "acknowledged", True, "acknowledge"),  # paged as a P1, then lowered
    ("breach", "resolved", "resolved", True, "resolve"),
    ("breach", "resolved", "resolved", False, None),
    ("creation", "priority", "open", False, "trigger"),  # raised to a priority that pages at creation
    ("creation", "priority", "acknowledged", False, "trigger"),
    ("creation", "priority", "open", True, None),  # it paged already
    ("breach", "priority", "open", False, None),  # the timers page it at the breach
    ("creation", "priority", "resolved", False, None),
    ("creation", "update", "open", True, None),
    ("creation", "assigned", "open", True, None),
    ("creation", "reopened", "open", True, None),  # an escalation pages once
])
def test_the_page_a_change_implies(when: str, kind: str, status: str, paged: bool, expected: str | None) -> None:
    assert on_change(when, kind=kind, status=status, paged=paged) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("when", "clock", "status", "expected"), [
    ("breach", "ack", "open", "trigger"),
    ("creation", "ack", "open", "trigger"),  # written once: a no-op when it paged at creation
    ("never", "ack", "open", None),
    ("breach", "ack", "acknowledged", None),
    ("breach", "update", "open", None),
    ("breach", "resolve", "open", None),
    ("breach", "ack", "resolved", None),
])
def test_the_page_a_breach_implies(when: str, clock: str, status: str, expected: str | None) -> None:
    assert at_breach(when, clock=clock, status=status) == expected  # type: ignore[arg-type]


def test_priorities_page_as_the_defaults_say_unless_the_team_says_otherwise() -> None:
    assert DEFAULT_PAGE == {"P1": "creation", "P2": "breach", "P3": "never", "P4": "never"}
    config = PagingConfig(service="pagerduty", routing_key_env="PD_KEY", page={"P2": "never", "P3": "breach"})
    assert [config.when(p) for p in ("P1", "P2", "P3", "P4")] == ["creation", "never", "breach", "never"]


def test_a_path_pages_its_own_service_and_the_others_the_teams() -> None:
    config = PagingConfig.model_validate({"service": "pagerduty", "routing_key_file": "/run/secrets/pd",
                                          "paths": {"billing": {"routing_key_env": "PD_BILLING"}}})
    assert config.credential("billing") == {"env": "PD_BILLING"}
    assert config.credential("engineering") == {"file": "/run/secrets/pd"}
    assert PagingConfig(service="opsgenie").credential(None) is None  # OPSGENIE_API_KEY


def teams_with(paging: str) -> str:
    return TEAM_YAML.rstrip("\n") + f"\n    escalation_policy: {{paging: {paging}}}\n"


@pytest.mark.parametrize(("paging", "problem"), [
    ("{service: pagerduty, routing_key: abc}",
     "teams[0].escalation_policy.paging: routing_key: never write a secret in the YAML: name an environment "
     "variable (routing_key_env) or a secret file (routing_key_file) instead"),
    ("{service: pagerduty}",
     "teams[0].escalation_policy.paging: give routing_key_env or routing_key_file: where PagerDuty's key is"),
    ("{service: pagerduty, routing_key_env: A, routing_key_file: /b}",
     "teams[0].escalation_policy.paging: give one of routing_key_env or routing_key_file, not both"),
    ("{service: opsgenie, routing_key_env: A}",
     "teams[0].escalation_policy.paging: routing_key_env is not used by opsgenie (use api_key_env or api_key_file)"),
    ("{service: victorops, routing_key_env: A}",
     "teams[0].escalation_policy.paging.service: Input should be 'pagerduty' or 'opsgenie'"),
    ("{service: pagerduty, routing_key_env: A, page: {P1: sometimes}}",
     "teams[0].escalation_policy.paging.page.P1: Input should be 'creation', 'breach' or 'never'"),
    ("{service: pagerduty, routing_key_env: A, page: {P5: never}}",
     "teams[0].escalation_policy.paging.page.P5.[key]: Input should be 'P1', 'P2', 'P3' or 'P4'"),
    ("{service: pagerduty, routing_key_env: A, paths: {billing: {}}}",
     "teams[0].escalation_policy.paging: paths.billing: give routing_key_env or routing_key_file: where "
     "PagerDuty's key is"),
    ("{service: pagerduty, routing_key_env: A, paths: {legal: {routing_key_env: B}}}",
     "teams[0]: escalation_policy.paging.paths: 'legal' is not one of the team's escalation paths"),
    ("{service: pagerduty, routing_key_env: A, pages: {}}",
     "teams[0].escalation_policy.paging.pages: unknown key"),
])
def test_a_bad_paging_configuration_is_refused_naming_its_path(paging: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_teams(teams_with(paging))
    assert refused.value.problems == [problem]


def test_a_team_without_paging_and_one_with_it_are_valid() -> None:
    assert parse_teams(TEAM_YAML).teams[0].escalation_policy.paging is None
    parsed = parse_teams(teams_with("{service: opsgenie, page: {P2: creation}}")).teams[0]
    assert parsed.escalation_policy.paging is not None
    assert parsed.escalation_policy.paging.when("P2") == "creation"
    assert "paging" in parsed.settings()["escalation_policy"]
