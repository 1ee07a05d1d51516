"""Request guards every screen and endpoint shares (SEC-3: bad input is a 4xx, never a server error).

``RequestGuardMiddleware``
  - refuses a NUL byte or a lone surrogate in the path, the query string, a cookie or (outside the API, whose
    parsers check their bodies field by field) a form body, with a 400 naming where it was: PostgreSQL cannot
    take such text even in a WHERE clause, so the request would otherwise fail inside a query. A cookie
    holding one is deleted in the same answer, so that the browser is not stuck with it;
  - turns a lock conflict raised by a view (another operator's transaction held the lock past the busy
    timeout) into 409 ``database_busy`` / the admin's message page: nothing was changed, send it again.
"""

from __future__ import annotations

from http.cookies import CookieError

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dberrors import is_lock_conflict
from .errorpages import database_busy_response, error_response, is_api_request
from .text import FORBIDDEN_CHARACTER_RE, forbidden_character_fields, forbidden_character_message

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

MSG_IN_PATH = gettext_lazy("The address (URL) contains a character that cannot be used: %(message)s")
MSG_IN_COOKIE = gettext_lazy(
    "A cookie sent by the browser contained a character that cannot be used, so it was deleted. "
    "Please sign in again."
)


def _first_forbidden(text: str) -> str | None:
    found = FORBIDDEN_CHARACTER_RE.search(text)
    return found.group() if found else None


def _correct_the_input(fields: dict[str, list[str]]) -> str:
    name, messages = next(iter(fields.items()))
    return _("Please correct the input: %(first)s") % {"first": f"{name}: {messages[0]}"}


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request):
        char = _first_forbidden(request.path)
        if char is not None:
            return error_response(request, 400, "invalid", MSG_IN_PATH % {"message": forbidden_character_message(char)})

        fields = forbidden_character_fields(request.GET.lists())
        if fields:
            return error_response(request, 400, "invalid", _correct_the_input(fields), fields=fields)

        bad_cookies = [name for name, value in request.COOKIES.items() if _first_forbidden(name + value)]
        if bad_cookies:
            response = error_response(request, 400, "invalid", MSG_IN_COOKIE)
            for name in bad_cookies:
                try:
                    response.delete_cookie(name)
                except CookieError:  # a name no Set-Cookie header can carry; nothing to delete it with
                    pass
            return response

        if (
            not is_api_request(request)
            and request.method == "POST"
            and request.content_type in FORM_CONTENT_TYPES
        ):
            # Reading POST here may raise RequestDataTooBig / TooManyFieldsSent; Django answers those 400/413
            # through handler400 like it would from the view.
            pairs = list(request.POST.lists())
            pairs += [(name, [f.name or "" for f in files]) for name, files in request.FILES.lists()]
            fields = forbidden_character_fields(pairs)
            if fields:
                return error_response(request, 400, "invalid", _correct_the_input(fields), fields=fields)
        return None

    def process_exception(self, request, exception):
        if is_lock_conflict(exception):
            return database_busy_response(request)
        return None
