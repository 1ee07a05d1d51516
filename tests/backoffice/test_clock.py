"""The society clock (SIM-1): all date rules read it; a sandbox society's offset moves it."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from backoffice import clock
from members.models import Society

UTC = datetime.timezone.utc
FIXED = datetime.datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 2026-04-01 00:30 in Tokyo


def frozen():
    return mock.patch.object(timezone, "now", return_value=FIXED)


def test_sim1_now_is_in_the_society_time_zone():
    society = Society(slug="s", name="S")
    with frozen():
        now = clock.now(society)
        assert now == FIXED
        assert now.utcoffset() == datetime.timedelta(hours=9)
        assert clock.today(society) == datetime.date(2026, 4, 1)  # already April in Tokyo


def test_sim1_other_time_zone():
    society = Society(slug="s", name="S", timezone="Europe/London")
    with frozen():
        assert clock.today(society) == datetime.date(2026, 3, 31)


def test_sim1_sandbox_offset_moves_the_clock():
    society = Society(slug="s", name="S", is_sandbox=True, clock_offset=datetime.timedelta(hours=24))
    with frozen():
        assert clock.now(society) == FIXED + datetime.timedelta(hours=24)
        assert clock.today(society) == datetime.date(2026, 4, 2)
        society.clock_offset = datetime.timedelta(days=-3)
        assert clock.today(society) == datetime.date(2026, 3, 29)


def test_sim1_offset_ignored_outside_a_sandbox():
    society = Society(slug="s", name="S", is_sandbox=False, clock_offset=datetime.timedelta(days=365))
    with frozen():
        assert clock.now(society) == FIXED
        assert clock.today(society) == datetime.date(2026, 4, 1)


def test_sim1_no_society_uses_the_site_time_zone():
    with frozen():
        assert clock.today(None) == datetime.date(2026, 4, 1)  # settings.TIME_ZONE is Asia/Tokyo


@pytest.mark.django_db
def test_sim1_offset_survives_saving(society):
    society.is_sandbox = True
    society.clock_offset = datetime.timedelta(days=10, hours=3)
    society.save()
    fresh = Society.objects.get(pk=society.pk)
    with frozen():
        assert clock.now(fresh) == FIXED + datetime.timedelta(days=10, hours=3)
