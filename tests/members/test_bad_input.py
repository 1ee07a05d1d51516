"""SEC-3: bad input gets a 4xx with ``{code, detail, fields}`` naming the field, never a server error, and
changes nothing. Full-width digits and letters typed by the secretariat are accepted and stored half-width
(API.md, Clarifications: input width)."""

from __future__ import annotations

import datetime

import pytest

from members.models import Member

from .helpers import assert_error, history, make_member, state

pytestmark = pytest.mark.django_db

HUGE = 10**30


def valid_member(**overrides) -> dict:
    body = {"name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp", "member_type": "regular"}
    body.update(overrides)
    return body


# --- creating a member --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"application_date": "2026-02-30"}, "application_date"),
        ({"application_date": "2026/04/01"}, "application_date"),
        ({"application_date": "令和8年4月1日"}, "application_date"),
        ({"application_date": 20260401}, "application_date"),
        ({"application_date": "9999-12-31"}, "application_date"),
        ({"application_date": "0001-01-01"}, "application_date"),
        ({"scheduled_withdrawal_date": "2026-13-01"}, "scheduled_withdrawal_date"),
        ({"name": "あ" * 101}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": ["x"]}, "name"),
        ({"name": {"ja": "山田"}}, "name"),
        ({"name": None}, "name"),
        ({"name_kana": "ア" * 101}, "name_kana"),
        ({"affiliation": "x" * 201}, "affiliation"),
        ({"phone": "0" * 31}, "phone"),
        ({"email": "taro@"}, "email"),
        ({"email": "taro.example.jp"}, "email"),
        ({"email": "taro@@example.jp"}, "email"),
        ({"email": "山田@"}, "email"),
        ({"email": ""}, "email"),
        ({"email": ["taro@example.jp"]}, "email"),
        ({"member_type": "honorary"}, "member_type"),
        ({"member_type": 1}, "member_type"),
        ({"member_type": None}, "member_type"),
        ({"kind": "family"}, "kind"),
    ],
)
def test_sec3_bad_member_input_refused_and_nothing_changes(api, regular_type, overrides, field):
    before = state()
    body = assert_error(api.post("/api/v1/members/", valid_member(**overrides), format="json"), 400, "invalid")
    assert field in body["fields"], body
    assert body["fields"][field] and all(isinstance(m, str) and m for m in body["fields"][field])
    assert field in body["detail"]  # the message names the field
    assert state() == before


@pytest.mark.parametrize("missing", ["name", "email", "member_type"])
def test_sec3_required_member_fields(api, regular_type, missing):
    body_in = valid_member()
    del body_in[missing]
    before = state()
    body = assert_error(api.post("/api/v1/members/", body_in, format="json"), 400, "invalid")
    assert missing in body["fields"]
    assert state() == before


def test_sec3_number_as_name_is_taken_as_text(api, regular_type):
    """JSON numbers are accepted where text is expected (DRF's CharField), lists and objects are not."""
    r = api.post("/api/v1/members/", valid_member(name=123), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["name"] == "123"


def test_sec3_unknown_member_type_message_names_the_code(api, regular_type):
    body = assert_error(api.post("/api/v1/members/", valid_member(member_type="honorary"), format="json",
                                 HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")
    assert body["fields"]["member_type"] == ["Unknown code: honorary"]


@pytest.mark.parametrize(
    "raw, content_type",
    [
        ('{"name": ', "application/json"),
        ("{'name': 'x'}", "application/json"),
        ("", "application/json"),
        ("null", "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("name=x&email=y", "text/plain"),
    ],
)
def test_sec3_malformed_body_refused(api, regular_type, raw, content_type):
    before = state()
    r = api.post("/api/v1/members/", data=raw, content_type=content_type)
    assert r.status_code in (400, 415), r.content
    body = assert_error(r, r.status_code, "invalid")
    assert body["fields"] is not None
    assert state() == before


def test_sec3_malformed_json_on_every_write_endpoint(api, society, regular_type):
    member = make_member(society, regular_type, status="withdrawn")
    entry = member.statuses.first()
    before = state()
    for method, url in [
        ("patch", f"/api/v1/members/{member.pk}/"),
        ("post", f"/api/v1/members/{member.pk}/statuses/"),
        ("patch", f"/api/v1/members/{member.pk}/statuses/{entry.pk}/"),
        ("post", "/api/v1/members/bulk-status/"),
        ("post", f"/api/v1/members/{member.pk}/release-email/"),
        ("post", f"/api/v1/members/{member.pk}/adjustments/"),
        ("post", "/api/v1/member-numbers/assign/"),
    ]:
        r = getattr(api, method)(url, data='{"name": ', content_type="application/json")
        assert_error(r, 400, "invalid")
    assert state() == before


# --- editing, statuses, bulk, numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x" * 101}, "name"),
        ({"name": ["x"]}, "name"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": None}, "email"),
        ({"scheduled_withdrawal_date": "2026-02-30"}, "scheduled_withdrawal_date"),
        ({"member_type": "nosuch"}, "member_type"),
        ({"postal_code": "1" * 11}, "postal_code"),
    ],
)
def test_sec3_bad_edit_refused(api, society, regular_type, payload, field):
    member = make_member(society, regular_type)
    before = state()
    body = assert_error(api.patch(f"/api/v1/members/{member.pk}/", payload, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert state() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"status": "withdrawn", "effective_date": "2026-02-30"}, "effective_date"),
        ({"status": "withdrawn", "effective_date": "9999-12-31"}, "effective_date"),
        ({"status": "withdrawn"}, "effective_date"),
        ({"status": "withdrawn", "effective_date": None}, "effective_date"),
        ({"status": ["withdrawn"], "effective_date": "2026-01-01"}, "status"),
        ({"effective_date": "2026-01-01"}, "status"),
        ({"status": "withdrawn", "effective_date": "2026-01-01", "note": "x" * 201}, "note"),
    ],
)
def test_sec3_bad_status_entry_refused(api, society, regular_type, payload, field):
    member = make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(api.post(f"/api/v1/members/{member.pk}/statuses/", payload, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert state() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"member_ids": "abc"}, "member_ids"),
        ({"member_ids": ["abc"]}, "member_ids"),
        ({"member_ids": []}, "member_ids"),
        ({"member_ids": [0]}, "member_ids"),
        ({"member_ids": [HUGE]}, "member_ids"),
        ({"member_ids": [True]}, "member_ids"),
        ({"member_ids": None}, "member_ids"),
        ({"effective_date": "2026-02-30"}, "effective_date"),
        ({"effective_date": "9999-12-31"}, "effective_date"),
        ({"status": "gone"}, "status"),
    ],
)
def test_sec3_bad_bulk_status_refused(api, society, regular_type, payload, field):
    member = make_member(society, regular_type, status="active")
    body_in = {"member_ids": [member.pk], "status": "withdrawn", "effective_date": "2026-01-01", **payload}
    before = state()
    body = assert_error(api.post("/api/v1/members/bulk-status/", body_in, format="json"), 400, "invalid")
    assert field in body["fields"], body
    assert state() == before


