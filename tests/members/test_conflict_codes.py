"""Issue 13 §0 "conflicts carry their own codes": a state conflict of the members app answers 409 with a code
that says what conflicts (a support fact branches on it), never the generic ``invalid``; plain field
validation stays 400 ``invalid``."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from backoffice.errors import ERROR_CODES, DomainError
from members import services
from members.models import Operator

from .helpers import assert_error, make_member, state

pytestmark = pytest.mark.django_db

NEW_CODES = ("society_slug_taken", "member_type_code_taken", "member_number_not_assigned", "mail_already_sent")


def test_issue13_new_conflict_codes_are_in_the_error_contract():
    assert set(NEW_CODES) <= set(ERROR_CODES)


def test_issue13_member_type_code_taken_via_the_api_but_a_bad_code_stays_invalid(admin_api, regular_type):
    """The duplicate itself: test_members_api.test_mem2_member_type_duplicate_code_refused."""
    before = state()
    assert_error(admin_api.post("/api/v1/member-types/", {"code": "ｒｅｇｕｌａｒ", "name": "x", "annual_fee": 1},
                                format="json"), 409, "member_type_code_taken")
    assert_error(admin_api.post("/api/v1/member-types/", {"code": "正 会員", "name": "x", "annual_fee": 1},
                                format="json"), 400, "invalid")
    assert state() == before


def test_issue13_member_number_not_assigned_via_the_api(admin_api, society, regular_type):
    unnumbered = make_member(society, regular_type, member_number=None)
    numbered = make_member(society, regular_type, member_number="000001")
    before = state()
    assert_error(admin_api.post(f"/api/v1/members/{unnumbered.pk}/member-number/", {"member_number": "000005"},
                                format="json"), 409, "member_number_not_assigned")
    assert_error(admin_api.post(f"/api/v1/members/{numbered.pk}/member-number/", {"member_number": "12-3"},
                                format="json"), 400, "invalid")
    assert state() == before


def test_issue13_society_slug_taken(society, other_society):
    root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
    for call in (lambda: services.society_create(actor=root, slug="other", name="重複"),
                 lambda: services.society_update(actor=root, society=society, slug="other")):
        with pytest.raises(DomainError) as refused:
            call()
        assert (refused.value.code, refused.value.status) == ("society_slug_taken", 409)
    with pytest.raises(CommandError, match="other"):
        call_command("create_society", slug="other", name="重複")
    society.refresh_from_db()
    assert society.slug == "jsbo"
