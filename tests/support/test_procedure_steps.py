"""Issue 14 §1 point 1 (SUP-4 "runs step by step or all at once … nothing half-done", PAY-5): the procedure page's
step-by-step mode — [1手順ずつ確認] shows step k's changes (``procedure_preview(through=k)``, steps 1..k run dry)
with [次の手順へ] / [戻る], and [確定] on the last step runs every step with ``procedure_run`` in one transaction;
nothing is written before it. A record changed between the preview and [確定] (another operator acted) is refused
409 ``procedure_changed`` and nothing is changed. The page reads its params and ``?case=`` from the query string."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client

from backoffice import clock
from backoffice.errors import ERROR_CODES, DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice, NumberSequence, Payment
from billing.selectors import current_fiscal_year
from billing.services import payments as payment_services
from mail.models import SentMail
from members import services as member_services
from members.factories import MemberFactory
from support import procedures
from support.models import CaseAction

pytestmark = pytest.mark.django_db

URL = "/admin/support/procedures/member_type_correction/"
LABELS = ("①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録")


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎")


@pytest.fixture
def paid_invoice(member):
    """正会員 billed 10,000 and paid 3,000 by bank transfer: the student-type correction "after payment"."""
    inv = InvoiceFactory(member=member, fiscal_year=current_fiscal_year(member.society), amount=10_000)
    PaymentFactory(invoice=inv, amount=3_000, method="bank_transfer",
                   paid_on=clock.today(member.society) - datetime.timedelta(days=3))
    return inv


def client_of(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def state() -> tuple:
    return (Invoice.objects.count(), Payment.objects.count(), Payment.objects.live().count(),
            Invoice.objects.filter(cancelled_at__isnull=False).count(), AuditEntry.objects.count(),
            SentMail.objects.count(), tuple(NumberSequence.objects.order_by("pk").values_list("kind", "last")),
            tuple(Invoice.objects.order_by("pk").values_list("pk", "amount")))


def hidden(html: str, name: str) -> str:
    return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html).group(1)


def comparable(step: dict) -> list:
    """A step's changes without the clock's timestamps (deleted_at, created_at: read at each dry run) and the new
    rows' ids (PostgreSQL's id sequences do not roll back with a dry run)."""
    return [(c["target"], c["action"], c["field"], c["before"], c["after"]) for c in step["changes"]
            if not c["field"].endswith("_at") and c["field"] != "invoice"]


def current_step(html: str) -> str:
    return re.search(r'id="procedure-current-step">(.*?)</div>', html, re.S).group(1)


# --- procedure_preview(through=k) ----------------------------------------------------------------------------


def test_sup4_preview_through_k_runs_steps_one_to_k_only_and_changes_nothing(paid_invoice, staff_op, student_type):
    params = {"invoice": paid_invoice.pk, "member_type": student_type.pk}
    full = procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params)
    before = state()
    for k in range(1, 6):
        body = procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params,
                                            through=k)
        assert [s["label"] for s in body["steps"]] == list(LABELS)
        assert all(s["changes"] for s in body["steps"][:k])  # steps 1..k ran, each with its changes
        assert not any(s["changes"] for s in body["steps"][k:])  # the later ones only planned
        # step k's changes are those of the full preview: it follows steps 1..k-1 as the run will
        assert comparable(body["steps"][k - 1]) == comparable(full["steps"][k - 1])
        assert body["ok"] and body["fingerprint"] == full["fingerprint"]
    assert state() == before
    for bad in (0, 6, "2", True):
        with pytest.raises(DomainError) as exc:
            procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params,
                                         through=bad)
        assert exc.value.code == "invalid" and "through" in exc.value.fields
    assert state() == before


def test_sup4_procedure_changed_is_an_error_code_and_refuses_a_run_after_the_record_changed(paid_invoice, staff_op,
                                                                                         admin_op, student_type):
    assert "procedure_changed" in ERROR_CODES
    params = {"invoice": paid_invoice.pk, "member_type": student_type.pk}
    fingerprint = procedures.procedure_preview(actor=staff_op, procedure="member_type_correction",
                                               params=params, through=1)["fingerprint"]
    # another operator registers a second payment between the preview and the confirmation
    payment_services.payment_register(actor=admin_op, invoice=paid_invoice, amount=1_000, method="bank_transfer",
                                      paid_on=clock.today(paid_invoice.society))
    before = state()
    with pytest.raises(DomainError) as exc:
        procedures.procedure_run(actor=staff_op, procedure="member_type_correction", params=params,
                                 fingerprint=fingerprint)
    assert (exc.value.code, exc.value.status) == ("procedure_changed", 409)
    assert state() == before
    with pytest.raises(DomainError) as exc:  # a later step's preview says so too
        procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params, through=2,
                                     fingerprint=fingerprint)
    assert exc.value.code == "procedure_changed"
    # a fresh preview's fingerprint runs
    fresh = procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params)
    assert fresh["fingerprint"] != fingerprint
    assert procedures.procedure_run(actor=staff_op, procedure="member_type_correction", params=params,
                                    fingerprint=fresh["fingerprint"])["ok"]


def test_sup4_the_member_type_changed_by_another_operator_changes_the_fingerprint(paid_invoice, staff_op, admin_op,
                                                                              student_type, society):
    from members.factories import MemberTypeFactory

    params = {"invoice": paid_invoice.pk, "member_type": student_type.pk}
    first = procedures.procedure_preview(actor=staff_op, procedure="member_type_correction", params=params)
    honorary = MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0)
    member_services.member_update(actor=admin_op, member=paid_invoice.member, member_type=honorary)
    with pytest.raises(DomainError) as exc:
        procedures.procedure_run(actor=staff_op, procedure="member_type_correction", params=params,
                                 fingerprint=first["fingerprint"])
    assert exc.value.code == "procedure_changed"


def test_sup4_api_preview_answer_keeps_api_md_keys(paid_invoice, staff_op, student_type):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(staff_op)
    body = api.post("/api/v1/support/procedures/preview/", {"procedure": "member_type_correction", "params": {
        "invoice": paid_invoice.pk, "member_type": student_type.pk}}, format="json").json()
    assert set(body) == {"procedure", "ok", "steps", "refused"}


# --- the page's step-by-step mode ----------------------------------------------------------------------------


def test_sup4_step_by_step_page_shows_each_step_then_confirm_runs_all_as_one_act(paid_invoice, staff_op,
                                                                              student_type):
    client = client_of(staff_op)
    url = f"{URL}?invoice={paid_invoice.pk}"
    html = client.get(url).content.decode()
    assert 'id="procedure-step-start"' in html and "1手順ずつ確認" in html and "まとめて実行" not in html
    before = state()
    form = {"member_type": student_type.pk}
    html = client.post(url, {**form, "step": "1"}).content.decode()
    fingerprint = hidden(html, "fingerprint")
    for k in range(1, 6):
        assert f"手順{k}／5" in html, html
        step = current_step(html)
        assert LABELS[k - 1] in step and 'class="audit-changes"' in step
        assert 'id="procedure-step-back"' in html
        assert ('id="procedure-confirm"' in html) == (k == 5)
        assert ('id="procedure-step-next"' in html) == (k < 5)
        assert hidden(html, "fingerprint") == fingerprint
        assert hidden(html, "member_type") == str(student_type.pk)  # the params are fixed while stepping
        assert state() == before  # nothing is written before [確定]
        if k < 5:
            html = client.post(url, {**form, "step": str(k + 1), "fingerprint": fingerprint}).content.decode()
    assert "③会員種別変更" in html and "（確認済み）" in html
    # [戻る] from step 5 shows step 4 again; from step 1 the params form
    back = client.post(url, {**form, "step": "4", "fingerprint": fingerprint}).content.decode()
    assert LABELS[3] in current_step(back)
    start = client.post(url, {**form, "step": "0", "fingerprint": fingerprint}).content.decode()
    assert 'id="procedure-step-mode"' not in start and f'<option value="{student_type.pk}"' in start
    assert state() == before
    # [確定]: every step in one audit batch
    audit_before = AuditEntry.objects.count()
    done = client.post(url, {**form, "confirm": "1", "fingerprint": fingerprint}).content.decode()
    assert 'id="procedure-done"' in done, done
    entries = list(AuditEntry.objects.order_by("pk")[audit_before:])
    assert entries and len({e.batch_id for e in entries}) == 1
    assert Invoice.objects.get(pk=paid_invoice.pk).cancelled_at is not None
    paid_invoice.member.refresh_from_db()
    assert paid_invoice.member.member_type_id == student_type.pk


def test_sup4_step_by_step_confirm_after_another_operator_acted_is_refused_procedure_changed(paid_invoice, staff_op,
                                                                                             admin_op, student_type):
    client = client_of(staff_op)
    url = f"{URL}?invoice={paid_invoice.pk}"
    form = {"member_type": student_type.pk}
    fingerprint = hidden(client.post(url, {**form, "step": "1"}).content.decode(), "fingerprint")
    payment_services.payment_register(actor=admin_op, invoice=paid_invoice, amount=500, method="bank_transfer",
                                      paid_on=clock.today(paid_invoice.society))
    before = state()
    html = client.post(url, {**form, "step": "2", "fingerprint": fingerprint}).content.decode()
    assert "(procedure_changed)" in re.search(r'id="procedure-error">(.*?)</p>', html, re.S).group(1)
    html = client.post(url, {**form, "confirm": "1", "fingerprint": fingerprint}).content.decode()
    error = re.search(r'id="procedure-error">(.*?)</p>', html, re.S).group(1)
    assert "procedure_changed" in error and "プレビュー" in error
    assert 'id="procedure-done"' not in html
    html = client.post(url, {**form, "confirm": "1"}).content.decode()  # [確定] without the fingerprint: refused
    assert "procedure_changed" in html and 'id="procedure-done"' not in html
    assert state() == before


def test_sup4_step_refused_in_step_mode_shows_the_step_and_offers_no_next_or_confirm(paid_invoice, staff_op,
                                                                                   student_type, monkeypatch):
    def refused(**kw):
        raise DomainError("email_locked_by_apass", "refused by the rule", status=409)

    monkeypatch.setattr(member_services, "member_update", refused)
    client = client_of(staff_op)
    url = f"{URL}?invoice={paid_invoice.pk}"
    form = {"member_type": student_type.pk}
    fingerprint = hidden(client.post(url, {**form, "step": "1"}).content.decode(), "fingerprint")
    html = client.post(url, {**form, "step": "2", "fingerprint": fingerprint}).content.decode()
    assert 'id="procedure-refused"' not in html  # step 2 (請求取消) is fine
    before = state()
    html = client.post(url, {**form, "step": "3", "fingerprint": fingerprint}).content.decode()
    refusal = re.search(r'id="procedure-refused">(.*?)</p>', html, re.S).group(1)
    assert "3" in refusal and "email_locked_by_apass" in refusal
    assert 'id="procedure-confirm"' not in html and 'id="procedure-step-next"' not in html
    assert state() == before


def test_sup4_a_malformed_step_is_a_message_not_a_500(paid_invoice, staff_op, student_type):
    client = client_of(staff_op)
    url = f"{URL}?invoice={paid_invoice.pk}"
    for step in ("x", "99", "-1", "1.5"):
        response = client.post(url, {"member_type": student_type.pk, "step": step})
        assert response.status_code == 200
        assert "(invalid)" in response.content.decode()


def test_sup4_viewer_gets_no_step_buttons_and_cannot_confirm(paid_invoice, viewer_op, student_type):
    client = client_of(viewer_op)
    url = f"{URL}?invoice={paid_invoice.pk}&member_type={student_type.pk}&preview=1"
    html = client.get(url).content.decode()
    assert 'id="procedure-step-start"' not in html and 'id="procedure-run"' not in html
    before = state()
    assert client.post(url, {"step": "1"}).status_code == 403
    assert client.post(url, {"confirm": "1", "fingerprint": "x"}).status_code == 403
    assert state() == before


# --- params and ?case= from the query string -----------------------------------------------------------------


def test_sup4_page_reads_its_params_and_preview_from_the_query_string(paid_invoice, staff_op, student_type):
    client = client_of(staff_op)
    before = state()
    html = client.get(f"{URL}?invoice={paid_invoice.pk}&member_type={student_type.pk}&preview=1").content.decode()
    assert f'<option value="{student_type.pk}" selected>' in html
    assert 'id="procedure-steps"' in html and all(label in html for label in LABELS)
    assert 'id="procedure-run"' in html and hidden(html, "fingerprint")
    assert state() == before
    # without preview=1 the page only shows the form, prefilled
    html = client.get(f"{URL}?invoice={paid_invoice.pk}&member_type={student_type.pk}").content.decode()
    assert f'<option value="{student_type.pk}" selected>' in html and 'id="procedure-steps"' not in html


def test_sup4_page_with_case_records_the_run_in_the_case(paid_invoice, staff_op, student_type, member):
    from support import services as support_services

    case = support_services.case_create(actor=staff_op, society=member.society, flow="login-trouble", member=member)
    client = client_of(staff_op)
    url = f"{URL}?case={case.pk}&invoice={paid_invoice.pk}&member_type={student_type.pk}"
    html = client.get(url).content.decode()
    assert f'href="/admin/support/cases/{case.pk}/"' in html
    fingerprint = hidden(client.post(url, {"step": "1"}).content.decode(), "fingerprint")
    done = client.post(url, {"confirm": "1", "fingerprint": fingerprint}).content.decode()
    assert 'id="procedure-done"' in done and 'id="procedure-back-to-case"' in done
    (action,) = CaseAction.objects.filter(case=case)
    assert (action.action, action.ok, action.params["procedure"]) == ("procedure", True, "member_type_correction")


def test_sup4_page_with_another_society_case_or_a_bad_case_is_not_found(paid_invoice, staff_op, other_op,
                                                                         other_society):
    from support import services as support_services

    foreign_member = MemberFactory(society=other_society)
    foreign = support_services.case_create(actor=other_op, society=other_society, flow="login-trouble",
                                           member=foreign_member)
    client = client_of(staff_op)
    for case in (foreign.pk, "x", "99999999"):
        assert client.get(f"{URL}?case={case}&invoice={paid_invoice.pk}").status_code == 404
