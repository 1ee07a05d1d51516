"""seed 003 よくある問い合わせ, 請求に関すること and 入金に関すること: one flow per entry (issue 14 §2, SUP-2). The facts
(support/facts_faq_billing.py) read the member's billing runs, invoices and payments, so the agent asks the caller
only what the records cannot know; each outcome tells the caller the manual's words and, where the manual's answer
is a multi-step correction, offers its guided procedure (``procedures``, SUP-4) — the button on the case page opens
it prefilled with the invoice or payment the facts found. The caller is the secretariat asking about a member (or
about a run); nothing is disclosed to the member, so these flows do not start with an identity check."""

from __future__ import annotations

SEED = "003_ce6184a7f9099b55.txt"
BILLING, PAYMENTS = "請求に関すること", "入金に関すること"
CREATE, CHANGE, TYPE, UNPAID = "請求作成", "請求情報変更・取消", "減額・会員種別変更", "未納者"

NO_PARAMS = {"type": "object", "properties": {}, "additionalProperties": False}
REFRESH = "[請求情報作成履歴]画面の作成状況に表示される<作成依頼中>ラベルは自動では更新されません。[更新]ボタンをクリックして画面を更新してください。"
SLOW_NIGHT = "請求の作成は夜間21~7時と土・日曜日は20分ほど時間がかかります。"
SLOW_SERVER = "またサーバの処理状況によっては上記時間帯以外でも20分ほど時間がかかる場合があります。"
NOT_CREATED = "何かしらの原因により請求が作成されていません。[請求情報作成履歴]画面で対象の請求の処理結果を確認してください。年次請求ページをご参照ください。"
CANCEL_PAGE = "請求取消ページをご参照ください。"
AMOUNT_PAGE = "請求金額変更・請求情報変更ページをご参照ください。"
OVERPAID_PAGE = "過払いページをご参照ください。"
DOWNLOAD = "当該年度を含む過去4年分と未来分の請求・入金情報をダウンロードできます。会員別請求・入金情報ダウンロードページをご参照ください。"
BANK_CHECK_NOTE = "※バンクチェック決済での入金の場合は、入金情報登録時、備考欄に取消した請求の決済番号と作業メモを登録してください。"
ONLINE_NOTE = "※オンライン決済での入金の場合は、入金情報登録時、備考欄に取消した請求の決済番号と作業メモを登録してください。"
PROCEDURE_NOTE = "ガイド付き手順で、この会員の請求に対して各手順をまとめてプレビュー・実行できます(備考欄の決済番号と作業メモは手順が登録します)。"


def _source(section: str, entry: str, subsection: str | None = None) -> dict:
    return {"seed": SEED, "section": section, **({"subsection": subsection} if subsection else {}), "entry": entry}


def _outcome(code: str, text: str, section: str, *, procedures: tuple = (), actions: tuple = (),
             escalates: bool = False) -> dict:
    spec = {"kind": "outcome", "code": code, "name": OUTCOME_NAMES[code], "text": text, "section": section,
            "actions": list(actions)}
    if procedures:
        spec["procedures"] = list(procedures)
    if escalates:
        spec["escalates"] = True
    return spec


