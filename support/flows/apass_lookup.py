"""seed 002 【OTORAKU】ログイントラブル時のお客様対応フローチャート, for the A-Pass (one ID for every society and
service): find the account, tell the caller the ID and e-mail — never the password (「PASS」に関しては…分からない
仕組みになっています) — and point to the self-service reset."""

from .common import IDENTITY_NODE

SEED = "002_52307612d8c86818.txt"

FLOW = {
    "id": "apass-lookup",
    "version": 2,  # 2: starts with the identity check (SUP-9)
    "discloses": True,
    "title": "ログイントラブル時のお客様対応(A-Pass照会)",
    "source": {"seed": SEED, "section": "アカウント検索"},
    "start": "identity",
    "nodes": {
        "identity": {**IDENTITY_NODE, "next": "apass_found"},
        "apass_found": {"kind": "fact", "fact": "apass.found", "label": "アカウント検索",
                        "branches": {"true": "knows_password", "false": "not_registered"}},
        "knows_password": {"kind": "question", "text": "お客様は、「PASS」が分かりますか?",
                           "options": [{"value": "yes", "label": "はい", "next": "retry_login"},
                                       {"value": "no", "label": "いいえ", "next": "email_usable"}]},
        "email_usable": {"kind": "question", "text": "「初回登録時のメールアドレス」は、今も使えますか?",
                         "options": [{"value": "yes", "label": "はい", "next": "self_reset"},
                                     {"value": "no", "label": "いいえ", "next": "change_email"}]},
        "not_registered": {
            "kind": "outcome", "code": "not_registered",
            "text": "登録されている「ユーザーID/メールアドレス」がありません。お客様に初回登録を行う様お伝え下さい。",
            "section": "アカウント検索 ※④が空欄の場合", "actions": [],
        },
        "retry_login": {
            "kind": "outcome", "code": "retry_login",
            "text": "登録されている「ユーザーID/メールアドレス」をお客様へお伝え下さい(「PASS」はお伝えできません)。"
                    "「ユーザーID/PASS」が正しく入力されていない可能性が考えられます。再度、正確に入力し、ログインを試みて下さい。",
            "section": "お客様へ、お伝えしたら…", "actions": [],
        },
        "self_reset": {
            "kind": "outcome", "code": "self_reset",
            "text": "登録されている「ユーザーID/メールアドレス」をお客様へお伝え下さい(「PASS」はお伝えできません)。"
                    "お客様ご自身で「PASS」を再設定する: ログイン画面の「パスワードを忘れた方はこちら」からPASSの再設定を"
                    "行って頂いて下さい。※再設定は、「ユーザーID/登録済みメールアドレス」が必要です。",
            "section": "お客様ご自身で「PASS」を再設定する", "actions": [],
        },
        "change_email": {
            "kind": "outcome", "code": "change_email",
            "text": "お客様に登録済みメールアドレスの登録変更を行なって頂いて下さい。会員がログインできない場合は、"
                    "「ログインできない」の流れ(login-trouble)でログイン情報の統合解除を行います。",
            "section": "お客様がメールアドレスの変更連絡をする", "actions": [],
        },
    },
}
