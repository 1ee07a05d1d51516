"""Facts and actions of seed 003's member, application, mail and My Page entries (support/flows/faq_members.py,
issue 14 §2, SUP-2): each fact reads the record through the members' and mail apps' own selectors and
predicates — the e-mail-in-use and release rules (MEM-3), the status-entry refusals (MEM-5, MEM-7), the bulk
date rule (MEM-6), the member-number queue (NUM-1), the still-valid verification link (APP-3), the sent-mail log
and its link states (MAIL-1) — never a second copy of a rule. Each action calls the very service of the admin
screen of its name (SUP-3)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.errors import Conflict

from mail.models import LinkState, LinkToken, MailKind, SentMail
from members import purposes
from members import selectors as member_selectors
from members import services as member_services
from members.models import MyPageSignIn, Status

from .context import CaseContext
from .engine import FactValue
from .facts import _local
from .registry import action, fact


def _who(ctx: CaseContext) -> str:
    member = ctx.member
    if member is None:
        return ""
    return f"{member.member_number} {member.display_name}" if member.member_number else member.display_name


def _latest_entry(ctx: CaseContext):
    entries = member_selectors.status_entries(ctx.member) if ctx.member is not None else []
    return entries, (entries[-1] if entries else None)


def _entry_label(entry) -> str:
    return f"{Status(entry.status).label}({entry.effective_date.isoformat()})"


# --- 入会申請 / 会員情報: who holds the address (MEM-3) ---------------------------------------------------------


@fact("member.email_holder")
def email_holder(ctx: CaseContext) -> FactValue:
    """Seed 003 「このメールアドレスは既に使用されています。」: the member record with the caller's address (the case's
    member: ``case_create`` finds it by the address), and whether that address can be released for a new record
    (``email_release_refusal``). Values ``none``, ``current`` (申請中 / 入会・在会: the person is on the list),
    ``releasable`` (an ended record), ``locked`` (an ended record still linked to an A-Pass)."""
    member = ctx.member
    if member is None:
        return FactValue("none", _("No member record has %(email)s") % {"email": ctx.address or "—"})
    status = ctx.current_status
    shown = {"email": member.email, "member": _who(ctx), "status": Status(status).label if status else "—"}
    refusal = member_selectors.email_release_refusal(member, ctx.today)
    if refusal is None:
        return FactValue("releasable", _("%(email)s is the address of %(member)s (status: %(status)s); it can be "
                                         "released for a new record") % shown)
    if refusal.code == "email_locked_by_apass":
        return FactValue("locked", _("%(email)s is the address of %(member)s (status: %(status)s), linked to an "
                                     "A-Pass: unlink it before releasing the address") % shown)
    return FactValue("current", _("%(email)s is the address of %(member)s (status: %(status)s)") % shown)


@fact("application.verification_pending")
def verification_pending(ctx: CaseContext) -> FactValue:
    """APP-3: a still-valid verification link to the address blocks [代理申請]; when it was sent and expires."""
    link = member_selectors.pending_verification(ctx.society, ctx.address) if ctx.address else None
    if link is None:
        return FactValue(False, _("No valid e-mail verification link to %(email)s") % {"email": ctx.address or "—"})
    return FactValue(True, _("Verification mail sent to %(to)s at %(at)s: link valid until %(until)s")
                     % {"to": link.email, "at": _local(ctx, link.mail.created_at), "until": _local(ctx, link.expires_at)})


# --- 入会申請: status entries (MEM-5, MEM-6, MEM-7) --------------------------------------------------------------


@fact("member.application_withdrawable")
def application_withdrawable(ctx: CaseContext) -> FactValue:
    """MEM-7 [入会申請取下]: is the latest entry 申請中 (``application_withdraw_refusal``)?"""
    if ctx.member is None:
        return FactValue(False, _("No member record"))
    _entries, latest = _latest_entry(ctx)
    refusal = member_selectors.application_withdraw_refusal(latest)
    shown = {"member": _who(ctx), "entry": _entry_label(latest) if latest else "—"}
    if refusal is None:
        return FactValue(True, _("%(member)s: latest status entry %(entry)s; the application can be withdrawn") % shown)
    return FactValue(False, _("%(member)s: latest status entry %(entry)s; %(refusal)s")
                     % {**shown, "refusal": refusal.message})


@fact("member.same_day_joining")
def same_day_joining(ctx: CaseContext) -> FactValue:
    """MEM-5's exception: joining on the application day is the 申請中 entry edited into 入会/在会. Values
    ``editable`` (``status_entry_edit_refusal`` allows it), ``refused`` (it does not: its message), or
    ``not_applying`` (the latest entry is not 申請中)."""
    if ctx.member is None:
        return FactValue("not_applying", _("No member record"))
    entries, latest = _latest_entry(ctx)
    if latest is None or latest.status != Status.APPLYING:
        return FactValue("not_applying", _("%(member)s: latest status entry %(entry)s, not 'applying'")
                         % {"member": _who(ctx), "entry": _entry_label(latest) if latest else "—"})
    shown = {"member": _who(ctx), "entry": _entry_label(latest)}
    adding = member_selectors.status_add_refusal(ctx.member, latest, Status.ACTIVE, latest.effective_date)
    refusal = member_selectors.status_entry_edit_refusal(ctx.member, entries, latest, Status.ACTIVE,
                                                         latest.effective_date)
    if refusal is not None:
        return FactValue("refused", _("%(member)s: latest status entry %(entry)s; editing it into 'joined / active' "
                                      "is refused: %(refusal)s") % {**shown, "refusal": refusal.message})
    return FactValue("editable", _("%(member)s: latest status entry %(entry)s; adding 'joined / active' on the same "
                                   "day is refused (%(code)s), editing the entry into 'joined / active' is allowed")
                     % {**shown, "code": adding.code if adding is not None else "—"})


@fact("member.bulk_status_earliest")
def bulk_status_earliest(ctx: CaseContext) -> FactValue:
    """MEM-6: the earliest date a bulk update including this member may have (``earliest_bulk_status_date``)."""
    if ctx.member is None:
        return FactValue(None, _("No member record"))
    _entries, latest = _latest_entry(ctx)
    earliest = member_selectors.earliest_bulk_status_date({ctx.member.pk: latest} if latest else {})
    if earliest is None:
        return FactValue(None, _("%(member)s has no status entry") % {"member": _who(ctx)})
    return FactValue(earliest.isoformat(), _("%(member)s: latest status entry %(entry)s, so a bulk update including "
                                             "this member can be dated %(date)s or later")
                     % {"member": _who(ctx), "entry": _entry_label(latest), "date": earliest.isoformat()})


@fact("members.pending_number")
def pending_number(ctx: CaseContext) -> FactValue:
    """NUM-1 [会員番号採番]: how many members wait for a number (``members_pending_number``), and the next free
    numbers proposed (``next_member_numbers``). Values ``none`` or ``some``."""
    pending = list(member_selectors.members_pending_number(ctx.society).values_list("pk", flat=True)[:1000])
    if not pending:
        return FactValue("none", _("No member is waiting for a member number (only 'joined / active' members "
                                   "without one are listed)"))
    proposed = member_selectors.next_member_numbers(ctx.society, min(len(pending), 3))
    return FactValue("some", _("%(count)s members wait for a member number; next free numbers: %(numbers)s")
                     % {"count": len(pending), "numbers": ", ".join(proposed)})


# --- メール: the sent-mail log and its links (MAIL-1, APP-1, APP-2) ----------------------------------------------


def _verification_mails(ctx: CaseContext) -> list[SentMail]:
    if not ctx.address:
        return []
    return list(SentMail.objects.filter(society=ctx.society, kind=MailKind.EMAIL_VERIFICATION, to=ctx.address)
                .with_link().order_by("-created_at", "-id")[:20])


def _link_words(ctx: CaseContext, mail: SentMail, state: str) -> str:
    return {
        LinkState.VALID: _("link valid until %(until)s") % {"until": _local(ctx, mail.link.expires_at)},
        LinkState.EXPIRED: _("link expired %(until)s (24 hours after sending)") % {"until": _local(ctx, mail.link.expires_at)},
        LinkState.SUPERSEDED: _("link invalidated by a newer mail"),
        LinkState.USED: _("link used"),
    }.get(state, "")


@fact("mail.email_verification")
def email_verification(ctx: CaseContext) -> FactValue:
    """Seed 003 メール 入会申請者: the latest 「メールアドレス認証のご連絡」 to the address — ``none``, ``failed`` (the send
    failed, MAIL-3) or its link's state (valid, expired, used) — and how many were sent."""
    mails = _verification_mails(ctx)
    if not mails:
        return FactValue("none", _("No verification mail sent to %(email)s")
                         % {"email": ctx.address or "—"})
    latest = mails[0]
    shown = {"to": latest.to, "at": _local(ctx, latest.created_at), "count": len(mails)}
    if latest.status == SentMail.Status.FAILED:
        return FactValue("failed", _("Verification mail to %(to)s at %(at)s: sending failed "
                                     "(%(count)s sent in all)") % shown)
    state = latest.link_state_at(ctx.now) or "none"
    return FactValue(state, _("Verification mail to %(to)s at %(at)s: %(state)s (%(count)s sent in all)")
                     % {**shown, "state": _link_words(ctx, latest, state)})


