"""BIL-1, BIL-2, BIL-5, BIL-11 and ADJ-1 in a billing run ([請求情報作成]): who is billed, why the others are
skipped, adjustments summed and spent, numbers without gaps, failure and retry without duplicates, the same
request key being the same run — and the run's audit entries (one act: requested, completed)."""

from __future__ import annotations

import datetime

import pytest

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory
from billing import selectors
from billing.models import BillingRun, BillingRunSkip, Invoice, NumberSequence
from billing.services import invoices as invoice_services
from billing.services import runs
from members.factories import MemberTypeFactory, create_member_with_history
from members.models import MemberAdjustment, Status

pytestmark = pytest.mark.django_db(transaction=True)


def request(actor, society, **overrides):
    params = dict(society=society, name="2026年度 年会費", category="annual", fiscal_year=2026,
                  allocation_start=datetime.date(2026, 4, 1), due_date=datetime.date(2026, 6, 30),
                  exclude_member_types=[])
    params.update(overrides)
    return runs.billing_run_request(actor=actor, **params)


def member(society, member_type, status=Status.ACTIVE, **kwargs):
    return create_member_with_history(status, society=society, member_type=member_type, **kwargs)


def skips_of(run):
    return {(s.member_id or s.member_ref): s.reason for s in BillingRunSkip.objects.filter(run=run)}


def test_bil1_annual_run_bills_active_members_and_skips_excluded_types(staff_op, society, regular_type,
                                                                       student_type):
    active = member(society, regular_type)
    student = member(society, student_type)
    applying = member(society, regular_type, Status.APPLYING)
    withdrawn = member(society, regular_type, Status.WITHDRAWN)
    run = request(staff_op, society, exclude_member_types=[student_type])
    run.refresh_from_db()
    assert run.state == BillingRun.State.DONE
    invoices = list(Invoice.objects.filter(run=run))
    assert [i.member_id for i in invoices] == [active.pk]
    inv = invoices[0]
    assert (inv.name, inv.category, inv.fiscal_year, inv.amount, inv.adjustment, inv.due_date, inv.confirmed_at) == (
        "2026年度 年会費", "annual", 2026, 10_000, 0, datetime.date(2026, 6, 30), None)
    # eligible but not billed: listed with the reason; members of another status are not "eligible"
    assert skips_of(run) == {student.pk: "excluded_type"}
    assert applying.pk not in skips_of(run) and withdrawn.pk not in skips_of(run)
    assert (run.created_count, run.skipped_count, run.progress) == (1, 1, 1.0)


