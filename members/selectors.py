"""Reads spanning several models of the members app."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from backoffice import clock, text

from .models import Member, MemberStatus, Society, Status

_DIGITS_RE = re.compile(r"^\d+$")


def members_of(society: Society | None, *, today=None) -> QuerySet[Member]:
    """The society's members with ``current_status`` annotated (one query for a whole list)."""
    qs = Member.objects.all() if society is None else Member.objects.filter(society=society)
    day = today or clock.today(society)
    return qs.with_current_status(day).select_related("member_type", "apass")


def search_members(queryset: QuerySet[Member], q: str) -> QuerySet[Member]:
    """MEM-10: name and kana by part (hiragana/katakana/half-width kana and letter width match each other),
    e-mail and member number exact or by part, phone exact with or without hyphens."""
    q = (q or "").strip()
    if not q:
        return queryset
    half = text.half_width(q)
    condition = Q()
    key = text.search_key(q)
    if "@" in half:
        email = text.normalize_email(half)
        condition |= Q(email__contains=email)
    else:
        if key:
            condition |= Q(search_text__contains=key)
        email_part = text.normalize_email(half)
        if email_part and " " not in email_part:
            condition |= Q(email__contains=email_part)
        condition |= Q(member_number__contains=half)
        digits = text.phone_digits(half)
        if digits and re.fullmatch(r"[\d\-()+ ]+", text.normalize_phone(half)) and len(digits) >= 6:
            condition |= Q(phone_digits=digits)
    return queryset.filter(condition)


def latest_status_entries(member_ids: Iterable[int]) -> dict[int, MemberStatus]:
    """Latest entry (future-dated included) of each member."""
    latest: dict[int, MemberStatus] = {}
    for entry in MemberStatus.objects.filter(member_id__in=list(member_ids)).order_by("member_id", "effective_date"):
        latest[entry.member_id] = entry
    return latest


def members_pending_number(society: Society) -> QuerySet[Member]:
    """NUM-1: active members without a member number, in registration order."""
    return (
        Member.objects.filter(society=society, member_number__isnull=True)
        .with_current_status(clock.today(society))
        .filter(current_status=Status.ACTIVE)
        .select_related("member_type")
        .order_by("pk")
    )


DEFAULT_NUMBER_WIDTH = 6


def next_member_numbers(society: Society, count: int) -> list[str]:
    """Proposal for [会員番号採番]: the next free numbers after the highest numeric one, same width."""
    if count <= 0:
        return []
    highest = (
        Member.objects.filter(society=society, member_number__regex=r"^[0-9]+$")
        .order_by(Length("member_number").desc(), "-member_number")
        .values_list("member_number", flat=True)
        .first()
    )
    start = int(highest) + 1 if highest else 1
    width = len(highest) if highest else DEFAULT_NUMBER_WIDTH
    taken = set(
        Member.objects.filter(
            society=society, member_number__in=[str(n).zfill(width) for n in range(start, start + count)]
        ).values_list("member_number", flat=True)
    )
    numbers: list[str] = []
    n = start
    while len(numbers) < count:
        candidate = str(n).zfill(width)
        if candidate not in taken:
            numbers.append(candidate)
        n += 1
    return numbers
