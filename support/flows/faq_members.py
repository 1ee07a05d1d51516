"""Seed 003 よくある問い合わせ — the entries of 入会申請, 会員情報, メール and マイページ as flows (issue 14 §2, SUP-2;
the shared plan with faq_billing.py). What the record knows is a fact read before any question
(support/facts_faq_members.py): who holds the address, a verification mail sent or not and its link's state, a
still-valid link blocking [代理申請] and when it expires, the status entries the refusals look at, the e-mail
change pending or opened with the new address. The caller is asked only what no record holds. Where the
manual's answer is advice alone, the flow is one outcome in the manual's words. Outcome ``links`` name the
screens the manual names (support/links.py); ``escalates`` marks an outcome that sends the caller elsewhere."""

from __future__ import annotations

SEED = "003_ce6184a7f9099b55.txt"
APPLICATION, MEMBER_INFO, MAIL, MYPAGE = "入会申請に関すること", "会員情報に関すること", "メールに関すること", "マイページに関すること"
MAIL_APPLICANT, MAIL_MEMBER = "入会申請者からのお問い合わせ", "会員からのお問い合わせ"
NO_PARAMS = {"type": "object", "properties": {}, "additionalProperties": False}
YES_NO = ("はい", "いいえ")

SENT_MAILS = {"label": "[個人会員送信済みメール]", "screen": "sent_mails"}
MEMBER_SEARCH = {"label": "[個人会員検索]", "screen": "member_search"}
CORPORATE_SEARCH = {"label": "[法人会員検索]", "screen": "corporate_search"}
MEMBER_CHANGE = {"label": "[会員情報変更]", "screen": "member_change"}
MEMBER_STATUS = {"label": "[会員状況変更]", "screen": "member_status"}
MEMBER_NUMBERS = {"label": "[会員番号採番]", "screen": "member_numbers"}
PROXY_APPLICATION = {"label": "[代理申請]", "screen": "proxy_application"}
NOTICES = {"label": "[会員マイページお知らせ管理]", "screen": "mypage_notices"}

#: the chart's words for the facts' values
LINK_STATE = {"none": "未送信", "failed": "送信失敗", "valid": "有効", "expired": "期限切れ", "superseded": "無効(新しいメール)",
              "used": "使用済み"}
HOLDER = {"none": "なし", "current": "申請中・入会/在会", "releasable": "退会等", "locked": "退会等・A-Pass統合"}


def _source(section: str, entry: str, subsection: str = "") -> dict:
    return {"seed": SEED, "section": section, "entry": entry, **({"subsection": subsection} if subsection else {})}


def _yes_no(text: str, yes: str, no: str) -> dict:
    return {"kind": "question", "text": text,
            "options": [{"value": "yes", "label": YES_NO[0], "next": yes},
                        {"value": "no", "label": YES_NO[1], "next": no}]}


def _outcome(code: str, text: str, section: str, *, links=(), actions=(), escalates: bool = False) -> dict:
    spec = {"kind": "outcome", "code": code, "text": text, "section": section, "actions": list(actions),
            "links": list(links)}
    if escalates:
        spec["escalates"] = True
    return spec


def _flow(flow_id: str, title: str, source: dict, start: str, nodes: dict) -> dict:
    return {"id": flow_id, "version": 1, "title": title, "source": source, "start": start, "nodes": nodes}


def _advice(flow_id: str, title: str, source: dict, text: str, *, links=()) -> dict:
    """An entry whose answer is advice alone: one outcome, the manual's words."""
    return _flow(flow_id, title, source, "answer", {"answer": _outcome("answer", text, "回答", links=links)})


# --- 入会申請に関すること ------------------------------------------------------------------------------------------

ENTRY_EMAIL_IN_USE = "入会申請者から「このメールアドレスは既に使用されています。」と表示されて、登録ができないと問合せがありました。"
MANUAL_EMAIL_IN_USE = ("メールアドレスは重複して登録できません。会員検索画面でメールアドレスを検索し、対象者をご確認ください。"
                       "過去に退会している会員で、新規に入会レコードを追加する場合には、過去退会分のメールアドレスを一部書き換えて"
                       "変更を加えてください。")

