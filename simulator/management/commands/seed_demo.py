"""The demo: two societies (one a training sandbox), operators of each role, member types and 200
realistic members in every status; in the sandbox, a member for every outcome A–F of seed 000 with A-Passes,
My Page sign-ins of every reason and mail links in every state (members.showcase). Safe to run twice (it skips
what exists)."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from backoffice import clock
from members import services, showcase
from members.models import Member, MemberType, Operator, Society, Status
from simulator import scenarios
from simulator.management.commands import reset_scenarios

PASSWORD = "demo-pass-2026"
SOCIETIES = [
    ("jsbo", "日本バックオフィス学会", False),
    ("training", "研修用サンドボックス学会", True),
]
MEMBER_TYPES = [("regular", "正会員", 10_000), ("student", "学生会員", 3_000), ("honorary", "名誉会員", 0)]
ROLES = ["admin", "staff", "trainer", "viewer"]
ACTOR = "system: seed_demo"
PLATFORM_EMAIL = "platform@example.jp"


class Command(BaseCommand):
    help = "Load the demo societies, operators and members, and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=200, help="members per society (default 200)")

    @transaction.atomic
    def handle(self, *args, members, **options):
        from members.factories import bulk_create_members, create_member_with_history

        lines: list[str] = []
        showcase_lines: list[str] = []
        scenario_lines: list[str] = []
        for slug, name, sandbox in SOCIETIES:
            society = Society.objects.filter(slug=slug).first() or services.society_create(
                actor=ACTOR, slug=slug, name=name, sandbox=sandbox,
                bank_account_text="みずほ銀行 本郷支店 普通 1234567 " + name,
            )
            types = []
            for code, type_name, fee in MEMBER_TYPES:
                mt = MemberType.objects.filter(society=society, code=code).first() or services.member_type_create(
                    actor=ACTOR, society=society, code=code, name=type_name, annual_fee=fee
                )
                types.append(mt)
            for role in ROLES:
                email = f"{role}@{slug}.example.jp"
                if not Operator.objects.filter(society=society, email=email).exists():
                    services.operator_create(actor=ACTOR, society=society, email=email, password=PASSWORD,
                                             role=role, name=f"{name} {role}")
                if sandbox or role != "trainer":
                    lines.append(f"  http://127.0.0.1:8000/office/{slug}/login/  学会ID {slug:<9} メール {email:<32} "
                                 f"パスワード {PASSWORD}  ({role})")
            fresh = not Member.objects.filter(society=society).exists()
            if not scenarios.is_built(society):  # SIM-3: seed 000's members (sandbox) and the billing scenarios
                scenarios.build(society, actor=ACTOR)
            if fresh:
                shown = scenarios.scenario_count(society)
                self._members(society, types, members - shown, bulk_create_members, create_member_with_history)
            if sandbox:
                showcase_lines += self._showcase_lines(society)
            scenario_lines += [f"  学会ID {slug}"] + reset_scenarios.scenario_lines(
                [row for row in scenarios.scenario_list(society) if not row.key.startswith("seed000_")])
        # the platform's help desk (seed 001 「UTAGEサポート」): the superuser who starts 原因⑥'s case, for the sandbox's
        # companion society that nobody can sign in to
        if not Operator.objects.filter(society__isnull=True, email=PLATFORM_EMAIL).exists():
            services.operator_create(actor=ACTOR, society=None, email=PLATFORM_EMAIL, password=PASSWORD, role="admin",
                                     name="プラットフォーム管理者", is_superuser=True)
        lines.append(f"  http://127.0.0.1:8000/login/  学会ID (空欄)    メール {PLATFORM_EMAIL:<32} パスワード {PASSWORD}  "
                     "(platform: プラットフォーム管理者。原因⑥のサポート案件)")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at each society's operator page below "
                                             "(administrators also at http://127.0.0.1:8000/login/ with the 学会ID):"))
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Seed 000 (ログインできない) — which member shows what:"))
        for line in showcase_lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Billing scenarios (SIM-3, シナリオ一覧) — which member shows what:"))
        for line in scenario_lines:
            self.stdout.write(line)

    def _showcase_lines(self, society) -> list[str]:
        lines = [f"  学会ID {society.slug}  A-Passのパスワード {showcase.APASS_PASSWORD}  "
                 f"(別サイトのA-Pass: {showcase.OTHER_SITE_EMAIL})"]
        for case, member in showcase.members_shown(society):
            who = f"{member.name} <{member.email}>" if member else "(missing)"
            lines.append(f"  {case.outcome}  {who:<44} {case.shows}")
        return lines

    def _members(self, society, types, count, bulk_create_members, create_member_with_history):
        # A few hand-made members that show each screen, then realistic bulk members in every status.
        today = clock.today(society)
        regular, student, _honorary = types
        showcase = [
            (Status.APPLYING, dict(name="山田 太郎", name_kana="ヤマダ タロウ", email="taro.yamada@example.ac.jp")),
            (Status.ACTIVE, dict(name="佐藤 花子", name_kana="サトウ ハナコ", email="hanako.sato@example.ac.jp")),
            (Status.WITHDRAWN, dict(name="鈴木 一郎", name_kana="スズキ イチロウ", email="ichiro.suzuki@example.ac.jp")),
            (Status.EXPELLED, dict(name="高橋 次郎", name_kana="タカハシ ジロウ", email="jiro.takahashi@example.ac.jp")),
            (Status.APPLICATION_WITHDRAWN, dict(name="田中 美咲", name_kana="タナカ ミサキ", email="misaki.tanaka@example.ac.jp")),
        ]
        for status, fields in showcase:
            create_member_with_history(status, applied_on=today - datetime.timedelta(days=700), society=society,
                                       member_type=regular, **fields)
        for i in range(3):  # active, waiting for a member number ([会員番号採番])
            create_member_with_history(Status.ACTIVE, applied_on=today - datetime.timedelta(days=30), society=society,
                                       member_type=student, email=f"new{i + 1}@example.ac.jp")
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular, corporate=True,
                                   name="山本 健一", name_kana="ヤマモト ケンイチ", email="contact@atlas-pharma.example.co.jp",
                                   organization="株式会社アトラス製薬")
        bulk_create_members(society, types, max(count - 9, 0), email_prefix=f"{society.slug}-m")
