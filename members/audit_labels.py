"""The members app's labels on the audit screens (監査ログ, 履歴): its action codes and the before/after keys
that are not fields of the entry's target. Registered from MembersConfig.ready(); the core imports no app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice import audit
from backoffice.text import yen

from .models import APass, Member, MemberAdjustment, MemberType, Operator, Society, Status

ACTION_LABELS = {
    "members.society.created": pgettext_lazy("audit action", "Society registered"),
    "members.society.updated": pgettext_lazy("audit action", "Society settings changed"),
    "members.society.clock_moved": pgettext_lazy("audit action", "Simulation clock moved"),
    "members.operator.created": pgettext_lazy("audit action", "Operator registered"),
    "members.operator.updated": pgettext_lazy("audit action", "Operator changed"),
    "members.operator.deleted": pgettext_lazy("audit action", "Operator deleted"),
    "members.operator.two_step_enabled": pgettext_lazy("audit action", "Two-step sign-in turned on"),
    "members.operator.two_step_disabled": pgettext_lazy("audit action", "Two-step sign-in turned off"),
    "members.operator.password_reset": pgettext_lazy("audit action", "Operator password reset by mail"),
    "members.member_type.created": pgettext_lazy("audit action", "Member type registered"),
    "members.member_type.updated": pgettext_lazy("audit action", "Member type changed"),
    "members.member.created": pgettext_lazy("audit action", "Member registered"),
    "members.member.updated": pgettext_lazy("audit action", "Member information changed"),
    "members.member.email_released": pgettext_lazy("audit action", "E-mail address rewritten (for re-admission)"),
    "members.member.status_added": pgettext_lazy("audit action", "Member status changed / change scheduled"),
    "members.member.status_edited": pgettext_lazy("audit action", "Member status history corrected"),
    "members.member.application_withdrawn": pgettext_lazy("audit action", "Application withdrawn"),
    "members.member.status_bulk_updated": pgettext_lazy("audit action", "Member status bulk update"),
    "members.member_number.assigned": pgettext_lazy("audit action", "Member numbers assigned"),
    "members.member_number.corrected": pgettext_lazy("audit action", "Member number corrected"),
    "members.adjustment.added": pgettext_lazy("audit action", "Member adjustment registered"),
    "members.adjustment.spent": pgettext_lazy("audit action", "One-time member adjustments spent by invoices"),
    "members.apass.issued": pgettext_lazy("audit action", "A-Pass issued"),
    "members.member.apass_linked": pgettext_lazy("audit action", "Login linked to A-Pass"),
    "members.member.apass_unlinked": pgettext_lazy("audit action", "Login unlinked from A-Pass"),
    "members.apass.password_reset": pgettext_lazy("audit action", "A-Pass password reset (My Page)"),
    "members.apass.email_changed": pgettext_lazy("audit action", "A-Pass e-mail address changed (My Page)"),
    "members.member.email_changed_on_mypage": pgettext_lazy("audit action", "E-mail address changed by the member (My Page)"),
}

#: Keys a status entry writes (status_added, status_edited, application_withdrawn, bulk update).
STATUS_FIELDS = {
    "status": _("member status"),
    "effective_date": _("effective date"),
    "application_date": pgettext_lazy("audit field", "application date"),
    "note": _("note"),
}

ADJUSTMENT_FIELDS = {
    "kind": _("adjustment kind"),
    "amount": _("Amount"),  # shown as money (10,000円), so without 「(円)」
    "note": _("note"),
    "adjustment_id": pgettext_lazy("audit field", "adjustment ID"),
}


def member_type_names(society_id: int) -> dict[str, str]:
    """``{code: name}`` of a society's member types (one query)."""
    return dict(MemberType.objects.filter(society_id=society_id).values_list("code", "name"))


def register() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_target_models(Society, Operator, MemberType, Member, APass)
    # Keys of entries whose target is a member but which are not member fields; the member's own fields
    # (name, e-mail, member_number, kind, …) read with their verbose names.
    audit.register_field_labels(Member, STATUS_FIELDS, choices={"status": Status.choices})
    # An adjustment's ``kind`` is the adjustment's, not the member's kind (individual/corporate).
    audit.register_field_labels("members.adjustment.added", ADJUSTMENT_FIELDS,
                                choices={"kind": MemberAdjustment.Kind.choices}, formats={"amount": yen})
    audit.register_field_labels(MemberType, {}, formats={"annual_fee": yen})
    # a member's type is recorded as its code (per society): the entries read it as the society's name for it
    audit.register_society_codes(["member_type", "exclude_member_types"], member_type_names)
    audit.register_field_labels("members.adjustment.spent", {
        "spent_reference": _("spent by"),
        "adjustments": pgettext_lazy("audit field", "adjustments spent"),
    })
    audit.register_field_labels("members.society.clock_moved", {"now": pgettext_lazy("audit field", "simulated time")})
    audit.register_field_labels("members.apass.password_reset",
                                {"password_reset_at": pgettext_lazy("audit field", "password reset at")})
    # Seed 000 3-3: whether the A-Pass was issued with a password-reset contact (never the contact itself).
    audit.register_field_labels(
        "members.apass.issued", {"recovery_contact_registered": APass._meta.get_field("recovery_contact").verbose_name},
        choices={"recovery_contact_registered": [(True, pgettext_lazy("password-reset contact", "registered")),
                                                 (False, pgettext_lazy("password-reset contact", "not registered"))]})
    audit.register_field_labels("members.operator.password_reset", {
        "password_reset_at": pgettext_lazy("audit field", "password reset at"),
        "api_token_ended": pgettext_lazy("audit field", "API token ended")})
    for action in ("members.operator.two_step_enabled", "members.operator.two_step_disabled"):  # SEC-6
        audit.register_field_labels(action, {"two_step": _("Two-step sign-in")})
    # A number correction carries the reason beside the number.
    audit.register_field_labels("members.member_number.corrected", {"member_number": _("member number"),
                                                                     "note": _("reason")})
    # The link purposes members/ owns, as the mails that carry them are named (a queued mail's link_purpose).
    from mail.models import MailKind

    from . import purposes

    audit.register_field_labels("mail.sent_mail.queued", {}, choices={"link_purpose": [
        (purposes.EMAIL_VERIFICATION, MailKind.EMAIL_VERIFICATION.label),
        (purposes.PASSWORD_RESET, MailKind.PASSWORD_RESET.label),
        (purposes.EMAIL_CHANGE, MailKind.EMAIL_CHANGE_CONFIRM.label),
        (purposes.OPERATOR_PASSWORD_RESET, pgettext_lazy("mail kind", "Operator password reset"))]})
