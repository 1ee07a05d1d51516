"""SOC-2 (an operator sees only their own society: another society's object is "not found"), SOC-3 (roles),
and authentication (token endpoint, 401 invalid_credentials)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from members.models import Member, MemberStatus, Operator
from members.factories import MemberTypeFactory, OperatorFactory

from .helpers import assert_error, make_member, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(society, regular_type):
    return make_member(society, regular_type, status="withdrawn", email="taro@example.jp", name="山田 太郎",
                       name_kana="ヤマダ タロウ")


@pytest.fixture
def pending(society, regular_type):
    return make_member(society, regular_type, status="active", email="pending@example.jp")


# --- SOC-2 ---------------------------------------------------------------------------------------------


def test_soc2_other_society_sees_no_member_in_lists(other_api, member, pending):
    body = other_api.get("/api/v1/members/").json()
    assert body["count"] == 0
    assert body["results"] == []
    for params in ({"q": "やまだ"}, {"email": "taro@example.jp"}, {"status": "withdrawn"}, {"member_type": "regular"}):
        assert other_api.get("/api/v1/members/", params).json()["results"] == []
    assert other_api.get("/api/v1/member-types/").json() == []
    assert other_api.get("/api/v1/member-numbers/pending/").json() == {"members": [], "next_numbers": []}


def test_soc2_other_society_member_is_not_found(other_api, member):
    entry = member.statuses.order_by("effective_date").first()
    before = state()
    requests = [
        ("get", f"/api/v1/members/{member.pk}/", None),
        ("patch", f"/api/v1/members/{member.pk}/", {"name": "乗っ取り"}),
        ("get", f"/api/v1/members/{member.pk}/statuses/", None),
        ("post", f"/api/v1/members/{member.pk}/statuses/", {"status": "applying", "effective_date": "2026-01-01"}),
        ("patch", f"/api/v1/members/{member.pk}/statuses/{entry.pk}/", {"status": "active"}),
        ("post", f"/api/v1/members/{member.pk}/release-email/", {}),
        ("post", f"/api/v1/members/{member.pk}/adjustments/", {"kind": "one_time", "amount": 100}),
        ("post", "/api/v1/members/bulk-status/",
         {"member_ids": [member.pk], "status": "applying", "effective_date": "2026-01-01"}),
    ]
    for method, url, body in requests:
        r = getattr(other_api, method)(url, body, format="json") if body is not None else getattr(other_api, method)(url)
        assert_error(r, 404, "not_found")
    assert state() == before


def test_soc2_not_found_is_the_same_as_for_a_missing_id(other_api, member):
    missing = other_api.get("/api/v1/members/999999/").json()
    foreign = other_api.get(f"/api/v1/members/{member.pk}/").json()
    assert missing == foreign


def test_soc2_bulk_update_mixing_in_another_societys_member_changes_nothing(api, society, regular_type,
                                                                           other_society):
    own = make_member(society, regular_type, status="active")
    foreign = make_member(other_society, MemberTypeFactory(society=other_society), status="active")
    before = state()
    r = api.post("/api/v1/members/bulk-status/",
                 {"member_ids": [own.pk, foreign.pk], "status": "withdrawn", "effective_date": "2026-01-01"},
                 format="json")
    assert_error(r, 404, "not_found")
    assert state() == before


def test_soc2_cannot_number_another_societys_member(other_api, pending):
    before = state()
    r = other_api.post("/api/v1/member-numbers/assign/",
                       {"assignments": [{"member": pending.pk, "member_number": "000001"}]}, format="json")
    # Refused exactly as for an id that does not exist: nothing tells the caller the member exists.
    assert r.status_code in (400, 404)
    assert r.json()["code"] in ("invalid", "not_found")
    missing = other_api.post("/api/v1/member-numbers/assign/",
                             {"assignments": [{"member": 999999, "member_number": "000001"}]}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (r.status_code, r.json()["code"])
    assert state() == before
    pending.refresh_from_db()
    assert pending.member_number is None


def test_soc2_another_societys_member_type_code_is_unknown(other_api, regular_type, other_society):
    before = state()
    r = other_api.post("/api/v1/members/", {"name": "他 学会", "email": "x@example.jp", "member_type": "regular"},
                       format="json")
    body = assert_error(r, 400, "invalid")
    assert "member_type" in body["fields"]
    assert state() == before


def test_soc2_member_created_in_the_operators_own_society(other_api, other_society, society):
    MemberTypeFactory(society=other_society, code="regular")
    r = other_api.post("/api/v1/members/", {"name": "他 学会", "email": "x@example.jp", "member_type": "regular"},
                       format="json")
    assert r.status_code == 201, r.json()
    assert Member.objects.get(pk=r.json()["id"]).society == other_society
    assert not Member.objects.filter(society=society).exists()


def test_soc2_platform_superuser_sees_every_society(member, other_society):
    make_member(other_society, MemberTypeFactory(society=other_society), status="active")
    root = Operator(society=None, email="root@platform.example.jp", role="admin", is_superuser=True)
    root.set_password("x")
    root.save()
    client = APIClient()
    client.force_authenticate(root)
    assert client.get("/api/v1/members/").json()["count"] == 2
    assert client.get(f"/api/v1/members/{member.pk}/").status_code == 200


# --- SOC-3 ---------------------------------------------------------------------------------------------


def test_soc3_viewer_reads_but_cannot_write(viewer_api, society, regular_type, member, pending):
    assert viewer_api.get("/api/v1/members/").status_code == 200
    assert viewer_api.get(f"/api/v1/members/{member.pk}/").status_code == 200
    assert viewer_api.get(f"/api/v1/members/{member.pk}/statuses/").status_code == 200
    assert viewer_api.get("/api/v1/member-types/").status_code == 200
    assert viewer_api.get("/api/v1/member-numbers/pending/").status_code == 200

    entry = member.statuses.order_by("effective_date").first()
    before = state()
    writes = [
        ("post", "/api/v1/members/", {"name": "閲覧 者", "email": "v@example.jp", "member_type": "regular"}),
        ("patch", f"/api/v1/members/{member.pk}/", {"affiliation": "変更"}),
        ("post", f"/api/v1/members/{member.pk}/statuses/", {"status": "applying", "effective_date": "2026-01-01"}),
        ("patch", f"/api/v1/members/{member.pk}/statuses/{entry.pk}/", {"note": "x"}),
        ("post", "/api/v1/members/bulk-status/",
         {"member_ids": [pending.pk], "status": "withdrawn", "effective_date": "2026-01-01"}),
        ("post", f"/api/v1/members/{member.pk}/release-email/", {}),
        ("post", f"/api/v1/members/{member.pk}/adjustments/", {"kind": "one_time", "amount": 100}),
        ("post", "/api/v1/member-numbers/assign/", {"assignments": [{"member": pending.pk, "member_number": "1"}]}),
        ("post", "/api/v1/member-types/", {"code": "x", "name": "X", "annual_fee": 0}),
    ]
    for method, url, body in writes:
        assert_error(getattr(viewer_api, method)(url, body, format="json"), 403, "permission_denied")
    assert state() == before


@pytest.mark.parametrize("role", ["admin", "staff", "trainer"])
def test_soc3_writing_roles_may_register_members(society, regular_type, role):
    client = APIClient()
    client.force_authenticate(OperatorFactory(society=society, role=role))
    r = client.post("/api/v1/members/", {"name": "役割 太郎", "email": f"{role}@example.jp", "member_type": "regular"},
                    format="json")
    assert r.status_code == 201, r.json()


@pytest.mark.parametrize("role, allowed", [("admin", True), ("staff", False), ("trainer", False), ("viewer", False)])
def test_soc3_member_types_post_is_admin_only(society, role, allowed):
    client = APIClient()
    client.force_authenticate(OperatorFactory(society=society, role=role))
    r = client.post("/api/v1/member-types/", {"code": f"t-{role}", "name": "種別", "annual_fee": 1000}, format="json")
    if allowed:
        assert r.status_code == 201, r.json()
    else:
        assert_error(r, 403, "permission_denied")


def test_soc3_deactivated_operators_token_stops_working(society, staff_op):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff_op).key}")
    assert client.get("/api/v1/members/").status_code == 200
    staff_op.is_active = False
    staff_op.save()
    assert_error(client.get("/api/v1/members/"), 401, "invalid_credentials")


# --- authentication --------------------------------------------------------------------------------------


def test_soc3_unauthenticated_requests_get_401(member):
    anonymous = APIClient()
    before = state()
    for method, url in [("get", "/api/v1/members/"), ("get", f"/api/v1/members/{member.pk}/"),
                        ("post", "/api/v1/members/"), ("get", "/api/v1/member-types/"),
                        ("get", "/api/v1/member-numbers/pending/"), ("post", "/api/v1/member-numbers/assign/")]:
        assert_error(getattr(anonymous, method)(url), 401, "invalid_credentials")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(bad.get("/api/v1/members/"), 401, "invalid_credentials")
    assert state() == before


def test_soc3_token_sign_in_and_use(society, staff_op, member):
    anonymous = APIClient()
    r = anonymous.post("/api/v1/auth/token/",
                       {"society": "jsbo", "email": "STAFF@jsbo.example.jp", "password": "password-123"}, format="json")
    assert r.status_code == 200, r.json()
    token = r.json()["token"]
    assert token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = client.get("/api/v1/members/").json()
    assert [m["id"] for m in body["results"]] == [member.pk]
    # Signing in again gives the same token.
    r = anonymous.post("/api/v1/auth/token/",
                       {"society": "jsbo", "email": "staff@jsbo.example.jp", "password": "password-123"}, format="json")
    assert r.json() == {"token": token}


def test_soc3_token_full_width_society_and_email(society, staff_op):
    r = APIClient().post("/api/v1/auth/token/",
                         {"society": "ｊｓｂｏ", "email": "ｓｔａｆｆ＠ｊｓｂｏ．ｅｘａｍｐｌｅ．ｊｐ", "password": "password-123"},
                         format="json")
    assert r.status_code == 200, r.json()


@pytest.mark.parametrize(
    "credentials",
    [
        {"society": "jsbo", "email": "staff@jsbo.example.jp", "password": "wrong"},
        {"society": "jsbo", "email": "staff@jsbo.example.jp", "password": "PASSWORD-123"},
        {"society": "other", "email": "staff@jsbo.example.jp", "password": "password-123"},
        {"society": "nosuch", "email": "staff@jsbo.example.jp", "password": "password-123"},
        {"society": "jsbo", "email": "nobody@jsbo.example.jp", "password": "password-123"},
        {"email": "staff@jsbo.example.jp", "password": "password-123"},
    ],
)
def test_soc3_token_refused_with_invalid_credentials(society, other_society, staff_op, credentials):
    r = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    body = assert_error(r, 401, "invalid_credentials")
    assert "token" not in body


def test_soc3_token_refused_for_inactive_operator(society, staff_op):
    staff_op.is_active = False
    staff_op.save()
    r = APIClient().post("/api/v1/auth/token/",
                         {"society": "jsbo", "email": "staff@jsbo.example.jp", "password": "password-123"}, format="json")
    assert_error(r, 401, "invalid_credentials")


def test_soc3_token_request_bad_input(society):
    assert_error(APIClient().post("/api/v1/auth/token/", {"society": "jsbo", "email": "not-an-email", "password": "x"},
                                  format="json"), 400, "invalid")
    assert_error(APIClient().post("/api/v1/auth/token/", '{"society": ', content_type="application/json"),
                 400, "invalid")


def test_soc3_viewer_token_reads_but_cannot_write(society, viewer_op, regular_type):
    r = APIClient().post("/api/v1/auth/token/",
                         {"society": "jsbo", "email": viewer_op.email, "password": "password-123"}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert client.get("/api/v1/members/").status_code == 200
    before = MemberStatus.objects.count()
    r = client.post("/api/v1/members/", {"name": "閲覧 者", "email": "v@example.jp", "member_type": "regular"},
                    format="json")
    assert_error(r, 403, "permission_denied")
    assert MemberStatus.objects.count() == before


@pytest.mark.parametrize("contract_status", ["cancelled", "suspended"])
def test_soc5_operators_of_an_inactive_society_cannot_sign_in_or_use_a_token(client, society, staff_op, contract_status):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=staff_op)
    society.contract_status = contract_status
    society.save()
    r = client.post("/office/jsbo/login/", {"username": staff_op.email, "password": "password-123"})
    assert r.status_code == 200  # stays on the sign-in page
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/members/").status_code == 403
    r = api_client.post("/api/v1/auth/token/", {"society": "jsbo", "email": staff_op.email, "password": "password-123"},
                        format="json")
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
