"""Facts of ``operator-login`` (seed 001 「オペレーターアカウントでログインできない問題について」): each of causes ①–⑥
answered from the operator sign-in log (``members.OperatorSignIn``) and the operator and society records, for the
operator e-mail the case was started with (``CaseContext.operator_email``), in the case's society."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext as _

from members.models import Operator, OperatorSignIn
from members.services.signin import operator_sign_in_allowed, society_login_path

from .context import CaseContext
from .engine import FactValue
from .facts import RECENT, _local
from .registry import fact

Reason = OperatorSignIn.Reason


class OperatorRecord:
    """What the facts read, once per walk: the society's operators with the e-mail and the recent attempts."""

    def __init__(self, ctx: CaseContext):
        self.ctx = ctx

    @cached_property
    def operators(self) -> list[Operator]:
        email = self.ctx.operator_email
        if not email:
            return []
        return list(Operator.objects.select_related("society").filter(society=self.ctx.society, email__iexact=email)
                    .order_by("deleted_at", "pk")[:5])

    @cached_property
    def live(self) -> list[Operator]:
        return [o for o in self.operators if o.deleted_at is None]

    @cached_property
    def attempts(self) -> list[OperatorSignIn]:
        """The last 7 days' attempts with this e-mail, at this society's doors or naming this society's operator
        (an attempt at another society's page names the operator it was diagnosed as)."""
        email = self.ctx.operator_email
        if not email:
            return []
        since = self.ctx.now - RECENT
        mine = OperatorSignIn.objects.filter(at__gte=since, email_key=email)
        by_operator = OperatorSignIn.objects.filter(at__gte=since, operator__in=[o.pk for o in self.operators])
        rows = (mine.filter(society=self.ctx.society) | by_operator).select_related("society").order_by("-at", "-pk")
        return list(rows[:50])

    def latest(self, *reasons: str) -> OperatorSignIn | None:
        return next((a for a in self.attempts if a.reason in reasons), None)


def _record(ctx: CaseContext) -> OperatorRecord:
    record = getattr(ctx, "_operator_record", None)
    if record is None:
        record = ctx._operator_record = OperatorRecord(ctx)
    return record


def _attempt(ctx: CaseContext, attempt: OperatorSignIn) -> str:
    return f"{_local(ctx, attempt.at)} {attempt.get_door_display()}: {attempt.get_reason_display()}"


@fact("operator.wrong_page")
def wrong_page(ctx: CaseContext) -> FactValue:
    """原因①: the general page (契約者用ログインページ) or another society's page was used."""
    attempt = _record(ctx).latest(Reason.WRONG_LOGIN_PAGE, Reason.OTHER_SOCIETY_PAGE)
    own = society_login_path(ctx.society)
    if attempt is None:
        return FactValue(False, _("No recent sign-in at another page (the operator page is %(url)s)") % {"url": own})
    return FactValue(True, _("%(attempt)s — the operator page is %(url)s") % {"attempt": _attempt(ctx, attempt),
                                                                               "url": own})


@fact("operator.session_ended")
def session_ended(ctx: CaseContext) -> FactValue:
    """原因②: another account signed in in the same browser, which ended this operator's sign-in."""
    record = _record(ctx)
    ids = [o.pk for o in record.operators]
    ended = (OperatorSignIn.objects.filter(ended_operator__in=ids, at__gte=ctx.now - RECENT)
             .select_related("operator").order_by("-at").first()) if ids else None
    if ended is None:
        return FactValue(False, _("No sign-in of another account in the same browser recorded"))
    return FactValue(True, _("%(time)s %(other)s signed in in the same browser and ended this operator's sign-in")
                     % {"time": _local(ctx, ended.at), "other": ended.typed_email})


@fact("operator.duplicate_email")
def duplicate_email(ctx: CaseContext) -> FactValue:
    """原因③: two operator accounts with one e-mail (legacy: SOC-5 prevents new ones)."""
    live = _record(ctx).live
    if len(live) > 1:
        return FactValue(True, _("%(count)s operator accounts with this e-mail: %(emails)s")
                         % {"count": len(live), "emails": "、".join(o.email for o in live)})
    return FactValue(False, _("One operator account with this e-mail") if live
                     else _("No live operator account with this e-mail"))


@fact("operator.wrong_password")
def wrong_password(ctx: CaseContext) -> FactValue:
    """原因④: the password was typed wrong (or so often that the sign-in is rate limited)."""
    attempt = _record(ctx).latest(Reason.WRONG_PASSWORD, Reason.RATE_LIMITED)
    if attempt is None:
        return FactValue(False, _("No recent sign-in refused for the password"))
    failures = sum(1 for a in _record(ctx).attempts if a.reason == Reason.WRONG_PASSWORD)
    return FactValue(True, _("%(attempt)s (wrong password %(count)s times in 7 days)")
                     % {"attempt": _attempt(ctx, attempt), "count": failures})


@fact("operator.deleted")
def deleted(ctx: CaseContext) -> FactValue:
    """原因⑤: the contract holder deleted (or deactivated) the operator account."""
    record = _record(ctx)
    if record.live and all(o.is_active for o in record.live):
        return FactValue(False, _("The operator account exists and is active"))
    gone = next((o for o in record.operators if o.deleted_at is not None), None)
    if gone is not None and not record.live:
        return FactValue(True, _("Deleted %(time)s by %(by)s") % {"time": _local(ctx, gone.deleted_at),
                                                                  "by": gone.deleted_by})
    if record.live:
        return FactValue(True, _("The operator account is deactivated"))
    return FactValue(None, _("No operator account with this e-mail in this society"))


@fact("operator.contract_inactive")
def contract_inactive(ctx: CaseContext) -> FactValue:
    """原因⑥: the society's contract is cancelled or suspended for non-payment."""
    society = ctx.society
    inactive = operator_sign_in_allowed(Operator(society=society, is_active=True)) is not None
    return FactValue(inactive, _("Contract status: %(status)s") % {"status": society.get_contract_status_display()})


@fact("operator.attempted")
def attempted(ctx: CaseContext) -> FactValue:
    """Whether the log holds any recent attempt at all (else the operator is asked to try once more)."""
    attempts = _record(ctx).attempts
    if not attempts:
        return FactValue(False, _("No sign-in attempt with this e-mail in the last 7 days"))
    return FactValue(True, _("Latest attempt: %(attempt)s") % {"attempt": _attempt(ctx, attempts[0])})
