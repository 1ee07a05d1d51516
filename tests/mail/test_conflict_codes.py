"""Issue 13 §0 "conflicts carry their own codes": retrying a mail that has gone out answers 409
``mail_already_sent`` (it answered the generic ``invalid``)."""

from __future__ import annotations

import pytest

from backoffice.errors import Conflict
from mail import services

pytestmark = pytest.mark.django_db


def test_issue13_retrying_a_sent_mail_is_mail_already_sent(staff_op, society, send):
    mail = send(actor=staff_op, society=society, kind="other", link=False)
    mail.refresh_from_db()
    assert mail.status == "sent"
    with pytest.raises(Conflict) as refused:
        services.mail_retry(actor=staff_op, mail=mail)
    assert (refused.value.code, refused.value.status) == ("mail_already_sent", 409)
