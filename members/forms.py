"""Admin forms. A form parses and validates input only; the admin view calls the service with the cleaned
data and puts a refusal back on the form (``backoffice.adminkit.ServiceAdmin``; DESIGN.md "Where rules live")."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from backoffice.fields import (
    HalfWidthFormCharField,
    HalfWidthFormDateField,
    HalfWidthFormIntegerField,
    NormalizedFormEmailField,
)

from . import selectors
from .models import Member, MemberAdjustment, MemberType, Operator, Society, Status


class OperatorLoginForm(AdminAuthenticationForm):
    """Admin sign-in with 学会ID (society slug), e-mail and password. A platform superuser leaves 学会ID empty."""

    society = HalfWidthFormCharField(label=_("Society ID"), max_length=50, required=False)
    username = NormalizedFormEmailField(label=_("E-mail address"), max_length=254)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _("The society ID, e-mail address or password is incorrect."),
    }

    otp = HalfWidthFormCharField(label=_("Confirmation code (two-step sign-in)"), max_length=20, required=False,
                                 help_text=_("Only if two-step sign-in is on for your account: the 6 digits of your "
                                             "authenticator app, or a recovery code."))

    field_order = ["society", "username", "password", "otp"]

    #: SOC-4: which door this form is (the general page; a society's own page is :class:`SocietyLoginForm`)
    door = "general_page"
    page_society: Society | None = None

    def clean(self):
        from backoffice.http import client_address

        from .services.signin import operator_sign_in

        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            user = getattr(self.request, "user", None)
            result = operator_sign_in(
                actor="system: operator sign-in page", door=self.door, email=email, password=password,
                society=self.page_society, society_slug=None if self.page_society else self.cleaned_data.get("society"),
                client_address=client_address(self.request) if self.request else None,
                ended_operator=user if getattr(user, "is_authenticated", False) else None,
                otp=self.cleaned_data.get("otp") or None)
            if not result.ok:
                raise forms.ValidationError(result.message, code=result.reason)
            self.user_cache = result.operator
        return self.cleaned_data


class SocietyLoginForm(OperatorLoginForm):
    """SOC-4: a society's own operator sign-in page (``/office/<slug>/login/``): the society is the page's."""

    door = "society_page"

    def __init__(self, request=None, *args, page_society: Society | None = None, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.page_society = page_society
        del self.fields["society"]


class OperatorPasswordResetRequestForm(forms.Form):
    """Seed 001 原因④, 「パスワードをお忘れですか?」: the e-mail address of the operator account (parsing only; the
    service ``operator_password_reset_request`` decides and writes)."""

    email = NormalizedFormEmailField(label=_("E-mail address"), max_length=254)


class GeneralPasswordResetRequestForm(OperatorPasswordResetRequestForm):
    """The same at the general page (``/login/password-reset/``, the contract holder's): the 学会ID too."""

    society = HalfWidthFormCharField(label=_("Society ID"), max_length=50)
    field_order = ["society", "email"]


class OperatorNewPasswordForm(forms.Form):
    """The reset link's page: the new password twice (the service checks them: ``operator_password_refusal``)."""

    new_password1 = forms.CharField(label=_("New password"), strip=False, max_length=4096,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("New password (again)"), strip=False, max_length=4096,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class MemberForm(forms.ModelForm):
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
            if "email" in self.fields and selectors.member_email_edit_refusal(self.instance) is not None:
                self.fields["email"].disabled = True
                self.fields["email"].help_text = _(
                    "Linked to an A-Pass (chain mark): the member changes this address on My Page."
                )
        if "scheduled_withdrawal_date" in self.fields:
            self.fields["scheduled_withdrawal_date"].help_text = _(
                "Setting it schedules 'withdrawn' on that date in the status history; clearing it removes a "
                "scheduled withdrawal."
            )


class CorporateMemberForm(MemberForm):
    """A corporate member (法人会員): the organisation, and its contact person (連絡者) in name / kana."""

    kind = Member.Kind.CORPORATE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A read-only page (a viewer) has no form fields, only the displayed values.
        if "name" in self.fields:
            self.fields["name"].label = _("Contact person")
        if "name_kana" in self.fields:
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


class MemberNumberCorrectionForm(forms.Form):
    """[会員番号修正]"""

    member_number = HalfWidthFormCharField(label=_("Member number"), max_length=20)
    note = forms.CharField(label=_("Reason for the correction"), max_length=200, required=False)


class ReleaseEmailForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Adjustment kind"), choices=MemberAdjustment.Kind.choices)
    amount = HalfWidthFormIntegerField(
        label=_("Amount (yen)"), help_text=_("Negative for a discount."), min_value=-selectors.MAX_ADJUSTMENT, max_value=selectors.MAX_ADJUSTMENT
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MemberTypeForm(forms.ModelForm):
    annual_fee = HalfWidthFormIntegerField(label=_("annual fee (yen)"), min_value=0, max_value=selectors.MAX_ANNUAL_FEE)
    code = HalfWidthFormCharField(label=_("code"), max_length=30)

    class Meta:
        model = MemberType
        fields = ["code", "name", "annual_fee", "sort_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class OperatorForm(forms.ModelForm):
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


class SocietyForm(forms.ModelForm):
    member_number_prefix = HalfWidthFormCharField(label=_("member number prefix"), max_length=10, required=False)

    class Meta:
        model = Society
        fields = ["slug", "name", "is_sandbox", "contract_status", "fiscal_year_start_month", "bank_account_text",
                  "lapse_threshold_years", "timezone", "member_number_prefix", "member_number_digits",
                  "two_step_required_for_admins"]


MSG_UNLINK_NOT_CONFIRMED = _("Tick the confirmation to unlink the member's login.")


class APassUnlinkForm(forms.Form):
    """APS-4 step 3: [ログイン情報統合解除後に使用するメールアドレス]."""

    new_email = forms.CharField(label=_("E-mail address to use after unlinking the login"), max_length=254)


class APassUnlinkConfirmForm(forms.Form):
    """APS-4 step 4: the checkbox 「会員のログイン情報の統合を解除します」 and [確定]."""

    use_required_attribute = False  # the refusal without the checkbox is the server's, shown in Japanese

    new_email = forms.CharField(widget=forms.HiddenInput, max_length=254)
    confirm = forms.BooleanField(label=_("Unlink the member's login"), required=True,
                                 error_messages={"required": MSG_UNLINK_NOT_CONFIRMED})


class APassLookupForm(forms.Form):
    """APS-5: exactly one criterion."""

    email = forms.CharField(label=_("e-mail"), max_length=254, required=False)
    member_number = forms.CharField(label=_("member number"), max_length=30, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    name = forms.CharField(label=_("name"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        given = [name for name, value in data.items() if value and value.strip()]
        if len(given) > 1:
            # the screen names its fields by their labels (issue 12 point 10); the API names its parameters
            raise forms.ValidationError(_("Fill in only one of %(fields)s.") % {
                "fields": "、".join(str(self.fields[name].label) for name in self.fields)})
        return data


# --- the forms mail links ask for (APP-1, MAIL-2): shown by the screens that open a link, parsed by its handler ---


class ApplicationLinkForm(forms.Form):
    """APP-1: the application form a 「メールアドレス認証のご連絡」 link opens (the e-mail is the verified one)."""

    name = forms.CharField(label=_("name"), max_length=100)
    name_kana = forms.CharField(label=_("name (kana)"), max_length=100, required=False)
    member_type = forms.ChoiceField(label=_("member type"))
    affiliation = forms.CharField(label=_("affiliation"), max_length=200, required=False)
    phone = HalfWidthFormCharField(label=_("phone"), max_length=30, required=False)
    postal_code = HalfWidthFormCharField(label=_("postal code"), max_length=10, required=False)
    address = forms.CharField(label=_("address"), max_length=300, required=False)

    def __init__(self, society, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_type"].choices = [
            (t.code, t.name) for t in MemberType.objects.filter(society=society).order_by("sort_order", "pk")]


class PasswordResetLinkForm(forms.Form):
    """MAIL-2: the new password a password-reset link asks for (kept only as a hash, APS-2)."""

    password = forms.CharField(label=_("New password"), max_length=128, strip=False,
                               widget=forms.PasswordInput(render_value=False))

    def __init__(self, society, *args, **kwargs):
        super().__init__(*args, **kwargs)


class EmailChangeLinkForm(forms.Form):
    """MAIL-2: [メールアドレス変更確定URL] is opened while signed in to My Page with the *old* address."""

    session_email = forms.CharField(label=_("E-mail address you are signed in with"), max_length=254)

    def __init__(self, society, *args, **kwargs):
        super().__init__(*args, **kwargs)
