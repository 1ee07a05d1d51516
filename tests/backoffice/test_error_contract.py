"""The error contract seen by a person: Japanese messages (SEC-3), the Japanese pages of the admin, the error
body in the OpenAPI schema, and the SQLite settings that keep concurrent operators from server errors (SEC-4).
"""

from __future__ import annotations

import inspect
import json

import pytest
from django import forms
from django.core import validators as django_validators
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import translation
from rest_framework import exceptions, fields, relations, serializers
from rest_framework.authtoken.models import Token

from backoffice import errorpages
from backoffice.errors import ERROR_CODES
from members.factories import create_member_with_history
from members.models import Member, Status
from tests.members.helpers import assert_error, state

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "使用できない文字（NUL文字）が含まれています。"


@pytest.fixture
def token_api(admin_op):
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin_op).key}")


@pytest.fixture
def member(society, regular_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)


# --- NUL bytes and other messages in Japanese --------------------------------------------------------------


def test_sec3_nul_in_a_field_is_named_as_a_forbidden_character(token_api, regular_type):
    before = state()
    r = token_api.post("/api/v1/members/", {"name": "山田\x00太郎", "email": "taro@example.jp", "member_type": "regular"},
                       content_type="application/json")
    body = assert_error(r, 400, "invalid")
    assert body["fields"] == {"name": [NUL_MESSAGE]}
    assert body["detail"] == f"入力内容に誤りがあります: name: {NUL_MESSAGE}"
    assert "何か文字を入力してください" not in r.content.decode()  # Django's own Japanese for this is wrong
    assert state() == before


def test_sec3_nul_in_the_member_type_filter_is_named(token_api):
    body = assert_error(token_api.get("/api/v1/members/?member_type=%00"), 400, "invalid")
    assert body["fields"] == {"member_type": [NUL_MESSAGE]}


