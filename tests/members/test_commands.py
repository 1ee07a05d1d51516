"""Bootstrapping commands of API.md: create_society, create_operator, seed_demo."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from backoffice.models import AuditEntry
from members.models import Member, MemberType, Operator, Society, Status

pytestmark = pytest.mark.django_db


def test_soc1_create_society_and_operator_commands_then_sign_in_to_the_api(capsys):
    call_command("create_society", "--slug", "jsx", "--name", "日本サンプル学会", "--sandbox")
    society = Society.objects.get(slug="jsx")
    assert society.is_sandbox and society.fiscal_year_start_month == 4 and society.lapse_threshold_years == 2
    call_command("create_operator", "--society", "jsx", "--email", "Boss@Example.jp", "--password", "secret-pass-1",
                 "--role", "admin")
    operator = Operator.objects.get(society=society)
    assert (operator.email, operator.role) == ("boss@example.jp", "admin")
    assert AuditEntry.objects.filter(action__in=["members.society.created", "members.operator.created"]).count() == 2
    r = APIClient().post("/api/v1/auth/token/", {"society": "jsx", "email": "boss@example.jp",
                                                 "password": "secret-pass-1"}, format="json")
    assert r.status_code == 200 and r.json()["token"]


def test_soc5_create_operator_refuses_a_duplicate_email_in_the_society():
    call_command("create_society", "--slug", "jsx", "--name", "日本サンプル学会")
    call_command("create_operator", "--society", "jsx", "--email", "a@example.jp", "--password", "secret-pass-1",
                 "--role", "staff")
    with pytest.raises(CommandError):
        call_command("create_operator", "--society", "jsx", "--email", "A@example.jp", "--password", "secret-pass-1",
                     "--role", "viewer")
    with pytest.raises(CommandError):
        call_command("create_operator", "--society", "nope", "--email", "b@example.jp", "--password", "x",
                     "--role", "staff")
    with pytest.raises(CommandError):
        call_command("create_society", "--slug", "jsx", "--name", "二重")
    assert Operator.objects.count() == 1 and Society.objects.count() == 1


def test_seed_demo_builds_two_societies_with_every_status_and_prints_sign_in(capsys):
    call_command("seed_demo", "--members", "80")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/office/jsbo/login/" in out and "http://127.0.0.1:8000/login/" in out and "demo-pass-2026" in out
    # the two demo societies, and the sandbox's suspended companion (seed 001 原因⑥: one operator, no members)
    assert sorted(Society.objects.values_list("slug", "contract_status")) == [
        ("jsbo", "active"), ("training", "active"), ("training-stopped", "suspended")]
    assert Operator.objects.get(society__isnull=True).is_superuser  # the platform's help desk, printed
    assert "platform@example.jp" in out
    for society in Society.objects.exclude(slug="training-stopped"):
        assert sorted(MemberType.objects.filter(society=society).values_list("annual_fee", flat=True)) == [0, 3000, 10000]
        assert set(Operator.objects.filter(society=society).values_list("role", flat=True)) == {
            "admin", "staff", "trainer", "viewer"}
        assert Member.objects.filter(society=society).count() == 80
        from members.selectors import members_of

        assert set(members_of(society).values_list("current_status", flat=True)) == set(Status.values)
    call_command("seed_demo", "--members", "80")  # a second run adds nothing
    assert Member.objects.count() == 160