@fact("mail.email_verification_count")
def email_verification_count(ctx: CaseContext) -> FactValue:
    """APP-2: several verification mails — the older ones' links are invalid. Values ``single`` or ``multiple``."""
    mails = _verification_mails(ctx)
    if len(mails) <= 1:
        return FactValue("single", _("One verification mail sent"))
    older = ", ".join(_local(ctx, m.created_at) for m in mails[1:4])
    return FactValue("multiple", _("%(count)s verification mails sent; only the latest (%(at)s) is "
                                   "valid, older ones (%(older)s) are invalidated")
                     % {"count": len(mails), "at": _local(ctx, mails[0].created_at), "older": older})


@fact("member.registered_email")
def registered_email(ctx: CaseContext) -> FactValue:
    """Seed 003 パスワード再発行: the address [個人会員検索] shows for the member (and the A-Pass's, when linked)."""
    member = ctx.member
    if member is None:
        return FactValue("", _("No member record with %(email)s") % {"email": ctx.address or "—"})
    if member.apass_id is not None:
        return FactValue(member.email, _("Registered e-mail: %(email)s (linked to the A-Pass %(apass)s)")
                         % {"email": member.email, "apass": member.apass.email})
    return FactValue(member.email, _("Registered e-mail: %(email)s (not linked to an A-Pass)") % {"email": member.email})


