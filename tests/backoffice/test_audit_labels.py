"""SEC-1: the audit trail reads in the operator's language — the core's label registry
(``register_action_labels``, ``register_field_labels``, ``register_target_models``) and the members app's labels,
registered from its AppConfig.ready(); the core imports no app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from backoffice import audit
from members.models import Member, MemberType, Operator, Society

MEMBERS_ACTION_LABELS = {
    "members.society.created": "学会登録",
    "members.society.updated": "学会設定変更",
    "members.operator.created": "オペレーター登録",
    "members.operator.updated": "オペレーター変更",
    "members.member_type.created": "会員種別登録",
    "members.member_type.updated": "会員種別変更",
    "members.member.created": "会員登録",
    "members.member.updated": "会員情報変更",
    "members.member.email_released": "メールアドレスの書き換え(再入会用)",
    "members.member.status_added": "会員状況変更・変更予定登録",
    "members.member.status_edited": "会員状況履歴の修正",
    "members.member.application_withdrawn": "入会申請取下",
    "members.member.status_bulk_updated": "会員状況の一括更新",
    "members.member_number.assigned": "会員番号採番",
    "members.member_number.corrected": "会員番号修正",
    "members.adjustment.added": "会員調整額登録",
}


def test_sec1_every_members_action_has_its_japanese_label():
    with translation.override("ja"):
        assert {code: audit.action_label(code) for code in MEMBERS_ACTION_LABELS} == MEMBERS_ACTION_LABELS
        assert set(dict(audit.action_choices())) >= set(MEMBERS_ACTION_LABELS)


def test_sec1_action_labels_follow_the_language_and_fall_back_to_the_code():
    with translation.override("en"):
        assert audit.action_label("members.member.created") == "Member registered"
    assert audit.action_label("support.case.unknown_act") == "support.case.unknown_act"


@pytest.fixture
def scratch_registry(monkeypatch):
    """Labels registered by a test are forgotten after it (the registry is process-wide)."""
    monkeypatch.setattr(audit, "_action_labels", dict(audit._action_labels))
    monkeypatch.setattr(audit, "_field_labels", {k: dict(v) for k, v in audit._field_labels.items()})
    monkeypatch.setattr(audit, "_field_choices", {k: dict(v) for k, v in audit._field_choices.items()})
    monkeypatch.setattr(audit, "_target_models", list(audit._target_models))


def test_sec1_registered_action_and_field_labels_are_used(scratch_registry):
    audit.register_action_labels({"tests.widget.polished": "ウィジェット研磨"})
    audit.register_field_labels("tests.widget.polished", {"shine": "光沢"}, choices={"shine": [("high", "高")]})
    audit.register_field_labels(audit.ANYWHERE, {"tests_anywhere_key": "どこでも"})
    assert audit.action_label("tests.widget.polished") == "ウィジェット研磨"
    assert audit.field_label("shine", action="tests.widget.polished") == "光沢"
    assert audit.field_choices("shine", action="tests.widget.polished") == {"high": "高"}
    assert audit.field_label("tests_anywhere_key", action="members.member.updated", model=Member) == "どこでも"
    assert audit.field_label("never_registered", model=Member) == "never_registered"


def test_sec1_field_labels_action_first_then_model_field_then_model_registration():
    with translation.override("ja"):
        # an adjustment's kind is the adjustment's (一時/恒久), a member's kind is individual/corporate
        assert audit.field_label("kind", action="members.adjustment.added", model=Member) == "調整区分"
        assert audit.field_label("kind", action="members.member.created", model=Member) == "会員区分"
        assert audit.field_choices("kind", action="members.adjustment.added", model=Member)["permanent"] == "恒久"
        assert audit.field_choices("kind", action="members.member.created", model=Member)["corporate"] == "法人会員"
        # keys that are not member fields, registered by the members app on the model
        assert audit.field_label("status", action="members.member.status_added", model=Member) == "会員状況"
        assert audit.field_label("effective_date", action="members.member.status_added", model=Member) == "日付"
        assert audit.field_label("application_date", action="members.member.created", model=Member) == "申請日"
        assert audit.field_label("note", action="members.member.status_added", model=Member) == "備考"
        # model fields by name and by attname
        assert audit.field_label("member_number", action="members.member.updated", model=Member) == "会員番号"
        assert audit.field_label("apass_id", action="members.member.updated", model=Member) == "A-Pass"
        assert audit.field_label("role", action="members.operator.updated", model=Operator) == "権限"
        # keys registered on the action, without a target model
        assert audit.field_label("note", action="members.member_number.corrected") == "理由"
        assert audit.field_label("amount", action="members.adjustment.added", model=Member) == "金額"


def test_sec1_core_imports_no_app():
    """backoffice/ imports no app (DESIGN.md): apps register their labels from AppConfig.ready()."""
    core = Path(__file__).resolve().parents[2] / "backoffice"
    offenders = []
    for path in core.rglob("*.py"):
        if path.name == "urls.py" or "settings" in path.parts or "migrations" in path.parts:
            continue  # urls wire the apps; settings name them
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"\s*(from|import)\s+(members|mail|billing|support|simulator)\b", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


def test_sec1_members_registers_its_target_models():
    assert set(audit.target_models()) >= {Society, Operator, MemberType, Member}