#: what the chart's edges call the facts' values (a code is a developer's word)
VALUE_LABELS = {
    "requested": "作成依頼中", "running": "作成中", "done": "完了", "failed": "失敗",
    "billed": "請求あり", "cancelled": "請求取消", "excluded_type": "会員種別を除外",
    "withdrawal_before_allocation": "退会予定日が請求引当開始月より前", "already_billed": "同じ年度・区分の請求あり",
    "not_active": "入会/在会でない", "not_applying": "申請中でない", "not_found": "該当する会員なし",
    "unconfirmed": "請求内容未確定", "shown": "確定済み",
    "before": "請求引当開始月より前", "same_or_after": "請求引当開始月と同月か後", "not_billed": "ほかの理由で対象外",
    "allowed": "変更できる", "billing_run_in_progress": "作成中",
    "cancellable": "入金情報なし", "invoice_has_payments": "入金情報あり", "invoice_cancelled": "取消済み",
    "before_payment": "入金前", "after_payment": "入金後", "online": "オンライン決済", "offline": "オフライン決済",
    "bank_check": "バンクチェック", "other_method": "ほかの支払方法",
}
#: the outcomes' names on the chart and the case page (their manual sections do not tell siblings apart)
OUTCOME_NAMES = {
    "refresh": "[更新]で画面を更新", "running": "作成中", "run_done": "作成完了", "run_failed": "作成失敗([再実行])",
    "no_run": "請求作成の記録なし", "night_or_weekend": "夜間・土日は20分ほど", "server_load": "サーバの処理状況",
    "in_progress": "作成中", "billed": "請求あり(検索条件を確認)", "cancelled": "請求取消済み",
    "excluded_type": "会員種別を除外", "withdrawal": "退会予定で除外", "already_billed": "請求済み",
    "not_eligible": "会員状況で対象外", "unconfirmed": "[請求内容確定]", "shown": "マイページに表示済み",
    "no_invoice": "請求なし", "no_payment_needed": "「入金不要」で作成", "exclude_type": "会員種別を除外して作成",
    "excluded": "自動的に除外", "included": "対象に含まれる", "no_date": "退会予定日なし", "not_billed": "ほかの理由で対象外",
    "edit": "[編集]で変更", "wait": "作成完了を待つ", "before_payment": "入金前", "after_payment": "入金後",
    "after_payment_online": "入金後(オンライン決済)", "already_cancelled": "取消済み", "has_payments": "入金情報あり",
    "cancellable": "取消できる", "before_billing": "会員調整額「一時」", "after_billing": "請求調整額",
    "register": "恒久的な調整金額を登録", "registered": "恒久的な調整金額あり", "search": "検索条件",
    "download": "会員別請求・入金情報ダウンロード", "online": "オンライン決済", "offline": "オフライン決済",
    "receipt": "1. 領収書で清算", "invoice_bank_account": "2. 請求書に振込先口座情報",
    "no_bank_account": "振込先口座情報なし(カスタマーサクセス担当へ)", "individual_mail": "3. 個別メールで案内",
    "possible": "バンクチェックで過払いの可能性", "bank_check_overpaid": "バンクチェックで過払い(ROBOT PAYMENT社へ)",
    "overpaid": "過払い", "overpaid_bank_check": "過払い(バンクチェック)", "not_overpaid": "過払いなし",
    "split_bank_check": "年度ごとに振り分け(バンクチェック)", "split": "年度ごとに振り分け", "not_found": "該当する入金なし",
}


def _fact(fact: str, label: str, branches: dict | None = None, next: str | None = None) -> dict:
    spec = {"kind": "fact", "fact": fact, "label": label}
    if branches is not None:
        spec["branches"] = branches
        labels = {value: VALUE_LABELS[value] for value in branches if value in VALUE_LABELS}
        if labels:
            spec["value_labels"] = labels
    if next is not None:
        spec["next"] = next
    return spec


def _question(text: str, options: list[tuple[str, str, str]]) -> dict:
    return {"kind": "question", "text": text,
            "options": [{"value": value, "label": label, "next": target} for value, label, target in options]}


def _yes_no(text: str, yes: str, no: str) -> dict:
    return _question(text, [("yes", "はい", yes), ("no", "いいえ", no)])


def _flow(flow_id: str, title: str, source: dict, start: str, nodes: dict) -> dict:
    return {"id": flow_id, "version": 1, "title": title, "source": source, "start": start, "nodes": nodes}


RUN_STATE = "作成状況([請求情報作成履歴])"
RETRY = {"action": "billing_run_retry", "label": "[再実行](失敗した請求情報作成をもう一度実行)", "params_schema": NO_PARAMS}
CONFIRM = {"action": "invoice_confirm", "label": "[請求内容確定](マイページに表示されていない請求)",
           "params_schema": NO_PARAMS}


def _run_outcomes(section: str) -> dict:
    """What a run's state alone answers, shared by the 請求作成 entries."""
    return {
        "run_done": _outcome("run_done", "請求の作成は完了しています(処理結果は記録のとおり)。" + REFRESH, section),
        "run_failed": _outcome(
            "run_failed", "請求の作成が失敗しています(作成状況<失敗>、エラーは記録のとおり)。[請求情報作成履歴]画面で対象の請求の"
            "処理結果を確認し、[再実行]で作成し直してください。既に請求が作成された会員に二重に請求されることはありません。",
            section, actions=(RETRY,)),
        "no_run": _outcome("no_run", "[請求情報作成履歴]画面に、この会員を対象とした請求作成の記録がありません。"
                                     "[請求情報作成]から請求を作成してください。", section),
    }


FLOWS: list[dict] = []

# --- 請求作成 -----------------------------------------------------------------------------------------------------

FLOWS.append(_flow(
    "faq-run-pending", "請求作成が作成途中のまま完了しない",
    _source(BILLING, "請求作成が作成途中のまま完了しません。", CREATE), "run_state", {
        "run_state": _fact("billing.run_state", RUN_STATE, {
            "requested": "refresh", "running": "running", "done": "run_done", "failed": "run_failed",
            "none": "no_run"}),
        "refresh": _outcome("refresh", REFRESH, CREATE),
        "running": _outcome("running", "作成状況は<作成中>です(処理済みの人数は記録のとおり)。" + SLOW_NIGHT + SLOW_SERVER
                            + "[更新]ボタンをクリックして画面を更新してください。", CREATE),
        **_run_outcomes(CREATE),
    }))

