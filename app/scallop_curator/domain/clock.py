"""Turn timestamps as a prompt shows them: in the user's timezone, at the grain they allow."""

from __future__ import annotations

import time
from datetime import datetime, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: How finely a prompt shows a turn's time; coarser grains let more turns share one prefix.
TimeGrain = Literal["minute", "hour", "day"]
TIME_GRAINS: tuple[str, ...] = ("minute", "hour", "day")


class UnknownZone(ValueError):
    """A timezone name this machine's tz database does not know."""


#: How long the system's zone, once read, is taken as still true.
ZONE_SECONDS = 60.0
_system_zone: tuple[float, str] | None = None  # (when it was read, monotonic; the name)
_now = time.monotonic


def system_zone_name() -> str:
    """This machine's IANA timezone name (e.g. ``Europe/Lisbon``); ``UTC`` when it cannot tell.

    Read at most once a minute: tzlocal reads files for it (about 1 ms), and an extraction's plan
    asks once per conversation, on the UI thread (667 conversations: most of a second). A laptop
    that changes zone is seen within the minute."""
    global _system_zone
    now = _now()
    if _system_zone is not None and now - _system_zone[0] < ZONE_SECONDS:
        return _system_zone[1]
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name() or "UTC"
    except Exception:  # tzlocal refuses odd /etc/localtime setups; a default beats a crash
        name = "UTC"
    _system_zone = (now, name)
    return name


def resolve_zone(name: str | None) -> tuple[str, tzinfo]:
    """(name, tzinfo) for an IANA name, or for this machine's zone when ``name`` is None."""
    name = name or system_zone_name()
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownZone(f"unknown timezone {name!r}: use an IANA name such as Europe/Lisbon") from error


def local_time(stamp: datetime, zone: tzinfo, grain: str) -> datetime:
    """``stamp`` in ``zone``, cut to ``grain``: minute as is, hour to its start, day to noon.

    Noon (not midnight) for a day: the prompt then says "12:00 PM", the time least likely to make
    a model read a turn as late-night or early-morning. A naive stamp is taken as UTC."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    local = stamp.astimezone(zone).replace(second=0, microsecond=0)
    if grain == "hour":
        return local.replace(minute=0)
    if grain == "day":
        return local.replace(hour=12, minute=0)
    return local