@fact("member.email_editable")
def email_editable(ctx: CaseContext) -> FactValue:
    """APS-3: may [会員情報変更] edit the member's e-mail (``member_email_edit_refusal``)? Not while linked."""
    if ctx.member is None:
        return FactValue(False, _("No member record"))
    refusal = member_selectors.member_email_edit_refusal(ctx.member)
    if refusal is None:
        return FactValue(True, _("The e-mail address can be changed on [Edit member]"))
    return FactValue(False, str(refusal.message))


def _email_change_link(ctx: CaseContext) -> LinkToken | None:
    if ctx.apass is None:
        return None
    return (LinkToken.objects.filter(society=ctx.society, purpose=purposes.EMAIL_CHANGE, payload__apass_id=ctx.apass.pk)
            .select_related("mail").order_by("-mail__created_at", "-pk").first())


@fact("mail.email_change")
def email_change(ctx: CaseContext) -> FactValue:
    """MAIL-2 [メールアドレス変更確定URL]: the latest e-mail change the member asked for on My Page — ``none``,
    ``failed`` or its link's state (valid: pending, expired, used: changed, superseded)."""
    link = _email_change_link(ctx)
    if link is None:
        return FactValue("none", _("No e-mail change requested on My Page"))
    shown = {"to": link.email, "at": _local(ctx, link.mail.created_at)}
    if link.mail.status == SentMail.Status.FAILED:
        return FactValue("failed", _("E-mail change to %(to)s requested at %(at)s: the confirmation mail failed") % shown)
    state = str(link.state_at(ctx.now))
    words = {
        LinkState.VALID: _("not confirmed yet, the URL is valid until %(until)s") % {"until": _local(ctx, link.expires_at)},
        LinkState.EXPIRED: _("not confirmed, the URL expired %(until)s") % {"until": _local(ctx, link.expires_at)},
        LinkState.SUPERSEDED: _("the URL was invalidated by a newer mail"),
        LinkState.USED: _("confirmed: the A-Pass e-mail is now %(to)s") % shown,
    }[state]
    return FactValue(state, _("E-mail change to %(to)s requested at %(at)s: %(state)s") % {**shown, "state": words})


