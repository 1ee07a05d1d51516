"""Scenario operators of ``operator-login`` (seed 001; issue 16 §3, SIM-3), in a training sandbox: one operator per
cause the sandbox can show, its sign-in log made by the real sign-in service (the same path as the pages), so a
trainer can start each case from シナリオ一覧. 原因⑥ (a cancelled or suspended contract) would lock the sandbox's own
trainers out; it is shown by the tests, not here."""

from __future__ import annotations

import dataclasses

from members import services as member_services
from members.models import Operator, OperatorSignIn, Society

PASSWORD = "scenario-op-2026"
WRONG = "scenario-op-2025"
MARK = "シナリオ"  # the scenario operators' names start with it: a reset finds them by it and the domain


@dataclasses.dataclass(frozen=True)
class OperatorScenario:
    key: str
    cause: str  # the outcome code of operator-login
    local: str  # the e-mail's local part
    shows: str


SCENARIOS = [
    OperatorScenario("operator_cause1", "cause1", "op-cause1",
                     "原因①: 契約者用ログインページ(/login/)からログインしようとした"),
    OperatorScenario("operator_cause2", "cause2", "op-cause2",
                     "原因②: 同じブラウザで別のオペレーター(op-cause2-colleague)がログインし、ログインが終了した"),
    OperatorScenario("operator_cause3", "cause3", "op-cause3",
                     "原因③: 同じメールアドレス(大文字・小文字違い)のオペレーターアカウントが2つある(移行前のデータ)"),
    OperatorScenario("operator_cause4", "cause4", "op-cause4", "原因④: パスワードを3回間違えた"),
    OperatorScenario("operator_cause5", "cause5", "op-cause5", "原因⑤: 管理者がオペレーターアカウントを削除した"),
    OperatorScenario("operator_unresolved", "unresolved", "op-ok",
                     "記録上は原因なし(ログイン成功): 「上記でも問題が解決しない場合」(エスカレーション)"),
]


def email(society: Society, local: str) -> str:
    return f"{local}@{society.slug}.example.jp"


def _operators(society: Society):
    return Operator.objects.filter(society=society, name__startswith=MARK)


def _sign_in(society: Society, address: str, password: str, door: str = "society_page", **extra) -> None:
    member_services.operator_sign_in(actor="system: scenario", door=door, email=address, password=password,
                                     society=society if door != "general_page" else None,
                                     society_slug=society.slug if door == "general_page" else None, **extra)


def build(society: Society, *, actor) -> None:
    """Create the scenario operators of ``society`` (a sandbox) and their sign-in log."""
    made = {}
    for scenario in SCENARIOS:
        made[scenario.key] = member_services.operator_create(
            actor=actor, society=society, email=email(society, scenario.local), password=PASSWORD, role="staff",
            name=f"{MARK} {scenario.shows.split(':')[0]}")
    _sign_in(society, email(society, "op-cause1"), PASSWORD, door="general_page")
    colleague = member_services.operator_create(actor=actor, society=society,
                                                email=email(society, "op-cause2-colleague"), password=PASSWORD,
                                                role="staff", name=f"{MARK} 原因②の同僚")
    _sign_in(society, email(society, "op-cause2"), PASSWORD)
    _sign_in(society, colleague.email, PASSWORD, ended_operator=made["operator_cause2"])
    # 原因③: a legacy duplicate, as data from before SOC-5 (the service refuses to create one)
    legacy = member_services.operator_create(actor=actor, society=society, email=email(society, "op-cause3-legacy"),
                                             password=PASSWORD, role="staff", name=f"{MARK} 原因③の重複")
    Operator.objects.filter(pk=legacy.pk).update(email=email(society, "OP-CAUSE3"),
                                                 username=f"{society.slug}/legacy-op-cause3-{legacy.pk}")
    _sign_in(society, email(society, "op-cause3"), PASSWORD)
    for _ in range(3):
        _sign_in(society, email(society, "op-cause4"), WRONG)
    member_services.operator_delete(actor=actor, operator=made["operator_cause5"])
    _sign_in(society, email(society, "op-cause5"), PASSWORD)
    _sign_in(society, email(society, "op-ok"), PASSWORD)


def remove(society: Society) -> int:
    """Remove the scenario operators and their sign-in log (they are scenario data, not the society's staff)."""
    operators = _operators(society)
    ids = list(operators.values_list("pk", flat=True))
    OperatorSignIn.objects.filter(operator_id__in=ids).delete()
    OperatorSignIn.objects.filter(society=society, email_key__in=[email(society, s.local) for s in SCENARIOS]).delete()
    operators.delete()
    return len(ids)


@dataclasses.dataclass
class Row:
    key: str
    label: str
    shows: str
    email: str
    operator: Operator | None


def rows(society: Society) -> list[Row]:
    if not society.is_sandbox:
        return []
    found = {o.email: o for o in _operators(society)}
    return [Row(s.key, f"オペレーターログイン {s.cause}", s.shows, email(society, s.local),
                found.get(email(society, s.local))) for s in SCENARIOS]
