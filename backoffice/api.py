"""The one DRF exception handler: every API error is {code, detail, fields} (API.md, Conventions)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .dberrors import is_lock_conflict
from .errorpages import MSG_DATABASE_BUSY, MSG_TOO_LARGE, MSG_TOO_MANY_FIELDS, size_limit_text
from .errors import DomainError, error_body
from .parsers import BodyParseError


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict) and value and all(isinstance(k, int) for k in value) and \
                    all(isinstance(v, list) and not any(isinstance(i, dict) for i in v) for v in value.values()):
                # A list of plain values (``member_ids``, ``exclude_member_types``: references by id or code) is
                # named as sent; each message says which item (1番目) it is about.
                out[key] = [MSG_LIST_ITEM % {"position": i + 1, "message": _message(m)}
                            for i, msgs in sorted(value.items()) for m in msgs]
            elif isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    # a nested serializer's own error belongs to the field itself ("assignments")
                    out[key if sub == "non_field_errors" else f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                msgs = []
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        for sub, sub_msgs in _flatten(item).items():
                            out[f"{key}.{i}.{sub}"] = sub_msgs
                    else:
                        msgs.append(_message(item))
                if msgs:
                    out[key] = msgs
            else:
                out[key] = [_message(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [_message(d) for d in detail]}
    return {"non_field_errors": [_message(detail)]}


#: A refusal of one item of a list of plain values, under the list's own name.
MSG_LIST_ITEM = gettext_lazy("Item %(position)s: %(message)s")


def _message(item) -> str:
    """A message of DRF's as the user reads it. A few of DRF's messages are plain strings that no catalogue
    translates ("No data provided"); our catalogue has them, so look the text up once more."""
    text = str(item)
    return _(text) if text in UNTRANSLATED_DRF_MESSAGES else text


# DRF messages that DRF does not mark for translation; Japanese in locale/ja (the "robustness" section).
UNTRANSLATED_DRF_MESSAGES = frozenset({"No data provided"})


def _plain(code: str, detail, http_status: int) -> Response:
    set_rollback()
    return Response(error_body(code, str(detail), {}), status=http_status)


def exception_handler(exc, context):
    response = _error_response(exc, context)
    if response is not None:
        _render_errors_as_json(context.get("request"))
    return response


def _render_errors_as_json(request) -> None:
    """An error is JSON even from a view whose answers are not (the schema's YAML, the docs' HTML page); the
    browsable API keeps showing it on its page."""
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and getattr(renderer, "format", None) not in ("json", "api"):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def _error_response(exc, context):
    if isinstance(exc, DomainError):
        message = str(exc.message)
        fields = {name: [str(m) for m in msgs] or [message] for name, msgs in exc.fields.items()}
        return Response(error_body(exc.code, message, fields), status=exc.status)
    if is_lock_conflict(exc):
        return _plain("database_busy", MSG_DATABASE_BUSY, status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        return _plain("invalid", MSG_TOO_LARGE % {"limit": size_limit_text()}, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return _plain("invalid", MSG_TOO_MANY_FIELDS, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first_field, first_msgs = next(iter(fields.items()), ("", [""]))
        first = first_msgs[0] if first_msgs else ""
        if first and first_field and first_field != "non_field_errors":
            first = f"{first_field}: {first}"  # SEC-3: the message names the field, not only the rule
        detail = _("Please correct the input: %(first)s") % {"first": first} if first else _("Invalid input.")
        response.data = error_body("invalid", detail, fields)
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.data = error_body("invalid_credentials", _("Authentication credentials were not provided or are invalid."))
    elif isinstance(exc, exceptions.PermissionDenied):
        response.data = error_body("permission_denied", _("You do not have permission to perform this action."))
    elif isinstance(exc, exceptions.NotFound):
        response.data = error_body("not_found", _("Not found."))
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body("rate_limited", _("Too many attempts. Please wait and try again."))
    elif isinstance(exc, BodyParseError):
        response.data = error_body("invalid", str(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("invalid", _("The request body is not valid JSON."))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = error_body("invalid", _("Send the request body as JSON."))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        response.data = error_body("invalid", _("This method is not allowed here."))
    else:
        response.data = error_body("invalid", str(getattr(exc, "detail", exc)))
    return response
