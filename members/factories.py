from __future__ import annotations

import datetime
import random

import factory
from factory.django import DjangoModelFactory

from members.models import Member, MemberStatus, MemberType, Operator, Society, Status

FAMILY_NAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
    ("石川", "イシカワ"), ("前田", "マエダ"), ("藤田", "フジタ"), ("小川", "オガワ"), ("岡田", "オカダ"),
]
GIVEN_NAMES = [
    ("翔太", "ショウタ"), ("健一", "ケンイチ"), ("大輔", "ダイスケ"), ("直樹", "ナオキ"), ("誠", "マコト"),
    ("陽子", "ヨウコ"), ("美咲", "ミサキ"), ("由美", "ユミ"), ("恵", "メグミ"), ("花子", "ハナコ"),
    ("拓也", "タクヤ"), ("さくら", "サクラ"), ("和也", "カズヤ"), ("真由美", "マユミ"), ("亮", "リョウ"),
    ("彩", "アヤ"), ("隆", "タカシ"), ("裕子", "ユウコ"), ("浩二", "コウジ"), ("愛", "アイ"),
]
AFFILIATIONS = [
    "東京大学 医学部", "京都大学 理学研究科", "大阪大学 工学研究科", "東北大学 病院", "九州大学 農学部",
    "北海道大学 獣医学研究院", "名古屋大学 情報学研究科", "慶應義塾大学 医学部", "早稲田大学 理工学術院",
    "国立がん研究センター", "理化学研究所", "産業技術総合研究所", "株式会社日立製作所 研究開発グループ",
]
ORGANIZATIONS = ["株式会社アトラス製薬", "東邦化学工業株式会社", "一般財団法人 日本医療研究所", "株式会社みらい分析", "合同会社サイエンスラボ"]
PREFECTURES = ["東京都千代田区", "大阪府大阪市北区", "京都府京都市左京区", "北海道札幌市中央区", "福岡県福岡市博多区", "宮城県仙台市青葉区"]