APPLICATION_EMAIL_IN_USE = _flow(
    "faq-application-email-in-use", "入会申請で「このメールアドレスは既に使用されています。」",
    _source(APPLICATION, ENTRY_EMAIL_IN_USE), "holder", {
        "holder": {"kind": "fact", "fact": "member.email_holder", "label": "このメールアドレスの会員",
                   "value_labels": HOLDER,
                   "branches": {"current": "holder_current", "releasable": "release", "locked": "release_locked",
                                "none": "not_held"}},
        "holder_current": _outcome(
            "holder_current",
            "メールアドレスは重複して登録できません。会員検索画面でメールアドレスを検索し、対象者をご確認ください。"
            "このメールアドレスは「申請中」または「入会/在会」の会員が使用しています(記録の内容を参照)。",
            "会員検索画面でメールアドレスを検索し、対象者を確認", links=[MEMBER_SEARCH]),
        "release": _outcome(
            "release", MANUAL_EMAIL_IN_USE + "(このメールアドレスは過去に退会等した会員の記録が使用しています。"
            "[メールアドレスの書き換え(再入会用)]で過去退会分のメールアドレスを書き換えると、申請者は同じメールアドレスで入会申請できます。)",
            "過去退会分のメールアドレスを一部書き換える",
            links=[MEMBER_CHANGE],
            actions=[{"action": "release_email", "label": "メールアドレスの書き換え(再入会用)",
                      "params_schema": {"type": "object", "properties": {"note": {"type": "string", "title": "備考"}},
                                        "additionalProperties": False}}]),
        "release_locked": _outcome(
            "release_locked", MANUAL_EMAIL_IN_USE + "(この過去退会分の記録はA-Passとログイン情報が統合されているため、"
            "メールアドレスを書き換える前に[会員情報変更]からログイン情報の統合を解除してください。)",
            "過去退会分(A-Pass統合済み): 統合解除してから書き換える", links=[MEMBER_CHANGE]),
        "not_held": _outcome(
            "not_held", "このメールアドレスを使用している会員の記録はありません。申請者にメールアドレスの入力に誤りがないか"
            "確認し、もう一度会員規約の同意から登録し直すよう案内してください。解決しない場合はカスタマーサクセス担当まで"
            "ご連絡ください。",
            "使用している会員なし(カスタマーサクセス担当へ)", links=[MEMBER_SEARCH, SENT_MAILS], escalates=True),
    })

ENTRY_WITHDRAW = "間違って入会申請されたので取消したいです。"
APPLICATION_WITHDRAW = _flow(
    "faq-application-withdraw", "間違って入会申請されたので取消したい", _source(APPLICATION, ENTRY_WITHDRAW), "withdrawable", {
        "withdrawable": {"kind": "fact", "fact": "member.application_withdrawable", "label": "会員状況(最新の履歴)",
                         "branches": {"true": "withdraw", "false": "not_applying"}},
        "withdraw": _outcome(
            "withdraw", "[会員状況変更]画面で会員状況に「申請取下」を追加して、会員状況を「申請取下」にしてください。"
            "入会申請取下(会員状況変更)ページをご参照ください。",
            "入会申請取下(会員状況変更)", links=[MEMBER_STATUS],
            actions=[{"action": "withdraw_application", "label": "会員状況を「申請取下」にする(入会申請取下)",
                      "params_schema": NO_PARAMS}]),
        "not_applying": _outcome(
            "not_applying", "入会申請取下ができるのは、会員状況が「申請中」の場合だけです。この会員の最新の会員状況は"
            "「申請中」ではありません(記録の内容を参照)。[会員状況変更]画面で会員状況履歴を確認してください。",
            "「申請中」ではないため取下できない", links=[MEMBER_STATUS]),
    })