def test_bil1_admission_run_bills_applying_members(staff_op, society, regular_type):
    applying = member(society, regular_type, Status.APPLYING)
    member(society, regular_type)
    run = request(staff_op, society, category="admission", name="入会金")
    assert list(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == [applying.pk]


def test_bil1_member_ids_narrow_and_every_listed_member_not_billed_is_skipped_with_reason(
        staff_op, society, other_society, regular_type, student_type):
    billed = member(society, regular_type)
    unlisted = member(society, regular_type)
    applying = member(society, regular_type, Status.APPLYING)
    excluded = member(society, student_type)
    stranger = member(other_society, MemberTypeFactory(society=other_society))
    run = request(staff_op, society, exclude_member_types=[student_type],
                  member_ids=[billed.pk, applying.pk, excluded.pk, stranger.pk, 99_999_999])
    run.refresh_from_db()
    assert list(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == [billed.pk]
    assert unlisted.pk not in skips_of(run)
    assert skips_of(run) == {applying.pk: "not_active", excluded.pk: "excluded_type", stranger.pk: "not_found",
                             99_999_999: "not_found"}
    assert BillingRunSkip.objects.get(run=run, member_ref=stranger.pk).member_id is None  # never another society's row
    assert (run.created_count, run.skipped_count) == (1, 4)


def test_bil2_withdrawal_before_allocation_month_skipped_same_month_or_later_billed(staff_op, society, regular_type):
    before = member(society, regular_type, scheduled_withdrawal_date=datetime.date(2026, 3, 31))
    same_month = member(society, regular_type, scheduled_withdrawal_date=datetime.date(2026, 4, 1))
    later = member(society, regular_type, scheduled_withdrawal_date=datetime.date(2026, 9, 30))
    run = request(staff_op, society, allocation_start=datetime.date(2026, 4, 15))  # any day: the month counts
    billed = set(Invoice.objects.filter(run=run).values_list("member_id", flat=True))
    assert billed == {same_month.pk, later.pk}
    assert skips_of(run) == {before.pk: "withdrawal_before_allocation"}
    assert BillingRun.objects.get(pk=run.pk).allocation_start == datetime.date(2026, 4, 1)


def test_bil5_zero_fee_type_billed_with_no_payment_needed(staff_op, society):
    free = MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0)
    m = member(society, free)
    run = request(staff_op, society)
    invoice = Invoice.objects.with_status().get(run=run, member=m)
    assert (invoice.amount, invoice.status) == (0, "no_payment_needed")


def test_adj1_run_adds_permanent_and_unspent_one_time_adjustments_and_spends_the_one_time(staff_op, society,
                                                                                          regular_type):
    m = member(society, regular_type)
    MemberAdjustment.objects.create(member=m, kind="permanent", amount=-1_000)
    one_time = MemberAdjustment.objects.create(member=m, kind="one_time", amount=-2_000)
    MemberAdjustment.objects.create(member=m, kind="one_time", amount=-500, spent_at=datetime.datetime(
        2025, 4, 1, tzinfo=datetime.timezone.utc), spent_reference="earlier")
    run = request(staff_op, society)
    invoice = Invoice.objects.with_status().get(run=run)
    assert (invoice.amount, invoice.adjustment, invoice.total) == (10_000, -3_000, 7_000)
    one_time.refresh_from_db()
    assert one_time.spent_at is not None and one_time.spent_reference == f"billing run {run.pk}"
    # the next run applies only the permanent one
    second = request(staff_op, society, name="2027年度 年会費", fiscal_year=2027)
    assert Invoice.objects.get(run=second).adjustment == -1_000
    assert AuditEntry.objects.filter(action="members.adjustment.spent").count() == 1


def test_bil11_run_numbers_follow_existing_numbers_without_gaps(staff_op, society, regular_type):
    single = InvoiceFactory(member=member(society, regular_type), fiscal_year=2025)  # last year: billed again
    for _ in range(4):
        member(society, regular_type)
    run = request(staff_op, society)
    numbers = sorted(Invoice.objects.filter(society=society).values_list("number", flat=True))
    assert numbers == list(range(1, 7)) and single.number == 1
    assert NumberSequence.objects.get(society=society, kind="invoice").last == 6
    assert list(Invoice.objects.filter(run=run).order_by("member_id").values_list("number", flat=True)) == [2, 3, 4, 5, 6]


def test_bil1_run_is_judged_on_the_society_clock(staff_op, society, regular_type):
    """Who is active is read on the request date of the society clock (a member joining later is not billed)."""
    m = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                   applied_on=datetime.date(2099, 1, 1))
    run = request(staff_op, society)
    assert not Invoice.objects.filter(run=run).exists() and m.pk not in skips_of(run)


def test_bil1_audit_one_entry_for_request_and_one_for_completion_with_counts(staff_op, society, regular_type):
    for _ in range(3):
        member(society, regular_type)
    run = request(staff_op, society)
    entries = list(AuditEntry.objects.filter(target_id=str(run.pk), action__startswith="billing.run").order_by("id"))
    assert [e.action for e in entries] == ["billing.run.requested", "billing.run.completed"]
    assert entries[0].actor_label == staff_op.email and entries[0].after["name"] == "2026年度 年会費"
    assert entries[1].actor_label == f"system: billing run {run.pk}"
    assert entries[1].after == {"state": "done", "created_count": 3, "skipped_count": 0}
    assert not AuditEntry.objects.filter(action="billing.invoice.created").exists()  # the run is one act


