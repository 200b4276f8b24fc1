"""Linked ticket IDs and URLs, as tables."""

from __future__ import annotations

import pytest

from bot.rules.linked_tickets import MAX_REFS, TicketRef, parse_ticket_refs

SF_15 = "5003000000D8cuI"
SF_18 = "5003000000D8cuIAAR"


@pytest.mark.parametrize(
    "text, system, ref, url, label",
    [
        # Zendesk
        (
            "https://acme.zendesk.com/agent/tickets/12345",
            "Zendesk",
            "12345",
            "https://acme.zendesk.com/agent/tickets/12345",
            "Zendesk #12345",
        ),
        (
            "https://acme.zendesk.com/tickets/12345",
            "Zendesk",
            "12345",
            "https://acme.zendesk.com/tickets/12345",
            "Zendesk #12345",
        ),
        (
            "https://help.acme.zendesk.com/hc/requests/987",
            "Zendesk",
            "987",
            "https://help.acme.zendesk.com/hc/requests/987",
            "Zendesk #987",
        ),
        (
            "https://acme.zendesk.com/hc/en-us/requests/987",
            "Zendesk",
            "987",
            "https://acme.zendesk.com/hc/en-us/requests/987",
            "Zendesk #987",
        ),
        (
            "https://acme.zendesk.com/agent/#/tickets/55",
            "Zendesk",
            "55",
            "https://acme.zendesk.com/agent/#/tickets/55",
            "Zendesk #55",
        ),
        (
            "acme.zendesk.com/agent/tickets/9",
            "Zendesk",
            "9",
            "https://acme.zendesk.com/agent/tickets/9",
            "Zendesk #9",
        ),
        # Salesforce Service Cloud
        (
            f"https://acme.lightning.force.com/lightning/r/Case/{SF_18}/view",
            "Salesforce",
            SF_18,
            f"https://acme.lightning.force.com/lightning/r/Case/{SF_18}/view",
            f"Salesforce case {SF_18}",
        ),
        (
            f"https://acme.my.salesforce.com/{SF_15}",
            "Salesforce",
            SF_15,
            f"https://acme.my.salesforce.com/{SF_15}",
            f"Salesforce case {SF_15}",
        ),
        (
            f"https://na42.salesforce.com/{SF_15}",
            "Salesforce",
            SF_15,
            f"https://na42.salesforce.com/{SF_15}",
            f"Salesforce case {SF_15}",
        ),
        # Intercom
        (
            "https://app.intercom.com/a/apps/abc123/inbox/inbox/all/conversations/215468",
            "Intercom",
            "215468",
            "https://app.intercom.com/a/apps/abc123/inbox/inbox/all/conversations/215468",
            "Intercom conversation 215468",
        ),
        (
            "https://app.intercom.com/a/apps/abc123/inbox/shared/all/conversation/123?view=List",
            "Intercom",
            "123",
            "https://app.intercom.com/a/apps/abc123/inbox/shared/all/conversation/123?view=List",
            "Intercom conversation 123",
        ),
        (
            "https://app.intercom.com/a/inbox/abc123/inbox/conversation/456",
            "Intercom",
            "456",
            "https://app.intercom.com/a/inbox/abc123/inbox/conversation/456",
            "Intercom conversation 456",
        ),
        # Freshdesk
        (
            "https://acme.freshdesk.com/a/tickets/77",
            "Freshdesk",
            "77",
            "https://acme.freshdesk.com/a/tickets/77",
            "Freshdesk #77",
        ),
        (
            "https://acme.freshdesk.com/helpdesk/tickets/78",
            "Freshdesk",
            "78",
            "https://acme.freshdesk.com/helpdesk/tickets/78",
            "Freshdesk #78",
        ),
        # any other link
        (
            "https://jira.acme.io/browse/SUP-12",
            None,
            "https://jira.acme.io/browse/SUP-12",
            "https://jira.acme.io/browse/SUP-12",
            "jira.acme.io",
        ),
        (
            "http://10.0.0.5:8080/t/1",
            None,
            "http://10.0.0.5:8080/t/1",
            "http://10.0.0.5:8080/t/1",
            "10.0.0.5",
        ),
        (
            "https://www.zendesk.com/blog/escalations",
            None,
            "https://www.zendesk.com/blog/escalations",
            "https://www.zendesk.com/blog/escalations",
            "www.zendesk.com",
        ),
        # plain IDs
        ("12345", None, "12345", None, "#12345"),
        ("#12345", None, "#12345", None, "#12345"),
        ("ZD-12345", None, "ZD-12345", None, "ZD-12345"),
        ("CASE-0001", None, "CASE-0001", None, "CASE-0001"),
        ("ticket_7", None, "ticket_7", None, "ticket_7"),
        ("x" * 64, None, "x" * 64, None, "x" * 64),
        # wrapping punctuation and Slack link markup are not part of the token
        ("(#12345).", None, "#12345", None, "#12345"),
        (
            "<https://acme.freshdesk.com/a/tickets/77|Freshdesk ticket 77>",
            "Freshdesk",
            "77",
            "https://acme.freshdesk.com/a/tickets/77",
            "Freshdesk #77",
        ),
    ],
)
def test_one_ref(text: str, system: str | None, ref: str, url: str | None, label: str) -> None:
    refs, errors = parse_ticket_refs(text)
    assert errors == []
    assert refs == [TicketRef(system, ref, url)]
    assert refs[0].label == label


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, []),
        ("", []),
        ("  \n , ; ", []),
        ("1, 2; 3\n4 5\t6", ["1", "2", "3", "4", "5", "6"]),
        ("3 1 2", ["3", "1", "2"]),  # order kept
        ("12345 #12345 12345", ["12345"]),  # the same ID written twice
        ("A-1 a-1", ["A-1", "a-1"]),  # IDs are case-sensitive
        (
            "https://acme.zendesk.com/agent/tickets/5 https://acme.zendesk.com/tickets/5",
            ["5"],
        ),
        (
            "https://acme.zendesk.com/agent/tickets/5 https://other.zendesk.com/agent/tickets/5",
            ["5", "5"],  # two Zendesk accounts, two tickets
        ),
        (
            f"https://acme.my.salesforce.com/{SF_15} https://acme.lightning.force.com/lightning/r/Case/{SF_18}/view",
            [SF_15],  # the 18-character ID is the 15-character one plus a checksum
        ),
        ("https://x.io/a https://X.IO/a/", ["https://x.io/a"]),
    ],
)
def test_splitting_and_duplicates(text: str | None, expected: list[str]) -> None:
    refs, errors = parse_ticket_refs(text)
    assert errors == []
    assert [ref.ref for ref in refs] == expected


