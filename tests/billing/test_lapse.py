"""MEM-9 lapse after non-payment: candidates by unpaid fiscal years ≥ the society's threshold, the API list and
the screen 会員資格喪失候補 with one dated bulk withdrawal (退会). Nothing changes on its own."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing import selectors
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Category
from billing.services.lapse import lapse_withdraw
from members.factories import create_member_with_history
from members.models import Status
from tests.members.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(society, regular_type, this_year):
    def member(name, status=Status.ACTIVE):
        return create_member_with_history(status, society=society, member_type=regular_type, name=name,
                                          applied_on=datetime.date(2015, 4, 1))

    two_years = member("二年未納")
    InvoiceFactory(member=two_years, fiscal_year=this_year - 2)
    partial = InvoiceFactory(member=two_years, fiscal_year=this_year - 1)
    PaymentFactory(invoice=partial, amount=1_000)  # 一部入金 counts as unpaid
    InvoiceFactory(member=two_years, fiscal_year=this_year)  # the current year does not count

    one_year = member("一年未納")
    InvoiceFactory(member=one_year, fiscal_year=this_year - 1)
    InvoiceFactory(member=one_year, fiscal_year=this_year - 1, category=Category.ADMISSION)  # same year twice
    paid = InvoiceFactory(member=one_year, fiscal_year=this_year - 2)
    PaymentFactory(invoice=paid, amount=10_000)

    not_counted = member("対象外")
    InvoiceFactory(member=not_counted, fiscal_year=this_year - 3, category=Category.OTHER)
    InvoiceFactory(member=not_counted, fiscal_year=this_year - 2, confirmed_at=None)
    InvoiceFactory(member=not_counted, fiscal_year=this_year - 1, cancelled_at=timezone.now())
    InvoiceFactory(member=not_counted, fiscal_year=this_year - 4, amount=0)

    withdrawn = member("退会済", Status.WITHDRAWN)
    InvoiceFactory(member=withdrawn, fiscal_year=this_year - 2)
    InvoiceFactory(member=withdrawn, fiscal_year=this_year - 1)
    return dict(two_years=two_years, one_year=one_year, not_counted=not_counted, withdrawn=withdrawn)


def test_mem9_candidates_have_unpaid_years_at_least_the_threshold(society, people, this_year):
    candidates = selectors.with_unpaid_years(society, selectors.lapse_candidates(society))
    assert [(m.pk, m.unpaid_years) for m in candidates] == [
        (people["two_years"].pk, [this_year - 2, this_year - 1])]
    society.lapse_threshold_years = 1
    society.save()
    found = {m.pk: m.unpaid_years for m in selectors.with_unpaid_years(society, selectors.lapse_candidates(society))}
    assert found == {people["two_years"].pk: [this_year - 2, this_year - 1], people["one_year"].pk: [this_year - 1]}


def test_mem9_fiscal_year_follows_the_society_start_month(society):
    assert selectors.fiscal_year_of(society, datetime.date(2027, 3, 31)) == 2026
    assert selectors.fiscal_year_of(society, datetime.date(2027, 4, 1)) == 2027
    society.fiscal_year_start_month = 1
    assert selectors.fiscal_year_of(society, datetime.date(2027, 3, 31)) == 2027


def test_mem9_api_lists_member_and_unpaid_years(api, other_api, people, this_year, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        r = api.get("/api/v1/lapse-candidates/")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["member"]["id"] == people["two_years"].pk and item["member"]["status"] == "active"
    assert item["unpaid_years"] == [this_year - 2, this_year - 1]
    assert other_api.get("/api/v1/lapse-candidates/").json()["results"] == []


def test_mem9_api_query_count_does_not_grow_with_candidates(api, society, regular_type, this_year,
                                                             django_assert_max_num_queries):
    for i in range(15):
        m = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
        InvoiceFactory(member=m, fiscal_year=this_year - 2)
        InvoiceFactory(member=m, fiscal_year=this_year - 1)
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/lapse-candidates/").json()["count"] == 15


def test_mem9_bulk_withdrawal_is_one_dated_act_with_audit(staff_op, society, people):
    member = people["two_years"]
    day = clock.today(society)
    assert lapse_withdraw(actor=staff_op, society=society, member_ids=[member.pk], effective_date=day) == 1
    assert member.status_on(day) == Status.WITHDRAWN
    entries = AuditEntry.objects.filter(action="members.member.status_bulk_updated", target_id=str(member.pk))
    assert entries.count() == 1 and entries[0].batch_id is not None
    assert list(selectors.lapse_candidates(society)) == []


def test_mem9_withdrawal_refused_for_non_candidates_and_nothing_changes(staff_op, viewer_op, other_op, society, people):
    day = clock.today(society)
    before = AuditEntry.objects.count()
    for actor, ids, code in (
        (staff_op, [people["two_years"].pk, people["one_year"].pk], "invalid_transition"),  # one is not a candidate
        (viewer_op, [people["two_years"].pk], "permission_denied"),
        (other_op, [people["two_years"].pk], "not_found"),
        (staff_op, [], "invalid"),
    ):
        with pytest.raises(DomainError) as exc:
            lapse_withdraw(actor=actor, society=society, member_ids=ids, effective_date=day)
        assert exc.value.code == code
    assert people["two_years"].status_on(day) == Status.ACTIVE
    assert AuditEntry.objects.count() == before


def test_mem9_paid_meanwhile_is_no_longer_withdrawn(staff_op, society, people, this_year):
    member = people["two_years"]
    open_invoice = member.invoices.get(fiscal_year=this_year - 2)
    PaymentFactory(invoice=open_invoice, amount=10_000)
    with pytest.raises(DomainError) as exc:
        lapse_withdraw(actor=staff_op, society=society, member_ids=[member.pk], effective_date=clock.today(society))
    assert exc.value.code == "invalid_transition" and "二年未納" in str(exc.value.message)


def test_mem9_screen_lists_and_withdraws(staff_client, society, people, this_year, django_assert_max_num_queries):
    url = "/admin/billing/lapsecandidate/"
    with django_assert_max_num_queries(14):
        r = staff_client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and "会員資格喪失候補" in html
    assert "二年未納" in html and f"{this_year - 2}、{this_year - 1}" in html and "一年未納" not in html
    day = clock.today(society)
    r = staff_client.post(url, {"member_ids": [people["two_years"].pk], "effective_date": day.isoformat()})
    assert r.status_code == 302
    assert people["two_years"].status_on(day) == Status.WITHDRAWN
    r = staff_client.post(url, {"member_ids": [people["one_year"].pk], "effective_date": day.isoformat()})
    assert r.status_code == 200  # not a candidate: refused on the form
    assert people["one_year"].status_on(day) == Status.ACTIVE


def test_mem9_screen_viewer_reads_only_and_other_society_sees_none(client, viewer_op, other_op, society, people):
    client.force_login(viewer_op)
    r = client.get("/admin/billing/lapsecandidate/")
    assert r.status_code == 200 and "二年未納" in r.content.decode() and 'name="member_ids"' not in r.content.decode()
    assert client.post("/admin/billing/lapsecandidate/", {"member_ids": [people["two_years"].pk],
                                                          "effective_date": "2030-01-01"}).status_code == 403
    client.force_login(other_op)
    assert "二年未納" not in client.get("/admin/billing/lapsecandidate/").content.decode()
