"""The secretariat's screens (事務局画面), named as the manuals name them."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import TokenProxy
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import clock, text, panels
from backoffice.adminkit import ServiceAdmin, can_write, may, report_domain_error, user_society
from backoffice.errors import DomainError

from . import selectors, services
from .forms import (
    AdjustmentForm,
    ApplicationWithdrawForm,
    BulkStatusForm,
    CorporateMemberForm,
    MemberForm,
    MemberNumberCorrectionForm,
    MemberTypeForm,
    OperatorForm,
    OperatorLoginForm,
    ReleaseEmailForm,
    APassUnlinkForm,
    APassUnlinkConfirmForm,
    APassLookupForm,
    SocietyForm,
    StatusAddForm,
    StatusEditForm,
)
from .disclosure import disclosure_response
from .models import CorporateMember, Member, MemberType, Operator, Society, Status

# Permissions come from roles (SOC-3), not from Django's groups: nothing to manage there.
admin.site.unregister(Group)
admin.site.site_header = gettext_lazy("Society secretariat back office")
admin.site.site_title = gettext_lazy("Secretariat")
admin.site.index_title = gettext_lazy("Secretariat screens")
# SEC-6: django-otp's own admin screens would show the authenticators' secret keys and QR codes to administrators;
# an operator registers their own device at [2段階認証] (members/two_step_views.py) and nowhere else.
# SEC-2: DRF's token admin lists every operator's API token key — a password by another name — and lets the page
# forge one; an operator's token is issued by signing in at POST /api/v1/auth/token/ and ends with their password.
for _model in (TOTPDevice, StaticDevice, TokenProxy):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

admin.site.login_form = OperatorLoginForm
admin.site.site_url = None
admin.site.login_template = "admin/members/login.html"
admin.site.index_template = "admin/members/home.html"  # the secretariat's first page, not the stock app list

#: Screens of other apps a member's page links to (members/ knows no invoices: billing registers its links here).
#: Each provider is ``provider(request, member) -> [(label, url, element id), …]``, asked on [会員情報変更].
MEMBER_PAGE_LINKS: list = []


def register_member_page_links(provider) -> None:
    if provider not in MEMBER_PAGE_LINKS:
        MEMBER_PAGE_LINKS.append(provider)


#: Actions of other apps on the member searches ([個人会員検索], [法人会員検索]) — billing's 「請求情報作成」 —
#: as ``(action, allowed)``: an admin action function and ``allowed(request) -> bool``, whether this operator
#: is offered it (None: everyone who sees the list). They follow the member screens' own actions.
MEMBER_ACTIONS: list = []


def register_member_action(action, *, allowed=None) -> None:
    if all(registered is not action for registered, _allowed in MEMBER_ACTIONS):
        MEMBER_ACTIONS.append((action, allowed))


# ---------------------------------------------------------------------------------------------------
# Societies, operators, member types
# ---------------------------------------------------------------------------------------------------


@admin.register(Society)
class SocietyAdmin(ServiceAdmin):
    """A society's settings: its administrators edit them; its 学会ID (slug) and 契約状況 are the platform's."""

    form = SocietyForm
    list_display = ("slug", "name", "contract_status", "is_sandbox")
    fields = ("slug", "name", "contract_status", "is_sandbox", "fiscal_year_start_month", "bank_account_text",
              "lapse_threshold_years", "timezone", "member_number_prefix", "member_number_digits")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if may(request, "can_manage_platform"):
            return ("is_sandbox",)
        return ("slug", "is_sandbox", "contract_status")

    def has_module_permission(self, request):
        return may(request, "can_manage_settings")

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return may(request, "can_manage_platform")

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_with_service(self, request, form, obj):
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data or obj is None}
        if obj is None:
            return services.society_create(
                actor=request.user, slug=data.pop("slug"), name=data.pop("name"), sandbox=data.pop("is_sandbox", False),
                **{k: v for k, v in data.items() if k in services.SOCIETY_SETTINGS + services.SOCIETY_PLATFORM_FIELDS})
        editable = services.SOCIETY_SETTINGS + services.SOCIETY_PLATFORM_FIELDS
        return services.society_update(actor=request.user, society=obj, **{k: v for k, v in data.items() if k in editable})


@admin.register(Operator)
class OperatorAdmin(ServiceAdmin):
    """Operators of the society; only the society's administrators manage them (SOC-3)."""

    form = OperatorForm
    list_display = ("email", "name", "role", "is_active", "last_login", "deleted_col")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    change_form_template = "admin/members/operator/change_form.html"

    @admin.display(description=gettext_lazy("deleted at"), ordering="deleted_at")
    def deleted_col(self, obj):
        if obj.deleted_at is None:
            return ""
        return f"{obj.deleted_at.astimezone(clock.society_timezone(obj.society)):%Y-%m-%d %H:%M}（{obj.deleted_by}）"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("<path:object_id>/delete-operator/", self.admin_site.admin_view(self.delete_operator_view),
                     name="%s_%s_delete_operator" % info)] + super().get_urls()

    def delete_operator_view(self, request, object_id):
        """SOC-5, seed 001 原因⑤: [オペレーター削除] — the operator is kept, marked deleted, and cannot sign in."""
        operator = self.get_object(request, object_id)
        if operator is None:
            raise Http404(_("Not found."))
        if not self.has_change_permission(request, operator):
            raise PermissionDenied
        refusal = services.operator_delete_refusal(request.user, operator)
        if request.method == "POST" and request.POST.get("post") == "yes" and refusal is None:
            try:
                services.operator_delete(actor=request.user, operator=operator)
            except DomainError as error:
                refusal = error
            else:
                messages.success(request, _("The operator %(email)s was deleted; it can no longer sign in.")
                                 % {"email": operator.email})
                return HttpResponseRedirect(reverse("admin:members_operator_changelist"))
        context = {**self.admin_site.each_context(request), "title": _("Delete operator"), "opts": self.opts,
                   "original": operator, "refusal": refusal}
        return TemplateResponse(request, "admin/members/operator/delete_operator.html", context)

    def get_readonly_fields(self, request, obj=None):
        return ("email", "name", "role", "is_active") if obj is not None and obj.deleted_at else ()

    def has_module_permission(self, request):
        return may(request, "can_manage_settings")

    def has_add_permission(self, request):
        return self.has_module_permission(request) and user_society(request) is not None

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_with_service(self, request, form, obj):
        data = form.cleaned_data
        if obj is not None:
            return services.operator_update(actor=request.user, operator=obj, name=data["name"], role=data["role"],
                                            is_active=data["is_active"], password=data.get("password") or None)
        return services.operator_create(actor=request.user, society=user_society(request), email=data["email"],
                                        password=data["password"], role=data["role"], name=data["name"],
                                        is_active=data["is_active"])


