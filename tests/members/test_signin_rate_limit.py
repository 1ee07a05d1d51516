"""SEC-2 / APS-6: My Page sign-ins are rate limited per account (10 failures) and per client address (100
failures) within 15 minutes of the society clock (API.md "Rate limits"); every attempt logs the client address
(REMOTE_ADDR, X-Forwarded-For only behind as many proxies as TRUSTED_PROXY_COUNT says), shown in the sign-in
tables of [会員情報変更] and A-Pass照会."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from backoffice import clock
from backoffice.http import client_address
from backoffice.models import AuditEntry
from members import services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import MyPageSignIn

from .helpers import make_member

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-Pass1"
ADDRESS, OTHER_ADDRESS = "203.0.113.5", "198.51.100.7"


@pytest.fixture
def sandbox(db):
    return SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)


@pytest.fixture
def trainer_op(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


@pytest.fixture
def member(sandbox, trainer_op):
    member = make_member(sandbox, MemberTypeFactory(society=sandbox), status="active", email="yamada@example.ac.jp",
                         name="山田 太郎", member_number="000123")
    services.apass_create(actor=trainer_op, society=sandbox, email=member.email, password=PASSWORD)
    return member


def sign_in(society, actor, *, email="yamada@example.ac.jp", password=PASSWORD, address=ADDRESS):
    return services.mypage_sign_in(actor=actor, society=society, email=email, password=password, client_address=address)


def fail_from(society, actor, count, address=ADDRESS):
    """``count`` failed attempts from ``address``, each with another unknown ID (an address guessing IDs)."""
    for i in range(count):
        assert sign_in(society, actor, email=f"guess{i}@example.jp", address=address).reason == "unknown_id"


def test_sec2_aps6_hundred_failures_from_one_address_refuse_it_until_the_window_passes(sandbox, trainer_op, member):
    fail_from(sandbox, trainer_op, 100)
    refused = sign_in(sandbox, trainer_op)  # the right password, from that address
    assert (refused.ok, refused.reason, refused.linked) == (False, "rate_limited", False)
    entry = MyPageSignIn.objects.order_by("-pk").first()
    assert (entry.reason, entry.client_address, entry.apass.email) == ("rate_limited", ADDRESS, member.email)
    member.refresh_from_db()
    assert member.apass_id is None
    assert not AuditEntry.objects.filter(action="members.member.apass_linked").exists()
    # Another address is not concerned, and links as APS-3 (audited).
    assert sign_in(sandbox, trainer_op, address=OTHER_ADDRESS).linked
    assert AuditEntry.objects.filter(action="members.member.apass_linked", target_id=str(member.pk)).count() == 1
    # The window passes on the society clock: the address may try again.
    services.society_clock_move(actor=trainer_op, society=sandbox, to=clock.now(sandbox) + datetime.timedelta(minutes=16))
    sandbox.refresh_from_db()
    assert sign_in(sandbox, trainer_op).reason == "ok"


def test_sec2_address_limit_counts_failures_only_and_starts_after_the_hundredth(sandbox, trainer_op, member):
    assert sign_in(sandbox, trainer_op).ok  # successes do not count
    fail_from(sandbox, trainer_op, 99)
    assert sign_in(sandbox, trainer_op, password="wrong").reason == "wrong_password"  # the 100th is still diagnosed
    for _ in range(3):  # refused attempts are logged but do not lengthen the lock-out
        assert sign_in(sandbox, trainer_op).reason == "rate_limited"
    assert MyPageSignIn.objects.filter(client_address=ADDRESS, reason="rate_limited").count() == 3


def test_sec2_address_limit_is_per_society_and_unknown_address_is_not_counted(sandbox, trainer_op, member):
    fail_from(sandbox, trainer_op, 100)
    other = SocietyFactory(slug="other-training", is_sandbox=True)
    other_trainer = OperatorFactory(society=other, role="trainer", email="trainer@other.example.jp")
    assert sign_in(other, other_trainer).reason == "no_membership_here"  # evaluated, not rate limited
    for _ in range(3):
        assert sign_in(sandbox, trainer_op, address=None).ok
    assert MyPageSignIn.objects.filter(client_address=None).count() == 3


def test_aps6_account_limit_still_ten_and_logs_the_address(sandbox, trainer_op, member):
    for i in range(10):  # ten failures for one account, each from another address
        assert sign_in(sandbox, trainer_op, password="wrong", address=f"192.0.2.{i + 1}").reason == "wrong_password"
    assert sign_in(sandbox, trainer_op, address="192.0.2.99").reason == "rate_limited"
    assert set(MyPageSignIn.objects.values_list("client_address", flat=True)) == {
        f"192.0.2.{i}" for i in (*range(1, 11), 99)}


def test_sec2_client_address_is_remote_addr_unless_a_proxy_is_trusted(settings):
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    assert client_address(forged) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(forged) == "203.0.113.5"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(forged) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: misconfigured, fall back to REMOTE_ADDR
    assert client_address(forged) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")) is None
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(factory.get("/", REMOTE_ADDR="")) is None
    assert client_address(factory.get("/", REMOTE_ADDR="2001:DB8::1")) == "2001:db8::1"


def test_sec2_sim_api_passes_the_address_and_answers_rate_limited(sandbox, trainer_op, member):
    api = APIClient(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="192.0.2.200")
    api.force_authenticate(trainer_op)
    body = {"email": "yamada@example.ac.jp", "password": "wrong"}
    assert api.post("/api/v1/sim/mypage/login/", body, format="json").json()["reason"] == "wrong_password"
    assert MyPageSignIn.objects.get().client_address == ADDRESS  # X-Forwarded-For is not trusted by default
    fail_from(sandbox, trainer_op, 99)
    response = api.post("/api/v1/sim/mypage/login/", {**body, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"ok": False, "reason": "rate_limited", "linked": False}


def test_sec2_simulator_page_passes_the_address_and_says_why(sandbox, trainer_op, member):
    browser = Client(REMOTE_ADDR=ADDRESS)
    browser.force_login(trainer_op)
    fail_from(sandbox, trainer_op, 100)
    response = browser.post("/admin/simulation/mypage/", {"action": "sign_in", "sign_in-email": member.email,
                                                           "sign_in-password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert "ログインの失敗が続いたため、しばらくログインできません。" in html
    assert MyPageSignIn.objects.order_by("-pk").first().client_address == ADDRESS


def test_aps6_sign_in_tables_show_the_client_address(sandbox, member, django_assert_max_num_queries):
    admin_op = OperatorFactory(society=sandbox, role="admin", email="admin@training.example.jp")
    assert sign_in(sandbox, admin_op).linked  # the member page lists the attempts of its linked A-Pass
    for i in range(3):
        sign_in(sandbox, admin_op, password="wrong", address=f"192.0.2.{i + 1}")
    browser = Client()
    browser.force_login(admin_op)
    page = browser.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "接続元アドレス" in page and "192.0.2.3" in page
    with django_assert_max_num_queries(20):
        lookup = browser.get("/admin/members/member/apass-lookup/", {"email": member.email})
    html = lookup.content.decode()
    assert "接続元アドレス" in html and "192.0.2.1" in html and "Secret-Pass1" not in html
