"""Linked helpdesk tickets: parse what an agent typed into ticket references.

Zendesk, Salesforce Service Cloud, Intercom and Freshdesk links are recognised
and shown with the system's name; any other http(s) link and plain IDs such as
``12345``, ``#12345`` or ``ZD-12345`` are kept as they are.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_REFS = 20
MAX_TOKEN_CHARS = 200
MAX_ID_CHARS = 64

_SEPARATORS = re.compile(r"[\s,;]+")
# Slack's own link markup, in case the text came from a message: <https://x|label> or <https://x>.
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.IGNORECASE)
_LEADING_PUNCTUATION = "([{<\"'“‘«"
_TRAILING_PUNCTUATION = ")]}>\"'”’».:!?"
_PLAIN_ID = re.compile(r"[A-Za-z0-9_#-]+")
_HAS_ALNUM = re.compile(r"[A-Za-z0-9]")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HOST_WITH_PORT = re.compile(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d{1,5})?")
_UNSAFE_URL_CHARS = re.compile(r'[\x00-\x20\x7f<>"\\^`{|}]')


@dataclass(frozen=True)
class TicketRef:
    """One linked ticket.

    ``system`` is "Zendesk", "Salesforce", "Intercom", "Freshdesk", or None for a
    plain ID or another link; ``ref`` is the ticket/case/conversation ID (for a
    plain ID the text as typed, for another link the URL); ``url`` is the link.
    """

    system: str | None
    ref: str
    url: str | None

    @property
    def label(self) -> str:
        """How the ticket is shown: "Zendesk #12345", "Salesforce case 500…", "#1234", a host."""
        if self.system == "Salesforce":
            return f"Salesforce case {self.ref}"
        if self.system == "Intercom":
            return f"Intercom conversation {self.ref}"
        if self.system is not None:
            return f"{self.system} #{self.ref}"
        if self.url is not None:
            return urlsplit(self.url).hostname or self.url
        return self.ref if self.ref.startswith("#") or not self.ref.isdigit() else f"#{self.ref}"


def _quote(token: str) -> str:
    shown = token if len(token) <= 60 else token[:57] + "…"
    return f"“{shown}”"


class _BadToken(ValueError):
    """A token that is neither a ticket ID nor a usable link; the message is shown to the agent."""


# --------------------------------------------------------------------------- known systems

_SALESFORCE_ID = r"(500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)"
_ZENDESK_PATH = re.compile(
    r"/(?:agent/tickets|tickets|hc/(?:[a-z]{2}(?:-[a-z0-9]+)?/)?requests)/(\d+)(?:/|$)", re.IGNORECASE
)
_ZENDESK_FRAGMENT = re.compile(r"/?tickets/(\d+)(?:/|$)", re.IGNORECASE)  # old agent URLs: /agent/#/tickets/1
_SALESFORCE_PATH = re.compile(rf"/(?:lightning/r/(?:(?i:case)/)?)?{_SALESFORCE_ID}(?:/|$)")
_INTERCOM_PATH = re.compile(r"/a/(?:apps|inbox)/[^/]+/(?:.*/)?conversations?/(\d+)(?:/|$)", re.IGNORECASE)
_FRESHDESK_PATH = re.compile(r"/(?:a|helpdesk|support)/tickets/(\d+)(?:/|$)", re.IGNORECASE)
_INTERCOM_HOSTS = frozenset(
    {"app.intercom.com", "app.intercom.io", "app.eu.intercom.com", "app.au.intercom.com"}
)
_SALESFORCE_CLASSIC_HOST = re.compile(r"[a-z]{2,4}\d+\.salesforce\.com")


def _subdomain_of(host: str, domain: str) -> bool:
    return host.endswith("." + domain) and host != "www." + domain


def _zendesk(host: str, parts: SplitResult) -> str | None:
    match = _ZENDESK_PATH.match(parts.path) or _ZENDESK_FRAGMENT.match(parts.fragment)
    return match.group(1) if match else None


def _salesforce(host: str, parts: SplitResult) -> str | None:
    match = _SALESFORCE_PATH.match(parts.path)
    return match.group(1) if match else None


def _intercom(host: str, parts: SplitResult) -> str | None:
    match = _INTERCOM_PATH.match(parts.path)
    return match.group(1) if match else None


def _freshdesk(host: str, parts: SplitResult) -> str | None:
    match = _FRESHDESK_PATH.match(parts.path)
    return match.group(1) if match else None


@dataclass(frozen=True)
class _System:
    name: str
    owns: Callable[[str], bool]
    find_id: Callable[[str, SplitResult], str | None]
    missing: str  # what the link lacks, for the error message


_SYSTEMS: tuple[_System, ...] = (
    _System("Zendesk", lambda host: _subdomain_of(host, "zendesk.com"), _zendesk, "ticket number"),
    _System(
        "Salesforce",
        lambda host: (
            host.endswith((".lightning.force.com", ".my.salesforce.com"))
            or bool(_SALESFORCE_CLASSIC_HOST.fullmatch(host))
        ),
        _salesforce,
        "case ID (case IDs start with 500)",
    ),
    _System("Intercom", lambda host: host in _INTERCOM_HOSTS, _intercom, "conversation ID"),
    _System("Freshdesk", lambda host: _subdomain_of(host, "freshdesk.com"), _freshdesk, "ticket number"),
)


# --------------------------------------------------------------------------- tokens


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )


def _parse_url(token: str) -> TicketRef:
    not_a_link = f"{_quote(token)} is not a ticket ID or a valid URL."
    if "://" in token:
        url = token
    elif token.lower().startswith(("http:", "https:")):
        raise _BadToken(not_a_link)
    elif _HOST_WITH_PORT.fullmatch(token.split("/", 1)[0]):
        url = "https://" + token  # "acme.zendesk.com/agent/tickets/1" typed without a scheme
    else:
        raise _BadToken(not_a_link)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when malformed
    except ValueError:
        raise _BadToken(not_a_link) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _BadToken(f"{_quote(token)} is not a valid link: only http and https links are accepted.")
    host = (parts.hostname or "").lower()
    if not host:
        raise _BadToken(f"{_quote(token)} is not a valid URL: it has no host.")
    if not _valid_host(host) or _UNSAFE_URL_CHARS.search(url) or port == 0:
        raise _BadToken(not_a_link)
    for system in _SYSTEMS:
        if system.owns(host):
            ticket_id = system.find_id(host, parts)
            if ticket_id is None:
                article = "an" if system.name[0] in "AEIOU" else "a"
                raise _BadToken(
                    f"{_quote(token)} looks like {article} {system.name} link but has no {system.missing}."
                )
            return TicketRef(system.name, ticket_id, url)
    return TicketRef(None, url, url)


def _looks_like_url(token: str) -> bool:
    return (
        "/" in token
        or token.lower().startswith("www.")
        or bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", token) and not _PLAIN_ID.fullmatch(token))
    )


def _parse_token(token: str) -> TicketRef:
    if len(token) > MAX_TOKEN_CHARS:
        raise _BadToken(
            f"{_quote(token)} is too long ({len(token)} characters; the limit is {MAX_TOKEN_CHARS})."
        )
    if _looks_like_url(token):
        return _parse_url(token)
    if _PLAIN_ID.fullmatch(token) and _HAS_ALNUM.search(token):
        if len(token) > MAX_ID_CHARS:
            raise _BadToken(
                f"{_quote(token)} is too long for a ticket ID (at most {MAX_ID_CHARS} characters)."
            )
        return TicketRef(None, token, None)
    raise _BadToken(
        f"{_quote(token)} is not a ticket ID or a valid URL "
        "(IDs may contain only letters, digits, “-”, “_” and “#”)."
    )


def _identity(ref: TicketRef) -> tuple[str, ...]:
    """What makes two references the same ticket, whichever way they were written."""
    if ref.system == "Salesforce":
        return ("Salesforce", ref.ref[:15])  # an 18-character ID is the 15-character one plus a checksum
    if ref.system == "Intercom":
        return ("Intercom", ref.ref)
    if ref.system is not None and ref.url is not None:
        return (ref.system, (urlsplit(ref.url).hostname or "").lower(), ref.ref)
    if ref.url is not None:
        parts = urlsplit(ref.url)
        normalised = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower())
        return ("link", normalised.geturl().rstrip("/"))
    return ("id", ref.ref.lstrip("#"))


def _tokens(text: str) -> list[str]:
    text = _SLACK_LINK.sub(r" \1 ", text)
    tokens = []
    for raw in _SEPARATORS.split(text):
        token = raw.lstrip(_LEADING_PUNCTUATION).rstrip(_TRAILING_PUNCTUATION)
        if token:
            tokens.append(token)
    return tokens


def parse_ticket_refs(text: str | None) -> tuple[list[TicketRef], list[str]]:
    """Parse linked tickets typed by an agent.

    Tokens are separated by whitespace, commas, semicolons or newlines; wrapping
    brackets, quotes and a trailing full stop are ignored. Returns the references
    (duplicates dropped, first one kept, at most ``MAX_REFS``) and one error sentence
    per token that is neither a ticket ID nor a usable link.
    """
    refs: list[TicketRef] = []
    errors: list[str] = []
    seen: set[tuple[str, ...]] = set()
    extra = 0
    for token in _tokens(text or ""):
        try:
            ref = _parse_token(token)
        except _BadToken as bad:
            if str(bad) not in errors:
                errors.append(str(bad))
            continue
        key = _identity(ref)
        if key in seen:
            continue
        seen.add(key)
        if len(refs) < MAX_REFS:
            refs.append(ref)
        else:
            extra += 1
    if extra:
        errors.append(f"Too many linked tickets: at most {MAX_REFS} (got {MAX_REFS + extra}).")
    return refs, errors


# --------------------------------------------------------------------------- links to a helpdesk's tickets

_TICKET_URLS = {
    "zendesk": "{url}/agent/tickets/{id}",
    "salesforce": "{url}/lightning/r/Case/{id}/view",
    "intercom": "https://app.intercom.com/a/inbox/_/inbox/conversation/{id}",
    "freshdesk": "{url}/a/tickets/{id}",
}
_NUMERIC_ID = re.compile(r"\d{1,20}")


def ticket_url(kind: str, base_url: str, ticket_id: str) -> str | None:
    """The agent's link to a ticket of a helpdesk (`kind`, at `base_url`), or None when the id is not one
    of that helpdesk's (a CSV's `ZD-1` or a webhook's free text) or the URL could not be a Slack link."""
    shape = re.compile(_SALESFORCE_ID) if kind == "salesforce" else _NUMERIC_ID
    template = _TICKET_URLS.get(kind)
    if template is None or not shape.fullmatch(ticket_id) or _UNSAFE_URL_CHARS.search(base_url):
        return None
    return template.format(url=base_url.rstrip("/"), id=ticket_id)


def slack_message_url(channel: str, ts: str) -> str | None:
    """The link to a Slack message from its channel and ts (`https://slack.com/archives/C…/p…`)."""
    if not re.fullmatch(r"[A-Z0-9]{1,32}", channel) or not re.fullmatch(r"\d{1,12}\.\d{1,8}", ts):
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
