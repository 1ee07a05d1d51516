"""Operator sign-in (SOC-4, SOC-5, SOC-6, SEC-2; API.md "Sign-in reasons", "Rate limits"; seed 001's causes)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from members import services
from members.factories import OperatorFactory
from members.models import Operator, OperatorSignIn

PASSWORD = "password-123"
NO_SUCH_LOGIN = "メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。"


def last_reason():
    return OperatorSignIn.objects.order_by("-pk").values_list("reason", flat=True).first()


def token(society_slug, email, password=PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/token/", {"society": society_slug, "email": email, "password": password},
                            format="json", **extra)


@pytest.mark.django_db
def test_soc4_operator_signs_in_at_own_society_page_and_every_attempt_is_logged(client, staff_op):
    r = client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert r.status_code == 302
    entry = OperatorSignIn.objects.get()
    assert (entry.reason, entry.door, entry.operator, entry.society) == ("ok", "society_page", staff_op,
                                                                         staff_op.society)
    assert entry.typed_email == staff_op.email and PASSWORD not in str(entry.__dict__)


@pytest.mark.django_db
def test_soc4_unknown_society_page_is_404(client):
    assert client.get("/office/no-such-society/login/").status_code == 404


@pytest.mark.django_db
def test_soc4_operator_at_the_general_page_is_told_which_page_is_theirs_only_with_the_right_password(
        client, staff_op):
    r = client.post("/login/", {"society": "jsbo", "username": staff_op.email, "password": PASSWORD})
    html = r.content.decode()
    assert r.status_code == 200 and "/office/jsbo/login/" in html and "_auth_user_id" not in client.session
    assert last_reason() == "wrong_login_page"
    r = client.post("/login/", {"society": "jsbo", "username": staff_op.email, "password": "wrong-pass"})
    html = r.content.decode()
    assert "/office/jsbo/login/" not in html and NO_SUCH_LOGIN in html  # nothing said to a guesser
    assert last_reason() == "wrong_password"


@pytest.mark.django_db
def test_soc4_the_contract_holder_signs_in_at_the_general_page(client, admin_op):
    r = client.post("/login/", {"society": "jsbo", "username": admin_op.email, "password": PASSWORD})
    assert r.status_code == 302 and last_reason() == "ok"


@pytest.mark.django_db
def test_soc4_operator_at_another_societys_page_is_refused_and_logged(client, staff_op, other_society):
    r = client.post(f"/office/{other_society.slug}/login/", {"username": staff_op.email, "password": PASSWORD})
    html = r.content.decode()
    assert r.status_code == 200 and "別の学会" in html and "_auth_user_id" not in client.session
    # the password proved who it is: the refusal names the page that is theirs (SOC-4)
    assert f"/office/{staff_op.society.slug}/login/" in html
    entry = OperatorSignIn.objects.get()
    assert (entry.reason, entry.operator, entry.society) == ("other_society_page", staff_op, other_society)
    # an anonymous guess at the other page learns nothing
    r = client.post(f"/office/{other_society.slug}/login/", {"username": staff_op.email, "password": "guess-123"})
    assert last_reason() == "unknown_operator"
    assert f"/office/{staff_op.society.slug}/login/" not in r.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("contract_status", ["cancelled", "suspended"])
def test_soc5_contract_inactive_says_seed001_cause6_message(client, staff_op, contract_status):
    society = staff_op.society
    society.contract_status = contract_status
    society.save()
    r = client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert NO_SUCH_LOGIN in r.content.decode() and last_reason() == "contract_inactive"
    assert token("jsbo", staff_op.email).status_code == 401 and last_reason() == "contract_inactive"


@pytest.mark.django_db
def test_soc5_deleted_operator_is_kept_cannot_sign_in_and_its_email_is_free_again(client, admin_op, staff_op):
    old_token = token("jsbo", staff_op.email).json()["token"]
    services.operator_delete(actor=admin_op, operator=staff_op)
    staff_op.refresh_from_db()
    assert staff_op.deleted_at is not None and staff_op.deleted_by
    r = client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert r.status_code == 200 and last_reason() == "operator_deleted"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old_token}")
    assert api.get("/api/v1/members/").status_code == 401
    again = services.operator_create(actor=admin_op, society=admin_op.society, email=staff_op.email,
                                     password=PASSWORD, role="staff")
    assert Operator.objects.filter(email=staff_op.email).count() == 2
    client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert last_reason() == "ok" and OperatorSignIn.objects.order_by("-pk").first().operator == again


@pytest.mark.django_db
def test_soc5_operator_delete_refusals(admin_op, staff_op):
    assert services.operator_delete_refusal(admin_op, admin_op).code == "invalid_transition"
    with pytest.raises(Exception) as refused:
        services.operator_delete(actor=admin_op, operator=admin_op)
    assert refused.value.code == "invalid_transition"
    services.operator_delete(actor=admin_op, operator=staff_op)
    assert services.operator_delete_refusal(admin_op, Operator.objects.get(pk=staff_op.pk)).code == "operator_deleted"


@pytest.mark.django_db
def test_soc5_legacy_duplicate_email_is_diagnosed(client, staff_op):
    # SOC-5 makes a second one impossible to create; a legacy pair differing in letter case is still detected
    legacy = OperatorFactory(society=staff_op.society, email="legacy@jsbo.example.jp")
    Operator.objects.filter(pk=legacy.pk).update(email="Staff@jsbo.example.jp", username="legacy-dup")
    client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert last_reason() == "duplicate_email"


@pytest.mark.django_db
def test_soc6_a_second_sign_in_in_the_same_browser_ends_the_first_and_says_so(client, staff_op, admin_op):
    assert client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD}).status_code == 302
    r = client.post("/office/jsbo/login/", {"username": admin_op.email, "password": PASSWORD}, follow=True)
    assert int(client.session["_auth_user_id"]) == admin_op.pk
    assert f"{staff_op.email} のログインを終了しました" in r.content.decode()
    entry = OperatorSignIn.objects.order_by("-pk").first()
    assert (entry.operator, entry.ended_operator) == (admin_op, staff_op)


@pytest.mark.django_db
def test_sec2_eleventh_failed_token_request_for_one_operator_is_rate_limited(staff_op):
    for _ in range(10):
        assert token("jsbo", staff_op.email, "wrong-pass").status_code == 401
    r = token("jsbo", staff_op.email)  # the right password, too late
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert last_reason() == "rate_limited"


@pytest.mark.django_db
def test_sec2_rate_limit_window_passes_on_the_society_clock(staff_op):
    for _ in range(10):
        token("jsbo", staff_op.email, "wrong-pass")
    OperatorSignIn.objects.update(at=OperatorSignIn.objects.first().at - datetime.timedelta(minutes=16))
    assert token("jsbo", staff_op.email).status_code == 200


@pytest.mark.django_db
def test_sec2_rate_limit_per_account_at_the_pages_too(client, staff_op):
    for _ in range(10):
        client.post("/office/jsbo/login/", {"username": staff_op.email, "password": "wrong-pass"})
    r = client.post("/office/jsbo/login/", {"username": staff_op.email, "password": PASSWORD})
    assert r.status_code == 200 and last_reason() == "rate_limited"
    assert "しばらく" in r.content.decode() or "時間をおいて" in r.content.decode()


@pytest.mark.django_db
def test_sec2_rate_limit_per_address(staff_op, admin_op):
    OperatorSignIn.objects.bulk_create([
        OperatorSignIn(society=staff_op.society, typed_email=f"guess{i}@x.jp", email_key=f"guess{i}@x.jp",
                       door="token", reason="unknown_operator", at=timezone.now(), client_address="10.0.0.7")
        for i in range(100)])
    r = token("jsbo", admin_op.email, REMOTE_ADDR="10.0.0.7")
    assert r.status_code == 429 and last_reason() == "rate_limited"
    assert token("jsbo", admin_op.email, REMOTE_ADDR="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_soc5_admin_deletes_an_operator_from_the_link_on_its_page(client, admin_op, staff_op, viewer_op):
    import re

    client.force_login(admin_op)
    page = client.get(f"/admin/members/operator/{staff_op.pk}/change/").content.decode()
    link = re.search(r'href="([^"]+/delete-operator/)"', page).group(1)
    confirm = client.get(link)
    assert confirm.status_code == 200 and "オペレーター削除" in confirm.content.decode()
    assert client.post(link).status_code == 200  # not without the confirmation's "yes"
    r = client.post(link, {"post": "yes"})
    assert r.status_code == 302
    staff_op.refresh_from_db()
    assert staff_op.deleted_at is not None and staff_op.deleted_by
    listing = client.get("/admin/members/operator/").content.decode()
    assert "staff@jsbo.example.jp" in listing  # kept, with who deleted it
    own = client.get(f"/admin/members/operator/{admin_op.pk}/delete-operator/").content.decode()
    assert "ご自身のアカウントは削除できません。" in own
    client.force_login(viewer_op)
    assert client.get(link).status_code in (302, 403)
