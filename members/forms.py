"""Admin forms. A form parses input; the write is always a service call (DESIGN.md: rules live in services).

``ServiceModelForm`` calls its service from ``clean()`` so that a refused rule becomes a form error on the
same page (the admin wraps the whole request in one transaction, so nothing is half-written)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from backoffice.adminkit import report_domain_error
from backoffice.errors import DomainError
from backoffice.fields import (
    HalfWidthFormCharField,
    HalfWidthFormDateField,
    HalfWidthFormIntegerField,
    NormalizedFormEmailField,
)

from . import services
from .models import Member, MemberAdjustment, MemberType, Operator, Society, Status


class OperatorLoginForm(AdminAuthenticationForm):
    """Admin sign-in with 学会ID (society slug), e-mail and password. A platform superuser leaves 学会ID empty."""

    society = HalfWidthFormCharField(label=_("Society ID"), max_length=50, required=False)
    username = NormalizedFormEmailField(label=_("E-mail address"), max_length=254)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _("The society ID, e-mail address or password is incorrect."),
    }

    field_order = ["society", "username", "password"]

    def clean(self):
        society = self.cleaned_data.get("society") or None
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user_cache = authenticate(self.request, society=society, email=email, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ServiceModelForm(forms.ModelForm):
    """Runs ``call_service()`` once the fields are valid; a DomainError lands on the form."""

    actor = None  # set by the admin (the signed-in operator)
    society: Society | None = None

    def call_service(self, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.instance = self.call_service(data)
            except DomainError as exc:
                report_domain_error(None, exc, form=self)
        return data




class MemberForm(ServiceModelForm):
    """[会員情報変更] (and registration when adding)."""

    application_date = HalfWidthFormDateField(
        label=_("Application date"), required=False, help_text=_("Empty: today.")
    )

    class Meta:
        model = Member
        fields = ["name", "name_kana", "organization", "email", "member_type", "affiliation", "phone", "postal_code",
                  "address", "scheduled_withdrawal_date"]
        field_classes = {
            "email": NormalizedFormEmailField,
            "phone": HalfWidthFormCharField,
            "postal_code": HalfWidthFormCharField,
            "scheduled_withdrawal_date": HalfWidthFormDateField,
        }

    kind = Member.Kind.INDIVIDUAL

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields.pop("application_date", None)
            if self.instance.apass_id is not None:
                self.fields["email"].disabled = True
                self.fields["email"].help_text = _(
                    "Linked to an A-Pass (chain mark): the member changes this address on My Page."
                )
        if "organization" in self.fields and self.kind == Member.Kind.CORPORATE:
            self.fields["organization"].required = True

    def call_service(self, data):
        fields = {k: data.get(k) for k in self.Meta.fields if k in self.fields and k != "application_date"}
        for key in ("name_kana", "organization", "affiliation", "phone", "postal_code", "address"):
            if key in fields and fields[key] is None:
                fields[key] = ""
        if self.instance.pk:
            if self.fields["email"].disabled:
                fields.pop("email")
            return services.member_update(actor=self.actor, member=self.instance, **fields)
        return services.member_create(
            actor=self.actor, society=self.society, kind=self.kind,
            application_date=data.get("application_date"), **fields,
        )


class CorporateMemberForm(MemberForm):
    """A corporate member (法人会員): the organisation, and its contact person (連絡者) in name / kana."""

    kind = Member.Kind.CORPORATE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Contact person")
        self.fields["name_kana"].label = _("Contact person (kana)")


class StatusAddForm(forms.Form):
    """[会員状況変更・変更予定登録]"""

    status = forms.ChoiceField(label=_("Member status"), choices=Status.choices)
    effective_date = HalfWidthFormDateField(label=_("Effective date"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class StatusEditForm(forms.Form):
    """One row of [会員状況履歴]."""

    entry = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Member status"), choices=Status.choices)
    effective_date = HalfWidthFormDateField(label=_("Effective date"))


class ApplicationWithdrawForm(forms.Form):
    """[入会申請取下]"""

    effective_date = HalfWidthFormDateField(label=_("Effective date"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class BulkStatusForm(forms.Form):
    """[会員状況の一括更新]"""

    status = forms.ChoiceField(label=_("Member status"), choices=Status.choices)
    effective_date = HalfWidthFormDateField(label=_("Effective date"))


class ReleaseEmailForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Adjustment kind"), choices=MemberAdjustment.Kind.choices)
    amount = HalfWidthFormIntegerField(
        label=_("Amount (yen)"), help_text=_("Negative for a discount."), min_value=-10_000_000, max_value=10_000_000
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MemberTypeForm(ServiceModelForm):
    annual_fee = HalfWidthFormIntegerField(label=_("annual fee (yen)"), min_value=0, max_value=10_000_000)
    code = HalfWidthFormCharField(label=_("code"), max_length=30)

    class Meta:
        model = MemberType
        fields = ["code", "name", "annual_fee", "sort_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def call_service(self, data):
        if self.instance.pk:
            return services.member_type_update(actor=self.actor, member_type=self.instance, name=data["name"],
                                               annual_fee=data["annual_fee"], sort_order=data["sort_order"])
        return services.member_type_create(actor=self.actor, society=self.society, code=data["code"],
                                           name=data["name"], annual_fee=data["annual_fee"],
                                           sort_order=data["sort_order"] or 0)


class OperatorForm(ServiceModelForm):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), required=False,
                               min_length=8, help_text=_("At least 8 characters. Leave empty to keep the current one."))
    email = NormalizedFormEmailField(label=_("e-mail"))

    class Meta:
        model = Operator
        fields = ["email", "name", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].disabled = True
        else:
            self.fields["password"].required = True

    def call_service(self, data):
        if self.instance.pk:
            return services.operator_update(actor=self.actor, operator=self.instance, name=data["name"],
                                            role=data["role"], is_active=data["is_active"],
                                            password=data.get("password") or None)
        operator = services.operator_create(actor=self.actor, society=self.society, email=data["email"],
                                            password=data["password"], role=data["role"], name=data["name"])
        if not data["is_active"]:
            operator = services.operator_update(actor=self.actor, operator=operator, is_active=False)
        return operator


class SocietyForm(ServiceModelForm):
    class Meta:
        model = Society
        fields = ["slug", "name", "is_sandbox", "contract_status", "fiscal_year_start_month", "bank_account_text",
                  "lapse_threshold_years", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["slug"].disabled = True
            self.fields["is_sandbox"].disabled = True

    def call_service(self, data):
        editable = {k: data[k] for k in services.SOCIETY_EDITABLE if k in data}
        if self.instance.pk:
            return services.society_update(actor=self.actor, society=self.instance, **editable)
        return services.society_create(actor=self.actor, slug=data["slug"], name=data["name"],
                                       sandbox=data["is_sandbox"],
                                       **{k: v for k, v in editable.items() if k != "name"})
