"""Issue 14 §2 / SUP-2: every entry of seed 003 (よくある問い合わせ) is reachable as a flow.

The table below lists the seed's questions under its area headings, as the seed prints them. The test holds the
table to the seed (each heading and question occurs in the seed's text, in this order) and the shipped flows to
the table (each question is the ``source.entry`` of exactly one shipped flow, under its heading)."""

from pathlib import Path

import pytest

from support.flows import SHIPPED

SEED_NAME = "003_ce6184a7f9099b55.txt"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / SEED_NAME

ENTRIES = {
    "入会申請に関すること": [
        "入会申請者から「このメールアドレスは既に使用されています。」と表示されて、登録ができないと問合せがありました。",
        "間違って入会申請されたので取消したいです。",
        "申請日と入会日が同日ですが、会員状況に追加ができません。",
        "会員状況の一括更新で入会日が登録できません。",
        "会員番号を採番しようとしたのですが、採番ができません。",
    ],
    "会員情報に関すること": [
        "[代理申請]画面で「このメールアドレスは既に使用されています。」と表示されて登録ができません。"
        "しかし、[個人会員検索]画面/[法人会員検索]画面に見当たりません。",
        "会員のパスワードを確認できますか。",
    ],
    "請求に関すること": [
        "請求作成が作成途中のまま完了しません。",
        "請求の作成に時間がかかります。",
        "請求を作成したのに[個人会員請求検索]画面に表示されません。",
        "請求を作成したのに会員マイページに表示されません。",
        "会費0円の会員種別で請求を作成した場合どうなりますか。",
        "年度末で退会予定の会員は次年度の年会費請求を作成したときに、自動的に対象から除外できますか。",
        "請求名称を変更したいです。",
        "請求を取消したいです。",
        "請求が取り消せません。",
        "次年度からの入会希望者に対して、誤って当年度の請求を作成してしまいました。次年度の請求に変更したいです。",
        "来年度の年会費用を減額したい会員がいます。",
        "年会費用を一定額毎回減額したい会員がいます。",
        "正会員で年会費請求した後に、今年度も学生会員のままであることが分かりました。請求金額が異なるため修正したいです。",
        "会期途中で学生会員から正会員に会員種別が変わり、追加の請求が発生しました。",
        "昨年の年会費未納者を抽出したいです。",
        "過去複数年分の請求に対する未納会員を抽出したいです。",
    ],
    "入金に関すること": [
        "会員から複数年会費まとめて支払いたいと言われました。",
        "支払方法はオンライン決済のみですが、年会費を所属先が支払うと連絡がありました。どうしたらよいですか?",
        "請求金額よりも多く払われることはありますか。",
        "未納の年会費を1つの請求にまとめて入金されました。",
        "間違えて多く入金されました。",
        "複数年度未入金となっている請求がありますが、最新年度に入金があったため、古い年度に割り当てたいです。",
        "複数年分の請求に対する入金済み会員を抽出したいです。",
    ],
    "メールに関すること": [
        "会員規約に同意しメールアドレスを登録したのに「メールが届かない」と問合せがありました。",
        "入会申請者から「URLをクリックするとエラーになる。」と問合せがありました。",
        "会員から「[パスワード再発行]で[ログインID]を登録したが、メールが届かない」と問合せがありました。",
        "会員から「メールアドレスを変更したのに変更後のメールアドレスでログインできません」と問合せがありました。",
    ],
    "マイページに関すること": [
        "会員自身でマイページから氏名を変更することはできますか。",
        "会員自身でマイページから会員状況を変更することはできますか。",
        "マイページにファイルを置くことはできますか。",
        "お知らせが掲載日順に表示されません。",
    ],
}

ROWS = [(section, entry) for section, entries in ENTRIES.items() for entry in entries]


def _seed_flows():
    return [flow for flow in SHIPPED.values() if flow.get("source", {}).get("seed") == SEED_NAME
            and "entry" in flow["source"]]


def test_sup2_the_table_is_the_seeds_headings_and_questions_in_order():
    text = SEED.read_text(encoding="utf-8")
    body = text.split("会員マイページお知らせに関すること", 1)[1]  # past the table of contents
    position = 0
    for section, entries in ENTRIES.items():
        position = body.index(section, position)
        for entry in entries:
            found = body.find(entry, position)
            assert found >= 0, f"not in seed 003 after {section}: {entry}"
            position = found + len(entry)
    assert len(ROWS) == 38


@pytest.mark.parametrize(("section", "entry"), ROWS, ids=[f"entry{i:02d}" for i in range(len(ROWS))])
def test_sup2_every_seed003_entry_is_one_shipped_flow(section, entry):
    flows = [f for f in _seed_flows() if f["source"]["entry"] == entry]
    assert len(flows) == 1, f"{len(flows)} shipped flows for: {entry}"
    assert flows[0]["source"]["section"] == section


def test_sup2_every_seed003_flow_names_an_entry_of_the_seed():
    rows = set(ROWS)
    for flow in _seed_flows():
        assert (flow["source"]["section"], flow["source"]["entry"]) in rows, flow["id"]