ENTRY_SAME_DAY = "申請日と入会日が同日ですが、会員状況に追加ができません。"
APPLICATION_SAME_DAY = _flow(
    "faq-application-same-day", "申請日と入会日が同日で会員状況に追加できない", _source(APPLICATION, ENTRY_SAME_DAY),
    "same_day", {
        "same_day": {"kind": "fact", "fact": "member.same_day_joining", "label": "会員状況履歴の「申請中」",
                     "value_labels": {"editable": "編集できる", "refused": "編集できない", "not_applying": "申請中ではない"},
                     "branches": {"editable": "edit_entry", "refused": "edit_refused", "not_applying": "not_applying"}},
        "edit_entry": _outcome(
            "edit_entry", "同日で2つの会員状況を登録することはできません。通常、入会日は[会員状況変更・変更予定登録]欄から"
            "追加しますが、申請日と入会日が同日の場合のみ、[会員状況履歴]欄の「申請中」の会員状況を編集して会員状況を"
            "「入会/在会」にして登録してください。会員状況・会員状況変更ページをご参照ください。",
            "[会員状況履歴]欄の「申請中」を編集して「入会/在会」に", links=[MEMBER_STATUS],
            actions=[{"action": "join_same_day", "label": "「申請中」の会員状況を編集して「入会/在会」にする",
                      "params_schema": NO_PARAMS}]),
        "edit_refused": _outcome(
            "edit_refused", "同日で2つの会員状況を登録することはできません。この会員は「申請中」の会員状況を「入会/在会」に"
            "編集することもできません(理由は記録の内容を参照)。[会員状況変更]画面で会員状況履歴と退会予定日を確認してください。",
            "「申請中」を「入会/在会」に編集できない", links=[MEMBER_STATUS]),
        "not_applying": _outcome(
            "not_applying", "この会員の最新の会員状況は「申請中」ではありません(記録の内容を参照)。入会日は"
            "[会員状況変更・変更予定登録]欄から、最新の会員状況の日付より後の日付で追加してください。",
            "最新の会員状況が「申請中」ではない", links=[MEMBER_STATUS]),
    })

ENTRY_BULK = "会員状況の一括更新で入会日が登録できません。"
BULK_STATUS_DATE = _flow(
    "faq-bulk-status-date", "会員状況の一括更新で入会日が登録できない", _source(APPLICATION, ENTRY_BULK), "earliest", {
        "earliest": {"kind": "fact", "fact": "member.bulk_status_earliest", "label": "一括で登録できる日付(この会員)",
                     "next": "answer"},
        "answer": _outcome(
            "answer", "一括で登録できる日付は、全対象者の中で最新の申請日に1日を足した日付以降になります。検索結果に"
            "2018年9月25日に異動している対象者がいる場合、2018年9月26日以降が入会日として登録可能です。"
            "[会員状況の一括更新]画面に、選択した全対象者で登録できる最も早い日付が表示されます。",
            "一括で登録できる日付", links=[MEMBER_SEARCH]),
    })

ENTRY_NUMBER = "会員番号を採番しようとしたのですが、採番ができません。"
MEMBER_NUMBER = _flow(
    "faq-member-number", "会員番号を採番できない", _source(APPLICATION, ENTRY_NUMBER), "pending", {
        "pending": {"kind": "fact", "fact": "members.pending_number", "label": "会員番号採番を待つ会員",
                    "value_labels": {"none": "いない", "some": "いる"},
                    "branches": {"none": "nobody_pending", "some": "message"}},
        "message": {"kind": "question", "text": "[会員番号採番]画面にどのメッセージが表示されましたか?",
                    "options": [{"value": "taken", "label": "「会員番号 … は既に … に付与されています。」", "next": "taken"},
                                {"value": "gap", "label": "「抜けのないように会員番号を採番してください。」", "next": "gap"}]},
        "taken": _outcome(
            "taken", "会員検索画面で既に採番済の会員番号は付与することができません。採番しようとしている会員番号を"
            "検索してください(メッセージに番号を持つ会員の名前が表示されます)。[会員番号採番]画面に表示される次の空き番号"
            "(記録の内容を参照)を使ってください。",
            "既に採番済の会員番号は付与できない", links=[MEMBER_SEARCH, MEMBER_NUMBERS]),
        "gap": _outcome(
            "gap", "[会員番号採番]画面に表示されている会員の中で、会員番号が付与されていない会員がいると採番ができません。"
            "抜けのないように会員番号を採番をしてください。",
            "会員番号が付与されていない会員がいる", links=[MEMBER_NUMBERS]),
        "nobody_pending": _outcome(
            "nobody_pending", "[会員番号採番]画面には、会員状況が「入会/在会」で会員番号のない会員だけが表示されます。"
            "いま採番を待つ会員はいません。「申請中」の会員は入会/在会にしてから採番してください。"
            "採番済の会員番号の誤りは会員の[会員番号修正]から直します。",
            "採番を待つ会員がいない", links=[MEMBER_NUMBERS, MEMBER_SEARCH]),
    })

# --- 会員情報に関すること -----------------------------------------------------------------------------------------

