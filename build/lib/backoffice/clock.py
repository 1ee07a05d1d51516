"""The society clock: every date rule reads time from here, never from ``timezone.now()`` directly.

A sandbox society carries an offset (the simulation clock, SIM-1); a real society's offset is ignored.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone


def society_timezone(society) -> zoneinfo.ZoneInfo:
    name = getattr(society, "timezone", None) or settings.TIME_ZONE
    return zoneinfo.ZoneInfo(name)


def now(society) -> datetime.datetime:
    """Aware 'now' as the society sees it (simulation offset applied for sandbox societies)."""
    current = timezone.now()
    if society is not None and getattr(society, "is_sandbox", False):
        offset = getattr(society, "clock_offset", None)
        if offset:
            current = current + offset
    return current.astimezone(society_timezone(society))


def today(society) -> datetime.date:
    return now(society).date()