def test_bil1_request_refusals_change_nothing(staff_op, viewer_op, other_op, society, regular_type):
    with pytest.raises(DomainError) as refused:
        request(viewer_op, society)
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError) as refused:
        request(other_op, society)
    assert refused.value.code == "not_found"
    for bad in ({"name": " "}, {"category": "monthly"}, {"fiscal_year": 20260}, {"member_ids": []},
                {"member_ids": ["x"]}, {"exclude_member_types": [MemberTypeFactory(society=other_op.society)]}):
        with pytest.raises(DomainError) as refused:
            request(staff_op, society, **bad)
        assert refused.value.code == "invalid"
        assert refused.value.fields
    assert not BillingRun.objects.exists() and not AuditEntry.objects.filter(action__startswith="billing").exists()


def test_bil1_same_request_key_is_the_same_run(staff_op, society, regular_type):
    member(society, regular_type)
    first = request(staff_op, society, request_key="form-123")
    again = request(staff_op, society, request_key="form-123")
    assert again.pk == first.pk
    assert BillingRun.objects.count() == 1 and Invoice.objects.count() == 1
    assert AuditEntry.objects.filter(action="billing.run.requested").count() == 1


def test_bil1_failed_run_is_marked_and_retry_bills_the_rest_without_duplicates(staff_op, society, regular_type,
                                                                              monkeypatch):
    members = [member(society, regular_type) for _ in range(5)]
    monkeypatch.setattr(runs, "CHUNK", 2)
    real = runs._bill_chunk
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_bill_chunk", failing)
    run = request(staff_op, society)
    run.refresh_from_db()
    assert run.state == "failed" and "the database went away" in run.error
    assert Invoice.objects.filter(run=run).count() == 2  # the first chunk stays; the second rolled back
    assert AuditEntry.objects.filter(action="billing.run.failed", target_id=str(run.pk)).count() == 1
    with pytest.raises(DomainError) as refused:  # only a failed run can be retried
        runs.billing_run_retry(actor=staff_op, run=BillingRun.objects.create(
            society=society, name="x", category="annual", fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1),
            requested_by="t", requested_on=datetime.date(2026, 4, 1), requested_at=run.requested_at))
    assert refused.value.status == 409
    runs.billing_run_retry(actor=staff_op, run=run)
    run.refresh_from_db()
    assert run.state == "done" and run.created_count == 5
    assert sorted(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == [m.pk for m in members]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert AuditEntry.objects.filter(action="billing.run.retried", target_id=str(run.pk)).count() == 1


def test_bil1_progress_moves_in_chunks(staff_op, society, regular_type, monkeypatch):
    for _ in range(5):
        member(society, regular_type)
    monkeypatch.setattr(runs, "CHUNK", 2)
    seen = []
    real = runs._bill_chunk

    def watching(actor, run, plan, lo, hi):
        seen.append(BillingRun.objects.get(pk=run.pk).processed_count)
        return real(actor, run, plan, lo, hi)

    monkeypatch.setattr(runs, "_bill_chunk", watching)
    run = request(staff_op, society)
    run.refresh_from_db()
    assert seen == [0, 2, 4] and (run.target_count, run.processed_count, run.progress) == (5, 5, 1.0)


# --- issue 12, point 2: a member already billed for the run's category and fiscal year is not billed again ---


def test_issue12_2_full_run_skips_members_billed_by_a_selection_run_or_by_hand(staff_op, society, regular_type):
    """API.md "Who bills whom": after the manual's 次年度の請求作成 (a run for a selection, or 追加 by hand) the
    society's full annual run of that year bills the others only; those two are skipped ``already_billed`` with
    the invoice they already have. A cancelled invoice, another year's or another category's does not count."""
    by_run, by_hand, cancelled, last_year, admission, fresh = (member(society, regular_type) for _ in range(6))
    selection = request(staff_op, society, name="2027年度 年会費", fiscal_year=2027, member_ids=[by_run.pk])
    first = Invoice.objects.get(run=selection)
    made = invoice_services.invoice_create(actor=staff_op, society=society, member=by_hand, name="2027年度 年会費",
                                           category="annual", fiscal_year=2027, amount=10_000)
    again = invoice_services.invoice_create(actor=staff_op, society=society, member=by_hand, name="2027年度 年会費",
                                            category="annual", fiscal_year=2027, amount=10_000)
    assert again.pk != made.pk  # a hand-made invoice is never refused for this (the manual makes them on purpose)
    invoice_services.invoice_cancel(actor=staff_op, invoice=invoice_services.invoice_create(
        actor=staff_op, society=society, member=cancelled, name="2027年度 年会費", category="annual",
        fiscal_year=2027, amount=10_000))
    InvoiceFactory(member=last_year, fiscal_year=2026)
    InvoiceFactory(member=admission, fiscal_year=2027, category="admission")

    run = request(staff_op, society, name="2027年度 年会費", fiscal_year=2027)
    run.refresh_from_db()
    assert sorted(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == sorted(
        m.pk for m in (cancelled, last_year, admission, fresh))
    assert skips_of(run) == {by_run.pk: "already_billed", by_hand.pk: "already_billed"}
    assert {s.member_id: s.invoice_id for s in BillingRunSkip.objects.filter(run=run)} == {
        by_run.pk: first.pk, by_hand.pk: made.pk}  # the first live one of the same category and year
    assert (run.created_count, run.skipped_count) == (4, 2)
    assert Invoice.objects.filter(member=by_run, fiscal_year=2027, cancelled_at__isnull=True).count() == 1

    # the same request once more: nobody is billed a second time
    rerun = request(staff_op, society, name="2027年度 年会費", fiscal_year=2027)
    assert not Invoice.objects.filter(run=rerun).exists()
    assert set(skips_of(rerun).values()) == {"already_billed"} and len(skips_of(rerun)) == 6
    # cancelling the invoice (the manual's correction) lets the next run bill the member again
    invoice_services.invoice_cancel(actor=staff_op, invoice=first)
    third = request(staff_op, society, name="2027年度 年会費", fiscal_year=2027, member_ids=[by_run.pk])
    assert list(Invoice.objects.filter(run=third).values_list("member_id", flat=True)) == [by_run.pk]


def test_issue12_2_retry_does_not_call_its_own_invoices_already_billed(staff_op, society, regular_type, monkeypatch):
    """A failed run retried: the members its first attempt billed are neither billed again nor listed as skipped;
    a member billed by hand in between is skipped ``already_billed``."""
    members = [member(society, regular_type) for _ in range(4)]
    monkeypatch.setattr(runs, "CHUNK", 2)
    real, calls = runs._bill_chunk, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_bill_chunk", failing)
    run = request(staff_op, society)
    run.refresh_from_db()
    assert run.state == "failed"
    hand = invoice_services.invoice_create(actor=staff_op, society=society, member=members[3], name="2026年度 年会費",
                                           category="annual", fiscal_year=2026, amount=10_000)
    runs.billing_run_retry(actor=staff_op, run=run)
    run.refresh_from_db()
    assert run.state == "done" and run.created_count == 3
    assert skips_of(run) == {members[3].pk: "already_billed"}
    assert BillingRunSkip.objects.get(run=run).invoice_id == hand.pk


def _situations(society, regular_type, student_type, other_society):
    """One member in each situation a run meets, for the annual and the admission category."""
    made = {
        "active": member(society, regular_type),
        "applying": member(society, regular_type, Status.APPLYING),
        "withdrawn": member(society, regular_type, Status.WITHDRAWN),
        "joins_later": create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                                  applied_on=datetime.date(2099, 1, 1)),
        "student": member(society, student_type),
        "applying_student": member(society, student_type, Status.APPLYING),
        "leaves_early": member(society, regular_type, scheduled_withdrawal_date=datetime.date(2026, 3, 31)),
        "leaves_same_month": member(society, regular_type, scheduled_withdrawal_date=datetime.date(2026, 4, 1)),
        "student_leaving_early": member(society, student_type, scheduled_withdrawal_date=datetime.date(2026, 3, 31)),
        "applying_leaving_early": member(society, regular_type, Status.APPLYING,
                                         scheduled_withdrawal_date=datetime.date(2026, 3, 31)),
        "stranger": member(other_society, MemberTypeFactory(society=other_society)),
    }
    for status in (Status.ACTIVE, Status.APPLYING):
        for year, category, live in ((2026, "annual", True), (2026, "admission", True), (2026, "annual", False),
                                     (2025, "annual", True)):
            m = member(society, regular_type, status)
            InvoiceFactory(member=m, fiscal_year=year, category=category,
                           cancelled_at=None if live else datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc))
            made[f"{status}_with_{category}_{year}_{'live' if live else 'cancelled'}"] = m
        made[f"{status}_student_with_annual"] = m = member(society, student_type, status)
        InvoiceFactory(member=m, fiscal_year=2026, category="annual")
    return made


