"""One error path (DESIGN.md §6): DomainError codes and statuses, and the DRF exception handler's body
``{code, detail, fields}`` for every kind of error."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.test import APIClient

from backoffice.api import exception_handler
from backoffice.errors import Conflict, DomainError, NotFound


def handle(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_domain_error_statuses():
    assert DomainError("invalid", "x").status == 400
    assert DomainError("invalid_credentials", "x", status=401).status == 401
    assert Conflict("email_in_use", "x").status == 409
    error = NotFound()
    assert (error.code, error.status) == ("not_found", 404)


def test_domain_error_body():
    status, body = handle(Conflict("member_number_taken", "taken", fields={"member_number": ["taken"]}))
    assert status == 409
    assert body == {"code": "member_number_taken", "detail": "taken", "fields": {"member_number": ["taken"]}}


def test_domain_error_message_follows_the_active_language():
    error = DomainError("invalid", gettext_lazy("Not found."))
    with translation.override("en"):
        assert handle(error)[1]["detail"] == "Not found."
        assert str(error) == "Not found."


def test_validation_error_names_the_field_and_flattens_nesting():
    exc = exceptions.ValidationError({
        "name": ["Too long."],
        "assignments": [{}, {"member": ["A valid integer is required."]}],
        "member_ids": {0: ["Bad id."]},
        "nested": {"non_field_errors": ["Expected a list."]},
    })
    with translation.override("en"):
        status, body = handle(exc)
    assert status == 400
    assert body["code"] == "invalid"
    assert body["fields"] == {
        "name": ["Too long."],
        "assignments.1.member": ["A valid integer is required."],
        "member_ids": ["Item 1: Bad id."],  # a list of plain values is named as sent
        "nested": ["Expected a list."],
    }
    assert body["detail"] == "Please correct the input: name: Too long."


def test_non_field_validation_error():
    with translation.override("en"):
        status, body = handle(exceptions.ValidationError(["Choose one."]))
    assert status == 400
    assert body["fields"] == {"non_field_errors": ["Choose one."]}
    assert body["detail"] == "Please correct the input: Choose one."


def test_django_errors_are_mapped():
    status, body = handle(DjangoValidationError({"email": ["Enter a valid e-mail address."]}))
    assert (status, body["code"], body["fields"]) == (400, "invalid", {"email": ["Enter a valid e-mail address."]})
    assert handle(Http404())[0:1] == (404,) and handle(Http404())[1]["code"] == "not_found"
    status, body = handle(DjangoPermissionDenied())
    assert (status, body["code"]) == (403, "permission_denied")


@pytest.mark.parametrize(
    "exc, status, code",
    [
        (exceptions.NotAuthenticated(), 401, "invalid_credentials"),
        (exceptions.AuthenticationFailed(), 401, "invalid_credentials"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.ParseError(), 400, "invalid"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "invalid"),
        (exceptions.MethodNotAllowed("PUT"), 405, "invalid"),
        (exceptions.Throttled(), 429, "rate_limited"),
    ],
)
def test_drf_errors_get_the_error_body(exc, status, code):
    got_status, body = handle(exc)
    assert got_status == status
    assert body["code"] == code
    assert body["detail"]
    assert body["fields"] == {}


def test_unhandled_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


@pytest.mark.django_db
def test_unknown_api_path_answers_json_not_found(api):
    for url in ("/api/v1/nothing/", "/api/v2/members/", "/api/whatever"):
        r = api.get(url)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
        assert set(r.json()) == {"code", "detail", "fields"}


@pytest.mark.django_db
def test_english_on_request_japanese_by_default(society):
    anonymous = APIClient()
    en = anonymous.get("/api/v1/members/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["detail"] == "Authentication credentials were not provided or are invalid."
    ja = anonymous.get("/api/v1/members/").json()
    assert ja["code"] == en["code"] == "invalid_credentials"
    assert ja["detail"]  # Japanese once the catalogue has it; never empty
