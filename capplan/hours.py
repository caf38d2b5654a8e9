"""Hours on the command line: local times in a chosen zone in, naive UTC to the API, local times out."""
from __future__ import annotations

import difflib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

API_FORMAT = "%Y-%m-%dT%H:%M:%S"     # what the API reads and writes: naive UTC, whole hours
DISPLAY_FORMAT = "%a %Y-%m-%d %H:%M %Z"
UTC = ZoneInfo("UTC")


class HourError(ValueError):
    """A zone or an hour the CLI cannot use; the message says which and why."""


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone by name; an unknown one is refused with the closest known names."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):     # OSError: a name too long for a file name
        by_lower = {zone.lower(): zone for zone in sorted(available_timezones())}
        close = [by_lower[z] for z in difflib.get_close_matches(name.strip().lower(), by_lower, n=3, cutoff=0.6)]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (an IANA name such as Europe/Paris)"
        raise HourError(f"unknown time zone {name!r}{hint}") from None


def parse_hour(text: str, zone: ZoneInfo) -> datetime:
    """``YYYY-MM-DDTHH`` (or any ISO-8601 date-time) to a naive UTC hour; times without an offset are in ``zone``.

    A local hour that the zone skips or repeats (daylight saving) is refused: guessing it would move the
    whole series by an hour.
    """
    raw = text.strip()
    try:
        when = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise HourError(f"{text!r} is not a date and hour such as 2024-06-02T23") from None
    if when.tzinfo is None:
        when = _local(when, zone, text)
    utc = when.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.replace(minute=0, second=0, microsecond=0)


def _local(when: datetime, zone: ZoneInfo, text: str) -> datetime:
    first, second = when.replace(tzinfo=zone, fold=0), when.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # Round-tripping through UTC tells a repeated hour (it comes back) from a skipped one (it does not).
    if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != when:
        raise HourError(f"{text!r} does not exist in {zone.key}: daylight saving skips that hour")
    raise HourError(f"{text!r} happens twice in {zone.key} (daylight saving); give its UTC offset: "
                    f"{when:%Y-%m-%dT%H}{_offset(first)} or {when:%Y-%m-%dT%H}{_offset(second)}")


def _offset(when: datetime) -> str:
    minutes = int(when.utcoffset() / timedelta(minutes=1))
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def api_text(when: datetime) -> str:
    """A naive UTC hour as the API writes it."""
    return when.strftime(API_FORMAT)


def shown(api_timestamp: str | None, zone: ZoneInfo, fmt: str = DISPLAY_FORMAT) -> str:
    """An API timestamp (naive UTC) as people in ``zone`` read it: ``Wed 2024-06-05 15:00 CEST``."""
    if not api_timestamp:
        return "?"
    try:
        when = datetime.fromisoformat(api_timestamp.replace("Z", "+00:00"))
    except ValueError:
        return api_timestamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(zone).strftime(fmt)
