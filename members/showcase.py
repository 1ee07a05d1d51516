"""Demo records for seed 000 (「ログインできない」): in a training sandbox, one member for each outcome A–F of
its 対応方法チャート and one already unlinked (section 4), with the A-Passes, My Page sign-in attempts and mail
links that make each outcome real. Used by ``seed_demo``; scenarios may reuse it.

Nothing here writes around the services: members come from the factories (as the rest of the demo data), A-Passes
from ``apass_create``, sign-ins from ``mypage_sign_in`` (so every reason is diagnosed by the real code), links
from the My Page password-reset service / ``link_follow`` and the unlink from ``apass_unlink``. Past events (a link sent three days
ago, a sign-in months ago) are done on the sandbox's clock set back for that call only: an unsaved copy of the
society with an earlier offset, which is exactly what the clock would have said then.

Japanese here is fixture data (names, what each member shows), like the factories' names.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime

from backoffice import clock
from mail.services import link_follow

from . import services
from .services import mypage
from .factories import create_member_with_history
from .models import APass, Member, MemberType, Society, Status

#: The password of every demo A-Pass (printed by seed_demo, like the operators' demo password).
APASS_PASSWORD = "apass-demo-2026"
DOMAIN = "example.ac.jp"


@dataclasses.dataclass(frozen=True)
class Showcase:
    outcome: str  # A–F, or "4" for a member already unlinked (section 4)
    name: str
    kana: str
    email: str
    status: str
    shows: str  # what the member demonstrates, in the manual's words


SHOWCASES = [
    Showcase("A", "中村 陽子", "ナカムラ ヨウコ", f"yoko.nakamura@{DOMAIN}", Status.ACTIVE,
             "未統合(鎖マークなし)・入会/在会・A-Pass未作成 → 会員情報のメールアドレスでA-Passを作成するよう案内"),
    Showcase("B", "小林 直樹", "コバヤシ ナオキ", f"naoki.kobayashi@{DOMAIN}", Status.WITHDRAWN,
             "未統合・退会・A-Passあり → ログインすると「会員資格のないアカウントなので統合できません」"),
    Showcase("C", "井上 さくら", "イノウエ サクラ", f"sakura.inoue@{DOMAIN}", Status.ACTIVE,
             "統合済み(鎖マーク)・メールアドレスが利用できる → パスワード再設定を依頼(再設定メール有効中)"),
    Showcase("D", "木村 健一", "キムラ ケンイチ", f"kenichi.kimura@{DOMAIN}", Status.ACTIVE,
             "統合済み・パスワードはわかる → ログインしてマイページからメールアドレスを変更(全角ID・Caps Lockの失敗の後に成功)"),
    Showcase("E", "林 由美", "ハヤシ ユミ", f"yumi.hayashi@{DOMAIN}", Status.ACTIVE,
             "統合済み・パスワード不明・パスワード再設定用の連絡先あり → パスワード再設定を依頼(再設定メールは期限切れ)"),
    Showcase("F", "清水 誠", "シミズ マコト", f"makoto.shimizu@{DOMAIN}", Status.ACTIVE,
             "統合済み・パスワード不明・再設定用の連絡先なし → 事務局画面からログイン情報の統合を解除"),
    Showcase("4", "森 彩", "モリ アヤ", f"aya.mori@{DOMAIN}", Status.ACTIVE,
             "ログイン情報の統合解除済み(手順5の後) → 古いA-Passでは統合できない・新しいA-Passを作成して統合"),
]
#: Outcome F's member after the unlink the trainer shows, and the member already unlinked.
F_NEW_EMAIL = f"makoto.shimizu.new@{DOMAIN}"
UNLINKED_NEW_EMAIL = f"aya.mori.new@{DOMAIN}"
#: An A-Pass of someone who is no member of the sandbox: signing in there is "another site" (seed 004 ⑧).
OTHER_SITE_EMAIL = "hiroshi.other-site@example.com"
RECOVERY_CONTACT = "090-1234-5678"


def showcase_by_outcome() -> dict[str, Showcase]:
    return {s.outcome: s for s in SHOWCASES}


def is_built(society: Society) -> bool:
    return Member.objects.filter(society=society, email=SHOWCASES[0].email).exists() or \
        Member.objects.filter(society=society, email=UNLINKED_NEW_EMAIL).exists()


def _past(society: Society, **ago: float) -> Society:
    """The sandbox as its clock read ``ago`` earlier (an unsaved copy: the real clock is not moved)."""
    earlier = copy.copy(society)
    earlier.clock_offset = (society.clock_offset or datetime.timedelta()) - datetime.timedelta(**ago)
    return earlier


def _full_width(value: str) -> str:
    """What a member typing in full-width mode enters (the inverse of NFKC for ASCII)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