ENTRY_PROXY = ("[代理申請]画面で「このメールアドレスは既に使用されています。」と表示されて登録ができません。しかし、"
               "[個人会員検索]画面/[法人会員検索]画面に見当たりません。")
PROXY_EMAIL_IN_USE = _flow(
    "faq-proxy-email-in-use", "[代理申請]で「このメールアドレスは既に使用されています。」", _source(MEMBER_INFO, ENTRY_PROXY),
    "holder", {
        "holder": {"kind": "fact", "fact": "member.email_holder", "label": "このメールアドレスの会員",
                   "value_labels": HOLDER,
                   "branches": {"none": "pending", "current": "member_has_it", "releasable": "member_has_it",
                                "locked": "member_has_it"}},
        "pending": {"kind": "fact", "fact": "application.verification_pending", "label": "メールアドレス認証有効期間",
                    "branches": {"true": "wait_or_open", "false": "not_pending"}},
        "wait_or_open": _outcome(
            "wait_or_open", "メールアドレス認証有効期間中は[代理申請]登録ができません。(有効期間はメール送信日時から24時間です。)"
            "メールが送られている場合には、以下どちらかで対応してください。・メールアドレス認証有効期限後に行う。"
            "・[個人会員送信済みメール]画面で対象のメールを表示し、メール内のURLをクリックして登録する。"
            "※登録完了時に対象者に登録完了メールが送信されます。",
            "メールアドレス認証有効期間中", links=[SENT_MAILS, PROXY_APPLICATION]),
        "member_has_it": _outcome(
            "member_has_it", "このメールアドレスは会員の記録が使用しています(記録の内容を参照。会員状況が退会・除名・申請取下の"
            "記録も含みます)。メールアドレスは重複して登録できません。過去退会分の記録であれば、メールアドレスを一部書き換えて"
            "から[代理申請]を行ってください。",
            "会員の記録が使用している", links=[MEMBER_SEARCH, CORPORATE_SEARCH, MEMBER_CHANGE]),
        "not_pending": _outcome(
            "not_pending", "このメールアドレスに有効なメールアドレス認証メールはなく、使用している会員の記録もありません。"
            "[代理申請]画面でもう一度登録してください。同じメッセージが表示される場合はカスタマーサクセス担当までご連絡ください。",
            "有効期間中の認証メールなし(カスタマーサクセス担当へ)", links=[PROXY_APPLICATION, SENT_MAILS], escalates=True),
    })

ENTRY_PASSWORD = "会員のパスワードを確認できますか。"
PASSWORD_VIEW = _advice(
    "faq-password-view", "会員のパスワードを確認できますか", _source(MEMBER_INFO, ENTRY_PASSWORD),
    "パスワードはセキュリティ上閲覧できないようになっています。会員から問合せがあった場合は、マイページ画面ログインボックスの"
    " [パスワード再発行はこちら] でパスワードを新たに設定し直すように案内してください。")

# --- メールに関すること ------------------------------------------------------------------------------------------

ENTRY_VERIFICATION_MISSING = "会員規約に同意しメールアドレスを登録したのに「メールが届かない」と問合せがありました。"
MAIL_CAUSES = ("次の原因が考えられます。・迷惑メールに振り分けられている可能性があります。迷惑メールフォルダを確認してください。"
               "・メールアドレスを間違って登録していないか確認してください。・所属機関の利用するメールサーバの場合、"
               "迷惑メールフィルターによってブロックされている可能性があります。ネットワーク管理者にお問合せいただくか、"
               "別のメールアドレスで登録してください。※ネットワーク管理者へ設定を見直していただく場合はメールの概要ページの"
               "「2. メールの送信設定」をご参照ください。")
SEND_FAILED = ("メールの送信に失敗しています([個人会員送信済みメール]画面の送信状況「失敗」)。[個人会員送信済みメール]画面で"
               "エラーを確認してください。解決しない場合はカスタマーサクセス担当までご連絡ください。")

