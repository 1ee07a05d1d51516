"""The system checks Django runs before migrate and runserver (with the database's own checks) report nothing:
`make demo` and the task worker start without warnings on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_system_checks_with_the_database_report_no_warning():
    call_command("check", databases=["default"], fail_level="WARNING")  # raises SystemCheckError otherwise
