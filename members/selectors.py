"""Reads spanning several models of the members app."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from django.utils.translation import gettext_lazy as _

from backoffice import clock, search_grams, text
from backoffice.errors import Conflict, DomainError

from .models import (
    ALLOWED_TRANSITIONS,
    ENDED_STATUSES,
    APass,
    APassUnlink,
    Member,
    MemberStatus,
    MyPageSignIn,
    Society,
    Status,
)

_DIGITS_RE = re.compile(r"^\d+$")


def members_of(society: Society | None, *, today=None) -> QuerySet[Member]:
    """The society's members (every society's for ``None``) with ``current_status`` annotated, in one query
    for a whole list. The status is read on each member's own society clock (MEM-4, SIM-1): a platform
    superuser's list says what each society's screens say."""
    if society is not None:
        day = today or clock.today(society)
        return Member.objects.of_society(society).with_current_status(day).select_related("member_type", "apass")
    days = {s.pk: clock.today(s) for s in Society.objects.only("pk", "is_sandbox", "clock_offset", "timezone")}
    return Member.objects.with_current_status(days).select_related("member_type", "apass")


def visible_members(operator, *, today=None) -> QuerySet[Member]:
    """The members ``operator`` may see (SOC-2), with ``current_status`` on their society clock."""
    if getattr(operator, "sees_all_societies", False):
        return members_of(None, today=today)
    society = getattr(operator, "society", None)
    if society is None or not getattr(operator, "is_active", False):
        return Member.objects.none()
    return members_of(society, today=today)


def search_members(queryset: QuerySet[Member], q: str) -> QuerySet[Member]:
    """MEM-10: name and kana by part (hiragana/katakana/half-width kana and letter width match each other),
    e-mail and member number exact or by part, phone exact with or without hyphens."""
    q = (q or "").strip()
    if not q:
        return queryset
    half = text.half_width(q)
    condition = Q()
    parts: list[tuple[str, str]] = []  # (column, term) of every `contains` condition, for the SQLite index
    phone = None
    key = text.search_key(q)
    if "@" in half:
        email = text.normalize_email(half)
        condition |= Q(email__contains=email)
        parts.append(("email", email))
    else:
        if key:
            condition |= Q(search_text__contains=key)
            parts.append(("search_text", key))
        email_part = text.normalize_email(half)
        if email_part and " " not in email_part:
            condition |= Q(email__contains=email_part)
            parts.append(("email", email_part))
        condition |= Q(member_number__contains=half)
        parts.append(("member_number", half))
        digits = text.phone_digits(half)
        if digits and re.fullmatch(r"[\d\-()+ ]+", text.normalize_phone(half)) and len(digits) >= 6:
            condition |= Q(phone_digits=digits)
            phone = digits
    candidates = _index_candidates(queryset, parts, phone)
    if candidates is None:
        return queryset.filter(condition)
    if all(len(term) <= 2 for _column, term in parts if term):
        # A term of one or two characters is in a key exactly when the key's token is in the index (the pair
        # itself, or a pair starting with the character): the index answers alone, without reading each row's
        # keys again — the dense short terms (林, 佐藤) are the ones with thousands of hits to count.
        return queryset.filter(candidates)
    return queryset.filter(candidates).filter(condition)


# The search index of migration 0008 (its docstring has the design): per member one token per position of each key
# (the two characters starting there, tagged with the key and hex-encoded) and one for the society. It narrows the
# rows to candidates — every row holding a term holds the term's tokens —, and the `contains` conditions above still
# decide, so the result is exactly that of a full scan. PostgreSQL: an expression GIN index over a tsvector (the
# society's rows by the B-tree on society_id);
# SQLite: a contentless FTS5 table kept in step by triggers. For terms of one or two characters the index is exact,
# and the `contains` conditions are left out.
SQLITE_FTS_TABLE = "members_member_grams"
SQLITE_FTS_OBJECTS = {
    ("table", SQLITE_FTS_TABLE),
    ("trigger", "members_member_grams_ai"),
    ("trigger", "members_member_grams_ad"),
    ("trigger", "members_member_grams_au"),
}
PG_SEARCH_VECTOR = ('members_member_search_vector("members_member"."search_text", "members_member"."email", '
                    '"members_member"."member_number")')
KEY_TAGS = {"search_text": "t", "email": "e", "member_number": "n"}
# Past this many candidate rows (SQLite) the index loses to a plain scan, which stops early when matches are dense
# (the page and the capped count both have a LIMIT): the search scans instead.
SQLITE_FTS_MAX_CANDIDATES = 10_000


def search_index_query(parts: list[tuple[str, str]], society_id: int | None, *, fold_ascii: bool = False) -> list:
    """The index query of the (column, term) pairs as a tree: ``["and"|"or", child, ...]`` of leaves
    ``(token, is_prefix)``. A term of two characters or more needs every pair of its characters; one character,
    any pair starting with it (the keys are padded with a space, so every character starts one). ``fold_ascii``:
    the index holds ASCII letters in lower case (SQLite, whose LIKE ignores their case). The tokens and terms are
    built by ``backoffice.search_grams``, shared with the sent-mail search."""
    tree = search_grams.any_of([search_grams.term_query(KEY_TAGS[column], term, fold=fold_ascii)
                                for column, term in dict.fromkeys(parts)])
    if society_id is not None:
        tree = ["and", (f"s{society_id}", False), tree]
    return tree


fts5_match = search_grams.fts5_match
pg_tsquery = search_grams.pg_tsquery


def _index_candidates(queryset: QuerySet[Member], parts: list[tuple[str, str]], phone: str | None) -> Q | None:
    """The rows that may match, from the index (or the phone number), or None when it cannot answer or would not
    help: another database, the SQLite table or a trigger missing, or more than SQLITE_FTS_MAX_CANDIDATES
    candidates on SQLite (one bounded probe query tells)."""
    parts = [(column, term) for column, term in parts if term]
    if not parts:
        return None
    connection = connections[queryset.db]
    sqlite = connection.vendor == "sqlite"  # PostgreSQL finds a society's rows by its B-tree on society_id
    tree = search_index_query(parts, getattr(queryset, "search_society_id", None) if sqlite else None,
                              fold_ascii=sqlite)
    if connection.vendor == "postgresql":
        return _postgresql_candidates(connection, tree, phone, getattr(queryset, "search_society_id", None))
    elif connection.vendor == "sqlite" and _sqlite_fts_ready(connection):
        match = fts5_match(tree)
        with connection.cursor() as cursor:  # a term found almost everywhere ("example.ac.jp"): scanning is cheaper
            cursor.execute(f"SELECT 1 FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s LIMIT 1 OFFSET %s",
                           [match, SQLITE_FTS_MAX_CANDIDATES])
            if cursor.fetchone():
                return None
        candidates = Q(pk__in=RawSQL(f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s",
                                     [match]))
    else:
        return None
    if phone:
        candidates |= Q(phone_digits=phone)
    return candidates


# Up to this many matching ids, PostgreSQL's page and count read the rows by primary key (`id = ANY(ids)`).
PG_MAX_CANDIDATES = 10_000


_PkIsAny = search_grams.PkIsAny


def _postgresql_candidates(connection, tree, phone: str | None, society_id: int | None) -> Q:
    """The matching ids first, in one unordered statement bounded to PG_MAX_CANDIDATES + 1 rows whose only indexable
    condition is the GIN index's; up to PG_MAX_CANDIDATES of them, the page and the capped count read those rows by
    primary key — the page in the list's order, stopping at its end. Written on the list's own statement (or next to
    an indexable society or phone condition), the planner walks another index and computes each row's tokens as it
    goes (0.2 ms a row: it believes the bitmap's recheck would compute them as well, which it does not). The society
    is a filter on the index's rows (`society_id + 0`: no index); the phone number its own B-tree, OR'ed by the
    list. Past the bound (a dense term), the same statement as a fenced subquery (`id IN (… OFFSET 0)`)."""
    where, params = f"{PG_SEARCH_VECTOR} @@ %s::tsquery", [pg_tsquery(tree)]
    if society_id is not None:
        where, params = f"{where} AND society_id + 0 = %s", [*params, society_id]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM members_member WHERE {where} LIMIT %s", [*params, PG_MAX_CANDIDATES + 1])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        candidates = Q(pk__in=[])
    elif len(ids) <= PG_MAX_CANDIDATES:
        candidates = Q(_PkIsAny(ids))
    else:
        candidates = Q(pk__in=RawSQL(f"SELECT id FROM members_member WHERE {where} OFFSET 0", params))
    return candidates | Q(phone_digits=phone) if phone else candidates


def _sqlite_fts_ready(connection) -> bool:
    """Whether the FTS table and all its triggers exist (a later table rebuild by a migration drops the
    triggers). Checked once per database connection, on the raw connection: a schema probe, not a query of
    the request (it must not change query counts depending on which test searched first)."""
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_members_search_fts", None)
    if cached is not None and cached[0] is raw:
        return cached[1]
    names = sorted(name for _type, name in SQLITE_FTS_OBJECTS)
    found = set(raw.execute(f"SELECT type, name FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names))
    ready = SQLITE_FTS_OBJECTS <= found
    connection._members_search_fts = (raw, ready)
    return ready


def latest_status_entries(member_ids: Iterable[int]) -> dict[int, MemberStatus]:
    """Latest entry (future-dated included) of each member."""
    latest: dict[int, MemberStatus] = {}
    for entry in MemberStatus.objects.filter(member_id__in=list(member_ids)).order_by("member_id", "effective_date"):
        latest[entry.member_id] = entry
    return latest


def earliest_bulk_status_date(latest_by_member: dict[int, MemberStatus]) -> datetime.date | None:
    """MEM-6: a bulk date must be on or after the latest entry date among all targets plus one day."""
    latest = max((e.effective_date for e in latest_by_member.values()), default=None)
    return latest + datetime.timedelta(days=1) if latest else None


def members_pending_number(society: Society) -> QuerySet[Member]:
    """NUM-1: active members without a member number, in registration order."""
    return (
        Member.objects.filter(society=society, member_number__isnull=True)
        .with_current_status(clock.today(society))
        .filter(current_status=Status.ACTIVE)
        .select_related("member_type")
        .order_by("pk")
    )


def next_member_numbers(society: Society, count: int) -> list[str]:
    """Proposal for [会員番号採番]: the next free numbers after the highest one in the society's format
    (its prefix, then digits zero-padded to the society's width)."""
    if count <= 0:
        return []
    prefix = society.member_number_prefix
    highest = (
        Member.objects.filter(society=society, member_number__regex=r"^" + re.escape(prefix) + r"[0-9]+$")
        .order_by(Length("member_number").desc(), "-member_number")
        .values_list("member_number", flat=True)
        .first()
    )
    start = int(highest[len(prefix):]) + 1 if highest else 1
    width = society.member_number_digits

    def fmt(n: int) -> str:
        return prefix + str(n).zfill(width)

    taken = set(
        Member.objects.filter(society=society, member_number__in=[fmt(n) for n in range(start, start + count)])
        .values_list("member_number", flat=True)
    )
    numbers: list[str] = []
    n = start
    while len(numbers) < count:
        if fmt(n) not in taken:
            numbers.append(fmt(n))
        n += 1
    return numbers


# ---------------------------------------------------------------------------------------------------
# Rules as predicates (DESIGN.md 5b): computed once here, enforced by the services, asked by the admin,
# the API and (later) the support console's facts.
# ---------------------------------------------------------------------------------------------------

MAX_ANNUAL_FEE = 10_000_000  # MEM-2: a member type's annual fee, in yen (0 allowed, BIL-5)
MAX_ADJUSTMENT = 10_000_000  # ADJ-1: a member adjustment, in yen, either way

MSG_SAME_DAY = _(
    "Two member statuses cannot be registered on the same date. When the application date and the joining "
    "date are the same day, edit the 'applying' entry in [Member status history] into 'joined / active'."
)
MSG_SAME_DAY_WITHDRAW_APPLICATION = _(
    "Two member statuses cannot be registered on the same date. To withdraw an application on its own "
    "application day, use [Withdraw application], which edits the 'applying' entry into 'application withdrawn'."
)


def status_entries(member: Member) -> list[MemberStatus]:
    """[会員状況履歴], oldest first (future-dated entries included)."""
    return list(member.statuses.order_by("effective_date"))


def next_statuses(latest: MemberStatus | None) -> list[str]:
    """Which statuses a new entry after ``latest`` may have (API.md Clarifications: status transitions)."""
    if latest is None:
        return [Status.APPLYING]
    allowed = ALLOWED_TRANSITIONS[Status(latest.status)]
    return [s for s in Status.values if s in allowed]


def earliest_next_status_date(latest: MemberStatus | None) -> datetime.date | None:
    """MEM-5: a new entry must be dated after the latest one."""
    return latest.effective_date + datetime.timedelta(days=1) if latest else None


MSG_WITHDRAWAL_AFTER_LATEST = _("The scheduled withdrawal date must be after the latest status entry (%(date)s).")
MSG_UNKNOWN_STATUS = _("Unknown member status.")


def unknown_status(status) -> DomainError:
    return DomainError("invalid", _("Unknown member status: %(status)s") % {"status": status},
                       fields={"status": [str(MSG_UNKNOWN_STATUS)]})


def _withdrawal_not_after(latest_date: datetime.date, day: datetime.date) -> DomainError | None:
    """退会予定日 ``day`` must come after the entry it follows (dated ``latest_date``)."""
    if day > latest_date:
        return None
    return Conflict("status_date_too_early", MSG_WITHDRAWAL_AFTER_LATEST % {"date": latest_date.isoformat()},
                    fields={"scheduled_withdrawal_date": []},
                    evidence={"scheduled_withdrawal_date": day.isoformat(), "latest_date": latest_date.isoformat()})


def _joining_refusal(member: Member, status: str, effective_date: datetime.date) -> DomainError | None:
    """A 入会/在会 entry becoming the latest one schedules the 退会 of a 退会予定日 set while applying: that date
    must come after it."""
    if status != Status.ACTIVE or member.scheduled_withdrawal_date is None:
        return None
    return _withdrawal_not_after(effective_date, member.scheduled_withdrawal_date)


def status_add_refusal(member: Member, latest: MemberStatus | None, status: str,
                       effective_date: datetime.date) -> DomainError | None:
    """Why a new entry (``status`` on ``effective_date``) would be refused, or None (MEM-4, MEM-5)."""
    if status not in Status.values:
        return unknown_status(status)
    evidence = {"latest_status": latest.status, "latest_date": latest.effective_date.isoformat()} if latest else {}
    if latest is not None and effective_date == latest.effective_date:
        withdrawing = latest.status == Status.APPLYING and status == Status.APPLICATION_WITHDRAWN
        return Conflict("status_same_day", MSG_SAME_DAY_WITHDRAW_APPLICATION if withdrawing else MSG_SAME_DAY,
                        fields={"effective_date": []}, evidence=evidence)
    if latest is not None and effective_date < latest.effective_date:
        return Conflict(
            "status_date_too_early",
            _("The date must be after the latest status entry (%(date)s).") % {"date": latest.effective_date.isoformat()},
            fields={"effective_date": []}, evidence=evidence,
        )
    return (status_transition_refusal(member, latest.status if latest else None, status)
            or _joining_refusal(member, status, effective_date))


def status_transition_refusal(member: Member, previous: str | None, new: str) -> DomainError | None:
    """May an entry of ``new`` follow one of ``previous`` (None: the first entry)? (API.md Clarifications)"""
    allowed = {Status.APPLYING} if previous is None else ALLOWED_TRANSITIONS[Status(previous)]
    if new in allowed:
        return None
    return Conflict(
        "invalid_transition",
        _("The member status cannot change from %(old)s to %(new)s (%(member)s).")
        % {"old": Status(previous).label if previous else "—", "new": Status(new).label, "member": member},
        fields={"status": []}, evidence={"from": previous, "to": new},
    )


def status_entry_edit_refusal(member: Member, entries: list[MemberStatus], entry: MemberStatus, status: str,
                              effective_date: datetime.date) -> DomainError | None:
    """May ``entry`` of [会員状況履歴] (one of ``entries``, oldest first) become ``status`` on ``effective_date``?
    The history must stay a chain of transitions, one entry per date, in date order; the first entry may be
    入会/在会 (MEM-5's exception: the 申請中 entry edited into 入会/在会 on a same-day joining)."""
    if status not in Status.values:
        return unknown_status(status)
    index = next(i for i, e in enumerate(entries) if e.pk == entry.pk)
    previous = entries[index - 1] if index > 0 else None
    following = entries[index + 1] if index + 1 < len(entries) else None
    if effective_date != entry.effective_date:
        clash = next((e for e in entries if e.pk != entry.pk and e.effective_date == effective_date), None)
        if clash is not None:
            return Conflict("status_same_day", MSG_SAME_DAY, fields={"effective_date": []},
                            evidence={"date": effective_date.isoformat(), "status": clash.status})
        if (previous and effective_date < previous.effective_date) or (following and effective_date > following.effective_date):
            return Conflict(
                "status_date_too_early", _("The date must stay between the neighbouring status entries."),
                fields={"effective_date": []},
                evidence={"previous_date": previous.effective_date.isoformat() if previous else None,
                          "following_date": following.effective_date.isoformat() if following else None},
            )
    if previous is None:
        refusal = None if status == Status.ACTIVE else status_transition_refusal(member, None, status)
    else:
        refusal = status_transition_refusal(member, previous.status, status)
    if refusal is None and following is not None:
        refusal = status_transition_refusal(member, status, following.status)
    if refusal is None and following is None:
        refusal = _joining_refusal(member, status, effective_date)
    return refusal


def application_withdraw_refusal(latest: MemberStatus | None) -> DomainError | None:
    """MEM-7: [入会申請取下] needs the latest entry to be 申請中."""
    if latest is not None and latest.status == Status.APPLYING:
        return None
    return Conflict("invalid_transition", _("Only an application that is still 'applying' can be withdrawn."),
                    fields={"effective_date": []}, evidence={"latest_status": latest.status if latest else None})


def scheduled_withdrawal_set_refusal(member: Member, day: datetime.date | None,
                                     entries: list[MemberStatus] | None = None) -> DomainError | None:
    """May 退会予定日 be set to ``day`` (None: cleared)? It must come after the latest entry — after the one
    before a scheduled 退会 entry, which it moves — and a 退会 that has already taken effect is corrected on
    [会員状況変更], not here."""
    entries = status_entries(member) if entries is None else entries
    latest = entries[-1] if entries else None
    after = latest
    if latest is not None and latest.status == Status.WITHDRAWN:
        if day == latest.effective_date:
            return None
        if latest.effective_date <= clock.today(member.society):
            return Conflict(
                "invalid_transition",
                _("The withdrawal of %(date)s has already taken effect; correct it on [Change member status].")
                % {"date": latest.effective_date.isoformat()},
                fields={"scheduled_withdrawal_date": []}, evidence={"withdrawn_on": latest.effective_date.isoformat()},
            )
        after = entries[-2] if len(entries) > 1 else None
    if day is None or after is None:
        return None
    return _withdrawal_not_after(after.effective_date, day)


MSG_EMAIL_LOCKED = _(
    "This member's login is linked to an A-Pass, so the e-mail address cannot be edited here. "
    "The member changes it on My Page, or the secretariat unlinks the login first."
)
MSG_EMAIL_IN_USE = _("This e-mail address is already in use.")


def _apass_evidence(member: Member) -> dict:
    return {"apass_id": member.apass_id, "apass_email": member.apass.email if member.apass_id else None}


def member_email_edit_refusal(member: Member, new_email: str | None = None) -> DomainError | None:
    """APS-3, MEM-3: may [会員情報変更] set this member's e-mail to ``new_email`` (normalised; None: may it be
    edited at all — the form greys the field out)? Not while the login is linked to an A-Pass (the address is
    the A-Pass's), and not to an address another record of the society has."""
    if new_email is not None and new_email == member.email:
        return None
    if member.apass_id is not None:
        return Conflict("email_locked_by_apass", MSG_EMAIL_LOCKED, fields={"email": []},
                        evidence=_apass_evidence(member))
    if new_email is not None and Member.objects.filter(society_id=member.society_id, email=new_email).exclude(
            pk=member.pk).exists():
        return Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]},
                        evidence={"email": new_email})
    return None