FLOWS.append(_flow(
    "faq-run-slow", "請求の作成に時間がかかる",
    _source(BILLING, "請求の作成に時間がかかります。", CREATE), "run_state", {
        "run_state": _fact("billing.run_state", RUN_STATE, {
            "requested": "busy_hours", "running": "busy_hours", "done": "run_done", "failed": "run_failed",
            "none": "no_run"}),
        "busy_hours": _fact("billing.run_busy_hours", "依頼日時(夜間21~7時・土日)",
                            {"true": "night_or_weekend", "false": "server_load"}),
        "night_or_weekend": _outcome("night_or_weekend", SLOW_NIGHT + "[更新]ボタンをクリックして画面を更新してください。",
                                     CREATE),
        "server_load": _outcome("server_load", "サーバの処理状況によっては夜間21~7時と土・日曜日以外でも20分ほど時間がかかる"
                                "場合があります。[更新]ボタンをクリックして画面を更新してください。", CREATE),
        **_run_outcomes(CREATE),
    }))

FLOWS.append(_flow(
    "faq-run-no-invoice", "請求を作成したのに[個人会員請求検索]画面に表示されない",
    _source(BILLING, "請求を作成したのに[個人会員請求検索]画面に表示されません。", CREATE), "run_state", {
        "run_state": _fact("billing.run_state", RUN_STATE, {
            "requested": "in_progress", "running": "in_progress", "done": "run_member", "failed": "run_failed",
            "none": "no_run"}),
        "run_member": _fact("billing.run_member", "処理結果(この会員)", {
            "billed": "billed", "cancelled": "cancelled", "excluded_type": "excluded_type",
            "withdrawal_before_allocation": "withdrawal", "already_billed": "already_billed",
            "not_active": "not_eligible", "not_applying": "not_eligible", "not_found": "not_eligible"}),
        "in_progress": _outcome("in_progress", "請求はまだ作成中です(作成状況<作成依頼中>または<作成中>)。" + REFRESH
                                + "完了してから[個人会員請求検索]画面で検索してください。", CREATE),
        "billed": _outcome("billed", "この会員の請求は作成されています(請求番号は記録のとおり)。[個人会員請求検索]画面の"
                           "検索条件(年度・請求名称・請求・入金状況)を確認してください。", CREATE),
        "cancelled": _outcome("cancelled", "この会員の請求は作成された後、取り消されています。取消した請求は請求・入金状況"
                              "「取消」で検索できます。必要な場合は請求を作成し直してください。", CREATE),
        "excluded_type": _outcome("excluded_type", NOT_CREATED + "この会員の会員種別は請求作成時に除外されています。",
                                  CREATE),
        "withdrawal": _outcome("withdrawal", NOT_CREATED + "この会員は退会予定日が請求引当開始月よりも前のため、"
                               "請求情報作成時に自動的に除外されています。", CREATE),
        "already_billed": _outcome("already_billed", NOT_CREATED + "この会員には同じ年度・請求区分の請求が既にあるため、"
                                   "重ねて請求されていません(既存の請求は記録のとおり)。", CREATE),
        "not_eligible": _outcome("not_eligible", NOT_CREATED + "請求作成日にこの会員は請求の対象(年会費は会員状況"
                                 "「入会/在会」、入会時請求は「申請中」)ではありませんでした(理由は記録のとおり)。", CREATE),
        **{k: v for k, v in _run_outcomes(CREATE).items() if k != "run_done"},
    }))

FLOWS.append(_flow(
    "faq-invoice-not-on-mypage", "請求を作成したのに会員マイページに表示されない",
    _source(BILLING, "請求を作成したのに会員マイページに表示されません。", CREATE), "mypage_invoice", {
        "mypage_invoice": _fact("billing.mypage_invoice", "請求内容確定", {
            "unconfirmed": "unconfirmed", "shown": "shown", "none": "no_invoice"}),
        "unconfirmed": _outcome("unconfirmed", "請求内容を確定していない可能性があります。[個人会員請求検索]画面で対象の請求を"
                                "検索し、[請求内容確定]ボタンをクリックしてください。", CREATE, actions=(CONFIRM,)),
        "shown": _outcome("shown", "この会員の請求は確定済みで、会員マイページに表示されています。会員がログインしている"
                          "アカウント(会員情報と統合されたA-Pass)を確認してください。", CREATE),
        "no_invoice": _outcome("no_invoice", NOT_CREATED, CREATE),
    }))

