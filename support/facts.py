"""Facts of the shipped flows: each reads the record through the domain apps' selectors and predicates and
returns its value with the evidence the agent sees (SUP-1). Registered by name; the flow definitions use the
names."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from backoffice import clock
from mail.models import MailKind, SentMail
from members import selectors as member_selectors
from members.models import MyPageSignIn, Status

from .context import CaseContext
from .engine import FactValue
from .registry import fact

RECENT = datetime.timedelta(days=7)  # API.md triage: "recent" is the last 7 days on the society clock


def _local(ctx: CaseContext, moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(clock.society_timezone(ctx.society)).strftime("%Y-%m-%d %H:%M")


def local_date(ctx: CaseContext, moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(clock.society_timezone(ctx.society)).date()


@fact("member.apass_linked")
def apass_linked(ctx: CaseContext) -> FactValue:
    """seed 000 1.: the chain mark (鎖マーク) beside the e-mail."""
    member = ctx.member
    if member is None:
        return FactValue(False, _("No member record with %(email)s") % {"email": ctx.address})
    if member.apass_id is not None:
        linked_on = _local(ctx, member.apass_linked_at)[:10]
        return FactValue(True, _("Chain mark present (linked %(date)s)") % {"date": linked_on})
    apass = ctx.apass
    if apass is not None:
        return FactValue(False, _("No chain mark; an A-Pass with this e-mail exists (issued %(date)s)")
                         % {"date": _local(ctx, apass.issued_at)[:10]})
    return FactValue(False, _("No chain mark; no A-Pass with this e-mail"))


@fact("member.status")
def member_status(ctx: CaseContext) -> FactValue:
    status = ctx.current_status
    if status is None:
        return FactValue(None, _("No member status"))
    entry = (ctx.member.statuses.filter(effective_date__lte=ctx.today).order_by("-effective_date").first())
    return FactValue(status, _("Member status: %(status)s (since %(date)s)")
                     % {"status": Status(status).label, "date": entry.effective_date.isoformat() if entry else ""})


@fact("apass.recovery_contact")
def recovery_contact(ctx: CaseContext) -> FactValue:
    """seed 000 3-3: is a password-reset contact registered on the A-Pass (A-Pass照会)."""
    apass = ctx.apass
    if apass is None:
        return FactValue(False, _("No A-Pass"))
    if apass.recovery_contact:
        return FactValue(True, _("A password-reset contact is registered"))
    return FactValue(False, _("No password-reset contact registered"))


@fact("apass.found")
def apass_found(ctx: CaseContext) -> FactValue:
    """seed 002 アカウント検索: the ID and e-mail to tell the caller, never the password (APS-2)."""
    apass = ctx.apass
    if apass is None:
        return FactValue(False, _("No A-Pass found for %(email)s") % {"email": ctx.address or "—"})
    return FactValue(True, _("A-Pass %(email)s (issued %(date)s); passwords cannot be viewed")
                     % {"email": apass.email, "date": _local(ctx, apass.issued_at)[:10]})


def recent_sign_ins(ctx: CaseContext) -> list[MyPageSignIn]:
    """The caller's My Page sign-ins of the last 7 days, newest first (APS-6)."""
    since = ctx.now - RECENT
    qs = MyPageSignIn.objects.filter(society=ctx.society, at__gt=since, at__lte=ctx.now)
    who = Q()
    if ctx.member is not None:
        who |= Q(member=ctx.member)
    if ctx.apass is not None:
        who |= Q(apass=ctx.apass)
    if ctx.address:
        who |= Q(typed_id__iexact=ctx.address)
    if not who:
        return []
    return list(qs.filter(who).order_by("-at", "-pk")[:member_selectors.RECENT_SIGN_INS])


@fact("mypage.recent_sign_ins")
def sign_ins(ctx: CaseContext) -> FactValue:
    """seed 004 【1】【6】【7】【8】 from the sign-in log: the diagnosed reasons, newest first (value: the codes)."""
    attempts = recent_sign_ins(ctx)
    if not attempts:
        return FactValue("", _("No My Page sign-in in the last 7 days"))
    counts: dict[str, int] = {}
    for attempt in attempts:
        counts[attempt.reason] = counts.get(attempt.reason, 0) + 1
    parts = [_("%(reason)s ×%(count)s") % {"reason": MyPageSignIn.Reason(reason).label, "count": n}
             for reason, n in counts.items()]
    latest = attempts[0]
    evidence = _("Last 7 days: %(parts)s; latest %(at)s: %(reason)s") % {
        "parts": ", ".join(parts), "at": _local(ctx, latest.at), "reason": MyPageSignIn.Reason(latest.reason).label}
    return FactValue(",".join(counts), evidence)


def latest_reset_mail(ctx: CaseContext) -> SentMail | None:
    """The newest password-reset mail to the caller: their member id, address, A-Pass e-mail or reset contact."""
    addresses = {a for a in (ctx.address, getattr(ctx.apass, "email", ""), getattr(ctx.apass, "recovery_contact", ""))
                 if a and "@" in a}
    who = Q(to__in=sorted(addresses)) if addresses else Q()
    if ctx.member is not None:
        who |= Q(member_id=ctx.member.pk)
    if not who:
        return None
    return (SentMail.objects.filter(society=ctx.society, kind=MailKind.PASSWORD_RESET).filter(who)
            .without_private_links().with_link().order_by("-created_at", "-id").first())


@fact("mail.password_reset")
def password_reset_mail(ctx: CaseContext) -> FactValue:
    """seed 000 3-1 パスワード再設定メールが届かない場合: was one sent, when, to which address, did the send fail,
    and is its link valid, used, expired or superseded (value: ``none``, ``failed`` or the link state)."""
    mail = latest_reset_mail(ctx)
    if mail is None:
        return FactValue("none", _("No password-reset mail sent"))
    sent = {"at": _local(ctx, mail.created_at), "to": mail.to}
    if mail.status == SentMail.Status.FAILED:
        return FactValue("failed", _("Password-reset mail to %(to)s at %(at)s: sending failed") % sent)
    state = mail.link_state_at(ctx.now) or "none"
    labels = {
        "valid": _("link valid until %(until)s") % {"until": _local(ctx, getattr(getattr(mail, "link", None), "expires_at", None))},
        "expired": _("link expired unused"),
        "superseded": _("link invalidated by a newer mail"),
        "used": _("link used"),
    }
    return FactValue(state, _("Password-reset mail to %(to)s at %(at)s: %(state)s") % {**sent, "state": labels.get(state, "")})
