"""Every write of the simulator app (DESIGN.md): My Page notices (SIM-4)."""

from __future__ import annotations

import datetime

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from backoffice import audit
from backoffice.errors import DomainError
from backoffice.services import Actor, check_society, service

from .models import MyPageNotice

NOTICE_FIELDS = ("title", "body", "published_on", "is_published")


def _snapshot(notice: MyPageNotice) -> dict:
    return {**{k: getattr(notice, k) for k in NOTICE_FIELDS}, "position": notice.position}


def _validate(notice: MyPageNotice) -> None:
    if not notice.title.strip():
        raise DomainError("invalid", _("Enter a title."), fields={"title": [str(_("Enter a title."))]})


@service()
def notice_create(*, actor: Actor, society, title: str, published_on: datetime.date, body: str = "",
                  is_published: bool = True) -> MyPageNotice:
    """A new notice goes to the bottom of My Page (nothing is sorted by date); the secretariat moves it."""
    check_society(actor, society.pk)
    notice = MyPageNotice(society=society, title=title, body=body, published_on=published_on,
                          is_published=is_published)
    _validate(notice)
    last = MyPageNotice.objects.in_society(society).select_for_update().aggregate(last=Max("position"))["last"]
    notice.position = 0 if last is None else last + 1
    notice.full_clean(exclude=["society"])
    notice.save()
    audit.record(actor=actor, action="simulator.notice.created", target=notice, after=_snapshot(notice))
    return notice


@service()
def notice_update(*, actor: Actor, notice: MyPageNotice, **changes) -> MyPageNotice:
    check_society(actor, notice.society_id)
    unknown = set(changes) - set(NOTICE_FIELDS)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    notice = MyPageNotice.objects.select_for_update().get(pk=notice.pk)
    before = _snapshot(notice)
    for key, value in changes.items():
        setattr(notice, key, value)
    _validate(notice)
    notice.save()
    audit.record_change(actor=actor, action="simulator.notice.updated", target=notice, before=before,
                        after=_snapshot(notice))
    return notice


@service()
def notice_move(*, actor: Actor, notice: MyPageNotice, index: int) -> MyPageNotice:
    """Put ``notice`` at ``index`` (0 = top) of the society's My Page order; the others keep their order."""
    check_society(actor, notice.society_id)
    notices = list(MyPageNotice.objects.in_society(notice.society).select_for_update().in_display_order())
    current = next(n for n in notices if n.pk == notice.pk)
    notices.remove(current)
    index = max(0, min(index, len(notices)))
    notices.insert(index, current)
    before = current.position
    for position, item in enumerate(notices):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    if current.position != before:
        audit.record(actor=actor, action="simulator.notice.moved", target=current,
                     before={"position": before + 1}, after={"position": current.position + 1})
    return current