FLOWS.append(_flow(
    "faq-zero-fee", "会費0円の会員種別で請求を作成した場合",
    _source(BILLING, "会費0円の会員種別で請求を作成した場合どうなりますか。", CREATE), "zero_fee", {
        "zero_fee": _fact("billing.zero_fee", "会員種別の会費・入金不要の請求", next="wants_invoice"),
        "wants_invoice": _yes_no("会費0円の会員種別の会員にも請求を作成しますか?", "no_payment_needed", "exclude_type"),
        "no_payment_needed": _outcome("no_payment_needed",
                                      "請求・入金状況「入金不要」で請求が作成され、会員マイページに表示されます。", CREATE),
        "exclude_type": _outcome("exclude_type", "請求・入金状況「入金不要」で請求が作成され、会員マイページに表示されます。"
                                 "請求を作成したくない場合には、請求作成時に対象の会員種別を除外してください。", CREATE),
    }))

FLOWS.append(_flow(
    "faq-scheduled-withdrawal", "年度末で退会予定の会員を次年度の年会費請求から除外できるか",
    _source(BILLING, "年度末で退会予定の会員は次年度の年会費請求を作成したときに、自動的に対象から除外できますか。", CREATE),
    "withdrawal", {
        "withdrawal": _fact("billing.scheduled_withdrawal", "退会予定日と請求引当開始月", {
            "before": "excluded", "same_or_after": "included", "none": "no_date", "not_billed": "not_billed"}),
        "excluded": _outcome("excluded", "退会予定日が請求引当開始月よりも前であれば請求情報作成時に自動的に除外されます。"
                             "この会員は自動的に除外されます。", CREATE),
        "included": _outcome("included", "退会予定日が請求引当開始月と同月か後であれば対象に含まれます。"
                             "この会員は次年度の年会費請求の対象に含まれます。", CREATE),
        "no_date": _outcome("no_date", "この会員には退会予定日が登録されていません。退会予定日が請求引当開始月よりも前であれば"
                            "請求情報作成時に自動的に除外されます。[会員状況変更・変更予定登録]欄から退会予定を登録してください。",
                            CREATE),
        "not_billed": _outcome("not_billed", "この会員は退会予定日にかかわらず、次年度の年会費請求の対象になりません"
                               "(理由は記録のとおり)。", CREATE),
    }))

# --- 請求情報変更・取消 ------------------------------------------------------------------------------------------

FLOWS.append(_flow(
    "faq-invoice-rename", "請求名称を変更したい",
    _source(BILLING, "請求名称を変更したいです。", CHANGE), "rename", {
        "rename": _fact("billing.run_rename", "請求名称の変更([編集])", {
            "allowed": "edit", "billing_run_in_progress": "wait", "none": "no_run"}),
        "edit": _outcome("edit", "[請求情報作成履歴]画面で対象の請求を検索し、画面右側[操作]枠の[編集]をクリックして編集します。"
                         "既に入金済みの会員にも反映されます。" + AMOUNT_PAGE, CHANGE),
        "wait": _outcome("wait", "請求はまだ作成中のため、請求名称を変更できません。" + REFRESH
                         + "作成が完了してから[編集]で変更してください。", CHANGE),
        "no_run": _outcome("no_run", "[請求情報作成履歴]画面に、この会員を対象とした請求作成の記録がありません。"
                           "個別に作成した請求は[個人会員請求検索]画面で対象の請求を表示して請求名称を変更します。" + AMOUNT_PAGE,
                           CHANGE),
    }))

CANCEL_FACT = "請求取消(入金情報の登録)"
AFTER_PAYMENT_PROCEDURES = ("rebill_next_year", "member_type_correction")
FLOWS.append(_flow(
    "faq-invoice-cancel", "請求を取消したい",
    _source(BILLING, "請求を取消したいです。", CHANGE), "cancel", {
        "cancel": _fact("billing.invoice_cancel", CANCEL_FACT, {
            "cancellable": "before_payment", "invoice_has_payments": "after_payment",
            "invoice_cancelled": "already_cancelled", "none": "no_invoice"}),
        "before_payment": _outcome(
            "before_payment", "入金前であれば請求の取消しが可能です。請求の取消しは請求を作成した請求単位で取消す方法と、"
            "特定の会員のみ請求を取消す方法と、複数の会員の請求をまとめて取消す方法があります。請求取消後の請求情報の編集は"
            "できません。" + CANCEL_PAGE, CHANGE),
        "after_payment": _outcome(
            "after_payment", "入金後の場合には、入金履歴を削除してから請求を取消すことができます。請求取消後の請求情報の編集は"
            "できません。" + CANCEL_PAGE + "次年度の請求への変更や会員種別の修正のために請求を作り直す場合は、" + PROCEDURE_NOTE,
            CHANGE, procedures=AFTER_PAYMENT_PROCEDURES),
        "already_cancelled": _outcome("already_cancelled", "この会員の請求は既に取り消されています。請求取消後の請求情報の"
                                      "編集はできません。", CHANGE),
        "no_invoice": _outcome("no_invoice", "この会員には取消す請求がありません。", CHANGE),
    }))

