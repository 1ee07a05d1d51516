"""Which database errors are lock conflicts: another operator's transaction held what this one needed.

They are not bugs and not bad input; the request changed nothing and may simply be sent again, so they answer
409 ``database_busy`` (API) or a message page (admin) instead of a server error. Every other database error
stays a server error.
"""

from __future__ import annotations

import sqlite3

from django.db import OperationalError

# SQLite primary result codes (the low byte of an extended code such as SQLITE_BUSY_SNAPSHOT = 517).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_LOCK_MESSAGES = ("database is locked", "database table is locked")

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available (lock_timeout, NOWAIT).
POSTGRES_LOCK_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_lock_conflict(exc: BaseException) -> bool:
    """True for Django's OperationalError caused by a lock held by another transaction (SQLite or PostgreSQL)."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
        return str(cause).startswith(SQLITE_LOCK_MESSAGES)
    return getattr(cause, "sqlstate", None) in POSTGRES_LOCK_SQLSTATES