def email_release_refusal(member: Member, today: datetime.date) -> DomainError | None:
    """MEM-3: may this record's e-mail be released for a new record? Only an ended record's, and not while
    the login is linked to an A-Pass."""
    status = member.status_on(today)
    if status not in ENDED_STATUSES:
        return Conflict(
            "member_not_withdrawn",
            _("Only the e-mail of a withdrawn, expelled or application-withdrawn record can be released."),
            evidence={"status": status},
        )
    if member.apass_id is not None:
        return Conflict(
            "email_locked_by_apass",
            _("This member's login is linked to an A-Pass; unlink it before releasing the e-mail address."),
            evidence=_apass_evidence(member),
        )
    return None


def apass_email_change_refusal(apass: APass, new_email: str) -> DomainError | None:
    """MAIL-2 on My Page: may the A-Pass e-mail become ``new_email`` (normalised)? A different address, free:
    no other A-Pass has it (APS-1), nor another member of a society where this A-Pass is linked (MEM-3).
    Asked when the change is requested and again when its confirmation link is followed."""
    if new_email == apass.email:
        message = _("The new e-mail address is the same as the current one.")
        return DomainError("invalid", message, fields={"new_email": [str(message)]})
    in_use = Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"new_email": [str(MSG_EMAIL_IN_USE)]},
                      evidence={"email": new_email})
    if APass.objects.filter(email=new_email).exclude(pk=apass.pk).exists():
        return in_use
    linked_societies = Member.objects.filter(apass=apass).values("society_id")
    if Member.objects.filter(society_id__in=linked_societies, email=new_email).exclude(apass=apass).exists():
        return in_use
    return None