FLOWS.append(_flow(
    "faq-invoice-cannot-cancel", "請求が取り消せない",
    _source(BILLING, "請求が取り消せません。", CHANGE), "cancel", {
        "cancel": _fact("billing.invoice_cancel", CANCEL_FACT, {
            "cancellable": "cancellable", "invoice_has_payments": "has_payments",
            "invoice_cancelled": "already_cancelled", "none": "no_invoice"}),
        "has_payments": _outcome(
            "has_payments", "入金情報が登録されている場合は、請求取消できません。入金履歴を削除してから請求を取消すことが"
            "できます。" + CANCEL_PAGE + "請求を作り直す場合は、" + PROCEDURE_NOTE, CHANGE,
            procedures=AFTER_PAYMENT_PROCEDURES),
        "cancellable": _outcome(
            "cancellable", "この会員の請求には入金情報が登録されていないため、取消できます。請求単位や複数の会員をまとめて取消す"
            "場合は、入金情報が登録されている会員が含まれていると取消できません。入金情報が登録されている場合は、入金履歴を"
            "削除してから請求を取消すことができます。" + CANCEL_PAGE, CHANGE),
        "already_cancelled": _outcome("already_cancelled", "この会員の請求は既に取り消されています。", CHANGE),
        "no_invoice": _outcome("no_invoice", "この会員には取消す請求がありません。", CHANGE),
    }))

REBILL_BEFORE = "当年度の請求を取消して、次年度の請求を作成してください。 手順:①請求取消 → ②次年度の請求作成"
REBILL_AFTER = ("入金履歴を削除してから請求を取消して、次年度の請求を作成してください。その後、次年度の請求に入金情報を"
                "入力してください。 手順:①入金履歴削除 → ②請求取消→ ③次年度の請求作成 → ④入金情報登録")
PAID = "入金前・入金後(この会員の最新の請求)"
CHANNEL = "入金方法(オンライン決済・オフライン決済)"
FLOWS.append(_flow(
    "faq-rebill-next-year", "当年度の請求を次年度の請求に変更したい",
    _source(BILLING, "次年度からの入会希望者に対して、誤って当年度の請求を作成してしまいました。次年度の請求に変更したいです。",
            CHANGE), "paid", {
        "paid": _fact("billing.invoice_paid", PAID, {
            "before_payment": "before_payment", "after_payment": "channel", "none": "no_invoice"}),
        "channel": _fact("billing.payment_channel", CHANNEL, {"online": "after_payment_online",
                                                             "offline": "after_payment"}),
        "before_payment": _outcome("before_payment", REBILL_BEFORE + " " + PROCEDURE_NOTE, "【入金前の場合】",
                                   procedures=("rebill_next_year",)),
        "after_payment": _outcome("after_payment", REBILL_AFTER + " " + PROCEDURE_NOTE, "【入金後の場合】",
                                  procedures=("rebill_next_year",)),
        "after_payment_online": _outcome("after_payment_online", REBILL_AFTER + " " + ONLINE_NOTE + " " + PROCEDURE_NOTE,
                                         "【入金後の場合】", procedures=("rebill_next_year",)),
        "no_invoice": _outcome("no_invoice", "この会員には変更する当年度の請求がありません。次年度の請求を作成してください。",
                               CHANGE),
    }))

# --- 減額・会員種別変更 ------------------------------------------------------------------------------------------

FLOWS.append(_flow(
    "faq-discount-next-year", "来年度の年会費を減額したい",
    _source(BILLING, "来年度の年会費用を減額したい会員がいます。", TYPE), "next_year", {
        "next_year": _fact("billing.next_year_invoice", "来年度の請求・会員調整額「一時」",
                           {"false": "before_billing", "true": "after_billing"}),
        "before_billing": _outcome("before_billing", "請求作成前に会員調整額「一時」金に登録しておいてください。" + AMOUNT_PAGE,
                                   TYPE),
        "after_billing": _outcome("after_billing", "来年度の請求は作成済みです。請求作成後は、請求調整額を登録してください。"
                                  + AMOUNT_PAGE, TYPE),
    }))

FLOWS.append(_flow(
    "faq-discount-permanent", "年会費を一定額毎回減額したい",
    _source(BILLING, "年会費用を一定額毎回減額したい会員がいます。", TYPE), "permanent", {
        "permanent": _fact("billing.permanent_adjustments", "恒久的な調整金額", {"false": "register", "true": "registered"}),
        "register": _outcome("register", "会員に対して恒久的な調整金額を登録してください。" + AMOUNT_PAGE, TYPE),
        "registered": _outcome("registered", "この会員には恒久的な調整金額が登録されています(記録のとおり)。金額を変える場合は"
                               "会員の恒久的な調整金額を変更してください。" + AMOUNT_PAGE, TYPE),
    }))

