"""SIM-3 scenarios of seed 003's member, application, mail and My Page flows (support/flows/faq_members.py): a
scenario member — or, for someone not yet a member, an applicant's address — for every outcome that depends on the
record, built through the domain services on the sandbox clock, and the rows of the scenario list that name them.
``simulator/scenarios.py`` calls ``build`` and ``rows`` (sandboxes only) the way it lists its own scenarios.

Japanese here is fixture data (names, what each row shows), like the factories' names."""

from __future__ import annotations

import datetime

from backoffice import clock
from mail.models import SentMail
from mail.services import link_follow
from members import services as member_services
from members import showcase
from members.factories import create_member_with_history
from members.models import Member, Society, Status
from members.services import applications, mypage

DOMAIN = "example.ac.jp"
PASSWORD = showcase.APASS_PASSWORD

#: (key, name, kana, e-mail, what it demonstrates)
MEMBERS = [
    ("faq_withdrawn", "菅原 亮", "スガワラ リョウ", f"ryo.sugawara@{DOMAIN}",
     "退会した会員(A-Pass未統合): 入会申請・代理申請で「このメールアドレスは既に使用されています。」→ 過去退会分のメールアドレスを書き換える"),
    ("faq_withdrawn_linked", "菊地 玲奈", "キクチ レナ", f"rena.kikuchi@{DOMAIN}",
     "退会した会員(A-Pass統合済み): メールアドレスを書き換える前にログイン情報の統合解除が必要"),
    ("faq_applying", "野口 大樹", "ノグチ ダイキ", f"daiki.noguchi@{DOMAIN}",
     "申請中(3日前に申請): 間違って入会申請された → 入会申請取下"),
    ("faq_applying_today", "樋口 花", "ヒグチ ハナ", f"hana.higuchi@{DOMAIN}",
     "本日申請した申請中: 申請日と入会日が同日 →「申請中」を編集して「入会/在会」に(会員状況の一括更新は明日以降)"),
    ("faq_reapplied_today", "久保 涼子", "クボ リョウコ", f"ryoko.kubo@{DOMAIN}",
     "退会後、本日再び申請中: 同日入会の編集は退会→入会/在会の変更になるためできない"),
    ("faq_applied_online", "関 悠人", "セキ ユウト", f"yuto.seki@{DOMAIN}",
     "「メールアドレス認証のご連絡」のURLから入会申請済み(URLは使用済み、申請中)"),
    ("faq_email_change_tried", "平野 舞子", "ヒラノ マイコ", f"maiko.hirano@{DOMAIN}",
     "メールアドレス変更確定URLが未使用で有効、変更後のメールアドレスでログインを試みた"),
    ("faq_email_change_expired", "大野 健太", "オオノ ケンタ", f"kenta.ono@{DOMAIN}",
     "メールアドレス変更確定URLを24時間以内にクリックしなかった(期限切れ)"),
    ("faq_email_change_done", "丸山 恵子", "マルヤマ ケイコ", f"keiko.maruyama@{DOMAIN}",
     "メールアドレス変更を確定済み(変更後のメールアドレスが登録されている)"),
]
NEW_EMAIL = {"faq_email_change_tried": f"maiko.hirano.new@{DOMAIN}",
             "faq_email_change_expired": f"kenta.ono.new@{DOMAIN}",
             "faq_email_change_done": f"keiko.maruyama.new@{DOMAIN}"}

#: Applicants with no member record: (key, e-mail, what it demonstrates)
APPLICANTS = [
    ("faq_applicant_pending", f"applicant.pending@{DOMAIN}",
     "入会申請者(会員情報なし): 「メールアドレス認証のご連絡」を1時間前に送信、URL有効 → [代理申請]は有効期間中できない"),
    ("faq_applicant_expired", f"applicant.expired@{DOMAIN}",
     "入会申請者(会員情報なし): 「メールアドレス認証のご連絡」を3日前に送信、URLは期限切れ"),
    ("faq_applicant_twice", f"applicant.twice@{DOMAIN}",
     "入会申請者(会員情報なし): 入会申請を2回行い「メールアドレス認証のご連絡」が2通、古いメールのURLは無効"),
    ("faq_applicant_no_mail", f"applicant.nomail@{DOMAIN}",
     "入会申請者(会員情報なし): 「メールアドレス認証のご連絡」は送信されていない"),
]
APPLICANT_EMAILS = {key: email for key, email, _shows in APPLICANTS}

#: the triage codes whose item names one of these flows (support/triage.py): the scenario list's triage row starts it
TRIAGE_FLOWS = {"verification_link_expired": "faq-verification-link-error", "email_change_pending": "faq-email-change-login"}

