"""Moves of the simulation clock (SIM-1) that screens and the API offer, computed on the society's clock."""

from __future__ import annotations

import calendar
import datetime

from backoffice import clock


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time ``months`` later (the month's last day when it has no such day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def start_of_day(society, day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the society's time zone."""
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=clock.society_timezone(society))


def clock_body(society) -> dict:
    """API.md, Simulation: ``{now, today, timezone}`` on the society clock."""
    now = clock.now(society)
    return {"now": now.isoformat(), "today": now.date().isoformat(), "timezone": str(clock.society_timezone(society))}
