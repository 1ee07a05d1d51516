"""Issue 15 §3 (load test finding, PostgreSQL): a status entry or a payment locks its member's or invoice's row, not
its society's.

Found by ``bench/load.py`` (50 operators, 3 societies): ``POST /api/v1/support/cases/`` answered 409
``database_busy`` — PostgreSQL "deadlock detected": the case's transaction, holding the society's audit chain head,
checked its deferred foreign key to the society at COMMIT (``SELECT 1 FROM members_society … FOR KEY SHARE``), while
a payment's transaction held that society row FOR UPDATE — ``Invoice.objects.select_for_update()
.select_related("society", …)`` locks every joined row — and waited for the chain head. The locks now name their own
rows (``of=("self",)``); a society's other writers never wait for that row."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection, transaction

from billing.services.payments import payment_register
from billing.factories import InvoiceFactory
from members import services
from members.factories import MemberTypeFactory, SocietyFactory, create_member_with_history
from members.models import Status

pytestmark = pytest.mark.postgres


def _other_connection():
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                           password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True)


def _society_row_free(society_id: int) -> bool:
    """What a deferred foreign key check to the society does at another transaction's commit, without waiting."""
    with _other_connection() as other:
        try:
            other.execute("SELECT 1 FROM members_society WHERE id = %s FOR KEY SHARE NOWAIT", [society_id])
        except psycopg.errors.LockNotAvailable:
            return False
    return True


@pytest.fixture
def records():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row locks (SQLite's transactions take turns on the whole file)")
    society = SocietyFactory(slug="locks", name="行ロック学会")
    member_type = MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10000)
    member = create_member_with_history(status=Status.ACTIVE, society=society, member_type=member_type)
    invoice = InvoiceFactory(member=member, fiscal_year=2026)
    return society, member, invoice


@pytest.mark.django_db(transaction=True)
def test_issue15_a_status_entry_does_not_lock_its_societys_row(records):
    society, member, _invoice = records
    with transaction.atomic():
        services.member_status_add(actor="system: test", member=member, status="withdrawn",
                                   effective_date=datetime.date(2099, 1, 1), note="負荷試験")
        free = _society_row_free(society.pk)  # while the status entry's transaction is still open
        transaction.set_rollback(True)
    assert free, "the status entry's transaction holds its society's row FOR UPDATE"


@pytest.mark.django_db(transaction=True)
def test_issue15_a_payment_does_not_lock_its_societys_row(records):
    society, _member, invoice = records
    with transaction.atomic():
        payment_register(actor="system: test", invoice=invoice, amount=100, method="bank_transfer",
                         paid_on=datetime.date.today())
        free = _society_row_free(society.pk)
        transaction.set_rollback(True)
    assert free, "the payment's transaction holds its society's row FOR UPDATE"