#: (flow, label, what it shows, the scenario key: one of MEMBERS, APPLICANTS or another module's member)
ROWS = [
    ("faq-application-email-in-use", "既に使用されています holder_current", "入会/在会の会員のメールアドレス → 対象者を確認", "paid"),
    ("faq-application-email-in-use", "既に使用されています release", "退会した会員のメールアドレス → [メールアドレスの書き換え(再入会用)]", "faq_withdrawn"),
    ("faq-application-email-in-use", "既に使用されています release_locked", "退会・A-Pass統合済み → 先に統合解除", "faq_withdrawn_linked"),
    ("faq-application-email-in-use", "既に使用されています not_held", "どの会員も使っていないメールアドレス", "faq_applicant_no_mail"),
    ("faq-application-withdraw", "入会申請の取消 withdraw", "申請中 → 入会申請取下", "faq_applying"),
    ("faq-application-withdraw", "入会申請の取消 not_applying", "入会/在会 → 取下できない", "paid"),
    ("faq-application-same-day", "申請日と入会日が同日 edit_entry", "本日申請 →「申請中」を編集して「入会/在会」", "faq_applying_today"),
    ("faq-application-same-day", "申請日と入会日が同日 edit_refused", "退会後の再申請 → 編集もできない", "faq_reapplied_today"),
    ("faq-application-same-day", "申請日と入会日が同日 not_applying", "入会/在会 → 申請中ではない", "paid"),
    ("faq-bulk-status-date", "一括更新の日付 answer", "本日申請 → 一括で登録できる日付は明日以降", "faq_applying_today"),
    ("faq-member-number", "会員番号採番 taken・gap", "採番待ちの会員あり(次の空き番号を表示)→ 表示されたメッセージを選ぶ", "paid"),
    ("faq-proxy-email-in-use", "代理申請 wait_or_open", "認証URLの有効期間中 → 期限後に行うか、送信済みメールのURLから登録", "faq_applicant_pending"),
    ("faq-proxy-email-in-use", "代理申請 member_has_it", "退会した会員のメールアドレス", "faq_withdrawn"),
    ("faq-proxy-email-in-use", "代理申請 not_pending", "認証URLは期限切れ → 代理申請できる", "faq_applicant_expired"),
    ("faq-verification-mail-missing", "認証メールが届かない sent", "送信済み → 迷惑メールフォルダなどを確認", "faq_applicant_pending"),
    ("faq-verification-mail-missing", "認証メールが届かない not_sent", "未送信 → 会員規約の同意から登録し直す", "faq_applicant_no_mail"),
    ("faq-verification-mail-missing", "認証メールが届かない registered", "URLから登録済み(申請中)", "faq_applied_online"),
    ("faq-verification-link-error", "URLがエラー expired", "送信から24時間経過", "faq_applicant_expired"),
    ("faq-verification-link-error", "URLがエラー superseded", "2通送信 → 最新のメールのURL(古いメールをクリックした: いいえ)", "faq_applicant_twice"),
    ("faq-verification-link-error", "URLがエラー line_break・copy_paste", "URL有効(1通) → 開き方を伺う", "faq_applicant_pending"),
    ("faq-verification-link-error", "URLがエラー used", "URLは使用済み(登録済み)", "faq_applied_online"),
    ("faq-verification-link-error", "URLがエラー not_sent", "未送信", "faq_applicant_no_mail"),
    ("faq-reset-mail-missing", "再発行メールが届かない change_email・no_apass", "未統合・A-Pass未作成 → 違う: メールアドレス変更/合っている: A-Pass作成", "seed000_A"),
    ("faq-reset-mail-missing", "再発行メールが届かない email_locked・not_sent", "統合済み・再設定メールなし → 違う: 変更できない/合っている: 再度パスワード発行", "seed000_D"),
    ("faq-reset-mail-missing", "再発行メールが届かない sent", "再設定メール送信済み(有効)→ 迷惑メールフォルダなど", "seed000_C"),
    ("faq-email-change-login", "変更後のアドレスでログインできない confirm", "変更確定URLが未使用で有効", "support_email_change"),
    ("faq-email-change-login", "変更後のアドレスでログインできない sign_in_old", "変更後のアドレスでログインを試みた", "faq_email_change_tried"),
    ("faq-email-change-login", "変更後のアドレスでログインできない redo", "変更確定URLは期限切れ → 再度メールアドレスを変更", "faq_email_change_expired"),
    ("faq-email-change-login", "変更後のアドレスでログインできない changed", "変更は確定済み", "faq_email_change_done"),
    ("faq-email-change-login", "変更後のアドレスでログインできない no_request", "マイページでの変更依頼なし", "seed000_D"),
]


def _past(society: Society, days: float = 0, **delta) -> Society:
    """``society`` as its clock read ``days`` (and ``hours=``) earlier: what a service does then is dated then."""
    earlier = Society.objects.get(pk=society.pk)
    earlier.clock_offset = (society.clock_offset or datetime.timedelta()) - datetime.timedelta(days=days, **delta)
    return earlier


