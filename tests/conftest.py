"""Shared fixtures: a society with an admin, a staff member and a viewer, and an operator of *another*
society who must see none of it (SOC-2)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory

# APS-2 over the whole run: no response, mail, audit entry or log record carries a password or a hash.
from tests.password_scan import (  # noqa: F401,E402  (pytest hooks, registered by being here)
    pytest_configure,
    pytest_runtest_teardown,
    pytest_sessionfinish,
    pytest_terminal_summary,
)


@pytest.fixture
def society(db):
    return SocietyFactory(slug="jsbo", name="日本バックオフィス学会")


@pytest.fixture
def other_society(db):
    return SocietyFactory(slug="other", name="別の学会")


@pytest.fixture
def regular_type(society):
    return MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)


@pytest.fixture
def student_type(society):
    return MemberTypeFactory(society=society, code="student", name="学生会員", annual_fee=3_000)


@pytest.fixture
def admin_op(society):
    return OperatorFactory(society=society, role="admin", email="admin@jsbo.example.jp")


@pytest.fixture
def staff_op(society):
    return OperatorFactory(society=society, role="staff", email="staff@jsbo.example.jp")


@pytest.fixture
def viewer_op(society):
    return OperatorFactory(society=society, role="viewer", email="viewer@jsbo.example.jp")


@pytest.fixture
def other_op(other_society):
    return OperatorFactory(society=other_society, role="admin", email="admin@other.example.jp")


def _client_for(operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def api(staff_op):
    """API client signed in as a staff operator of ``society``."""
    return _client_for(staff_op)


@pytest.fixture
def admin_api(admin_op):
    return _client_for(admin_op)


@pytest.fixture
def viewer_api(viewer_op):
    return _client_for(viewer_op)


@pytest.fixture
def other_api(other_op):
    return _client_for(other_op)


@pytest.fixture(scope="session", autouse=True)
def _drop_stray_test_connections(django_db_setup, django_db_blocker):
    """At the end of the session, before the test database is dropped: end connections that threads of the
    browser tests' live server left open, which PostgreSQL would otherwise refuse to drop the database under."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