def annual_fee_set_refusal(annual_fee: int) -> DomainError | None:
    """MEM-2: a member type's annual fee, 0 (BIL-5) up to MAX_ANNUAL_FEE yen."""
    if 0 <= annual_fee <= MAX_ANNUAL_FEE:
        return None
    return DomainError("invalid", _("The annual fee must be between 0 and %(max)s yen.") % {"max": f"{MAX_ANNUAL_FEE:,}"},
                       fields={"annual_fee": []})


def adjustment_add_refusal(amount: int) -> DomainError | None:
    """ADJ-1: an adjustment is non-zero and at most MAX_ADJUSTMENT yen either way."""
    if amount != 0 and abs(amount) <= MAX_ADJUSTMENT:
        return None
    return DomainError(
        "invalid",
        _("The adjustment amount must be non-zero and at most %(max)s yen either way.") % {"max": f"{MAX_ADJUSTMENT:,}"},
        fields={"amount": []},
    )


# --- member numbers (NUM-1, NUM-2) ---


def member_number_assign_refusal(society: Society, number: str) -> DomainError | None:
    """May ``number`` (normalised) be given to a member of ``society``? It follows the society's format: its
    prefix, then digits (NUM-1). (Who already holds it: ``member_number_holder``, NUM-2.)"""
    prefix = society.member_number_prefix
    digits = number[len(prefix):] if number.startswith(prefix) else ""
    if digits and digits.isascii() and digits.isdigit() and len(number) <= 20:
        return None
    example = society.member_number_example()
    return DomainError(
        "invalid",
        _("A member number of this society is written like %(example)s: %(number)s") % {"example": example, "number": number},
        fields={"member_number": []},
    )


