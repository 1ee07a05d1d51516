"""seed 000 「ログインできない」と問い合わせがあった場合 — outcomes A–F of its 対応方法チャート, with seed 004's
sign-in checks (from the sign-in log) and 3-1's mail checks (from the sent-mail log) shown as facts before any
question. Node ids and outcome codes as API.md ("login-trouble node ids"). Wording from the manual.

v2 (SUP-9): the flow tells the caller what the record holds (where the reset mail went, the e-mail to create the
A-Pass with), so it checks who is calling — as a gate beside the walk (``"identity": "gate"``, see
support/engine.py), because API.md fixes the node ids and ``current.kind``: the walk is v1's, node for node; what
to tell the caller and the actions wait for the check. None of its outcomes sends the caller elsewhere (seed 000
resolves every branch at the secretariat or by the member's own steps), so none ``escalates``. v1 stays as
published for the cases started on it (``V1``)."""

import copy

from .common import IDENTITY_NODE

SEED = "000_b27a0a2d0c352332.txt"

YES_NO = ("はい", "いいえ")


def _yes_no(text: str, yes: str, no: str) -> dict:
    return {"kind": "question", "text": text,
            "options": [{"value": "yes", "label": YES_NO[0], "next": yes},
                        {"value": "no", "label": YES_NO[1], "next": no}]}


NEW_EMAIL_SCHEMA = {
    "type": "object",
    "required": ["new_email"],
    "properties": {"new_email": {"type": "string", "format": "email",
                                 "title": "ログイン情報統合解除後に使用するメールアドレス"}},
    "additionalProperties": False,
}
NO_PARAMS = {"type": "object", "properties": {}, "additionalProperties": False}

V1 = {
    "id": "login-trouble",
    "version": 1,
    "title": "「ログインできない」と問い合わせがあった場合",
    "source": {"seed": SEED, "section": "対応方法チャート"},
    "start": "sign_ins",
    "nodes": {
        # seed 004 【1】【8】【6】【7】: what the sign-in log already diagnosed (shown, does not branch)
        "sign_ins": {"kind": "fact", "fact": "mypage.recent_sign_ins", "label": "マイページへのログイン(直近7日間)",
                     "next": "apass_linked"},
        "apass_linked": {"kind": "fact", "fact": "member.apass_linked", "label": "1. ログイン情報の統合状況確認",
                         "branches": {"true": "reset_mail", "false": "status"}},
        "status": {"kind": "fact", "fact": "member.status", "label": "会員状況",
                   "branches": {"applying": "A", "active": "A", "none": "A", "withdrawn": "readmit",
                                "expelled": "readmit", "application_withdrawn": "readmit"}},
        "readmit": _yes_no("再入会を許可しますか?", "B", "B_declined"),
        # 3-1: was a reset mail sent, when, to which address, and its link's state (shown, does not branch)
        "reset_mail": {"kind": "fact", "fact": "mail.password_reset", "label": "パスワード再設定メール",
                       "next": "email_usable"},
        "email_usable": _yes_no("会員は会員情報(A-Pass)のメールアドレスでメールを受け取れますか?", "C", "knows_password"),
        "knows_password": _yes_no("パスワードはわかりますか?", "D", "recovery_contact"),
        "recovery_contact": {"kind": "fact", "fact": "apass.recovery_contact", "label": "パスワード再設定用の連絡先",
                             "branches": {"true": "E", "false": "F"}},
        "A": {
            "kind": "outcome", "code": "A",
            "text": "会員へ会員情報のメールアドレスでA-Passを作成してログインするよう案内します。",
            "section": "2-1.「申請中」「入会/在会」の場合", "actions": [],
        },
        "B": {
            "kind": "outcome", "code": "B",
            "text": "再入会を許可する場合は会員状況を変更して、会員へA-Passと会員情報を統合するよう案内します。"
                    "会員状況を「申請中」に変更した後、会員情報のメールアドレスでA-Passを作成するか、A-Passを作成済みの場合は"
                    "ログインして会員情報のログイン情報と統合するよう会員へ案内してください。",
            "section": "2-2.「退会」「除名」「申請取下」の場合",
            "actions": [{"action": "set_status_applying", "label": "会員状況を「申請中」に変更",
                         "params_schema": NO_PARAMS}],
        },
        "B_declined": {
            "kind": "outcome", "code": "B_declined",
            "text": "「会員資格のないアカウントなので統合できません」と表示されログインできないのは、会員状況が「退会」「除名」"
                    "「申請取下」になっているためです。再入会を許可しない場合は、会員状況は変更せず、その旨を会員へお伝えください。",
            "section": "2-2.「退会」「除名」「申請取下」の場合", "actions": [],
        },
        "C": {
            "kind": "outcome", "code": "C",
            "text": "会員へパスワードを再設定するよう依頼します。会員へマイページヘルプ「パスワードを忘れた場合」ページを案内して"
                    "ください。パスワード再設定メールが届かない場合は、メールアドレスの入力ミス、迷惑メールフォルダ、受信拒否設定"
                    "(「@atlas.jp」「noreply.confit@atlas.jp」からのメールを受信できるように許可設定)を確認するよう会員へ依頼します。"
                    "会員から「所属先での受信設定の変更が難しい」などの返答があった場合は、事務局画面からログイン情報の統合を解除して"
                    "別のメールアドレスを登録してください。",
            "section": "3-1. メールアドレスが利用できる場合",
            "actions": [{"action": "unlink_apass", "label": "ログイン情報統合解除(所属先での受信設定の変更が難しい場合)",
                         "params_schema": NEW_EMAIL_SCHEMA}],
        },
        "D": {
            "kind": "outcome", "code": "D",
            "text": "会員へメールアドレス・パスワードを入力してログインし、マイページからメールアドレスを変更するよう依頼します。"
                    "会員へマイページヘルプ「メールドレスを変更する」ページを案内してください。",
            "section": "3-2. メールアドレスが利用できない・パスワードはわかる場合", "actions": [],
        },
        "E": {
            "kind": "outcome", "code": "E",
            "text": "会員へパスワードを再設定するよう依頼します。会員へマイページヘルプ「パスワードを忘れた場合」ページを案内し、"
                    "パスワード再設定するよう依頼します。",
            "section": "3-3. メールアドレスが利用できない・パスワードも不明な場合>パスワード再設定用の連絡先を登録している場合",
            "actions": [],
        },
        "F": {
            "kind": "outcome", "code": "F",
            "text": "事務局画面からログイン情報の統合を解除して、会員が利用できるメールアドレスに変更します。"
                    "会員が現在利用できる会員情報として登録するメールアドレスを事前に確認してください。統合解除後、会員へ新しい"
                    "メールアドレスでA-Passを作成し直し、マイページにログインしてA-Passと会員情報のログイン情報を統合するよう"
                    "案内してください。",
            "section": "3-3. メールアドレスが利用できない・パスワードも不明な場合>パスワード再設定用の連絡先を登録していない場合",
            "actions": [{"action": "unlink_apass", "label": "ログイン情報統合解除", "params_schema": NEW_EMAIL_SCHEMA}],
        },
    },
}

FLOW = {**copy.deepcopy(V1), "version": 2, "discloses": True, "identity": "gate",
        "identity_label": IDENTITY_NODE["label"], "identity_text": IDENTITY_NODE["text"]}
