"""Issue 13 §0 "layering" (DESIGN.md, who may import whom): members/ knows no invoices, no simulator and no
support console — it imports nothing from billing/, simulator/ or support/. Where a higher app adds to the
member screens it registers with members (register_member_page_links, register_member_action)."""

from __future__ import annotations

import ast
import pathlib

import pytest

MEMBERS = pathlib.Path(__file__).resolve().parents[2] / "members"
HIGHER_APPS = {"billing", "simulator", "support"}


def imports_of_higher_apps(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import of billing, simulator or support in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in HIGHER_APPS]
    return sorted(found)


def test_issue13_members_imports_nothing_from_billing_simulator_or_support():
    files = sorted(MEMBERS.rglob("*.py"))
    assert len(files) > 20
    hits = [(str(path.relative_to(MEMBERS.parent)), line, module) for path in files
            for line, module in imports_of_higher_apps(path.read_text(encoding="utf-8"))]
    assert hits == []


def test_issue13_the_scan_sees_an_import_up_the_order():
    source = "from . import models\ndef f():\n    from simulator import scenarios\nimport billing.models, mail\n"
    assert imports_of_higher_apps(source) == [(3, "simulator"), (4, "billing.models")]


@pytest.mark.django_db
def test_issue13_billing_adds_its_member_action_through_the_registry(society, admin_op, viewer_op, client):
    """「請求情報作成」 on [個人会員検索] comes from members.admin.register_member_action (no monkey-patch of
    MemberAdmin), after the screen's own action, and only for those who may write."""
    from members import admin as members_admin
    from billing.admin.runs import bill_selected_members

    assert [a for a, _allowed in members_admin.MEMBER_ACTIONS] == [bill_selected_members]
    client.force_login(admin_op)
    page = client.get("/admin/members/member/")
    names = list(page.context["cl"].model_admin.get_actions(page.wsgi_request))
    assert names[:2] == ["bulk_status_action", "bill_selected_members"]
    client.force_login(viewer_op)
    page = client.get("/admin/members/member/")
    assert "bill_selected_members" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
