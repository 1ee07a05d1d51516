"""What several flows share."""

#: SUP-9: the identity check a flow that discloses starts with (the name and one more item the record holds)
IDENTITY_NODE = {
    "kind": "identity", "label": "本人確認",
    "text": "ご本人確認のため、お名前と、会員情報に登録されている項目(会員番号・電話番号・郵便番号・所属)のいずれか1つを"
            "お伺いしてください。確認できるまで、記録の内容はお伝えできません。",
}
