"""Fake sent mail for tests, the demo and the benchmarks (DESIGN.md: factories are the single source of fake
data). ``bulk_create_sent_mails`` is the bulk path used by bench/sent_mail_search.py: mails rendered from the
shipped default templates (mail/templates/mail/defaults/) with varied names and addresses, a link on the
kinds that carry one, inserted in batches — not one ORM save per mail.

mail/ knows no members: names here are plain text, ``member_id`` a number."""

from __future__ import annotations

import datetime
import random
import re

import factory
from factory.django import DjangoModelFactory

from . import rendering
from .models import LINK_LIFETIME, LinkToken, MailKind, SentMail, new_token

FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
    ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"), ("加藤", "kato"),
    ("吉田", "yoshida"), ("山田", "yamada"), ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"),
    ("井上", "inoue"), ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"), ("阿部", "abe"),
    ("石川", "ishikawa"), ("前田", "maeda"), ("藤田", "fujita"), ("小川", "ogawa"), ("岡田", "okada"),
]
GIVEN = [
    ("翔太", "shota"), ("健一", "kenichi"), ("大輔", "daisuke"), ("直樹", "naoki"), ("誠", "makoto"),
    ("陽子", "yoko"), ("美咲", "misaki"), ("由美", "yumi"), ("恵", "megumi"), ("花子", "hanako"),
    ("拓也", "takuya"), ("さくら", "sakura"), ("和也", "kazuya"), ("真由美", "mayumi"), ("亮", "ryo"),
    ("彩", "aya"), ("隆", "takashi"), ("裕子", "yuko"), ("浩二", "koji"), ("愛", "ai"),
]
DOMAINS = [
    "u-tokyo.ac.jp", "kyoto-u.ac.jp", "osaka-u.ac.jp", "tohoku.ac.jp", "kyushu-u.ac.jp", "hokudai.ac.jp",
    "nagoya-u.jp", "keio.jp", "waseda.jp", "ncc.go.jp", "riken.jp", "aist.go.jp", "hitachi.com",
    "gmail.com", "yahoo.co.jp", "icloud.com", "outlook.jp", "docomo.ne.jp", "ezweb.ne.jp", "nifty.com",
]
INVOICE_NAMES = ["{year}年度 年会費", "{year}年度 入会金", "{year}年度 学術集会参加費", "{year}年度 論文掲載料"]
NOTICES = [
    ("第{n}回学術集会のご案内", "第{n}回学術集会を{month}月に開催いたします。演題登録はマイページから行ってください。"),
    ("会費規程改定のお知らせ", "理事会にて会費規程の改定が承認されました。{year}年度より新しい年会費が適用されます。"),
    ("学会誌 第{n}巻 発行のお知らせ", "学会誌 第{n}巻 第{month}号を発行いたしました。電子版は会員専用ページで閲覧できます。"),
    ("役員選挙の実施について", "{year}年度 役員選挙を実施いたします。投票期間は{month}月1日から{month}月20日までです。"),
    ("事務局夏季休業のお知らせ", "{month}月10日から{month}月16日まで事務局は休業いたします。お問い合わせへの回答は休業明けとなります。"),
]
# (kind, weight, link purpose): about 38 % of the mails carry a link, like a society's real outbox
KIND_MIX = [
    (MailKind.EMAIL_VERIFICATION, 20, "email_verification"),
    (MailKind.REGISTRATION_COMPLETE, 10, None),
    (MailKind.PASSWORD_RESET, 15, "password_reset"),
    (MailKind.EMAIL_CHANGE_CONFIRM, 3, "email_change"),
    (MailKind.INVOICE_NOTICE, 25, None),
    (MailKind.PAYMENT_RECEIPT, 12, None),
    (MailKind.PAYMENT_REMINDER, 10, None),
    (MailKind.APASS_UNLINKED, 1, None),
    (MailKind.OTHER, 4, None),
]
_VARIABLE_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def address(n: int) -> str:
    """The n-th fake recipient: ``kimura.misaki123@kyoto-u.ac.jp``."""
    family = FAMILY[n % len(FAMILY)][1]
    given = GIVEN[(n // len(FAMILY)) % len(GIVEN)][1]
    return f"{family}.{given}{n}@{DOMAINS[(n * 7) % len(DOMAINS)]}"


def person(n: int) -> str:
    """The name of recipient ``n`` as a mail addresses it: ``木村 美咲``."""
    return f"{FAMILY[n % len(FAMILY)][0]} {GIVEN[(n // len(FAMILY)) % len(GIVEN)][0]}"


def _fill(source: str, context: dict) -> str:
    """The default template with ``context`` filled in: plain substitution, so building a million mails does
    not run the template engine a million times (the defaults use variables only, no tags)."""
    return _VARIABLE_RE.sub(lambda m: str(context.get(m.group(1), "")), source)


class SentMailFactory(DjangoModelFactory):
    class Meta:
        model = SentMail

    kind = MailKind.OTHER
    to = factory.Sequence(address)
    subject = factory.Sequence(lambda n: f"【日本テスト学会】お知らせ {n}")
    body = factory.Sequence(lambda n: f"{person(n)} 様\n\nお知らせです。\n")
    status = SentMail.Status.SENT
    created_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.timezone.utc))
    sent_at = factory.SelfAttribute("created_at")


