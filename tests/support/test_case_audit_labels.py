"""SEC-1 for the support console: every key a case's audit entries record reads in Japanese on the audit screens
(監査ログ), never as the code's own key (``current``, ``disclosed``, ``identity`` …)."""

from __future__ import annotations

import pytest
from django.utils import translation

from backoffice import audit_display, clock
from backoffice.models import AuditEntry
from support import services
from support.models import Case

from .conftest import confirm_identity_service

pytestmark = pytest.mark.django_db


def test_sec1_a_cases_entries_read_in_japanese(agent, showcase_members, sandbox):
    member = showcase_members["B"]  # withdrawn: re-admission question, then outcome B and its action
    case = services.case_create(actor=agent, society=sandbox, flow="login-trouble", member=member)
    confirm_identity_service(agent, case)
    case = services.case_answer(actor=agent, case=Case.objects.get(pk=case.pk), node="readmit", answer="yes")
    services.case_note_add(actor=agent, case=case, note="折り返し連絡済み")
    services.case_action_run(actor=agent, case=case, action="set_status_applying")
    entries = list(AuditEntry.objects.filter(action__startswith="support.case.").order_by("pk"))
    assert {e.action for e in entries} >= {"support.case.created", "support.case.answered", "support.case.noted",
                                            "support.case.action"}
    tz = clock.society_timezone(sandbox)
    with translation.override("ja"):
        rows = [row for entry in entries for row in audit_display.change_rows(entry, tz)]
    raw = sorted({row.key for row in rows if row.label == row.key})
    assert raw == [], f"keys shown as themselves on the audit screens: {raw}"
    labels = {row.key: row.label for row in rows}
    assert labels["disclosed"] == "問い合わせ者へ伝えた内容" and labels["current"] == "現在のステップ"
    statuses = {row.after for row in rows if row.key == "status"}
    assert statuses and not statuses & {"open", "resolved"}  # the status reads as its label, not its code