def test_sec3_nul_message_in_english_on_request(token_api):
    r = token_api.get("/api/v1/members/?member_type=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert assert_error(r, 400, "invalid")["fields"] == {"member_type": ["Null characters are not allowed."]}


def test_sec3_django_form_fields_say_the_same_in_japanese():
    with translation.override("ja"):
        with pytest.raises(forms.ValidationError) as caught:
            forms.CharField().clean("a\x00b")
        assert caught.value.messages == [NUL_MESSAGE]


def test_sec3_brackets_inside_text_are_just_text(token_api, regular_type):
    """The nesting limit counts JSON arrays and objects, not brackets typed into a value."""
    r = token_api.post("/api/v1/members/", {"name": "[" * 60 + "]" * 40, "email": "b@example.jp", "member_type": "regular"},
                       content_type="application/json")
    assert r.status_code == 201, r.content


def test_sec3_empty_json_body_is_japanese(token_api, regular_type):
    body = assert_error(token_api.post("/api/v1/members/", "null", content_type="application/json"), 400, "invalid")
    assert body["fields"] == {"non_field_errors": ["データが送信されていません。"]}


def _default_messages():
    """Every default message of DRF's fields, serializers and exceptions and of Django's form fields and
    validators: what a caller of this API or a user of the admin can be shown."""
    seen = {}
    for module in (fields, serializers, relations, forms.fields, forms.models):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for klass in cls.__mro__:
                for key, message in (vars(klass).get("default_error_messages") or {}).items():
                    seen[f"{klass.__module__}.{klass.__name__}.{key}"] = message
    for _, cls in inspect.getmembers(exceptions, inspect.isclass):
        if "default_detail" in vars(cls):
            seen[f"{cls.__name__}.default_detail"] = cls.default_detail
    for _, cls in inspect.getmembers(django_validators, inspect.isclass):
        if "message" in vars(cls):
            seen[f"{cls.__name__}.message"] = cls.message
    return seen


def test_sec3_every_default_message_is_japanese():
    untranslated = []
    for where, message in _default_messages().items():
        with translation.override("en"):
            english = str(message)
        with translation.override("ja"):
            japanese = str(message)
        if english and japanese == english:  # "" is a plural message, translated where its count is known
            untranslated.append(f"{where}: {english}")
    assert not untranslated, "\n".join(untranslated)


def test_sec3_too_many_fields_is_400(token_api, client, staff_op):
    fields = "&".join(f"f{i}=1" for i in range(1200))  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000
    for r in (token_api.get("/api/v1/members/?" + fields),
              token_api.post("/api/v1/members/", fields, content_type="application/x-www-form-urlencoded")):
        assert assert_error(r, 400, "invalid")["detail"] == "送信された項目またはファイルが多すぎます。"
    client.force_login(staff_op)
    r = client.post("/admin/members/member/numbers/", fields, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "送信された項目またはファイルが多すぎます。" in r.content.decode()


# --- admin screens -----------------------------------------------------------------------------------------


def test_sec3_admin_member_type_that_is_no_id_is_refused_on_the_form(client, staff_op, member, regular_type):
    """The member type box (autocomplete) sent back as "abc" shows the form again with the error on the field."""
    client.force_login(staff_op)
    data = {"name": "佐藤 花子", "email": member.email, "member_type": "abc", "affiliation": "", "phone": "",
            "postal_code": "", "address": "", "scheduled_withdrawal_date": ""}
    before = state()
    r = client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert r.status_code == 200
    assert "member_type" in r.context["adminform"].form.errors
    assert "正しく選択してください" in r.content.decode()
    assert state() == before


def test_sec3_admin_action_on_ids_that_are_not_ids_shows_a_warning(client, staff_op, member):
    client.force_login(staff_op)
    r = client.post("/admin/members/member/", {"action": "bulk_status_action", "_selected_action": ["abc"],
                                               "index": "0"}, follow=True)
    assert r.status_code == 200
    assert "選択内容が正しくないため、何も変更していません。" in [str(m) for m in r.context["messages"]]


def test_sec3_admin_nul_in_a_form_is_a_japanese_page_naming_the_field(client, staff_op, member):
    client.force_login(staff_op)
    before = state()
    r = client.post(f"/admin/members/member/{member.pk}/status/",
                    {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-01-01", "add-note": "メモ\x00"})
    assert r.status_code == 400
    html = r.content.decode()
    assert f"<li>add-note: {NUL_MESSAGE}</li>" in html
    assert 'id="error-back"' in html
    assert state() == before


def test_sec3_admin_page_not_found_is_japanese(client, staff_op):
    client.force_login(staff_op)
    r = client.get(f"/admin/members/member/{10**12}/status/")
    assert r.status_code == 404
    assert "ページが見つかりません" in r.content.decode()


# --- CSRF, server errors --------------------------------------------------------------------------------


def test_sec2_api_write_over_a_session_without_csrf_token_is_a_json_403(staff_op, regular_type):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_op)
    r = client.post("/api/v1/members/", {"name": "x", "email": "x@example.jp", "member_type": "regular"},
                    content_type="application/json")
    assert_error(r, 403, "permission_denied")
    assert not Member.objects.exists()


def test_sec2_admin_form_without_csrf_token_is_a_japanese_403_page(staff_op, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_op)
    r = client.post(f"/admin/members/member/{member.pk}/status/", {"add": "1"})
    assert r.status_code == 403
    assert "ページを再読み込みしてから、もう一度送信してください" in r.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/members/", "/admin/members/member/"])
def test_server_error_has_the_contract_shape(path):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:  # Django calls handler500 inside its except block
        response = errorpages.server_error(RequestFactory().get(path))
    assert response.status_code == 500
    if path.startswith("/api/"):
        assert json.loads(response.content) == {
            "code": "server_error", "detail": str(errorpages.MSG_SERVER_ERROR), "fields": {}}
    else:
        assert "サーバーで予期しないエラーが発生しました" in response.content.decode()


# --- OpenAPI ----------------------------------------------------------------------------------------------


def test_openapi_schema_documents_the_error_body_and_answers(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail", "fields"]
    assert set(error["properties"]["code"]["enum"]) == set(ERROR_CODES) >= {"invalid", "database_busy", "not_found"}
    ref = {"$ref": "#/components/schemas/Error"}
    status_post = schema["paths"]["/api/v1/members/{id}/statuses/"]["post"]["responses"]
    for code in ("400", "401", "403", "404", "409", "413"):
        assert status_post[code]["content"]["application/json"]["schema"] == ref, code
    assert "database_busy" in status_post["409"]["description"]
    listing = schema["paths"]["/api/v1/members/"]["get"]
    assert "409" not in listing["responses"] and listing["responses"]["401"]["content"]["application/json"]["schema"] == ref
    assert {"page", "page_size"} <= {p["name"] for p in listing["parameters"]}
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "401" in token and "403" not in token


# --- SQLite settings (SEC-4) --------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own settings")
def test_sec4_sqlite_takes_the_write_lock_up_front_waits_and_uses_wal():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.transaction_mode == "IMMEDIATE"
    assert not connection.is_in_memory_db()  # the live server's threads share the test database for real