def member_number_holder(society: Society, number: str, *, exclude_member_id: int | None = None) -> Member | None:
    qs = Member.objects.filter(society=society, member_number=number)
    if exclude_member_id is not None:
        qs = qs.exclude(pk=exclude_member_id)
    return qs.first()


def member_number_taken(number: str, holder: Member) -> Conflict:
    """NUM-2: the refusal names the holder (number and name)."""
    return Conflict(
        "member_number_taken",
        _("Member number %(number)s is already assigned to %(holder)s.") % {"number": number, "holder": holder.name},
        fields={"member_number": []},
        evidence={"member_number": number, "holder_id": holder.pk, "holder_name": holder.name},
    )


def member_number_correct_refusal(member: Member, number: str | None = None) -> DomainError | None:
    """An administrator's correction of a wrongly assigned member number to ``number`` (normalised; None: may
    this member's number be corrected at all — the page offers [会員番号修正]). Only a number already given
    (a first one is given on [会員番号採番]); the new one in the society's format and held by no one else."""
    if member.member_number is None:
        return Conflict("member_number_not_assigned",
                        _("This member has no member number yet; assign one on [Assign member numbers]."),
                        fields={"member_number": []})
    if number is None or number == member.member_number:
        return None
    if not number:
        return DomainError("invalid", _("Enter the corrected member number."), fields={"member_number": []})
    refusal = member_number_assign_refusal(member.society, number)
    if refusal is not None:
        return refusal
    holder = member_number_holder(member.society, number, exclude_member_id=member.pk)
    return member_number_taken(number, holder) if holder is not None else None