VERIFICATION_MAIL_MISSING = _flow(
    "faq-verification-mail-missing", "入会申請者から「メールが届かない」",
    _source(MAIL, ENTRY_VERIFICATION_MISSING, MAIL_APPLICANT), "verification", {
        "verification": {"kind": "fact", "fact": "mail.email_verification", "label": "「メールアドレス認証のご連絡」",
                         "value_labels": LINK_STATE,
                         "branches": {"none": "not_sent", "failed": "send_failed", "used": "registered",
                                      "valid": "sent", "expired": "sent", "superseded": "sent"}},
        "sent": _outcome("sent", "「メールアドレス認証のご連絡」は送信されています。" + MAIL_CAUSES, "【メールが送信されている場合】",
                         links=[SENT_MAILS]),
        "not_sent": _outcome(
            "not_sent", "・メールアドレス登録ができていません。もう一度会員規約の同意から登録し直してください。",
            "【メールが送信されていない場合】", links=[SENT_MAILS]),
        "send_failed": _outcome("send_failed", SEND_FAILED, "送信失敗(カスタマーサクセス担当へ)", links=[SENT_MAILS],
                                escalates=True),
        "registered": _outcome(
            "registered", "「メールアドレス認証のご連絡」は届いており、メール内のURLから登録が済んでいます(記録の内容を参照)。"
            "会員検索画面でメールアドレスを検索し、「申請中」の会員を確認してください。登録完了メールが届いていない場合は、"
            "迷惑メールフォルダを確認するよう案内してください。",
            "URLから登録済み", links=[MEMBER_SEARCH, SENT_MAILS]),
    })

ENTRY_LINK_ERROR = "入会申請者から「URLをクリックするとエラーになる。」と問合せがありました。"
HOW_OPENED = {"kind": "question", "text": "申請者はURLをどのように開きましたか?",
              "options": [{"value": "clicked", "label": "メール文のURLをクリックした", "next": "line_break"},
                          {"value": "pasted", "label": "URLをブラウザにコピー&ペーストした", "next": "copy_paste"}]}
VERIFICATION_LINK_ERROR = _flow(
    "faq-verification-link-error", "入会申請者から「URLをクリックするとエラーになる。」",
    _source(MAIL, ENTRY_LINK_ERROR, MAIL_APPLICANT), "verification", {
        "verification": {"kind": "fact", "fact": "mail.email_verification", "label": "「メールアドレス認証のご連絡」",
                         "value_labels": LINK_STATE,
                         "branches": {"valid": "count", "expired": "expired", "superseded": "superseded", "used": "used",
                                      "none": "not_sent", "failed": "not_sent"}},
        "count": {"kind": "fact", "fact": "mail.email_verification_count", "label": "送信回数",
                  "value_labels": {"multiple": "複数回", "single": "1回"},
                  "branches": {"multiple": "clicked_latest", "single": "how_opened"}},
        "clicked_latest": _yes_no("申請者がクリックしたのは、最新のメール(記録の内容の送信日時)のURLですか?",
                                  "how_opened", "superseded"),
        "how_opened": HOW_OPENED,
        "expired": _outcome("expired", "・URLの有効期限を過ぎています。もう一度会員規約の同意から登録し直してください。",
                            "【送信日時から24時間経過している場合】", links=[SENT_MAILS]),
        "superseded": _outcome("superseded", "・複数回入会申請を行った場合、過去メールのURLは無効になります。最新のメールのURLを"
                               "クリックしてください。", "【メールが複数回送信されている場合】", links=[SENT_MAILS]),
        "line_break": _outcome("line_break", "・メールソフトの自動改行機能でURLの途中で改行されていないか確認してください。",
                               "【メール文のURLをクリックした場合】", links=[SENT_MAILS]),
        "copy_paste": _outcome("copy_paste", "・URLの一部が欠けていないか、正確にコピー&ペーストできているかを確認してください。"
                               "・URLをアドレスバーではなく検索窓に貼付けていないか確認してください。",
                               "【URLをブラウザにコピー&ペーストした場合】", links=[SENT_MAILS]),
        "used": _outcome("used", "このURLは既に使用され、登録が済んでいます(記録の内容を参照)。URLは一度だけ使えます。"
                         "会員検索画面でメールアドレスを検索し、「申請中」の会員を確認してください。",
                         "URLは使用済み(登録済み)",
                         links=[MEMBER_SEARCH, SENT_MAILS]),
        "not_sent": _outcome("not_sent", "この申請者のメールアドレスに送信済みの「メールアドレス認証のご連絡」はありません"
                             "(または送信に失敗しています)。メールアドレスを確認し、もう一度会員規約の同意から登録し直してください。",
                             "送信済みの認証メールなし",
                             links=[SENT_MAILS]),
    })