TYPE_BEFORE = "対象の会員のみ請求を取消し、会員種別を学生会員に戻した後に、請求を再作成してください。 手順:①請求取消 → ②会員種別変更 → ③請求作成"
TYPE_AFTER = ("既に正会員で入金済の場合は、入金履歴を削除してから請求を取消してください。 手順:①入金履歴削除 → ②請求取消→ "
              "③会員種別変更 → ④請求作成 → ⑤入金情報登録 【過払いが生じた場合】過払いが生じた場合には次年度の年会費請求を"
              "作成し、過払い分を入金情報登録してください。 手順:①入金履歴削除 → ②請求取消→ ③会員種別変更 → ④請求作成 → "
              "⑤入金情報登録 → ⑥次年度請求作成 → ⑦過払い分入金情報登録")
FLOWS.append(_flow(
    "faq-type-correction", "正会員で請求した後に学生会員のままと分かった",
    _source(BILLING, "正会員で年会費請求した後に、今年度も学生会員のままであることが分かりました。請求金額が異なるため修正したいです。",
            TYPE), "paid", {
        "paid": _fact("billing.invoice_paid", PAID, {
            "before_payment": "before_payment", "after_payment": "after_payment", "none": "no_invoice"}),
        "before_payment": _outcome("before_payment", TYPE_BEFORE + " " + PROCEDURE_NOTE, "【入金前の場合】",
                                   procedures=("member_type_correction",)),
        "after_payment": _outcome("after_payment", TYPE_AFTER + " " + PROCEDURE_NOTE, "【入金後の場合】",
                                  procedures=("member_type_correction",)),
        "no_invoice": _outcome("no_invoice", "この会員には修正する請求がありません。会員種別を変更してから請求を作成してください。",
                               TYPE),
    }))

MIDTERM_BEFORE = "変更前の会員種別の会費が入金前の場合は、請求を取消して、変更後の会員種別で請求を再作成してください。 手順:①請求取消 → ②会員種別変更 → ③請求作成"
MIDTERM_AFTER = ("入金履歴を削除してから請求を取消して、変更後の会員種別で請求を再作成してください。その後、削除した入金情報を"
                 "入力することで、差額分のみ請求することができます。 手順:①入金履歴削除 → ②請求取消→ ③会員種別変更 → "
                 "④請求作成 → ⑤入金情報登録")
FLOWS.append(_flow(
    "faq-type-change-midterm", "会期途中で会員種別が変わり追加の請求が発生した",
    _source(BILLING, "会期途中で学生会員から正会員に会員種別が変わり、追加の請求が発生しました。", TYPE), "paid", {
        "paid": _fact("billing.invoice_paid", PAID, {
            "before_payment": "before_payment", "after_payment": "after_payment", "none": "no_invoice"}),
        "before_payment": _outcome("before_payment", MIDTERM_BEFORE + " " + PROCEDURE_NOTE, "【入金前の場合】",
                                   procedures=("member_type_correction",)),
        "after_payment": _outcome("after_payment", MIDTERM_AFTER + " " + PROCEDURE_NOTE, "【入金後の場合】",
                                  procedures=("member_type_correction",)),
        "no_invoice": _outcome("no_invoice", "この会員には変更前の会員種別の請求がありません。会員種別を変更してから請求を"
                               "作成してください。", TYPE),
    }))

# --- 未納者 ----------------------------------------------------------------------------------------------------

FLOWS.append(_flow(
    "faq-unpaid-last-year", "昨年の年会費未納者を抽出したい",
    _source(BILLING, "昨年の年会費未納者を抽出したいです。", UNPAID), "unpaid", {
        "unpaid": _fact("billing.unpaid_last_year", "昨年度の未納(未入金・一部入金)", next="search"),
        "search": _outcome("search", "以下の検索条件で検索してください。 キーワード:「請求名称」を選択し対象の年度「20XX年度」"
                           "と入力 請求・入金状況:未入金、一部入金 請求区分:入会時請求、年次請求(年会費を含む区分を選択)", UNPAID),
    }))

FLOWS.append(_flow(
    "faq-unpaid-multi-year", "過去複数年分の未納会員を抽出したい",
    _source(BILLING, "過去複数年分の請求に対する未納会員を抽出したいです。", UNPAID), "years", {
        "years": _fact("billing.export_years", "ダウンロードできる年度", next="download"),
        "download": _outcome("download", DOWNLOAD, UNPAID),
    }))

# --- 入金に関すること ----------------------------------------------------------------------------------------------