# --- A-Pass (APS-3, APS-4, APS-5) ---

MSG_APASS_NOT_ELIGIBLE = _("This account has no eligible membership, so it cannot be linked.")
MSG_APASS_BARRED = _("This A-Pass was unlinked from this member and can no longer be linked to it.")
MSG_APASS_NOT_LINKED = _("This member's login is not linked to an A-Pass.")
MSG_PASSWORD_HIDDEN = _("For security reasons, passwords cannot be viewed.")
RECENT_SIGN_INS = 10


def apass_member_in(society: Society, apass: APass) -> Member | None:
    """The member of ``society`` an A-Pass signs in as: the one linked to it, else the one whose e-mail is
    the A-Pass e-mail (APS-3)."""
    return (Member.objects.filter(society=society, apass=apass).first()
            or Member.objects.filter(society=society, email=apass.email).first())


def apass_link_refusal(member: Member, apass: APass) -> DomainError | None:
    """APS-3/APS-4: may ``apass`` be linked to ``member``? Not when the member's current status is 退会, 除名
    or 申請取下, not to another address's record, and never after that A-Pass was unlinked from them."""
    unlinked_at = APassUnlink.objects.filter(member=member, apass=apass).values_list("at", flat=True).first()
    if unlinked_at is not None:
        return Conflict("apass_not_eligible", MSG_APASS_BARRED,
                        evidence={"apass_email": apass.email, "unlinked_at": unlinked_at.isoformat()})
    if member.email != apass.email:
        return Conflict("apass_not_eligible", MSG_APASS_BARRED,
                        evidence={"apass_email": apass.email, "member_email": member.email})
    status = member.status_on(clock.today(member.society))
    if status in ENDED_STATUSES:
        return Conflict("apass_not_eligible", MSG_APASS_NOT_ELIGIBLE, evidence={"status": status})
    return None