ENTRY_RESET_MISSING = "会員から「[パスワード再発行]で[ログインID]を登録したが、メールが届かない」と問合せがありました。"
RESET_MAIL_MISSING = _flow(
    "faq-reset-mail-missing", "[パスワード再発行]のメールが届かない", _source(MAIL, ENTRY_RESET_MISSING, MAIL_MEMBER),
    "registered", {
        "registered": {"kind": "fact", "fact": "member.registered_email", "label": "登録されているメールアドレス",
                       "next": "matches"},
        "matches": _yes_no("会員に登録したメールアドレスを確認してください。[個人会員検索]画面で登録されているメールアドレス"
                           "(記録の内容を参照)と合っていますか?", "apass", "editable"),
        "editable": {"kind": "fact", "fact": "member.email_editable", "label": "[会員情報変更]でのメールアドレス変更",
                     "branches": {"true": "change_email", "false": "email_locked"}},
        "apass": {"kind": "fact", "fact": "apass.found", "label": "A-Pass", "branches": {"true": "reset_mail",
                                                                                        "false": "no_apass"}},
        "reset_mail": {"kind": "fact", "fact": "mail.password_reset", "label": "パスワード再設定メール",
                       "value_labels": LINK_STATE,
                       "branches": {"none": "not_sent", "failed": "send_failed", "valid": "sent", "expired": "sent",
                                    "superseded": "sent", "used": "sent"}},
        "change_email": _outcome(
            "change_email", "メールアドレスが違う場合には、[会員情報変更]からメールアドレスを変更してください。変更後、再度"
            "[パスワード発行]を行うように会員に伝えてください。", "メールアドレスが違う場合", links=[MEMBER_CHANGE]),
        "email_locked": _outcome(
            "email_locked", "この会員はA-Passとログイン情報が統合されているため、[会員情報変更]ではメールアドレスを変更できません。"
            "パスワードが分かる場合は会員自身がマイページからメールアドレスを変更します。分からない場合は「ログインできない」の"
            "流れ(login-trouble)でログイン情報の統合を解除してください。",
            "メールアドレスが違う・A-Pass統合済み(ログインできないの流れへ)", links=[MEMBER_CHANGE], escalates=True),
        "no_apass": _outcome(
            "no_apass", "このメールアドレスのA-Passがないため、[パスワード再発行]のメールは送信されません。会員へ会員情報の"
            "メールアドレスでA-Passを作成してログインするよう案内してください。",
            "A-Pass未作成(メールは送信されない)", links=[SENT_MAILS]),
        "sent": _outcome("sent", "パスワード再設定メールは送信されています。主に" + MAIL_CAUSES[1:],
                         "【メールが送信されている場合】", links=[SENT_MAILS]),
        "not_sent": _outcome("not_sent", "・メールアドレス登録ができていません。再度[パスワード発行]を行うように会員に伝えてください。",
                             "【メールが送信されていない場合】", links=[SENT_MAILS]),
        "send_failed": _outcome("send_failed", SEND_FAILED, "送信失敗(カスタマーサクセス担当へ)", links=[SENT_MAILS],
                                escalates=True),
    })

ENTRY_EMAIL_CHANGE = "会員から「メールアドレスを変更したのに変更後のメールアドレスでログインできません」と問合せがありました。"
MANUAL_CONFIRM_URL = ("・会員情報変更後、受信メールの[メールアドレス変更確定URL]をクリックしないとメールアドレスは変更できません。"
                      "メール受信から24時間経過している場合には、会員情報変更画面で再度メールアドレスを変更してください。")
MANUAL_OLD_SESSION = ("・[メールアドレス変更確定URL]は、変更前のメールアドレスでログインした状態でクリックする必要があります。"
                      "クリック前にSMOOSYをログアウトした場合には、変更前のメールアドレスでログインしてクリックしてください。")