def build(society: Society, *, actor, regular, link_url_template: str | None = None) -> dict[str, Member]:
    """The scenario members (and the applicants' mails) of the faq member flows in the sandbox ``society``."""
    today = clock.today(society)
    people = {key: (name, kana, email) for key, name, kana, email, _shows in MEMBERS}

    def person(key: str, status: str, days_ago: int) -> Member:
        name, kana, email = people[key]
        return create_member_with_history(status, applied_on=today - datetime.timedelta(days=days_ago),
                                          society=society, member_type=regular, name=name, name_kana=kana,
                                          email=email)

    def linked(member: Member, days_ago: int = 100) -> Member:
        member_services.apass_create(actor=actor, society=_past(society, days_ago), email=member.email,
                                     password=PASSWORD)
        member_services.mypage_sign_in(actor=actor, society=_past(society, days_ago - 1), email=member.email,
                                       password=PASSWORD)
        return Member.objects.get(pk=member.pk)

    def verification(email: str, **ago) -> SentMail:
        return applications.application_request(actor=actor, society=_past(society, **ago),
                                                email=email, link_url_template=link_url_template)

    members = {"faq_withdrawn": person("faq_withdrawn", Status.WITHDRAWN, 900)}
    withdrawn_linked = linked(person("faq_withdrawn_linked", Status.ACTIVE, 900), days_ago=200)
    member_services.member_status_add(actor=actor, member=withdrawn_linked, status=Status.WITHDRAWN,
                                      effective_date=today - datetime.timedelta(days=30))
    members["faq_withdrawn_linked"] = withdrawn_linked
    members["faq_applying"] = person("faq_applying", Status.APPLYING, 3)
    members["faq_applying_today"] = person("faq_applying_today", Status.APPLYING, 0)
    again = person("faq_reapplied_today", Status.WITHDRAWN, 900)
    member_services.member_status_add(actor=actor, member=again, status=Status.APPLYING, effective_date=today)
    members["faq_reapplied_today"] = again
    # applied online: the verification link followed, the application form submitted (APP-1)
    name, kana, email = people["faq_applied_online"]
    mail = verification(email, hours=5)
    followed = link_follow(actor=actor, token=mail.link.token,
                           data={"name": name, "name_kana": kana, "member_type": regular.code})
    members["faq_applied_online"] = Member.objects.get(pk=followed["member_id"])
    # e-mail changes asked on My Page (MAIL-2): tried with the new address, expired, confirmed
    for key, days_ago in (("faq_email_change_tried", 0), ("faq_email_change_expired", 2), ("faq_email_change_done", 0)):
        member = linked(person(key, Status.ACTIVE, 800))
        requested = mypage.email_change_request(actor=actor, society=_past(society, days_ago),
                                                session_email=member.email, password=PASSWORD,
                                                new_email=NEW_EMAIL[key], link_url_template=link_url_template)
        if key == "faq_email_change_tried":
            member_services.mypage_sign_in(actor=actor, society=society, email=NEW_EMAIL[key], password=PASSWORD)
        if key == "faq_email_change_done":
            link_follow(actor=actor, token=requested.link.token, data={"session_email": member.email})
        members[key] = Member.objects.get(pk=member.pk)
    # applicants with no member record
    verification(APPLICANT_EMAILS["faq_applicant_pending"], hours=1)
    verification(APPLICANT_EMAILS["faq_applicant_expired"], days=3)
    verification(APPLICANT_EMAILS["faq_applicant_twice"], hours=3)
    verification(APPLICANT_EMAILS["faq_applicant_twice"], hours=1)
    return members


def applicant_emails() -> set[str]:
    return set(APPLICANT_EMAILS.values())


def member_emails() -> set[str]:
    return {email for _key, _name, _kana, email, _shows in MEMBERS} | set(NEW_EMAIL.values())


def rows(registered: dict[str, Member], by_key: dict, row_type) -> list:
    """The scenario list's rows: each new member once, each applicant's address, then one row per outcome."""
    out = [row_type(key, shows.split(":")[0], shows, registered.get(key), ROWS_FLOW.get(key, "")) for key, _n, _k, _e, shows
           in MEMBERS]
    out += [row_type(key, shows.split(":")[0], shows, None, ROWS_FLOW.get(key, ""), email=email)
            for key, email, shows in APPLICANTS]
    members = {r.key: r for r in out} | by_key
    for flow, label, shows, key in ROWS:
        target = members.get(key)
        out.append(row_type(f"{flow}_{label.split()[-1]}", label, shows, target.member if target else None, flow,
                            alias=True, email=target.email if target else ""))
    return out


#: the flow each new scenario's own row starts (its first outcome in ROWS)
ROWS_FLOW: dict[str, str] = {}
for _flow, _label, _shows, _key in ROWS:
    ROWS_FLOW.setdefault(_key, _flow)