def bulk_create_sent_mails(
    society,
    count: int,
    *,
    recipients: int | None = None,
    start: datetime.datetime | None = None,
    batch_size: int = 5000,
    seed: int = 1,
    url_template: str = "https://mypage.example.jp/links/{token}/",
) -> int:
    """Insert ``count`` sent mails of ``society`` in batches, oldest first, spread over about five years, to
    ``recipients`` different addresses (default count // 5), each mail rendered from its kind's default
    template; the kinds that carry a link get a LinkToken (expired, used or superseded by then, mostly)."""
    rng = random.Random(seed)
    recipients = recipients or max(1, count // 5)
    start = start or datetime.datetime(2021, 4, 1, tzinfo=datetime.timezone.utc)
    step = datetime.timedelta(days=5 * 365) / max(1, count)
    kinds = [k for k, w, _p in KIND_MIX for _ in range(w)]
    purposes = {k: p for k, _w, p in KIND_MIX}
    templates = {k: rendering.default_template(k) for k in MailKind.values}
    society_name = society.name
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        mails, links = [], []
        for i in range(size):
            n = created + i
            kind = rng.choice(kinds)
            who = rng.randrange(recipients)
            at = start + step * n + datetime.timedelta(seconds=rng.randrange(60))
            year = 2021 + n * 5 // max(1, count)
            month = rng.randrange(1, 13)
            title, message = rng.choice(NOTICES)
            number = rng.randrange(20, 60)
            token = new_token() if purposes[kind] else None
            context = {
                "society_name": society_name, "name": person(who),
                "invoice_name": rng.choice(INVOICE_NAMES).format(year=year),
                "link_url": url_template.replace("{token}", token) if token else "",
                "expires_at": (at + LINK_LIFETIME).strftime("%Y-%m-%d %H:%M"),
                "title": title.format(n=number, month=month, year=year),
                "message": message.format(n=number, month=month, year=year),
            }
            subject, body = templates[kind]
            mails.append(SentMail(society=society, kind=kind, to=address(who), subject=_fill(subject, context),
                                  body=_fill(body, context), member_id=who + 1, status=SentMail.Status.SENT,
                                  attempts=1, created_at=at, sent_at=at))
            if token:
                links.append(LinkToken(mail=mails[-1], token=token, purpose=purposes[kind], url=context["link_url"], society=society,
                                       email=address(who), expires_at=at + LINK_LIFETIME,
                                       used_at=at + datetime.timedelta(minutes=5) if rng.random() < 0.6 else None))
        SentMail.objects.bulk_create(mails, batch_size=batch_size)
        if mails and mails[0].pk is None:  # a backend that returns no ids from bulk inserts
            raise RuntimeError("bulk_create_sent_mails needs a database that returns ids from bulk inserts")
        for link in links:
            link.mail_id = link.mail.pk  # assigned before the mail had its id
        LinkToken.objects.bulk_create(links, batch_size=batch_size)
        created += size
    return created
