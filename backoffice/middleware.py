"""Request guards every screen and endpoint shares (SEC-3, SEC-4: never a server error).

``RequestGuardMiddleware`` turns a lock conflict raised by a view (another operator's transaction held the lock
past the busy timeout) into 409 ``database_busy`` / the admin's message page: nothing was changed, send it again.
"""

from __future__ import annotations

from .dberrors import is_lock_conflict
from .errorpages import database_busy_response


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_lock_conflict(exception):
            return database_busy_response(request)
        return None