FLOWS.append(_flow(
    "faq-pay-multi-year", "複数年会費をまとめて支払いたい",
    _source(PAYMENTS, "会員から複数年会費まとめて支払いたいと言われました。"), "open_invoices", {
        "open_invoices": _fact("billing.open_invoices", "未入金の請求", next="method"),
        "method": _question("会員の支払方法は「オンライン決済」ですか、「オフライン決済」(銀行振込・郵便振替)ですか?", [
            ("online", "オンライン決済", "online"), ("offline", "オフライン決済", "offline")]),
        "online": _outcome("online", "支払いは請求ごとになります。作成済みの年度ごとの請求を取消した後、1つにまとめた請求を"
                           "作成し直せば、オンライン決済でも複数年分まとめて支払うことができます。ただし、請求情報データおよび"
                           "入金情報データで年度ごとの集計ができなくなりますのでご注意ください。 手順:①請求取消 → "
                           "②複数年度を1つにまとめた請求作成 " + PROCEDURE_NOTE, "【オンライン決済の場合】",
                           procedures=("combine_invoices",)),
        "offline": _outcome("offline", "銀行振込や郵便振替でお支払いされる場合は、入金額を各年度の請求に振り分けて登録してください。",
                            "【オフライン決済の場合】"),
    }))

NAME_NOTE = "その際、振込人名義に会員氏名または会員番号を含めることを併せてご案内ください。"
FLOWS.append(_flow(
    "faq-pay-by-affiliation", "年会費を所属先が支払う",
    _source(PAYMENTS, "支払方法はオンライン決済のみですが、年会費を所属先が支払うと連絡がありました。どうしたらよいですか?"),
    "pattern", {
        "pattern": _question("ご案内方法は以下3パターンです。どの方法でご案内しますか?", [
            ("receipt", "1. 会員がオンライン決済で支払い、領収書を提出して清算する", "receipt"),
            ("invoice", "2. 請求書に振込先口座情報を表示する", "bank_account"),
            ("mail", "3. 個別メールで振込先口座情報を案内する", "individual_mail")]),
        "bank_account": _fact("billing.bank_account_on_invoice", "請求書の振込先口座情報",
                              {"true": "invoice_bank_account", "false": "no_bank_account"}),
        "receipt": _outcome("receipt", "会員自身でマイページからオンライン決済を行い、マイページから領収書を発行して所属先に提出して"
                            "清算する方法です。この方法を利用されるケースが近年増えています。",
                            "1. 会員がオンライン決済で支払い、領収書を提出して清算する"),
        "invoice_bank_account": _outcome(
            "invoice_bank_account", "マイページから請求書をダウンロードし、所属先に提出するようご案内ください。" + NAME_NOTE
            + "ただし、支払方法がオンライン決済に選択されている場合でも、請求書に振込先口座情報が表示されます。",
            "2. 請求書に振込先口座情報を表示する"),
        "no_bank_account": _outcome(
            "no_bank_account", "請求書に振込先口座情報が表示されていません。カスタマーサクセス担当までご連絡ください。",
            "2. 請求書に振込先口座情報を表示する", escalates=True),
        "individual_mail": _outcome(
            "individual_mail", "振込先口座情報をマイページに表示したくない場合は、個別メールにて振込先口座情報を所属先にご案内"
            "ください。" + NAME_NOTE, "3. 個別メールで振込先口座情報を案内する"),
    }))

OVERPAY_TEXT = ("クレジットカード払い、コンビニ払いでは請求金額以上の金額を入金することはできませんが、バンクチェック払いの場合は、"
                "会員が自分で金額を指定できますので、未納の会費2年分がまとめて入金される、間違えて多く入金されるなど過払いが"
                "発生する可能性があります。")
ROBOT_PAYMENT = "バンクチェック決済で過払いが発生した場合は、本来振り込む対象請求の決済番号をROBOT PAYMENT社に連絡する必要があります。"
OVERPAID_FACT = "過払い(請求金額より多い入金)"
FLOWS.append(_flow(
    "faq-overpayment-possible", "請求金額より多く払われることはあるか",
    _source(PAYMENTS, "請求金額よりも多く払われることはありますか。"), "overpaid_check", {
        "overpaid_check": _fact("billing.overpaid", OVERPAID_FACT, {
            "bank_check": "bank_check_overpaid", "other_method": "overpaid", "none": "possible"}),
        "possible": _outcome("possible", OVERPAY_TEXT + ROBOT_PAYMENT, PAYMENTS),
        "bank_check_overpaid": _outcome("bank_check_overpaid", "この会員の請求はバンクチェック決済で過払いになっています"
                                        "(記録のとおり)。" + ROBOT_PAYMENT + "過払い分は次年度の請求に入金情報登録できます。"
                                        + PROCEDURE_NOTE, PAYMENTS, procedures=("overpayment_to_next_year",),
                                        escalates=True),
        "overpaid": _outcome("overpaid", "この会員の請求は過払いになっています(記録のとおり)。" + OVERPAY_TEXT
                             + "過払い分は次年度の請求に入金情報登録できます。" + PROCEDURE_NOTE, PAYMENTS,
                             procedures=("overpayment_to_next_year",)),
    }))