@fact("mypage.signed_in_with_new_email")
def signed_in_with_new_email(ctx: CaseContext) -> FactValue:
    """MAIL-2: [メールアドレス変更確定URL] must be opened signed in with the old address; a sign-in with the pending
    new address (the sign-in log, APS-6) means the member logged out and tried the new one."""
    link = _email_change_link(ctx)
    if link is None:
        return FactValue(False, _("No e-mail change requested on My Page"))
    tried = (MyPageSignIn.objects.filter(society=ctx.society, typed_id__iexact=link.email, at__gte=link.mail.created_at,
                                         at__lte=ctx.now).order_by("-at", "-pk").first())
    if tried is None:
        return FactValue(False, _("No My Page sign-in with the new address %(to)s since the request") % {"to": link.email})
    return FactValue(True, _("Signed in to My Page with the new address %(to)s at %(at)s: %(reason)s")
                     % {"to": link.email, "at": _local(ctx, tried.at), "reason": MyPageSignIn.Reason(tried.reason).label})


MSG_NOT_APPLYING = gettext_lazy("The latest status entry is not 'applying'; it cannot be edited into "
                                "'joined / active' for a same-day joining.")


# --- actions (SUP-3): the services of [入会申請取下], [会員状況履歴]'s edit and the e-mail release --------------------


@action("withdraw_application")
def withdraw_application(*, actor, context: CaseContext, params: dict) -> dict:
    """MEM-7 [入会申請取下], dated today on the society clock."""
    entry = member_services.member_application_withdraw(actor=actor, member=context.member,
                                                        effective_date=context.today)
    return {"member": context.member.pk, "status": entry.status, "effective_date": entry.effective_date.isoformat()}


@action("join_same_day")
def join_same_day(*, actor, context: CaseContext, params: dict) -> dict:
    """MEM-5's exception: the latest 申請中 entry of [会員状況履歴] edited into 入会/在会 on its own date."""
    _entries, latest = _latest_entry(context)
    if latest is None or latest.status != Status.APPLYING:
        raise Conflict("invalid_transition", MSG_NOT_APPLYING, fields={"status": []},
                       evidence={"latest_status": latest.status if latest else None})
    entry = member_services.member_status_edit(actor=actor, entry=latest, status=Status.ACTIVE)
    return {"member": context.member.pk, "status": entry.status, "effective_date": entry.effective_date.isoformat()}


@action("release_email")
def release_email(*, actor, context: CaseContext, params: dict) -> dict:
    """MEM-3: the old record's e-mail rewritten so that a new record can use it (its history keeps it)."""
    old = context.member.email
    member = member_services.member_email_release(actor=actor, member=context.member,
                                                  note=params.get("note", ""))
    return {"member": member.pk, "old_email": old, "email": member.email}
