"""Scenario operators of ``operator-login`` (seed 001; issue 16 §3, SIM-3), in a training sandbox: one operator per
cause, its sign-in log made by the real sign-in service (the same path as the pages), so a trainer can start each
case from シナリオ一覧.

原因⑥ (a cancelled or suspended contract) would lock the sandbox's own trainers out if the sandbox itself were
suspended. Its operator belongs to the sandbox's **companion**: a second training society, 「<sandbox>(契約停止中)」
(学会ID ``<slug>-stopped``), suspended for non-payment, made here beside the sandbox. Nobody of it can sign in — its
sign-in page shows seed 001's message — so its case is the platform's help desk's to start (seed 001: 「UTAGEサポート」;
a superuser choosing the society on 「サポート案件の開始」 or naming it in the API's ``society``)."""

from __future__ import annotations

import dataclasses
import datetime

from backoffice import clock
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


#: 原因⑥'s scenario operator, of the companion society (its address names the sandbox, like the others')
CAUSE6 = OperatorScenario("operator_cause6", "cause6", "op-cause6",
                          "原因⑥: 学会の契約が停止中(月額料金未払い)。相方の研修学会のオペレーターで、ログインページには"
                          "「メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。」と表示される")
COMPANION_SUFFIX = "-stopped"
SYSTEM = "system: scenario"


def email(society: Society, local: str) -> str:
    return f"{local}@{society.slug}.example.jp"


def companion_slug(society: Society) -> str:
    return f"{society.slug[:50 - len(COMPANION_SUFFIX)]}{COMPANION_SUFFIX}"


def companion(society: Society) -> Society | None:
    """The sandbox's suspended companion society (原因⑥), if built."""
    return Society.objects.filter(slug=companion_slug(society), is_sandbox=True).first()


def _build_companion(society: Society) -> Operator | None:
    """The companion society, suspended, with 原因⑥'s operator and its refused sign-in (made by the platform's own
    path: creating a society and setting its contract are the platform's, so the actor is the scenario system).
    None when the companion's 学会ID is a real society's (the row then says the operator is missing)."""
    from members.services import settings as settings_services

    other = companion(society)
    if other is None and Society.objects.filter(slug=companion_slug(society)).exists():
        return None
    if other is None:
        other = settings_services.society_create(actor=SYSTEM, slug=companion_slug(society),
                                                 name=f"{society.name}(契約停止中)"[:200], sandbox=True)
    if abs(other.clock_offset - society.clock_offset) > datetime.timedelta(minutes=1):
        # its clock the sandbox's, so the log and the case read at the sandbox's "now"
        other = settings_services.society_clock_move(actor=SYSTEM, society=other, to=clock.now(society))
    if other.contract_status != Society.ContractStatus.ACTIVE:  # active while its operator is made
        other = settings_services.society_update(actor=SYSTEM, society=other,
                                                 contract_status=Society.ContractStatus.ACTIVE)
    operator = member_services.operator_create(actor=SYSTEM, society=other, email=email(society, CAUSE6.local),
                                               password=PASSWORD, role="admin", name=f"{MARK} 原因⑥")
    other = settings_services.society_update(actor=SYSTEM, society=other,
                                             contract_status=Society.ContractStatus.SUSPENDED)
    _sign_in(other, operator.email, PASSWORD)
    return operator


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
    _build_companion(society)


def remove(society: Society) -> int:
    """Remove the scenario operators and their sign-in log (they are scenario data, not the society's staff)."""
    operators = _operators(society)
    ids = list(operators.values_list("pk", flat=True))
    OperatorSignIn.objects.filter(operator_id__in=ids).delete()
    OperatorSignIn.objects.filter(society=society, email_key__in=[email(society, s.local) for s in SCENARIOS]).delete()
    operators.delete()
    other = companion(society)
    if other is not None:  # the companion's operators are all scenario data; the society itself stays
        gone = list(Operator.objects.filter(society=other).values_list("pk", flat=True))
        OperatorSignIn.objects.filter(society=other).delete()
        OperatorSignIn.objects.filter(operator_id__in=gone).delete()
        Operator.objects.filter(pk__in=gone).delete()
        ids += gone
    return len(ids)


@dataclasses.dataclass
class Row:
    key: str
    label: str
    shows: str
    email: str
    operator: Operator | None
    society: Society | None = None  # 原因⑥: the companion society the operator belongs to (the platform's case)


def rows(society: Society) -> list[Row]:
    if not society.is_sandbox:
        return []
    found = {o.email: o for o in _operators(society)}
    listed = [Row(s.key, f"オペレーターログイン {s.cause}", s.shows, email(society, s.local),
                  found.get(email(society, s.local))) for s in SCENARIOS]
    other = companion(society)
    cause6 = Operator.objects.filter(society=other, email=email(society, CAUSE6.local)).first() if other else None
    listed.append(Row(CAUSE6.key, f"オペレーターログイン {CAUSE6.cause}", CAUSE6.shows, email(society, CAUSE6.local),
                      cause6, other))
    return listed