@pytest.mark.parametrize("category", ["annual", "admission"])
def test_issue12_2_skip_reason_selector_equals_the_runs_sql(staff_op, society, other_society, regular_type,
                                                             student_type, category):
    """``billing_run_skip_reason`` (the one public answer to "why would a run skip this member") says exactly what
    the run's set-based SQL does, for every skip reason, for a selection run and a full run."""
    made = _situations(society, regular_type, student_type, other_society)
    reasons_seen = set()
    for listed in (True, False):
        for invoice in Invoice.objects.filter(run__isnull=False):  # each round starts from the hand-made invoices
            invoice.delete()
        ids = [m.pk for m in made.values()] + [99_999_999] if listed else None
        asked_before = selectors.BillingRunParams(society.pk, category, 2026, clock.today(society),
                                                  datetime.date(2026, 4, 1), frozenset({student_type.pk}))
        before_run = {name: selectors.billing_run_skip_reason(asked_before, m) for name, m in made.items()}
        run = request(staff_op, society, category=category, name="2026年度", exclude_member_types=[student_type],
                      member_ids=ids)
        run.refresh_from_db()
        assert run.state == "done", run.error
        expected = {name: selectors.billing_run_skip_reason(run, m) for name, m in made.items()}
        in_scope = selectors.status_billed(category)
        billed = set(Invoice.objects.filter(run=run).values_list("member_id", flat=True))
        skipped = skips_of(run)
        for name, m in made.items():
            reason = expected[name]
            if listed:
                assert skipped.get(m.pk) == reason, name
            elif reason is None or m.society_id == society.pk and m.status_on(run.requested_on) == in_scope:
                assert skipped.get(m.pk) == reason, name  # a full run lists the members of the billed status
            else:
                assert m.pk not in skipped, name
            assert (m.pk in billed) == (reason is None), name
            # asked before the run (its parameters, no run yet), the answer was the same
            assert before_run[name] == reason, name
        if listed:
            assert skipped[99_999_999] == "not_found"
        reasons_seen |= set(skipped.values())
        for skip in BillingRunSkip.objects.filter(run=run, reason="already_billed"):
            assert skip.invoice_id == selectors.billing_run_blocking_invoice(run, skip.member).pk
    status_reason = "not_active" if category == "annual" else "not_applying"
    assert reasons_seen == {status_reason, "excluded_type", "withdrawal_before_allocation", "already_billed",
                            "not_found"}
