"""The secretariat's first page (/admin/): the society and its clock, the member search box, and shortcuts to
the manuals' screens offered only to operators whose role may use them (SOC-3)."""

import datetime
import re

import pytest

from backoffice import clock
from members.factories import OperatorFactory, SocietyFactory, create_member_with_history
from members.models import Operator, Status

pytestmark = pytest.mark.django_db

# billing registers its screens (billing.admin.links): those any role reads, and [請求情報作成] for roles that write;
# support registers サポート案件 and サポートの集計 (support.links), which every role of a society reads
BILLING_SHORTCUTS = {"billing-runs", "invoices", "bank-statements", "payments", "lapse", "support-cases",
                     "support-stats"}
ALL_SHORTCUTS = {"individual", "corporate", "numbers", "member-types", "audit", "operators", "societies",
                 "billing-run-add", *BILLING_SHORTCUTS}


@pytest.fixture
def trainer_op(society):
    return OperatorFactory(society=society, role="trainer", email="trainer@jsbo.example.jp")


@pytest.fixture
def platform_root(db):
    return Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")


def home(client, operator):
    client.force_login(operator)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def shortcut_links(html: str) -> dict[str, str]:
    """{shortcut id: url} of the first page's 画面一覧."""
    return dict(re.findall(r'<tr id="shortcut-([\w-]+)"><th scope="row"><a href="([^"]+)"', html))


def japanese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_first_page_replaces_the_stock_app_list(client, staff_op):
    html = home(client, staff_op)
    assert 'id="home-search"' in html and 'id="home-shortcuts"' in html
    assert "app-members module" not in html  # the stock app list's markup
    assert "recent-actions-module" not in html


def test_first_page_search_box_submits_to_individual_and_corporate_member_search(client, staff_op):
    html = home(client, staff_op)
    form = re.search(r'<form method="get" action="([^"]+)" role="search">(.*?)</form>', html, re.S)
    assert form.group(1) == "/admin/members/member/"  # Enter: [個人会員検索]
    assert 'name="q"' in form.group(2)
    assert 'formaction="/admin/members/corporatemember/"' in form.group(2)
    assert "個人会員検索" in form.group(2) and "法人会員検索" in form.group(2)


def test_first_page_search_lands_on_individual_member_search_with_results(client, staff_op, society, regular_type):
    hanako = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type,
                                        name="佐藤 花子", name_kana="サトウ ハナコ", email="hanako@example.ac.jp")
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="鈴木 一郎",
                               name_kana="スズキ イチロウ")
    client.force_login(staff_op)
    r = client.get("/admin/members/member/", {"q": "さとう"})
    assert [m.pk for m in r.context["cl"].result_list] == [hanako.pk]


def test_first_page_shows_the_society_and_today_on_its_clock(client, staff_op, society):
    html = home(client, staff_op)
    assert society.name in html
    assert japanese_date(clock.today(society)) in html
    assert "研修用" not in html


def test_first_page_marks_a_sandbox_society_and_shows_its_moved_clock(client):
    sandbox = SocietyFactory(slug="training", name="研修用サンドボックス学会", is_sandbox=True,
                             clock_offset=datetime.timedelta(days=400))
    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    html = home(client, trainer)
    assert 'id="home-sandbox">研修用</span>' in html
    moved = clock.today(sandbox)
    assert moved != datetime.date.today()
    assert f'id="home-today">{japanese_date(moved)}' in html
    assert "研修用の時計の日付です。" in html
    assert "実際の日付は" in html  # the trainer sees that the clock was moved


def test_soc3_first_page_shortcuts_for_staff(client, staff_op):
    assert set(shortcut_links(home(client, staff_op))) == {"individual", "corporate", "numbers", "member-types", "audit",
                                                          "billing-run-add", *BILLING_SHORTCUTS}


def test_soc3_first_page_shortcuts_for_trainer(client, trainer_op):
    assert set(shortcut_links(home(client, trainer_op))) == {"individual", "corporate", "numbers", "member-types",
                                                            "audit", "billing-run-add", *BILLING_SHORTCUTS}


def test_soc3_first_page_shortcuts_for_viewer_offer_no_write_screen(client, viewer_op):
    links = shortcut_links(home(client, viewer_op))
    assert set(links) == {"individual", "corporate", "member-types", "audit", *BILLING_SHORTCUTS}
    assert "会員番号採番" not in home(client, viewer_op)


def test_soc3_first_page_shortcuts_for_settings_manager_include_operators(client, admin_op):
    links = shortcut_links(home(client, admin_op))
    assert set(links) == ALL_SHORTCUTS
    assert links["operators"] == "/admin/members/operator/"


@pytest.mark.parametrize("role", ["admin", "staff", "trainer", "viewer", "platform"])
def test_soc3_every_shortcut_on_the_first_page_opens(client, society, role, platform_root):
    operator = platform_root if role == "platform" else OperatorFactory(society=society, role=role)
    links = shortcut_links(home(client, operator))
    assert links
    for name, url in links.items():
        assert client.get(url).status_code == 200, (role, name, url)


def test_soc3_first_page_for_platform_superuser_lists_societies(client, platform_root, society):
    SocietyFactory(slug="training", name="研修用サンドボックス学会", is_sandbox=True)
    html = home(client, platform_root)
    societies = re.search(r'id="home-societies">(.*?)</section>', html, re.S).group(1)
    assert "学会一覧" in societies
    assert "日本バックオフィス学会" in societies and "研修用サンドボックス学会" in societies
    assert "研修用" in societies
    assert f'/admin/members/society/{society.pk}/change/' in societies
    # Numbering is a society's act: the platform superuser has no [会員番号採番] shortcut.
    assert "numbers" not in shortcut_links(html)


def test_first_page_society_list_is_bounded(client, platform_root, monkeypatch):
    from members.templatetags import secretariat_home

    monkeypatch.setattr(secretariat_home, "SOCIETY_LIST_LIMIT", 2)
    for n in range(3):
        SocietyFactory(slug=f"s{n}", name=f"学会{n}")
    html = home(client, platform_root)
    assert html.count("/admin/members/society/") == 3 + 1  # 2 rows, the shortcut, the "all societies" link
    assert "すべての学会を表示" in html


@pytest.mark.parametrize(("who", "queries"), [
    # session, operator with its society, and the two permission look-ups of the admin's menu (other apps' models)
    ("staff", 4),
    # session, operator, the societies (a superuser's permissions need no query)
    ("platform", 3),
])
def test_first_page_query_count_is_pinned(client, staff_op, platform_root, who, queries, django_assert_max_num_queries):
    for n in range(20):
        SocietyFactory(slug=f"s{n}")
    client.force_login(platform_root if who == "platform" else staff_op)
    with django_assert_max_num_queries(queries):
        r = client.get("/admin/")
    assert r.status_code == 200