EMAIL_CHANGE_LOGIN = _flow(
    "faq-email-change-login", "メールアドレスを変更したのに変更後のメールアドレスでログインできない",
    _source(MAIL, ENTRY_EMAIL_CHANGE, MAIL_MEMBER), "change", {
        "change": {"kind": "fact", "fact": "mail.email_change", "label": "メールアドレス変更確定URL",
                   "value_labels": {**LINK_STATE, "none": "依頼なし"},
                   "branches": {"valid": "new_sign_in", "used": "changed", "none": "no_request", "expired": "redo",
                               "failed": "redo", "superseded": "redo"}},
        "new_sign_in": {"kind": "fact", "fact": "mypage.signed_in_with_new_email", "label": "変更後のメールアドレスでのログイン",
                        "branches": {"true": "sign_in_old", "false": "confirm"}},
        "confirm": _outcome("confirm", "メールアドレスの変更はまだ確定していません。" + MANUAL_CONFIRM_URL + MANUAL_OLD_SESSION,
                            "[メールアドレス変更確定URL]をクリックしていない", links=[SENT_MAILS]),
        "sign_in_old": _outcome(
            "sign_in_old", "会員は変更後のメールアドレスでログインしようとしています(記録の内容を参照)が、変更はまだ確定して"
            "いません。" + MANUAL_OLD_SESSION, "変更前のメールアドレスでログインしてクリック", links=[SENT_MAILS]),
        "redo": _outcome("redo", MANUAL_CONFIRM_URL, "メール受信から24時間経過: 再度メールアドレスを変更", links=[SENT_MAILS]),
        "changed": _outcome(
            "changed", "メールアドレスの変更は確定しています(記録の内容を参照)。変更後のメールアドレスでログインできない場合は、"
            "「ログインできない」の流れ(login-trouble)で確認してください。",
            "変更は確定済み(ログインできないの流れへ)", links=[MEMBER_CHANGE], escalates=True),
        "no_request": _outcome(
            "no_request", "マイページでのメールアドレス変更の記録はありません。" + MANUAL_CONFIRM_URL,
            "メールアドレス変更の依頼なし", links=[SENT_MAILS, MEMBER_CHANGE]),
    })

# --- マイページに関すること ----------------------------------------------------------------------------------------

MYPAGE_NAME = _advice(
    "faq-mypage-name", "会員自身でマイページから氏名を変更できますか",
    _source(MYPAGE, "会員自身でマイページから氏名を変更することはできますか。"),
    "マイページでは氏名は変更できないようにしています。変更ができてしまうと、会員が一時的に別の人の名前に書き換えて会員の"
    "権利を他の人に貸してしまうこともできてしまいます。氏名の変更があった場合には、事務局画面で変更をお願いします。"
    "また法人マイページを利用していない場合は、会員自身で連絡者の氏名は変更できません。", links=[MEMBER_CHANGE])
MYPAGE_STATUS = _advice(
    "faq-mypage-status", "会員自身でマイページから会員状況を変更できますか",
    _source(MYPAGE, "会員自身でマイページから会員状況を変更することはできますか。"),
    "会員自身で会員状況を変更することはできません。", links=[MEMBER_STATUS])
MYPAGE_FILE = _advice(
    "faq-mypage-file", "マイページにファイルを置くことはできますか", _source(MYPAGE, "マイページにファイルを置くことはできますか。"),
    "会員マイページにファイルを置くことはできません。学会様サーバーにファイルを置いていただき、お知らせページ内にサーバーへの"
    "URLを記載してお知らせからリンクすることは可能です。お知らせに設定したファイルは、URLが分かれば会員マイページID・"
    "パスワードの必要なくアクセスできてしまいますので、必要な場合にはファイルにパスワードを設定した上でサーバーに置いて"
    "いただき、パスワードをご案内してください。", links=[NOTICES])
MYPAGE_NOTICE_ORDER = _advice(
    "faq-mypage-notice-order", "お知らせが掲載日順に表示されない", _source(MYPAGE, "お知らせが掲載日順に表示されません。"),
    "お知らせは掲載日で自動的にソートされません。表示順を変更することができますので、変更したい位置に移動をお願いします。"
    "会員マイページお知らせ管理ページをご参照ください。", links=[NOTICES])

FLOWS = [APPLICATION_EMAIL_IN_USE, APPLICATION_WITHDRAW, APPLICATION_SAME_DAY, BULK_STATUS_DATE, MEMBER_NUMBER,
         PROXY_EMAIL_IN_USE, PASSWORD_VIEW, VERIFICATION_MAIL_MISSING, VERIFICATION_LINK_ERROR, RESET_MAIL_MISSING,
         EMAIL_CHANGE_LOGIN, MYPAGE_NAME, MYPAGE_STATUS, MYPAGE_FILE, MYPAGE_NOTICE_ORDER]