def test_a_mix_of_systems() -> None:
    text = (
        "https://acme.zendesk.com/agent/tickets/1, "
        f"https://acme.my.salesforce.com/{SF_15}; "
        "https://app.intercom.com/a/inbox/abc/inbox/conversation/3\n"
        "https://acme.freshdesk.com/a/tickets/4 #5 https://status.acme.io/incidents/6"
    )
    refs, errors = parse_ticket_refs(text)
    assert errors == []
    assert [ref.label for ref in refs] == [
        "Zendesk #1",
        f"Salesforce case {SF_15}",
        "Intercom conversation 3",
        "Freshdesk #4",
        "#5",
        "status.acme.io",
    ]


@pytest.mark.parametrize(
    "token, message",
    [
        ("htp:/foo", "“htp:/foo” is not a ticket ID or a valid URL."),
        ("https:/acme.zendesk.com/tickets/1", "is not a ticket ID or a valid URL"),
        ("https//acme.zendesk.com/tickets/1", "is not a ticket ID or a valid URL"),
        ("ftp://files.acme.com/1", "“ftp://files.acme.com/1” is not a valid link: only http and https"),
        ("javascript:alert(1)", "is not a ticket ID or a valid URL"),
        ("https:///tickets/1", "“https:///tickets/1” is not a valid URL: it has no host."),
        ("https://", "has no host"),
        ("https://localhost/1", "“https://localhost/1” is not a ticket ID or a valid URL."),
        ("https://bad_host.com/1", "is not a ticket ID or a valid URL"),
        ("https://acme.com:99999/1", "is not a ticket ID or a valid URL"),
        ("https://acme.com/a{b}", "is not a ticket ID or a valid URL"),
        ("ticket!1", "“ticket!1” is not a ticket ID or a valid URL (IDs may contain only letters"),
        ("ZD.123", "“ZD.123” is not a ticket ID"),
        ("ÄÖ-1", "is not a ticket ID"),
        ("#", "“#” is not a ticket ID"),
        ("x" * 65, "is too long for a ticket ID (at most 64 characters)."),
        ("https://acme.io/" + "a" * 190, "is too long (206 characters; the limit is 200)."),
        (
            "https://acme.zendesk.com/hc/en-us/articles/360001",
            "“https://acme.zendesk.com/hc/en-us/articles/360001” looks like a Zendesk link"
            " but has no ticket number.",
        ),
        ("https://acme.zendesk.com/agent/tickets/abc", "looks like a Zendesk link but has no ticket number."),
        (
            "https://acme.lightning.force.com/lightning/o/Case/list",
            "looks like a Salesforce link but has no case ID",
        ),
        ("https://acme.my.salesforce.com/001300000012345", "looks like a Salesforce link but has no case ID"),
        ("https://acme.my.salesforce.com/500300000012", "looks like a Salesforce link but has no case ID"),
        (
            "https://app.intercom.com/a/apps/abc/inbox",
            "looks like an Intercom link but has no conversation ID.",
        ),
        ("https://acme.freshdesk.com/a/contacts/9", "looks like a Freshdesk link but has no ticket number."),
    ],
)
def test_bad_tokens_get_one_clear_sentence(token: str, message: str) -> None:
    refs, errors = parse_ticket_refs(f"12345 {token}")
    assert [ref.ref for ref in refs] == ["12345"]  # the good token is still kept
    assert len(errors) == 1
    assert message in errors[0]
    assert errors[0].endswith(".")


