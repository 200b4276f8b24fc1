"""Hypothesis strategies for hostile input: text written to ping, link or break things, values of the wrong
type, ids that are not ids, slash commands with their sub-commands mixed with junk, CSV rows and webhook
bodies. `LIVE` finds, in text Slack would render as mrkdwn, a mention or link that only the input held."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

MARKERS = (
    "<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<@U0EVIL|boss>", "<#C0EVIL>", "<#C0EVIL|general>",
    "<https://evil.example|click>", "<https://evil.example>", "<http://evil.example/x?a=1&b=2|x>",
    "<!subteam^S0EVIL>", "<!subteam^S0EVIL|@oncall>", "<mailto:evil@example.com|mail>", "<!date^1|x>",
    "&lt;!channel&gt;", "&lt;@U0EVIL&gt;", "&amp;", "&", "<", ">", "|", "<<!here>>", "<!chan", "nel>",
    "*bold*", "_it_", "~gone~", "`code`", "```block```", "> quote", ":skull:", "@channel", "@here",
    "\x01", "\x07", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u202e", "\u200b", "\u200f", "\u2066", "\ufeff",
    "\ufffd", "\U0001d573", "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "e\u0301",
    "\r\n", "\n", "\t", " ", "", "null", "None", "0", "-1", "1e309", "NaN", "ESC-1", "ESC-999999999", "#1",
    "'; DROP TABLE escalations; --", "%s%s%n", "{0}", "{{7*7}}", "${jndi:x}", "../../etc/passwd",
)
LIVE = re.compile(r"<(?:!channel|!here|!everyone|!subteam|@U0EVIL|#C0EVIL|https?://evil|mailto:)", re.IGNORECASE)
"""A live mention or link only hostile input holds: the app never writes these itself."""

_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])  # any code point a UTF-8 payload can carry
_WORD = st.one_of(st.sampled_from(MARKERS), st.text(_CHARS, max_size=12))

short_text = st.lists(_WORD, max_size=6).map(" ".join)
"""A few hostile words: mentions, links, markup, control and invisible characters, astral code points."""
huge_text = st.builds(lambda unit, times: (unit * times), st.sampled_from(("x", "é", "<!channel>", "\U0001f600",
                                                                              "&", "a b ")),
                      st.sampled_from((151, 256, 2001, 3001, 4001, 10_001, 12_000)))
"""Past a Slack or database limit: a header's 150, a field's 2,000, a section's 3,000, an input's 3,000…"""
hostile_text = st.one_of(short_text, short_text, short_text, huge_text,
                         st.lists(st.sampled_from(MARKERS), min_size=1, max_size=20).map("".join),
                         short_text.map(lambda text: text + "\x00"))

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**31, max_value=2**70),
                        st.floats(allow_nan=False), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(short_text, inner, max_size=3)),
                          max_leaves=8)
"""Any JSON value, small; for a field that expected something else."""

not_an_id = st.one_of(
    st.sampled_from(("0", "999999999", "2147483648", "9" * 40, "-1", "1.0", "1e3", "0x1", " 1", "１", "²", "",
                     "ESC-1", "#1", "tier1|", "tier1|never", "tier1|2026-02-30", "tier1|2026-11-02|<!channel>",
                     "tier9|2026-11-02", "|||", "new\x00", "U0EVIL", "<!here>", "[" * 1400 + "]" * 1400,
                     '{"team": ' * 900 + "1" + "}" * 900, '{"team": "tier1"}', '{"team": ["tier1"]}')),
    st.one_of(st.integers(min_value=-(2**70), max_value=-1), st.integers(min_value=10**6, max_value=2**70)).map(str),
    hostile_text,
)
"""A button value no button of the app carries."""
wrong_type = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(st.text(max_size=3), max_size=2),
                       st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2))

SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "/supportbot": ("", "help", "setup", "setup new", "setup tier1", "setup tier9", "config", "helpp"),
    "/escalate": ("", "help", "list", "mine", "ESC-1", "ESC-2", "ESC-999999999", "esc-0", "stats", "stats 7d",
                  "stats 30d", "stats 1y"),
    "/standup": ("", "help", "skip", "away 2026-12-24 2027-01-02", "away", "away 2027-01-02 2026-12-24",
                 "away 2026-02-30", "back", "report", "report 2026-11-02", "report 9999-99-99", "setup"),
    "/pulse": ("", "help", "results", "results 1", "results 999999999", "results -1", "setup"),
    "/kpi": ("", "help", "today", "week", "log nps 42", "log nps", "log csat 101 2026-11-01", "log fcr -5",
             "log nps 1e309", "log nps nan", "targets", "baseline nps", "baseline"),
    "/prioritize": ("", "help", "list", "share", "score 1", "score 999999999", "score x", "done 1",
                    "done 1 Shipped", "drop 1 why", "drop 999999999 no", "done #1"),
}
slash_command = st.sampled_from(sorted(SUBCOMMANDS)).flatmap(
    lambda name: st.tuples(st.just(name), st.one_of(
        st.builds(lambda sub, junk: f"{sub} {junk}".strip(), st.sampled_from(SUBCOMMANDS[name]), hostile_text),
        st.builds(lambda junk, sub: f"{junk} {sub}", hostile_text, st.sampled_from(SUBCOMMANDS[name])),
        st.sampled_from(SUBCOMMANDS[name]), hostile_text)))
"""(command, text): every command of manifest.yml, its sub-commands before or after hostile text."""

# ---------------------------------------------------------------- tickets: CSV rows and webhook bodies
GENERIC = ("id", "team", "created_at", "first_response_at", "solved_at", "status", "channel", "csat", "reopens",
           "agent_replies", "sla_breached")
GOOD_TICKET: dict[str, Any] = {
    "id": "T1", "team": "tier1", "created_at": "2026-11-02T09:00:00-05:00",
    "first_response_at": "2026-11-02T09:20:00-05:00", "solved_at": "2026-11-02T12:00:00-05:00",
    "status": "solved", "channel": "email", "csat": "5", "reopens": "0", "agent_replies": "1",
    "sla_breached": "false"}
_field_junk = st.one_of(hostile_text, st.sampled_from((
    "", " ", "tier9", "TIER1", "2026-13-01", "2026-11-02T25:00", "9999-12-31T23:59:59+14:00", "0001-01-01",
    "1970-01-01T00:00:00Z", "2026-11-02T09:00:00-05:00", "now", "-1", "99999999999999999999", "2147483648",
    "1" * 5000, "3.5", "6", "good", "bad", "yes", "maybe", "closed", "on_hold", "ＴＲＵＥ", "\x00", "a\x00b",
    "a\ud800b")))


@st.composite
def ticket_rows(draw: st.DrawFn, good_share: float = 0.3) -> list[dict[str, Any]]:
    """Generic-format tickets, each a good ticket with some fields replaced by junk (ids stay distinct)."""
    rows = []
    for index in range(draw(st.integers(1, 6))):
        row = {**GOOD_TICKET, "id": f"H{index}"}
        if draw(st.floats(0, 1)) > good_share:
            for name in draw(st.lists(st.sampled_from(GENERIC), min_size=1, max_size=4, unique=True)):
                row[name] = draw(_field_junk)
            if row["id"] in {f"H{i}" for i in range(index)}:
                row["id"] = f"H{index}"
        rows.append(row)
    return rows


def _truncated(text: str, cut: float) -> str:
    return text[: int(len(text) * cut)]


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    """A POST /webhooks/tickets body: good tickets with junk fields or wrong types, random JSON, JSON cut
    short, nesting past any parser's depth, bytes that are not UTF-8."""
    kind = draw(st.sampled_from(("tickets", "typed", "random", "truncated", "deep", "bytes")))
    tickets: list[dict[str, Any]] = [
        {k: (int(v) if k in ("reopens", "agent_replies") and v == GOOD_TICKET[k] else v) for k, v in row.items()}
        for row in draw(ticket_rows())]
    if kind == "typed":
        for ticket in tickets:
            for name in draw(st.lists(st.sampled_from((*GENERIC, "extra")), min_size=1, max_size=3)):
                ticket[name] = draw(json_value)
    body: Any = tickets if len(tickets) > 1 or draw(st.booleans()) else tickets[0]
    if kind == "random":
        return json.dumps(draw(json_value)).encode()
    if kind == "truncated":
        return _truncated(json.dumps(body), draw(st.floats(0, 0.99))).encode()
    if kind == "deep":
        depth = draw(st.sampled_from((65, 1000, 100_000)))
        return ("[" * depth + "]" * depth if draw(st.booleans()) else '{"a":' * depth + "1" + "}" * depth).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