@admin.register(MemberType)
class MemberTypeAdmin(ServiceAdmin):
    form = MemberTypeForm
    # the code is how the API names a type; the secretariat reads the name (issue 12 point 10)
    list_display = ("name", "annual_fee_col", "sort_order")
    search_fields = ("name", "code")  # the member screens' autocomplete; scoped to the society like the list
    ordering = ("sort_order", "id")

    def has_add_permission(self, request):
        return user_society(request) is not None and may(request, "can_manage_settings")

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    @admin.display(description=gettext_lazy("annual fee"), ordering="annual_fee")
    def annual_fee_col(self, obj):
        return text.yen(obj.annual_fee)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):  # read-only: the fee as money
            return [("annual_fee_col" if f == "annual_fee" else f) for f in fields if f != "code"]
        return fields

    def save_with_service(self, request, form, obj):
        data = form.cleaned_data
        if obj is not None:
            return services.member_type_update(actor=request.user, member_type=obj, name=data["name"],
                                               annual_fee=data["annual_fee"], sort_order=data["sort_order"])
        return services.member_type_create(actor=request.user, society=user_society(request), code=data["code"],
                                           name=data["name"], annual_fee=data["annual_fee"],
                                           sort_order=data["sort_order"] or 0)


# ---------------------------------------------------------------------------------------------------
# Members: [個人会員検索], [法人会員検索], [会員情報変更], [会員状況変更], [会員状況の一括更新], [会員番号採番]
# ---------------------------------------------------------------------------------------------------


class CurrentStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("member status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.filter(current_status=self.value())
        return queryset


class MemberTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("member type")
    parameter_name = "member_type"

    def lookups(self, request, model_admin):
        return [(mt.code, mt.name) for mt in MemberType.objects.visible_to(request.user).order_by("sort_order", "id")]

    def queryset(self, request, queryset):
        return queryset.filter(member_type__code=self.value()) if self.value() else queryset


class APassLinkedFilter(admin.SimpleListFilter):
    title = gettext_lazy("A-Pass link (chain mark)")
    parameter_name = "apass_linked"

    def lookups(self, request, model_admin):
        return [("yes", _("Linked")), ("no", _("Not linked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(apass__isnull=False)
        if self.value() == "no":
            return queryset.filter(apass__isnull=True)
        return queryset


class MemberAdmin(ServiceAdmin):
    """[個人会員検索] and its member screens."""

    kind = Member.Kind.INDIVIDUAL
    form = MemberForm
    search_title = gettext_lazy("Individual member search")
    list_display = ("member_number_col", "name", "name_kana", "email_col", "member_type", "status_col", "operations")
    list_display_links = None
    list_filter = (CurrentStatusFilter, MemberTypeFilter, APassLinkedFilter)
    search_fields = ("name",)  # shows the search box; the search itself is selectors.search_members (MEM-10)
    search_help_text = gettext_lazy(
        "Name or kana (part), e-mail or member number (exact or part), phone (with or without hyphens)."
    )
    list_select_related = ("member_type", "apass")
    autocomplete_fields = ("member_type",)
    actions = ["bulk_status_action"]
    ordering = ("-id",)
    change_form_template = "admin/members/member/change_form.html"
    change_list_template = "admin/members/member/change_list.html"

    # --- list ---
    def get_queryset(self, request):
        return selectors.visible_members(request.user).filter(kind=self.kind)

    def save_with_service(self, request, form, obj):
        fields = {k: v for k, v in form.cleaned_data.items() if k in services.EDITABLE_MEMBER_FIELDS}
        if obj is not None:
            if form.fields.get("email") is not None and form.fields["email"].disabled:
                fields.pop("email", None)
            return services.member_update(actor=request.user, member=obj, **fields)
        return services.member_create(actor=request.user, society=user_society(request), kind=self.kind,
                                      application_date=form.cleaned_data.get("application_date"), **fields)

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_members(queryset, search_term), False

    @admin.display(description=gettext_lazy("member number"), ordering="member_number")
    def member_number_col(self, obj):
        return obj.member_number or "—"

    @admin.display(description=gettext_lazy("e-mail address"), ordering="email")
    def email_col(self, obj):
        if obj.apass_id:
            return format_html('{} <span class="chain-mark" title="{}">🔗</span>', obj.email,
                               _("Login linked to A-Pass"))
        return obj.email

    @admin.display(description=gettext_lazy("member status"))
    def status_col(self, obj):
        return Status(obj.current_status).label if obj.current_status else "—"

    def _operation_links(self, obj, labels):
        info = self.opts.app_label, self.opts.model_name
        return format_html(
            '<a href="{}">[{}]</a> <a href="{}">[{}]</a>',
            reverse("admin:%s_%s_change" % info, args=[obj.pk]), labels[0],
            reverse("admin:%s_%s_status" % info, args=[obj.pk]), labels[1],
        )

    @admin.display(description=gettext_lazy("Operations"))
    def operations(self, obj):
        return self._operation_links(obj, (_("Edit member information"), _("Change member status")))

    @admin.display(description=gettext_lazy("Operations"))
    def operations_read_only(self, obj):
        """A viewer's 操作: the same pages, shown read-only (SOC-3)."""
        return self._operation_links(obj, (_("View member information"), _("Member status history")))

    def get_list_display(self, request):
        if can_write(request):
            return self.list_display
        return tuple("operations_read_only" if c == "operations" else c for c in self.list_display)

    def changelist_view(self, request, extra_context=None):
        # [代理申請] and [会員番号採番] act in the operator's society: a platform superuser (none) is offered neither
        extra = {"title": self.search_title, "can_register": can_write(request) and user_society(request) is not None,
                 "module_name": self.opts.verbose_name,  # "select all N 会員", not the screen name
                 "is_nav_sidebar_enabled": False,  # names, e-mails and 操作 need the width at 1280 px (issue 12)
                 **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if object_id:
            extra["title"] = _("Edit member information")
            obj = self.get_object(request, object_id)
            if obj is not None and request.method in ("GET", "HEAD"):
                # SEC-5: opening the record is recorded (who, when, from which screen)
                services.member_access_record(actor=request.user, member=obj, via="admin", where=request.path)
            if obj is not None:
                extra["member_obj"] = obj
                extra["can_disclose"] = may(request, "can_disclose_personal_data")
                extra["status_today"] = obj.status_on(clock.today(obj.society))
                extra["status_today_label"] = Status(extra["status_today"]).label if extra["status_today"] else "—"
                extra["released_allowed"] = selectors.email_release_refusal(obj, clock.today(obj.society)) is None
                extra["can_correct_number"] = (may(request, "can_manage_settings")
                                                and selectors.member_number_correct_refusal(obj) is None)
                extra["email_changes"] = list(obj.email_changes.all()[:20])
                extra["sign_ins"] = selectors.recent_sign_ins(request.user, member=obj)
                extra["apass_has_recovery_contact"] = selectors.apass_has_recovery_contact(obj.apass)
                extra["password_hidden"] = selectors.MSG_PASSWORD_HIDDEN
                extra["other_app_links"] = [link for provider in MEMBER_PAGE_LINKS for link in provider(request, obj)]
                extra["other_app_panels"] = panels.render("member", request, obj)  # support's triage (SUP-8)
        else:
            extra["title"] = _("Register member")
        return super().changeform_view(request, object_id, form_url, extra)

    def get_fields(self, request, obj=None):
        fields = ["name", "name_kana", "email", "member_type", "affiliation", "phone", "postal_code", "address",
                  "scheduled_withdrawal_date"]
        if self.kind == Member.Kind.CORPORATE:
            fields.insert(0, "organization")
        if obj is None:
            fields.append("application_date")
        else:
            fields.insert(0, "member_number")  # read-only: numbers are given on [会員番号採番]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ("member_number",) if obj is not None else ()

    # --- custom screens ---
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("numbers/", wrap(self.numbers_view), name="%s_%s_numbers" % info),
            path("apass-lookup/", wrap(self.apass_lookup_view), name="%s_%s_apass_lookup" % info),
            path("proxy-application/", wrap(self.proxy_application_view), name="%s_%s_proxy_application" % info),
            path("<path:object_id>/status/", wrap(self.status_view), name="%s_%s_status" % info),
            path("<path:object_id>/release-email/", wrap(self.release_email_view), name="%s_%s_release_email" % info),
            path("<path:object_id>/adjustments/", wrap(self.adjustments_view), name="%s_%s_adjustments" % info),
            path("<path:object_id>/member-number/", wrap(self.member_number_view), name="%s_%s_member_number" % info),
            path("<path:object_id>/unlink-apass/", wrap(self.unlink_apass_view), name="%s_%s_unlink_apass" % info),
            path("<path:object_id>/disclosure/", wrap(self.disclosure_view), name="%s_%s_disclosure" % info),
        ] + super().get_urls()

    def disclosure_view(self, request, object_id):
        """SEC-5: [会員情報変更] › 保有個人データの開示 — everything the society holds on the member, as the API's
        disclosure, downloaded as a JSON file (administrators only; the download is recorded as an access)."""
        if not may(request, "can_disclose_personal_data"):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        member = self._member_or_404(request, object_id)
        services.member_access_record(actor=request.user, member=member, via="admin", where=request.path)
        return disclosure_response(member)

    def _member_or_404(self, request, object_id) -> Member:
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(_("Not found."))
        return obj

    def _require_write(self, request):
        if not can_write(request):
            raise PermissionDenied

    def _context(self, request, title, **kwargs):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                "app_label": self.opts.app_label, "can_write": can_write(request), **kwargs}

    def _submit(self, request, form, call, success_message, redirect_to=None):
        """POST of a member screen: validate the form, call the service, put a refusal on the form."""
        self._require_write(request)
        if not form.is_valid():
            return None
        try:
            call(**form.cleaned_data)
        except DomainError as exc:
            report_domain_error(request, exc, form=form)
            return None
        messages.success(request, success_message)
        return HttpResponseRedirect(redirect_to or request.path)

    def status_view(self, request, object_id):
        """[会員状況変更]: [会員状況履歴], [会員状況変更・変更予定登録] and [入会申請取下]."""
        member = self._member_or_404(request, object_id)
        today = clock.today(member.society)
        add_form = StatusAddForm(prefix="add", initial={"effective_date": today})
        withdraw_form = ApplicationWithdrawForm(prefix="withdraw", initial={"effective_date": today})
        edit_form = None
        response = None
        if request.method == "POST" and "add" in request.POST:
            add_form = StatusAddForm(request.POST, prefix="add")
            response = self._submit(
                request, add_form, partial(services.member_status_add, actor=request.user, member=member),
                _("The member status was registered."))
        elif request.method == "POST" and "withdraw" in request.POST:
            withdraw_form = ApplicationWithdrawForm(request.POST, prefix="withdraw")
            response = self._submit(
                request, withdraw_form,
                partial(services.member_application_withdraw, actor=request.user, member=member),
                _("The application was withdrawn."))
        elif request.method == "POST" and "edit" in request.POST:
            edit_form = StatusEditForm(request.POST, prefix="edit")

            def edit(entry, status, effective_date):
                entry = get_object_or_404(member.statuses, pk=entry)
                services.member_status_edit(actor=request.user, entry=entry, status=status,
                                            effective_date=effective_date)

            response = self._submit(request, edit_form, edit, _("The member status history was updated."))
        if response is not None:
            return response
        entries = selectors.status_entries(member)
        latest = entries[-1] if entries else None
        rows = [
            (e, StatusEditForm(prefix="edit", initial={"entry": e.pk, "status": e.status, "effective_date": e.effective_date}),
             e.effective_date > today)
            for e in entries
        ]
        next_statuses = set(selectors.next_statuses(latest))
        add_form.fields["status"].choices = [(v, l) for v, l in Status.choices if v in next_statuses]
        current = member.status_on(today)
        return TemplateResponse(request, "admin/members/member/status.html", self._context(
            request, _("Change member status"), member=member, rows=rows, add_form=add_form,
            withdraw_form=withdraw_form, edit_form=edit_form, today=today,
            current_label=Status(current).label if current else "—",
            earliest_next_date=selectors.earliest_next_status_date(latest),
            can_withdraw_application=selectors.application_withdraw_refusal(latest) is None,
        ))

    def _member_form_screen(self, request, object_id, *, form_class, service, success_message, template, title,
                            back_to_member=False, initial=None):
        """A member screen of one form and one service: GET shows it, POST calls the service through ``_submit``
        and, once done, goes back to the screen (or to [会員情報変更])."""
        member = self._member_or_404(request, object_id)
        form = form_class(request.POST or None, initial=initial(member) if initial else {})
        if request.method == "POST":
            redirect_to = None
            if back_to_member:
                redirect_to = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[member.pk])
            response = self._submit(request, form, partial(service, actor=request.user, member=member),
                                    success_message, redirect_to=redirect_to)
            if response is not None:
                return response
        return TemplateResponse(request, template, self._context(request, title, member=member, form=form))

    def release_email_view(self, request, object_id):
        """MEM-3: rewrite a withdrawn record's e-mail so the person can re-apply as a new record."""
        return self._member_form_screen(
            request, object_id, form_class=ReleaseEmailForm, service=services.member_email_release,
            success_message=_("The e-mail address was released; the old address is kept in the history."),
            template="admin/members/member/release_email.html", title=_("Release e-mail address"),
            back_to_member=True)

    def unlink_apass_view(self, request, object_id):
        """APS-4, the manual's five steps: [ログイン情報統合解除後に使用するメールアドレス] → [ログイン情報統合解除] → the
        checkbox 「会員のログイン情報の統合を解除します」 → [確定] → back on [会員情報変更] with the result."""
        member = self._member_or_404(request, object_id)
        self._require_write(request)
        form = APassUnlinkForm(request.POST or None)
        confirm_form = None
        if request.method == "POST" and "confirm_step" in request.POST:
            confirm_form = APassUnlinkConfirmForm(request.POST)
            response = self._submit(
                request, confirm_form,
                lambda new_email, confirm: services.apass_unlink(actor=request.user, member=member, new_email=new_email),
                _("The login was unlinked from the A-Pass and the new e-mail address was set."),
                redirect_to=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[member.pk]))
            if response is not None:
                return response
        elif request.method == "POST" and form.is_valid():
            new_email = text.normalize_email(form.cleaned_data["new_email"])
            refusal = selectors.apass_unlink_refusal(member, new_email)
            if refusal is not None:
                report_domain_error(request, refusal, form=form)
            else:
                confirm_form = APassUnlinkConfirmForm(initial={"new_email": new_email})
        return TemplateResponse(request, "admin/members/member/unlink_apass.html", self._context(
            request, _("Unlink the login (A-Pass)"), member=member, form=form, confirm_form=confirm_form,
            new_email=(confirm_form["new_email"].value() or "") if confirm_form is not None else ""))

    def proxy_application_view(self, request):
        """APP-3 [代理申請]: the member add form; the applicant is registered 申請中 and gets the registration-complete
        mail. While a verification link to the address is valid the refusal 「このメールアドレスは既に使用されてい
        ます。」 comes with when it expires and seed 003's two ways out, linking to the mail's page."""
        self._require_write(request)
        society = user_society(request)
        if society is None:
            raise PermissionDenied
        fields = self.get_fields(request, None)
        form_class = self.get_form(request, None, change=False, fields=fields)
        form = form_class(request.POST or None)
        pending = None
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in services.EDITABLE_MEMBER_FIELDS}
            try:
                member = services.proxy_application_create(
                    actor=request.user, society=society, kind=self.kind,
                    application_date=form.cleaned_data.get("application_date"), **data)
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
                if exc.code == "email_verification_pending":
                    pending = selectors.pending_verification(society, data.get("email") or "")
            else:
                messages.success(request, _("The application was registered (applying) and the registration-complete "
                                            "mail was sent."))
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[member.pk]))
        pending_info = None
        if pending is not None:
            tz = clock.society_timezone(society)
            pending_info = {"expires_at": pending.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                            "sent_at": pending.mail.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                            "mail_url": reverse("admin:mail_sentmail_change", args=[pending.mail_id])}
        return TemplateResponse(request, "admin/members/member/proxy_application.html", self._context(
            request, _("Proxy application"), form=form, pending=pending_info, media=self.media + form.media))

    def apass_lookup_view(self, request):
        """APS-5: 「A-Pass照会」 — read-only, scoped to the operator's society; never a password."""
        form = APassLookupForm(request.GET or None)
        rows = None
        if form.is_valid():
            given = {k: v.strip() for k, v in form.cleaned_data.items() if v and v.strip()}
            if given:  # the form refuses more than one (APS-5)
                rows = [(a, selectors.apass_linked_member(request.user, a), selectors.recent_sign_ins(request.user, apass=a),
                         selectors.apass_has_recovery_contact(a))
                        for a in selectors.apass_lookup(request.user, **given)]
        return TemplateResponse(request, "admin/members/member/apass_lookup.html", self._context(
            request, _("A-Pass look-up"), form=form, rows=rows, password_hidden=selectors.MSG_PASSWORD_HIDDEN))

    def adjustments_view(self, request, object_id):
        """ADJ-1: 会員調整額 (one-time or permanent)."""
        return self._member_form_screen(
            request, object_id, form_class=AdjustmentForm, service=services.member_adjustment_add,
            success_message=_("The member adjustment was registered."),
            template="admin/members/member/adjustments.html", title=_("Member adjustments"))

    def member_number_view(self, request, object_id):
        """[会員番号修正]: an administrator corrects a wrongly assigned number (kept in the 履歴)."""
        if not may(request, "can_manage_settings"):
            raise PermissionDenied
        return self._member_form_screen(
            request, object_id, form_class=MemberNumberCorrectionForm, service=services.member_number_correct,
            success_message=_("The member number was corrected; the old number is kept in the history."),
            template="admin/members/member/member_number.html", title=_("Correct member number"),
            back_to_member=True, initial=lambda member: {"member_number": member.member_number})

    def numbers_view(self, request):
        """[会員番号採番] (NUM-1, NUM-2)."""
        society = user_society(request)
        if society is None:
            raise PermissionDenied
        pending = list(selectors.members_pending_number(society))
        proposals = selectors.next_member_numbers(society, len(pending))
        values = {m.pk: p for m, p in zip(pending, proposals)}
        if request.method == "POST":
            self._require_write(request)
            submitted = [(int(k.split("_", 1)[1]), v) for k, v in request.POST.items()
                         if k.startswith("number_") and k.split("_", 1)[1].isdigit()]
            values.update({mid: v for mid, v in submitted})
            try:
                assigned = services.member_numbers_assign(actor=request.user, society=society, assignments=submitted)
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("Assigned member numbers to %(n)d members.") % {"n": assigned})
                return HttpResponseRedirect(request.path)
        rows = [(m, values.get(m.pk, "")) for m in pending]
        return TemplateResponse(request, "admin/members/member/numbers.html", self._context(
            request, _("Assign member numbers"), rows=rows))

    # --- [会員状況の一括更新] ---
    @admin.action(description=gettext_lazy("Bulk update of member status"))
    def bulk_status_action(self, request, queryset):
        self._require_write(request)
        ids = list(queryset.values_list("pk", flat=True))
        form = BulkStatusForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                n = services.member_status_bulk_update(actor=request.user, society=self._society_of(request, queryset),
                                                       member_ids=ids, **form.cleaned_data)
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                messages.success(request, _("Updated the member status of %(n)d members.") % {"n": n})
                return None
        earliest_allowed = selectors.earliest_bulk_status_date(selectors.latest_status_entries(ids))
        return TemplateResponse(request, "admin/members/member/bulk_status.html", self._context(
            request, _("Bulk update of member status"), form=form, members=queryset.order_by("pk")[:500],
            count=len(ids), ids=ids, earliest_allowed=earliest_allowed,
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        ))

    def _society_of(self, request, queryset):
        """The operator's society; for a platform superuser, the one society all selected members belong to."""
        society = user_society(request)
        if society is not None:
            return society
        society_ids = set(queryset.values_list("society_id", flat=True).distinct()[:2])
        if len(society_ids) != 1:
            raise DomainError("invalid", _("Select members of one society for a bulk update."))
        return Society.objects.get(pk=society_ids.pop())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_write(request):
            actions.pop("bulk_status_action", None)
        if IS_POPUP_VAR in request.GET:
            return actions
        # registered actions come right after the screen's own (then those added to this admin instance)
        added = [self.get_action(action) for action, allowed in MEMBER_ACTIONS if allowed is None or allowed(request)]
        items = list(actions.items())
        own = sum(1 for name, _value in items if name in {"delete_selected", *type(self).actions})
        items[own:own] = [(name, (func, name, description)) for func, name, description in added]
        return dict(items)


class CorporateMemberAdmin(MemberAdmin):
    """[法人会員検索]"""

    kind = Member.Kind.CORPORATE
    form = CorporateMemberForm
    search_title = gettext_lazy("Corporate member search")
    search_help_text = gettext_lazy(
        "Organisation name, contact person's name or kana (part), e-mail or member number (exact or part), phone "
        "(with or without hyphens)."
    )
    list_display = ("member_number_col", "organization", "contact_col", "email_col", "member_type", "status_col",
                    "operations")

    @admin.display(description=gettext_lazy("Contact person"), ordering="name")
    def contact_col(self, obj):
        return obj.name


admin.site.register(Member, MemberAdmin)
admin.site.register(CorporateMember, CorporateMemberAdmin)