def apass_lookup(operator, *, email: str = "", member_number: str = "", phone: str = "", name: str = ""):
    """APS-5: the A-Passes linked to, or signing in at, the operator's society (all for a platform
    superuser) that match one criterion: e-mail exact (any case), member number exact, phone exact (hyphens
    ignored), name by part. Another society's members are never revealed."""
    members = visible_members(operator)
    if email:
        email = text.normalize_email(email)
        matched = APass.objects.filter(email=email)
    else:
        if member_number:
            found = members.filter(member_number=text.normalize_code(member_number))
        elif phone:
            found = members.filter(phone_digits=text.phone_digits(phone))
        else:
            found = search_members(members, name)
        ids = set(found.exclude(apass=None).values_list("apass_id", flat=True)[:200])
        ids |= set(MyPageSignIn.objects.visible_to(operator).filter(member__in=found.values("pk"))
                   .exclude(apass=None).values_list("apass_id", flat=True)[:200])
        matched = APass.objects.filter(pk__in=ids)
    in_scope = Q(members__in=members.values("pk")) | Q(sign_ins__in=MyPageSignIn.objects.visible_to(operator))
    return APass.objects.filter(pk__in=matched.filter(in_scope).values("pk")).order_by("email")[:100]


def apass_linked_member(operator, apass: APass) -> Member | None:
    return visible_members(operator).filter(apass=apass).first()