SPLIT_TEXT = ("まとめて入金された入金履歴を削除して、その後対象の年度に振り分けて入金情報を登録してください。 手順:①入金履歴削除 → "
              "②当該年度の請求に入金情報登録")
FLOWS.append(_flow(
    "faq-combined-payment", "未納の年会費を1つの請求にまとめて入金された",
    _source(PAYMENTS, "未納の年会費を1つの請求にまとめて入金されました。"), "combined", {
        "combined": _fact("billing.combined_payment", "まとめて入金された入金", {
            "bank_check": "split_bank_check", "other_method": "split", "none": "not_found"}),
        "split_bank_check": _outcome("split_bank_check", SPLIT_TEXT + " " + BANK_CHECK_NOTE + " " + OVERPAID_PAGE + " "
                                     + PROCEDURE_NOTE, PAYMENTS, procedures=("split_combined_payment",)),
        "split": _outcome("split", SPLIT_TEXT + " " + OVERPAID_PAGE + " " + PROCEDURE_NOTE, PAYMENTS,
                          procedures=("split_combined_payment",)),
        "not_found": _outcome("not_found", "この会員には、請求金額より多く入金された請求と未入金の請求の組み合わせが見つかり"
                              "ません。入金情報を確認してください。" + SPLIT_TEXT + " " + OVERPAID_PAGE, PAYMENTS),
    }))

OVERPAID_TEXT = ("次年度の年会費の請求を作成し、過払い分を入金情報登録してください。 手順:①入金履歴削除 → ②当年度の請求に入金情報登録 "
                 "→ ③次年度の請求作成 → ④過払い分の入金情報登録")
FLOWS.append(_flow(
    "faq-overpaid", "間違えて多く入金された",
    _source(PAYMENTS, "間違えて多く入金されました。"), "overpaid_check", {
        "overpaid_check": _fact("billing.overpaid", OVERPAID_FACT, {
            "bank_check": "overpaid_bank_check", "other_method": "overpaid", "none": "not_overpaid"}),
        "overpaid_bank_check": _outcome("overpaid_bank_check", OVERPAID_TEXT + " " + BANK_CHECK_NOTE + " " + OVERPAID_PAGE
                                        + " " + PROCEDURE_NOTE, PAYMENTS, procedures=("overpayment_to_next_year",)),
        "overpaid": _outcome("overpaid", OVERPAID_TEXT + " " + OVERPAID_PAGE + " " + PROCEDURE_NOTE, PAYMENTS,
                             procedures=("overpayment_to_next_year",)),
        "not_overpaid": _outcome("not_overpaid", "この会員には過払い(請求金額より多い入金)の請求がありません。入金情報を"
                                 "確認してください。", PAYMENTS),
    }))

FLOWS.append(_flow(
    "faq-move-payment", "最新年度の入金を古い年度に割り当てたい",
    _source(PAYMENTS, "複数年度未入金となっている請求がありますが、最新年度に入金があったため、古い年度に割り当てたいです。"),
    "payment", {
        "payment": _fact("billing.payment_to_move", "最新年度の入金と未入金の古い年度の請求", {
            "online": "online", "offline": "offline", "none": "not_found"}),
        "online": _outcome("online", "入金履歴を削除してから請求を取消して、入金のあった年度の請求を再作成してください。その後、"
                           "割り当てたい年度に入金情報を登録してください。 手順:①入金履歴削除 → ②請求取消 → ③請求作成 → "
                           "④割り当てたい請求に入金情報登録 " + ONLINE_NOTE + " " + PROCEDURE_NOTE, "【オンライン決済の場合】",
                           procedures=("move_payment",)),
        "offline": _outcome("offline", "入金履歴を削除して割り当てたい年度に入金情報を登録してください。 手順:①入金履歴削除 → "
                            "②割り当てたい請求に入金情報登録 ※入金情報登録時、備考欄に作業メモを登録してください。 "
                            + PROCEDURE_NOTE, "【オフライン決済の場合】", procedures=("move_payment",)),
        "not_found": _outcome("not_found", "この会員には、新しい年度に入金があり古い年度が未入金の請求が見つかりません。"
                              "入金情報を確認してください。", PAYMENTS),
    }))

FLOWS.append(_flow(
    "faq-paid-multi-year", "複数年分の入金済み会員を抽出したい",
    _source(PAYMENTS, "複数年分の請求に対する入金済み会員を抽出したいです。"), "years", {
        "years": _fact("billing.export_years", "ダウンロードできる年度", next="download"),
        "download": _outcome("download", DOWNLOAD, PAYMENTS),
    }))