def test_long_tokens_are_shortened_in_the_message() -> None:
    _, errors = parse_ticket_refs("y" * 300)
    assert len(errors) == 1
    assert len(errors[0]) < 120
    assert "300 characters" in errors[0]


def test_the_same_bad_token_is_reported_once() -> None:
    refs, errors = parse_ticket_refs("b@d b@d 1")
    assert [ref.ref for ref in refs] == ["1"]
    assert errors == [
        "“b@d” is not a ticket ID or a valid URL (IDs may contain only letters, digits, “-”, “_” and “#”)."
    ]


@pytest.mark.parametrize(
    "count, kept, has_error",
    [(MAX_REFS - 1, MAX_REFS - 1, False), (MAX_REFS, MAX_REFS, False), (MAX_REFS + 5, MAX_REFS, True)],
)
def test_at_most_twenty_refs(count: int, kept: int, has_error: bool) -> None:
    refs, errors = parse_ticket_refs(" ".join(str(n) for n in range(1, count + 1)))
    assert [ref.ref for ref in refs] == [str(n) for n in range(1, kept + 1)]
    assert errors == ([f"Too many linked tickets: at most {MAX_REFS} (got {count})."] if has_error else [])


def test_duplicates_do_not_count_towards_the_limit() -> None:
    refs, errors = parse_ticket_refs(" ".join(["7"] * 30 + [str(n) for n in range(100, 119)]))
    assert len(refs) == MAX_REFS
    assert errors == []


@pytest.mark.parametrize(
    "ref, label",
    [
        (TicketRef("Zendesk", "12345", "https://acme.zendesk.com/agent/tickets/12345"), "Zendesk #12345"),
        (TicketRef("Salesforce", SF_15, None), f"Salesforce case {SF_15}"),
        (TicketRef("Intercom", "123", None), "Intercom conversation 123"),
        (TicketRef("Freshdesk", "77", None), "Freshdesk #77"),
        (TicketRef(None, "1234", None), "#1234"),
        (TicketRef(None, "#1234", None), "#1234"),
        (TicketRef(None, "CASE-0001", None), "CASE-0001"),
        (TicketRef(None, "https://wiki.acme.io/x", "https://wiki.acme.io/x"), "wiki.acme.io"),
    ],
)
def test_labels(ref: TicketRef, label: str) -> None:
    assert ref.label == label
