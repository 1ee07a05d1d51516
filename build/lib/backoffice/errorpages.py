"""Error answers made outside DRF's views: a JSON ``{code, detail, fields}`` under /api/ (API.md, Conventions)
and a Japanese page in the admin's look everywhere else.

Django's handler400/403/404/500 and its CSRF failure view point here (backoffice/urls.py, settings), and
backoffice.middleware answers with the same pages. The page is rendered without a request context and reads
nothing from the database, so it can be shown even when the database is the problem.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dberrors import is_lock_conflict
from .errors import error_body

MSG_BAD_REQUEST = gettext_lazy(
    "The request could not be processed. Check the address and what was entered, then try again."
)
MSG_PERMISSION_DENIED = gettext_lazy("You do not have permission to perform this action.")
MSG_PAGE_NOT_FOUND = gettext_lazy("The page does not exist, or you are not allowed to see it.")
MSG_NOT_FOUND = gettext_lazy("Not found.")
MSG_DATABASE_BUSY = gettext_lazy(
    "Another operator was saving at the same moment, so this request was not carried out and nothing was "
    "changed. Please wait a moment and send it again."
)
MSG_TOO_LARGE = gettext_lazy("The request is larger than %(limit)s and was not processed.")
MSG_TOO_MANY_FIELDS = gettext_lazy("The request has too many fields or files.")
MSG_SERVER_ERROR = gettext_lazy(
    "An unexpected error occurred on the server. Please try again; if it happens again, tell the system "
    "administrator the time it happened."
)
MSG_CSRF = gettext_lazy(
    "The form has expired or was not sent from this site's page (CSRF check failed). Reload the page, then "
    "send the form again."
)

TITLES = {
    400: gettext_lazy("The request could not be processed"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Page not found"),
    409: gettext_lazy("The database was busy"),
    413: gettext_lazy("The request is too large"),
    500: gettext_lazy("Server error"),
}


def is_api_request(request) -> bool:
    path = request.path_info
    return path == "/api" or path.startswith("/api/")


def error_response(request, status: int, code: str, detail, *, fields: dict | None = None) -> HttpResponse:
    """The error answer for ``request``: JSON under /api/, otherwise the Japanese page in the admin's look."""
    if is_api_request(request):
        return JsonResponse(error_body(code, str(detail), fields), status=status,
                            json_dumps_params={"ensure_ascii": False})
    html = loader.render_to_string("backoffice/error_page.html", {
        "status": status,
        "title": TITLES.get(status, TITLES[400]),
        "detail": str(detail),
        "fields": {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()},
        "can_go_back": status in (400, 403, 409, 413),
    })
    return HttpResponse(html, status=status)


def size_limit_text() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return f"{limit / 1024 / 1024:.1f} MB"


def too_large_response(request) -> HttpResponse:
    return error_response(request, 413, "invalid", MSG_TOO_LARGE % {"limit": size_limit_text()})


def database_busy_response(request) -> HttpResponse:
    return error_response(request, 409, "database_busy", MSG_DATABASE_BUSY)


# --- Django's error handlers (root URLconf) -------------------------------------------------------------


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return error_response(request, 400, "invalid", MSG_TOO_MANY_FIELDS)
    return error_response(request, 400, "invalid", MSG_BAD_REQUEST)


def permission_denied(request, exception=None):
    return error_response(request, 403, "permission_denied", MSG_PERMISSION_DENIED)


def page_not_found(request, exception=None):
    detail = MSG_NOT_FOUND if is_api_request(request) else MSG_PAGE_NOT_FOUND
    return error_response(request, 404, "not_found", detail)


def server_error(request):
    # Django calls this while handling the exception. A lock conflict raised outside a view (a session saved by
    # the middleware, say) is not a server error either: nothing was changed and the request may be sent again.
    exc = sys.exc_info()[1]
    if exc is not None and is_lock_conflict(exc):
        return database_busy_response(request)
    return error_response(request, 500, "server_error", MSG_SERVER_ERROR)


def csrf_failure(request, reason=""):
    return error_response(request, 403, "permission_denied", MSG_CSRF)