def _person(n: int) -> tuple[str, str]:
    family, family_kana = FAMILY_NAMES[n % len(FAMILY_NAMES)]
    given, given_kana = GIVEN_NAMES[(n // len(FAMILY_NAMES)) % len(GIVEN_NAMES)]
    return f"{family} {given}", f"{family_kana} {given_kana}"


class SocietyFactory(DjangoModelFactory):
    class Meta:
        model = Society
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"日本テスト学会{n}")
    slug = factory.Sequence(lambda n: f"society{n}")
    bank_account_text = "みずほ銀行 本郷支店 普通 1234567 ニホンテストガッカイ"
    accepted_payment_methods = ["credit_card", "convenience_store", "bank_check", "bank_transfer", "postal_transfer"]


class OperatorFactory(DjangoModelFactory):
    class Meta:
        model = Operator
        skip_postgeneration_save = True

    society = factory.SubFactory(SocietyFactory)
    email = factory.Sequence(lambda n: f"operator{n}@example.jp")
    name = factory.Sequence(lambda n: f"事務局 担当{n}")
    role = Operator.Role.STAFF
    password = factory.PostGenerationMethodCall("set_password", "password-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MemberTypeFactory(DjangoModelFactory):
    class Meta:
        model = MemberType
        django_get_or_create = ("society", "code")

    society = factory.SubFactory(SocietyFactory)
    code = "regular"
    name = "正会員"
    annual_fee = 10_000


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    society = factory.SubFactory(SocietyFactory)
    kind = Member.Kind.INDIVIDUAL
    name = factory.Sequence(lambda n: _person(n)[0])
    name_kana = factory.Sequence(lambda n: _person(n)[1])
    email = factory.Sequence(lambda n: f"member{n}@example.ac.jp")
    member_type = factory.SubFactory(MemberTypeFactory, society=factory.SelfAttribute("..society"))
    affiliation = factory.Sequence(lambda n: AFFILIATIONS[n % len(AFFILIATIONS)])
    phone = factory.Sequence(lambda n: f"03-{1000 + n % 9000:04d}-{n % 10000:04d}")
    postal_code = "113-0033"
    address = factory.Sequence(lambda n: f"{PREFECTURES[n % len(PREFECTURES)]}1-{n % 30 + 1}-{n % 9 + 1}")

    class Params:
        corporate = factory.Trait(
            kind=Member.Kind.CORPORATE,
            organization=factory.Sequence(lambda n: ORGANIZATIONS[n % len(ORGANIZATIONS)] + f" {n}"),
        )


class MemberStatusFactory(DjangoModelFactory):
    class Meta:
        model = MemberStatus

    member = factory.SubFactory(MemberFactory)
    status = Status.APPLYING
    effective_date = datetime.date(2025, 4, 1)


# The status histories a member can have, oldest first: (status, days after the application).
HISTORIES: dict[str, list[tuple[str, int]]] = {
    Status.APPLYING: [(Status.APPLYING, 0)],
    Status.ACTIVE: [(Status.APPLYING, 0), (Status.ACTIVE, 14)],
    Status.WITHDRAWN: [(Status.APPLYING, 0), (Status.ACTIVE, 14), (Status.WITHDRAWN, 400)],
    Status.EXPELLED: [(Status.APPLYING, 0), (Status.ACTIVE, 14), (Status.EXPELLED, 500)],
    Status.APPLICATION_WITHDRAWN: [(Status.APPLYING, 0), (Status.APPLICATION_WITHDRAWN, 3)],
}


def create_member_with_history(status: str = Status.ACTIVE, applied_on: datetime.date | None = None, **kwargs) -> Member:
    """A member whose current status is ``status``, with a plausible dated history behind it."""
    member = MemberFactory(**kwargs)
    applied_on = applied_on or datetime.date(2024, 4, 1)
    for entry_status, days in HISTORIES[status]:
        MemberStatus.objects.create(
            member=member, status=entry_status, effective_date=applied_on + datetime.timedelta(days=days)
        )
    return member


def bulk_create_members(
    society: Society,
    member_types: list[MemberType],
    count: int,
    *,
    batch_size: int = 2000,
    numbered: bool = True,
    seed: int = 1,
    email_prefix: str = "bulk",
    corporate_every: int = 0,
) -> int:
    """The factories' bulk path: build members with MemberFactory.build and insert them in batches, with a
    status history each (mostly active). Used by seed_demo and the benchmarks. ``corporate_every`` k > 0: every
    k-th member is a corporate member (法人会員: an organisation from ORGANIZATIONS, the person its contact)."""
    rng = random.Random(seed)
    statuses = [Status.ACTIVE] * 80 + [Status.APPLYING] * 6 + [Status.WITHDRAWN] * 8 + [Status.EXPELLED] * 2 + [
        Status.APPLICATION_WITHDRAWN
    ] * 4
    start_number = Member.objects.filter(society=society).count() + 1
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        plan = []
        members = []
        for i in range(size):
            n = created + i
            status = rng.choice(statuses)
            applied = datetime.date(2015, 4, 1) + datetime.timedelta(days=rng.randrange(0, 3650))
            name, kana = _person(rng.randrange(0, 600))
            corporate = {}
            if corporate_every and n % corporate_every == corporate_every - 1:
                corporate = {"kind": Member.Kind.CORPORATE,
                             "organization": f"{ORGANIZATIONS[n // corporate_every % len(ORGANIZATIONS)]} {n + 1}"}
            member = MemberFactory.build(
                **corporate,
                society=society,
                member_type=rng.choice(member_types),
                name=name,
                name_kana=kana,
                email=f"{email_prefix}{start_number + n}@example.ac.jp",
                member_number=f"{start_number + n:06d}" if numbered and status != Status.APPLYING else None,
            )
            member.refresh_search_keys()
            members.append(member)
            plan.append((status, applied))
        Member.objects.bulk_create(members, batch_size=batch_size)
        if members[0].pk is None:  # backends that do not return ids from bulk inserts
            emails = [m.email for m in members]
            ids = dict(Member.objects.filter(society=society, email__in=emails).values_list("email", "id"))
            for m in members:
                m.pk = m.id = ids[m.email]
        entries = [
            MemberStatus(member_id=m.pk, status=s, effective_date=applied + datetime.timedelta(days=days))
            for m, (status, applied) in zip(members, plan)
            for s, days in HISTORIES[status]
        ]
        MemberStatus.objects.bulk_create(entries, batch_size=batch_size)
        created += size
    return created