def test_sec3_bulk_status_unknown_member_is_not_found(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    before = state()
    r = api.post("/api/v1/members/bulk-status/",
                 {"member_ids": [member.pk, member.pk + 1000], "status": "withdrawn", "effective_date": "2026-01-01"},
                 format="json")
    assert_error(r, 404, "not_found")
    assert state() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"assignments": "abc"}, "assignments"),
        ({"assignments": [{"member": "abc", "member_number": "1"}]}, "assignments.0.member"),
        ({"assignments": [{"member": HUGE, "member_number": "1"}]}, "assignments.0.member"),
        ({"assignments": [{"member_number": "1"}]}, "assignments.0.member"),
        ({"assignments": [{"member": 1, "member_number": "1" * 21}]}, "assignments.0.member_number"),
        ({"assignments": [{"member": 1, "member_number": ["1"]}]}, "assignments.0.member_number"),
        ({}, "assignments"),
    ],
)
def test_sec3_bad_number_assignment_refused(api, society, regular_type, payload, field):
    make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(api.post("/api/v1/member-numbers/assign/", payload, format="json"), 400, "invalid")
    assert field in body["fields"], body
    assert state() == before


def test_sec3_unknown_ids_in_urls_are_not_found(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    before = state()
    for url in (f"/api/v1/members/{HUGE}/", "/api/v1/members/abc/", "/api/v1/members/-1/",
                f"/api/v1/members/{HUGE}/statuses/", "/api/v1/nothing-here/"):
        assert_error(api.get(url), 404, "not_found")
    assert_error(api.patch(f"/api/v1/members/{member.pk}/statuses/{HUGE}/", {"status": "active"}, format="json"),
                 404, "not_found")
    assert_error(api.get("/api/v1/members/", {"page": HUGE}), 404, "not_found")
    assert state() == before


def test_sec3_wrong_method_has_an_error_body(api, society, regular_type):
    member = make_member(society, regular_type)
    assert_error(api.delete(f"/api/v1/members/{member.pk}/"), 405, "invalid")
    assert_error(api.get("/api/v1/members/bulk-status/"), 405, "invalid")
    assert Member.objects.filter(pk=member.pk).exists()


# --- full width accepted, stored half width ---------------------------------------------------------------


def test_sec3_full_width_input_stored_half_width(api, regular_type):
    r = api.post("/api/v1/members/", valid_member(
        email="ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", application_date="２０２６－０４－０１", phone="０３－１２３４－５６７８",
        postal_code="１１３－００３３", scheduled_withdrawal_date="２０３０－０３－３１",
    ), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["email"] == "taro@example.jp"
    assert body["phone"] == "03-1234-5678"
    assert body["postal_code"] == "113-0033"
    assert body["scheduled_withdrawal_date"] == "2030-03-31"
    member = Member.objects.get(pk=body["id"])
    assert member.email == "taro@example.jp"
    assert member.phone == "03-1234-5678"
    assert member.phone_digits == "0312345678"
    assert history(member) == [("applying", datetime.date(2026, 4, 1))]
    # The full-width address is the same address: MEM-3 still applies.
    r = api.post("/api/v1/members/", valid_member(email="TARO@example.jp"), format="json")
    assert_error(r, 409, "email_in_use")


def test_sec3_full_width_edit_stored_half_width(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    r = api.patch(f"/api/v1/members/{member.pk}/",
                  {"email": "ＨＡＮＡＫＯ＠ｅｘａｍｐｌｅ．ｊｐ", "phone": "０６ー９８７６ー５４３２"}, format="json")
    assert r.status_code == 200, r.json()
    member.refresh_from_db()
    assert (member.email, member.phone) == ("hanako@example.jp", "06-9876-5432")
    r = api.post(f"/api/v1/members/{member.pk}/statuses/", {"status": "active", "effective_date": "２０２４－０５－０１"},
                 format="json")
    assert r.status_code == 201, r.json()
    assert history(member)[-1] == ("active", datetime.date(2024, 5, 1))


def test_sec3_full_width_member_number_and_amount(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    r = api.post("/api/v1/member-numbers/assign/",
                 {"assignments": [{"member": member.pk, "member_number": "０００１２３"}]}, format="json")
    assert r.status_code == 200, r.json()
    member.refresh_from_db()
    assert member.member_number == "000123"
    r = api.post(f"/api/v1/members/{member.pk}/adjustments/", {"kind": "one_time", "amount": "１０００"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == 1000
