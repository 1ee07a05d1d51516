"""Issue 15 §3 (load test finding): an operator sign-in hashes the typed password before its service takes the
locks its rate limits take turns on (SEC-2) — SQLite's write lock, PostgreSQL's advisory lock of the client address.

Found by ``bench/load.py``: 50 operators of one office (one address) signing in over 25 s waited for each other's
PBKDF2 hash in turn (sign-in p50 15 s on PostgreSQL, and every gunicorn worker stuck behind the lock); on SQLite
every writer of the site waited for each hash."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from django.db import connection

from members import services
from members.factories import OperatorFactory, SocietyFactory
from members.models import Operator, OperatorSignIn

PASSWORD = "password-123"


@pytest.fixture
def hash_depths(monkeypatch):
    """The transaction depth (atomic blocks open) at every password hash the sign-in computes."""
    depths: list[int] = []
    verify, encode = MD5PasswordHasher.verify, MD5PasswordHasher.encode

    def recording_verify(self, password, encoded):
        depths.append(len(connection.atomic_blocks))
        return verify(self, password, encoded)

    def recording_encode(self, password, salt):
        depths.append(len(connection.atomic_blocks))
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "verify", recording_verify)
    monkeypatch.setattr(MD5PasswordHasher, "encode", recording_encode)
    return depths


def sign_in(society, email, password=PASSWORD, **extra):
    return services.operator_sign_in(actor="system: test", door="society_page", email=email, password=password,
                                     society=society, client_address="203.0.113.7", **extra)


@pytest.mark.django_db
def test_issue15_sign_in_hashes_the_password_outside_the_services_transaction(society, staff_op, other_society,
                                                                                hash_depths):
    OperatorFactory(society=other_society, role="staff", email="elsewhere@other.example.jp")
    outside = len(connection.atomic_blocks)  # the test's own transaction (0 or 1)
    cases = [
        (staff_op.email, PASSWORD, "ok"),
        (staff_op.email, "wrong-pass", "wrong_password"),
        ("nobody@jsbo.example.jp", PASSWORD, "unknown_operator"),  # the dummy hash: no timing oracle
        ("elsewhere@other.example.jp", PASSWORD, "other_society_page"),
    ]
    for email, password, reason in cases:
        hash_depths.clear()
        result = sign_in(society, email, password)
        assert result.reason == reason
        assert hash_depths and set(hash_depths) == {outside}, (reason, hash_depths, outside)
    assert list(OperatorSignIn.objects.order_by("pk").values_list("reason", flat=True)) == [c[2] for c in cases]


@pytest.mark.django_db
def test_issue15_a_rate_limited_attempt_still_hashes_nothing(society, staff_op, hash_depths):
    for _ in range(10):
        sign_in(society, staff_op.email, "wrong-pass")
    hash_depths.clear()
    assert sign_in(society, staff_op.email, PASSWORD).reason == "rate_limited"  # SEC-2, the right password too
    assert hash_depths == []


@pytest.mark.django_db
def test_issue15_an_old_hash_is_still_upgraded_at_sign_in(settings, society, staff_op):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    Operator.objects.filter(pk=staff_op.pk).update(
        password=PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000))
    assert sign_in(society, staff_op.email).reason == "ok"
    staff_op.refresh_from_db()
    assert staff_op.password.startswith("md5$") and staff_op.check_password(PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_issue15_two_operators_of_one_office_sign_in_at_once_without_waiting_for_each_others_hash(monkeypatch):
    """Two accounts, one client address, each hash slowed to 1.5 s: at once they take about 1.5 s, not 3 s."""
    society = SocietyFactory(slug="office", name="同時ログイン学会")
    emails = [OperatorFactory(society=society, role="staff", email=f"op{n}@office.example.jp").email for n in (1, 2)]
    verify = MD5PasswordHasher.verify

    def slow_verify(self, password, encoded):
        time.sleep(1.5)
        return verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", slow_verify)
    barrier = threading.Barrier(2)
    reasons: list[object] = []

    def operator(email: str) -> None:
        try:
            barrier.wait(timeout=10)
            reasons.append(sign_in(society, email).reason)
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            reasons.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=operator, args=(email,)) for email in emails]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    elapsed = time.monotonic() - started
    assert reasons == ["ok", "ok"], reasons
    assert elapsed < 2.7, f"the two sign-ins took {elapsed:.2f} s: the second waited for the first's hash"
    assert OperatorSignIn.objects.filter(society=society, reason="ok").count() == 2


@pytest.mark.django_db
def test_issue15_my_page_sign_in_diagnoses_the_password_outside_the_services_transaction(society, hash_depths):
    """APS-6's diagnosis (as typed, Caps Lock, full width: up to three hashes) is made before the locks too; the
    reasons and the link are what they were, and a rate-limited attempt hashes nothing (SEC-2)."""
    from members.models import APass, MyPageSignIn
    from members.services.apass import RATE_LIMIT_FAILURES
    from django.contrib.auth.hashers import make_password

    APass.objects.create(email="hana@example.ac.jp", password=make_password("Secret-pass-1"))
    outside = len(connection.atomic_blocks)

    def attempt(password):
        return services.mypage_sign_in(actor="system: test", society=society, email="hana@example.ac.jp",
                                       password=password, client_address="203.0.113.9")

    for password, reason in [("sECRET-PASS-1", "password_caps_lock"), ("Ｓｅｃｒｅｔ-pass-1", "password_width"),
                             ("wrong", "wrong_password"), ("Secret-pass-1", "no_membership_here")]:
        hash_depths.clear()
        assert attempt(password).reason == reason
        assert hash_depths and set(hash_depths) == {outside}, (reason, hash_depths, outside)
    for _ in range(RATE_LIMIT_FAILURES):
        attempt("wrong")
    hash_depths.clear()
    assert attempt("Secret-pass-1").reason == "rate_limited" and hash_depths == []
    assert MyPageSignIn.objects.order_by("pk").last().reason == "rate_limited"