def build(society: Society, member_type: MemberType, *, actor: str,
          link_url_template: str | None = None) -> list[tuple[Showcase, Member]]:
    """Create the seed 000 members of a training sandbox (call once; ``is_built`` tells). Returns each showcase
    with its member. Its mails are written by the live services, so their links are full URLs like a live mail's:
    ``link_url_template`` as the screen that asked gives it, else ``mail.links.link_url_template()``'s default."""
    assert society.is_sandbox, "the seed 000 showcase belongs in a training sandbox"
    today = clock.today(society)
    members: dict[str, Member] = {}
    for s in SHOWCASES:
        members[s.outcome] = create_member_with_history(
            s.status, applied_on=today - datetime.timedelta(days=800), society=society, member_type=member_type,
            name=s.name, name_kana=s.kana, email=s.email)

    def apass(email: str, *, recovery_contact: str = "", days_ago: float = 200) -> APass:
        return services.apass_create(actor=actor, society=_past(society, days=days_ago), email=email,
                                     password=APASS_PASSWORD, recovery_contact=recovery_contact)

    def sign_in(email: str, password: str = APASS_PASSWORD, **ago: float):
        return services.mypage_sign_in(actor=actor, society=_past(society, **ago) if ago else society, email=email,
                                       password=password)

    # A: no A-Pass yet; the member tried My Page with the member record's e-mail anyway.
    sign_in(members["A"].email, "yoko-2026", hours=2)
    # B: withdrawn; made an A-Pass with the record's address, and linking is refused (APS-3).
    apass(members["B"].email, days_ago=3)
    sign_in(members["B"].email, hours=5)
    # C: linked; the address works, so a password reset mail was sent an hour ago (its link still valid), and
    # the member opened a reception-check link earlier (used).
    apass(members["C"].email)
    sign_in(members["C"].email, days=180)
    # D: knows the password: typed the ID in full width, then the password with Caps Lock on, then in full-width
    # mode, and then signed in (which linked the record).
    apass(members["D"].email)
    sign_in(_full_width(members["D"].email), minutes=40)
    sign_in(members["D"].email, APASS_PASSWORD.swapcase(), minutes=30)
    sign_in(members["D"].email, _full_width(APASS_PASSWORD), minutes=20)
    sign_in(members["D"].email, minutes=10)
    # E: linked, has a password-reset contact, forgot the password; the reset mail sent three days ago was never
    # opened (expired).
    apass(members["E"].email, recovery_contact=RECOVERY_CONTACT)
    sign_in(members["E"].email, days=120)
    sign_in(members["E"].email, "yumi-1234", days=3, hours=1)
    # F: linked, no reset contact, password unknown; two reset mails, the first superseded by the second.
    apass(members["F"].email)
    sign_in(members["F"].email, days=90)
    sign_in(members["F"].email, "makoto-0000", hours=3)
    # Section 4 done: linked, then unlinked by the secretariat; the old A-Pass no longer links (no membership).
    apass(members["4"].email, days_ago=400)
    sign_in(members["4"].email, days=365)
    old_unlinked = members["4"].email
    members["4"] = services.apass_unlink(actor=actor, member=members["4"], new_email=UNLINKED_NEW_EMAIL)
    sign_in(old_unlinked)  # the unlink is dated now (the service reads the real sandbox clock), so this is after it
    # Someone with an A-Pass but no membership here (another society's member on the wrong site).
    services.apass_create(actor=actor, society=_past(society, days=30), email=OTHER_SITE_EMAIL,
                          password=APASS_PASSWORD)
    sign_in(OTHER_SITE_EMAIL, hours=4)

    # Mail links in every state, on the sandbox clock, sent by the real My Page service (so each opens for real).
    def reset_mail(email: str, **ago: float):
        return mypage.password_reset_request(actor=actor, society=_past(society, **ago), email=email,
                                             link_url_template=link_url_template).mail

    used = reset_mail(members["C"].email, hours=3)
    link_follow(actor=actor, token=used.link.token, data={"password": APASS_PASSWORD})  # used (same password)
    reset_mail(members["C"].email, hours=1)  # valid
    reset_mail(members["E"].email, days=3)  # expired: never opened
    reset_mail(members["F"].email, hours=6)  # superseded by the next one
    reset_mail(members["F"].email, hours=2)  # valid, but the address no longer receives mail
    return [(s, members[s.outcome]) for s in SHOWCASES]


def members_shown(society: Society) -> list[tuple[Showcase, Member | None]]:
    """Each showcase with its member in ``society`` (the section-4 member is found by its new address; F's by
    either address, in case the trainer has already unlinked it)."""
    found = []
    for s in SHOWCASES:
        emails = {"4": [UNLINKED_NEW_EMAIL, s.email], "F": [s.email, F_NEW_EMAIL]}.get(s.outcome, [s.email])
        member = None
        for email in emails:
            member = Member.objects.filter(society=society, email=email).select_related("apass").first()
            if member is not None:
                break
        found.append((s, member))
    return found

