"""BIL-1 at scale: the keys a billing run's inserts pay for (bench/README.md, BIL-1).

- An invoice's member and society are one key on PostgreSQL, (member, society) → the member, so an invoice can only
  belong to its member's society; SQLite keeps Django's two keys. These tests read the database's own key lists,
  so that a later migration re-creating the single-column keys (Django's model state still describes them) is
  noticed.
- The run's skip rows have no database keys (the run writes them set-based, tens of thousands at a time); Django
  still deletes them with their run or member.
- The counts a run reports are what it inserted, on a first execution and on a retry.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from billing.factories import InvoiceFactory
from billing.models import BillingRun, BillingRunSkip, Invoice
from billing.services import runs
from members.factories import MemberFactory, create_member_with_history
from members.models import Status

pytestmark = pytest.mark.django_db(transaction=True)


def foreign_keys(table: str) -> set[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(columns, referenced table, referenced columns) of each foreign key the database holds for ``table``."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        keys = {(tuple(c["columns"]), *c["foreign_key"]) for c in constraints.values() if c["foreign_key"]}
        if connection.vendor == "postgresql":  # introspection names one referenced column: read them all
            cursor.execute(
                "SELECT array(SELECT attname FROM unnest(conkey) k JOIN pg_attribute a ON a.attrelid = conrelid "
                "AND a.attnum = k ORDER BY array_position(conkey, k)), confrelid::regclass::text, "
                "array(SELECT attname FROM unnest(confkey) k JOIN pg_attribute a ON a.attrelid = confrelid "
                "AND a.attnum = k ORDER BY array_position(confkey, k)) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass", [table])
            return {(tuple(cols), ref, tuple(ref_cols)) for cols, ref, ref_cols in cursor.fetchall()}
    return {(cols, ref, (ref_col,)) for cols, ref, ref_col in keys}


def test_bil1_invoice_keys_as_intended_on_this_database():
    keys = foreign_keys("billing_invoice")
    assert (("run_id",), "billing_billingrun", ("id",)) in keys
    if connection.vendor == "postgresql":
        assert (("member_id", "society_id"), "members_member", ("id", "society_id")) in keys
        assert not {k for k in keys if k[0] in {("member_id",), ("society_id",)}}, keys
    else:
        assert (("member_id",), "members_member", ("id",)) in keys
        assert (("society_id",), "members_society", ("id",)) in keys


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_bil1_postgresql_refuses_an_invoice_of_another_society_than_its_member(society, other_society):
    member = MemberFactory(society=society)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(member=member, society=other_society)
    assert not Invoice.objects.exists()


def test_bil1_run_skips_have_no_database_keys_but_go_with_their_run_and_member(staff_op, society, regular_type,
                                                                              student_type):
    assert foreign_keys("billing_billingrunskip") == set()
    billed = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    skipped = create_member_with_history(Status.ACTIVE, society=society, member_type=student_type)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1),
                                   exclude_member_types=[student_type])
    run.refresh_from_db()
    assert (run.created_count, run.skipped_count) == (1, 1)
    assert list(BillingRunSkip.objects.values_list("member_id", "reason")) == [(skipped.pk, "excluded_type")]
    skipped.delete()
    assert not BillingRunSkip.objects.exists()
    BillingRunSkip.objects.create(run=run, member=billed, member_ref=billed.pk, reason="not_active")
    Invoice.objects.filter(run=run).delete()
    run.delete()
    assert not BillingRunSkip.objects.exists() and not BillingRun.objects.exists()


def test_bil1_counts_are_what_the_run_inserted_first_time_and_on_retry(staff_op, society, regular_type,
                                                                        student_type, monkeypatch):
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
               for _ in range(5)]
    create_member_with_history(Status.ACTIVE, society=society, member_type=student_type)
    create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type)
    monkeypatch.setattr(runs, "CHUNK", 3)
    real, calls = runs._bill_chunk, []

    def fail_second_chunk(actor, run, plan, lo, hi):
        calls.append(lo)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(actor, run, plan, lo, hi)

    monkeypatch.setattr(runs, "_bill_chunk", fail_second_chunk)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1),
                                   exclude_member_types=[student_type])
    run.refresh_from_db()
    assert run.state == "failed"
    billed_first = Invoice.objects.filter(run=run).count()
    assert billed_first == 3
    monkeypatch.setattr(runs, "_bill_chunk", real)
    runs.billing_run_retry(actor=staff_op, run=run)
    run.refresh_from_db()
    assert run.state == "done"
    assert (run.created_count, run.skipped_count) == (5, 1)
    assert Invoice.objects.filter(run=run).count() == len(members)
    assert BillingRunSkip.objects.filter(run=run).count() == 1