def apass_has_recovery_contact(apass: APass | None) -> bool:
    """Seed 000 3-3: whether the A-Pass has a パスワード再設定用の連絡先 registered — the fact that tells outcome E
    (reset the password through it) from F (unlink). Screens and the support console show registered or not,
    never the contact itself."""
    return bool(apass is not None and apass.recovery_contact)


def recent_sign_ins(operator, *, apass: APass | None = None, member: Member | None = None, limit=RECENT_SIGN_INS):
    """The latest My Page sign-in attempts of an A-Pass, or of a member: the person's record, so a member's
    include those made with an A-Pass later unlinked from them (APS-4), up to the unlink — not what that A-Pass
    did afterwards, when it was no longer theirs. Each row's ``apass`` is loaded (the screens name it)."""
    qs = MyPageSignIn.objects.visible_to(operator).select_related("apass")
    if apass is not None:
        qs = qs.filter(apass=apass)
    if member is not None:
        theirs = Q(member=member) | Q(apass__members=member)
        for apass_id, unlinked_at in APassUnlink.objects.filter(member=member).values_list("apass_id", "at")[:20]:
            theirs |= Q(apass_id=apass_id, at__lte=unlinked_at)
        qs = qs.filter(theirs)
    return list(qs.order_by("-at", "-pk").distinct()[:limit])


def apass_unlink_refusal(member: Member, new_email: str) -> DomainError | None:
    """APS-4: may ``member`` be unlinked onto ``new_email`` (normalised)? It must be linked, and the new
    address free in the society (MEM-3; the member's own current address counts as in use)."""
    if member.apass_id is None:
        return Conflict("apass_not_linked", MSG_APASS_NOT_LINKED)
    if Member.objects.filter(society_id=member.society_id, email=new_email).exists():
        return Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"new_email": [str(MSG_EMAIL_IN_USE)]},
                        evidence={"email": new_email, **_apass_evidence(member)})
    return None


# --- applications (APP-1, APP-3) ---


def pending_verification(society: Society, email: str):
    """APP-3: the still-valid verification link to ``email`` in ``society`` (its mail attached), or None. While
    one exists [代理申請] is refused; the screen names its expiry and the mail to open it from."""
    from mail.models import LinkToken

    from . import purposes

    return (LinkToken.objects.filter(society=society, purpose=purposes.EMAIL_VERIFICATION,
                                     email=text.normalize_email(email or ""))
            .still_valid(clock.now(society)).select_related("mail").order_by("-expires_at").first())
