"""Times as helpdesk exports write them, turned into ISO-8601 text that `ticket_rows.instant` reads.

Besides ISO-8601, exports write a time in the exporting user's locale: a Salesforce report in English
(United States) says `3/5/2024 2:22 PM`, other locales `05/03/2024 14:22` or `05.03.2024 14:22`; others
write month names (`Mar 5, 2024 2:22 PM`, `5 Mar 2024 14:22`, `Tue, 05 Mar 2024 14:22:00 +0000`) or an
ISO time with its zone after a space (`2024-03-05 14:22:00 UTC`, `2024-03-05 14:22:00 -0700`).

A numeric date whose first two numbers are both 12 or less (03/05/2024) is ambiguous: March or May. It is
never guessed. One reading (`DAY_FIRST` or `MONTH_FIRST`) holds for a whole file: the one the operator
gives, else the one the file's own dates show (`decide`: its first date with a number over 12 in the day
or month place); a file with an ambiguous date and none that tells is refused (`AmbiguousDates`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
ORDERS = (DAY_FIRST, MONTH_FIRST)
AMBIGUOUS = "ambiguous"
OPTION = "--date-format"

_TIME = r"(?:[ T,]+(?:at\s+)?(?P<time>.+?))?\s*$"
NUMERIC = re.compile(r"^\s*(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})" + _TIME)
YEAR_FIRST = re.compile(r"^\s*(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})" + _TIME)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
MONTH_NAMED = re.compile(r"^\s*" + _WEEKDAY + r"(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                         r"(?P<year>\d{4})" + _TIME, re.IGNORECASE)
DAY_NAMED = re.compile(r"^\s*" + _WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[\s-]+(?P<month>[a-z]{3,9})\.?[\s-]+"
                       r"(?P<year>\d{4})" + _TIME, re.IGNORECASE)
CLOCK = re.compile(r"^(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?"
                   r"\s*(?P<half>[ap]\.?\s?m\.?)?\s*(?P<zone>z|utc|gmt|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)
ISO_ZONE = re.compile(r"^(?P<time>\d{4}-\d{2}-\d{2}[T ][\d:.,]+)\s+(?P<zone>utc|gmt|z|[+-]\d{2}:?\d{2})$",
                      re.IGNORECASE)
MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}


class DateProblem(ValueError):
    """A vendor's date that cannot be read (the message says why, naming the date)."""


class AmbiguousDates(ValueError):
    """A file with a date that could be day-first or month-first, and no date that tells which."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(f"line {line}: the date {text.strip()!r} could be day-first or month-first and no date in "
                         f"the file tells which: give {OPTION} day-first or {OPTION} month-first")
        self.line, self.text = line, text


@dataclass(frozen=True)
class DateReading:
    """How a file's numeric dates are read, and why (for messages): `as --date-format says`, or the date
    that showed it."""

    order: str
    why: str


def given(order: str) -> DateReading:
    """The reading `--date-format` names."""
    return DateReading(order, f"as {OPTION} says")


def classify(text: str) -> str | None:
    """What a time's date says of the file's reading: `DAY_FIRST` (13/03/2024), `MONTH_FIRST` (03/13/2024),
    `AMBIGUOUS` (03/05/2024), or None (no numeric day/month date, or the same number twice)."""
    found = NUMERIC.match(text)
    if found is None:
        return None
    a, b = int(found["a"]), int(found["b"])
    if a == b:
        return None
    if a > 12 >= b:
        return DAY_FIRST
    if b > 12 >= a:
        return MONTH_FIRST
    return AMBIGUOUS if a <= 12 and b <= 12 else None


def decide(dates: Iterable[tuple[int, str]]) -> DateReading | None:
    """The reading of a file's (line, time) pairs: the first date that tells; None when no date needs one;
    AmbiguousDates (naming the first ambiguous one) when some do and none tells."""
    ambiguous: tuple[int, str] | None = None
    for line, text in dates:
        kind = classify(text)
        if kind in ORDERS:
            return DateReading(kind, f"as {text.strip()!r} on line {line} shows")
        if kind == AMBIGUOUS and ambiguous is None:
            ambiguous = (line, text)
    if ambiguous is not None:
        raise AmbiguousDates(*ambiguous)
    return None


def iso(text: str, reading: DateReading | None = None) -> str:
    """`text` as ISO-8601 (with its offset if it has one) when it is a vendor's form; otherwise as it is (an
    ISO time, Unix seconds, or text no form reads, which parsing then refuses). DateProblem for a numeric
    date the reading cannot take (or an ambiguous one without a reading)."""
    if text[:4].isdigit() and text[4:5] == "-":  # ISO already, nearly always: only a spaced zone to join
        if text[-1:].isdigit() and text[-6:-5] != " " and text[-7:-6] != " ":
            return text
        spaced = ISO_ZONE.match(text.strip())
        return text if spaced is None else spaced["time"].replace(" ", "T") + _offset(spaced["zone"])
    if found := NUMERIC.match(text):
        day, month = _day_month(text, int(found["a"]), int(found["b"]), reading)
    elif found := YEAR_FIRST.match(text):
        day, month = int(found["day"]), int(found["month"])
    elif (found := MONTH_NAMED.match(text)) or (found := DAY_NAMED.match(text)):
        month = MONTHS.get(found["month"].casefold(), 0)
        if not month:
            return text
        day = int(found["day"])
    else:
        return text
    try:
        date = datetime(int(found["year"]), month, day)
    except ValueError:
        raise DateProblem(f"bad date {text.strip()!r} (no such day{_read(reading)})") from None
    return date.date().isoformat() + _clock(found["time"], text)


def _day_month(text: str, a: int, b: int, reading: DateReading | None) -> tuple[int, int]:
    if reading is None:
        kind = classify(text)
        if kind == AMBIGUOUS:
            raise DateProblem(f"the date {text.strip()!r} could be day-first or month-first: give {OPTION}")
        return (a, b) if kind == DAY_FIRST else (b, a)
    return (a, b) if reading.order == DAY_FIRST else (b, a)


def _read(reading: DateReading | None) -> str:
    if reading is None:
        return ""
    shape = "DD/MM/YYYY" if reading.order == DAY_FIRST else "MM/DD/YYYY"
    return f"; this file's dates are read {reading.order}, {shape}, {reading.why}"


def _clock(time: str | None, text: str) -> str:
    """`THH:MM:SS[.ffffff][offset]` for a time of day (12-hour with AM/PM, or 24-hour); empty: midnight."""
    if time is None:
        return "T00:00:00"
    found = CLOCK.match(time.strip())
    if found is None:
        raise DateProblem(f"bad date {text.strip()!r} (the time of day is not H:MM, H:MM:SS or H:MM AM/PM)")
    hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"] or 0)
    half = (found["half"] or "").casefold().replace(".", "").replace(" ", "")
    if half:
        if not 1 <= hour <= 12:
            raise DateProblem(f"bad date {text.strip()!r} (hour {hour} with {found['half']})")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateProblem(f"bad date {text.strip()!r} (no such time of day)")
    fraction = f".{found['fraction'].ljust(6, '0')}" if found["fraction"] else ""
    zone = _offset(found["zone"]) if found["zone"] else ""
    return f"T{hour:02}:{minute:02}:{second:02}{fraction}{zone}"


def _offset(zone: str) -> str:
    if zone.casefold() in ("z", "utc", "gmt"):
        return "+00:00"
    digits = zone[1:].replace(":", "")
    return f"{zone[0]}{digits[:2]}:{digits[2:]}"
