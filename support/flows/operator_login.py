"""seed 001 「オペレーターアカウントでログインできない問題について」: causes ①–⑥ checked in the manual's order (「原因①から
順番にご確認ください」), each answered from the operator sign-in log and the records (support/facts_operator.py), so
the agent asks nothing the records know. A case is started from the operator's e-mail (``operator_email``).

The manual's product names are the vendor's (UTAGE); here the pages are the society's operator sign-in page
``/office/<学会ID>/login/`` and the contract holder's general page ``/login/``."""

SEED = "001_a770211f0fadaa4e.txt"

FLOW = {
    "id": "operator-login",
    "version": 1,
    "title": "オペレーターアカウントでログインできない",
    "subject": "operator",  # started from an operator's e-mail, not a member
    "source": {"seed": SEED, "section": "オペレーターアカウントでログインできない問題について"},
    "start": "wrong_page",
    "nodes": {
        "wrong_page": {"kind": "fact", "fact": "operator.wrong_page",
                       "label": "原因①:オペレーター専用ログインページを利用していない",
                       "branches": {"true": "cause1", "false": "session_ended"}},
        "session_ended": {"kind": "fact", "fact": "operator.session_ended",
                          "label": "原因②:同一端末・同一ブラウザで他のアカウントにログインをしている",
                          "branches": {"true": "cause2", "false": "duplicate_email"}},
        "duplicate_email": {"kind": "fact", "fact": "operator.duplicate_email",
                            "label": "原因③:同一メールアドレスでオペレーターアカウントを重複作成している",
                            "branches": {"true": "cause3", "false": "wrong_password"}},
        "wrong_password": {"kind": "fact", "fact": "operator.wrong_password",
                           "label": "原因④:オペレーターのパスワード入力違い",
                           "branches": {"true": "cause4", "false": "deleted"}},
        "deleted": {"kind": "fact", "fact": "operator.deleted",
                    "label": "原因⑤:契約者がオペレーターアカウントを削除した",
                    "branches": {"true": "cause5", "false": "contract_inactive", "none": "not_registered"}},
        "contract_inactive": {"kind": "fact", "fact": "operator.contract_inactive",
                              "label": "原因⑥:契約アカウントが解約済み、または、月額料金未払いによる強制解約となっている",
                              "branches": {"true": "cause6", "false": "attempted"}},
        "attempted": {"kind": "fact", "fact": "operator.attempted", "label": "ログインの記録",
                      "branches": {"true": "unresolved", "false": "try_again"}},
        "cause1": {
            "kind": "outcome", "code": "cause1",
            "text": "オペレーター用のログインURLと契約アカウント(最初のご契約時のアカウント)のログインURLは異なります。"
                    "オペレーターアカウントの方のログインでは、必ずオペレーター専用ログインURL(/office/<学会ID>/login/)を"
                    "利用しているかご確認ください。(契約アカウント用ログインURL /login/ ではオペレーターアカウントではログイン不可)"
                    "オペレーター用のログインURLは、契約者様にご確認ください。",
            "section": "原因①:オペレーター専用ログインページを利用していない", "actions": [],
        },
        "cause2": {
            "kind": "outcome", "code": "cause2",
            "text": "セキュリティ上の理由により同一端末・同一ブラウザで同時ログインすることができない仕様です。"
                    "そのため、他のアカウントにログイン中の場合ログインできませんので、"
                    "・一旦、他のアカウントからログアウト後、ブラウザを閉じた後に再ログイン "
                    "・ブラウザのシークレットモードでログイン をお試しください。",
            "section": "原因②:同一端末・同一ブラウザで他のアカウントにログインをしている", "actions": [],
        },
        "cause3": {
            "kind": "outcome", "code": "cause3",
            "text": "同一メールアドレスでオペレーターアカウントを2つ以上、重複作成すると正常に動作しない恐れがあります。"
                    "契約アカウントにログイン(/login/)後、オペレーター管理から重複メールアドレスで登録されている"
                    "オペレーターアカウントを全て削除し、再度オペレーターアカウントを作成してください。",
            "section": "原因③:同一メールアドレスでオペレーターアカウントを重複作成している", "actions": [],
        },
        "cause4": {
            "kind": "outcome", "code": "cause4",
            "text": "上記の原因①②③を対応策を実施してもログイン出来ない場合は、オペレーターアカウントのパスワードリセットを"
                    "お試しください。(このシステムでは、学会の管理者がオペレーターの画面でパスワードを設定し直します。)",
            "section": "原因④:オペレーターのパスワード入力違い", "actions": [],
        },
        "cause5": {
            "kind": "outcome", "code": "cause5",
            "text": "契約者が該当のオペレーターアカウントを削除した場合はオペレーターアカウントにログインすることはできません。"
                    "オペレーターアカウントを発行された契約者へご確認ください。",
            "section": "原因⑤:契約者がオペレーターアカウントを削除した", "actions": [],
        },
        "cause6": {
            "kind": "outcome", "code": "cause6",
            "text": "契約アカウントを解約、または、月額料金未払いによる強制解約となった場合、オペレーターログイン時に"
                    "「メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。」"
                    "が表示され、発行されたオペレーターアカウントにログインすることはできません。"
                    "オペレーターアカウントを発行された契約者へご確認ください。",
            "section": "原因⑥:契約アカウントが解約済み、または、月額料金未払いによる強制解約となっている", "actions": [],
        },
        "not_registered": {
            "kind": "outcome", "code": "not_registered",
            "text": "この学会には、このメールアドレスのオペレーターアカウントが登録されていません。"
                    "オペレーターアカウントを発行された契約者へご確認ください。",
            "section": "原因⑤:契約者がオペレーターアカウントを削除した", "actions": [],
        },
        "try_again": {
            "kind": "outcome", "code": "try_again",
            "text": "このメールアドレスでのログインの記録が直近7日間にありません。オペレーター専用ログインページ"
                    "(/office/<学会ID>/login/)から一度ログインをお試しいただき、その後もう一度この流れで確認してください。",
            "section": "原因①から順番にご確認ください", "actions": [],
        },
        "unresolved": {
            "kind": "outcome", "code": "unresolved", "escalates": True,
            "text": "上記でも問題が解決しない場合、お手数ではございますが、問い合わせフォームよりサポートまでお問い合わせください。"
                    "<お問い合わせ時に必要な情報> ・ログインができないオペレーター名 ・ログインができないオペレーターメールアドレス "
                    "・オペレーター用ログインページURL ・(可能なら)オペレーターログイン時の一連の操作動画URL"
                    "(パスワードはお伺いしません)",
            "section": "上記でも問題が解決しない場合", "actions": [],
        },
    },
}
