"""Shared admin pieces: the one helper that turns a DomainError into an admin message, society scoping
of every list, form choice and autocomplete (SOC-2), role-based permissions (SOC-3), the one door through
which an admin form reaches its service (``ServiceAdmin``), and the audit screens (SEC-1): a record's 履歴
page and the 監査ログ list and detail, in the operator's language and one time zone."""

from __future__ import annotations

import datetime
import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit, audit_display, text
from .errors import DomainError
from .models import AuditEntry


def report_domain_error(request, exc: DomainError, form=None) -> None:
    """Show a refused rule to the operator: on the form's field when it names one, else as a message."""
    if form is not None:
        placed = False
        for field, msgs in (exc.fields or {}).items():
            if field in form.fields:
                for msg in msgs or [exc.message]:
                    form.add_error(field, str(msg))
                placed = True
        if not placed:
            form.add_error(None, str(exc.message))
        return
    messages.error(request, str(exc.message))


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up again to show it on a refused form; a value
    that is no id ("abc", 5,000 digits) made that lookup a server error. Such a value is shown as nothing
    selected; the form already says the field is invalid."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        kept = []
        for item in value:
            try:
                target.run_validators(target.to_python(item))
            except ValidationError:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


def user_society(request):
    return getattr(request.user, "society", None)


def may(request, predicate: str) -> bool:
    """Whether the signed-in operator holds a role predicate (``can_write``, ``can_manage_settings``, …);
    an anonymous visitor holds none."""
    return bool(getattr(request.user, predicate, False))


def can_write(request) -> bool:
    return may(request, "can_write")


def visible(queryset, user):
    """SOC-2 for any queryset whose model knows its society (``SocietyScopedQuerySet``)."""
    return queryset.visible_to(user) if hasattr(queryset, "visible_to") else queryset


class NoDjangoLogAdmin(admin.ModelAdmin):
    """One history, ours: the services write the audit trail, Django's own admin log is not written."""

    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletion(self, request, obj, object_repr):
        return None

    def log_deletions(self, request, queryset):
        return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # No stock 「保存してもう一つ追加」: the secretariat registers one record at a time and returns to its list
        # (issue 12 point 10).
        context.setdefault("show_save_and_add_another", False)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


class SocietyScopedAdmin(NoDjangoLogAdmin):
    """Every list, form choice and autocomplete shows only the operator's society.

    Objects of another society are simply absent (so their change page is a 404 'not found', SOC-2).
    """

    society_field = "society"
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would COUNT(*) the whole table for every filter choice

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        from .pagination import CappedCountPaginator

        return CappedCountPaginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        if "queryset" not in kwargs:
            kwargs["queryset"] = visible(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def response_action(self, request, queryset):
        """Rows selected for an action are ids; a tampered form's "abc" or 10**30 is refused with a message like
        an empty selection, instead of reaching the database (where it is a server error)."""
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.run_validators(pk.to_python(value))
        except ValidationError:
            self.message_user(request, _("The selection was not valid; nothing was changed."), messages.WARNING)
            return None
        return super().response_action(request, queryset)

    # --- roles (SOC-3) ---
    def has_module_permission(self, request):
        user = request.user
        return bool(user.is_active and (getattr(user, "sees_all_societies", False) or user_society(request) is not None))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        # a new row belongs to the operator's society; a platform superuser has none to add it to
        return user_society(request) is not None and self.has_module_permission(request) and can_write(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and can_write(request)

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is really deleted; services record state changes instead

    # --- per-object audit history (SEC-1) ---
    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return audit_history_response(self, request, obj, extra_context)


HISTORY_LIMIT = 500


def audit_history_response(model_admin, request, obj: Model, extra_context=None) -> TemplateResponse:
    """A record's 履歴 page: its audit entries as the 監査ログ detail shows them, in the society's time zone,
    with a link to the 監査ログ list filtered to the record. Any ModelAdmin's ``history_view`` may return it."""
    tz = audit_display.viewer_timezone(user_society(request))
    entries = list(AuditEntry.objects.visible_to(request.user).for_object(obj)[: HISTORY_LIMIT + 1])
    truncated = len(entries) > HISTORY_LIMIT
    codes = audit_display.SocietyCodes()
    entries = [audit_display.present(e, tz, codes) for e in entries[:HISTORY_LIMIT]]
    audit_admin = model_admin.admin_site._registry.get(AuditEntry)
    can_read_log = audit_admin is not None and audit_admin.has_view_permission(request)
    log_url = None
    if can_read_log:
        log_url = reverse("admin:backoffice_auditentry_changelist") + "?" + urlencode(
            {"target": audit_display.object_filter_value(obj)})
    for entry in entries:
        entry.detail_url = reverse("admin:backoffice_auditentry_change", args=[entry.pk]) if can_read_log else None
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Audit history: %(obj)s") % {"obj": obj},
        "subtitle": None,
        "object": obj,
        "entries": entries,
        "truncated": truncated,
        "history_limit": HISTORY_LIMIT,
        "time_header": audit_display.time_header(tz),
        "audit_log_url": log_url,
        "opts": opts,
        "app_label": opts.app_label,
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/backoffice/audit_history.html", context)


# ---------------------------------------------------------------------------------------------------
# 監査ログ (SEC-1): the list, its filters and the detail page
# ---------------------------------------------------------------------------------------------------


class AuditActorFilter(admin.SimpleListFilter):
    title = gettext_lazy("actor")
    parameter_name = "actor"
    SYSTEM = "system"

    def lookups(self, request, model_admin):
        operators = get_user_model()._default_manager.all()
        operators = operators.visible_to(request.user) if hasattr(operators, "visible_to") else operators.none()
        choices = [(str(o.pk), f"{o.get_full_name()} <{o.email}>" if o.get_full_name() != o.email else o.email)
                   for o in operators.order_by("email")]
        return [*choices, (self.SYSTEM, _("System (no operator)"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.SYSTEM:
            return queryset.filter(actor_user__isnull=True)
        return queryset.filter(actor_user_id=int(value)) if value.isdigit() else queryset.none()


class AuditActionFilter(admin.SimpleListFilter):
    title = gettext_lazy("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        choices = audit.action_choices()
        value = self.value()
        if value and value not in dict(choices):
            choices.append((value, value))  # a code no app registered still filters
        return choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditTargetTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("target type")
    parameter_name = "target_type"

    def lookups(self, request, model_admin):
        # The registered target models, not a DISTINCT over the trail (a scan of every entry of the society).
        by_model = ContentType.objects.get_for_models(*audit.target_models()) if audit.target_models() else {}
        choices = [(str(ct.pk), str(model._meta.verbose_name)) for model, ct in by_model.items()]
        value = self.value()
        if value and value.isdigit() and value not in dict(choices):
            model = ContentType.objects.get_for_id(int(value)).model_class()
            choices.append((value, str(model._meta.verbose_name) if model is not None else value))
        return sorted(choices, key=lambda c: c[1])

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(target_type_id=int(value)) if value.isdigit() else queryset.none()


def parse_target(value: str | None) -> tuple[int, str] | None:
    """``"<content type id>:<id>"`` → (content type id, id); None when malformed."""
    ct_id, sep, target_id = (value or "").partition(":")
    if not sep or not ct_id.isdigit() or not target_id:
        return None
    return int(ct_id), target_id


class AuditTargetFilter(admin.SimpleListFilter):
    """One record's entries (``?target=<content type id>:<id>``), reached from the record's 履歴 page. Shown
    only while it filters."""

    title = gettext_lazy("target")
    parameter_name = "target"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        parsed = parse_target(value)
        if parsed is None:
            return [(value, value)]
        ct_id, target_id = parsed
        latest = (model_admin.get_queryset(request).filter(target_type_id=ct_id, target_id=target_id)
                  .values_list("target_repr", flat=True).first())
        model = ContentType.objects.get_for_id(ct_id).model_class() if latest is not None else None
        label = f"{model._meta.verbose_name}: {latest}" if model is not None else (latest or value)
        return [(value, label)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        parsed = parse_target(self.value())
        if parsed is None:
            return queryset.none()
        return queryset.filter(target_type_id=parsed[0], target_id=parsed[1])


class AuditBatchFilter(admin.SimpleListFilter):
    """The entries of one bulk act (``?batch=<uuid>``), or every entry written by a bulk act."""

    title = gettext_lazy("bulk act")
    parameter_name = "batch"
    ANY = "any"

    def lookups(self, request, model_admin):
        choices = [(self.ANY, _("Bulk acts only"))]
        value = self.value()
        if value and value != self.ANY:
            choices.append((value, _("This bulk act (%(id)s…)") % {"id": value[:8]}))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.ANY:
            return queryset.filter(batch_id__isnull=False)
        try:
            return queryset.filter(batch_id=uuid.UUID(value))
        except ValueError:
            return queryset.none()


class AuditDateRangeFilter(admin.ListFilter):
    """期間: from and to dates (inclusive) in the society's time zone."""

    title = gettext_lazy("period")
    template = "admin/backoffice/auditentry/date_range_filter.html"
    parameters = ("at_from", "at_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.dates: dict[str, datetime.date | None] = {}
        self.raw: dict[str, str] = {}
        for name in self.parameters:
            if name in params:
                raw = params.pop(name)[-1]
                self.used_parameters[name] = raw
                self.raw[name] = raw
                self.dates[name] = self._parse(request, raw)

    @staticmethod
    def _parse(request, raw: str) -> datetime.date | None:
        cleaned = text.half_width(raw).replace("/", "-")
        if not cleaned:
            return None
        try:
            return datetime.date.fromisoformat(cleaned)
        except ValueError:
            messages.error(request, _("Enter a date as YYYY-MM-DD: %(value)s") % {"value": raw})
            return None

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        tz = timezone.get_current_timezone()  # the society's: the audit list runs under it
        start, end = self.dates.get("at_from"), self.dates.get("at_to")
        if start is not None:
            queryset = queryset.filter(at__gte=datetime.datetime.combine(start, datetime.time(), tz))
        if end is not None:
            queryset = queryset.filter(at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                                        datetime.time(), tz))
        return queryset

    def choices(self, changelist):
        hidden = [(k, v) for k, values in changelist.filter_params.items() if k not in self.parameters
                  for v in values]
        yield {
            "hidden": hidden,
            "at_from": self.dates.get("at_from") or self.raw.get("at_from", ""),
            "at_to": self.dates.get("at_to") or self.raw.get("at_to", ""),
            "clear": changelist.get_query_string(remove=list(self.parameters)) if self.used_parameters else None,
        }


class AuditChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        audit_display.attach_society_names(self.result_list)  # one query for the page; the rows stay cached


class ServiceAdmin(SocietyScopedAdmin):
    """One door for the admin's add and change pages: the form parses and validates, the admin (not the form)
    calls the service through ``save_with_service``, and a refusal lands on its field or on top of the form
    through ``report_domain_error``. No surrounding transaction: the service runs its own."""

    def save_with_service(self, request, form, obj):
        """Call the service with ``form.cleaned_data``; return the saved object. ``obj`` is None when adding."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change):  # never reached: writes go through save_with_service
        raise NotImplementedError("ServiceAdmin writes through save_with_service")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return self._changeform_view(request, object_id, form_url, extra_context)
        add = object_id is None
        obj = None
        if add:
            if not self.has_add_permission(request):
                raise PermissionDenied
        else:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        fieldsets = self.get_fieldsets(request, obj)
        form_class = self.get_form(request, obj, change=not add, fields=flatten_fieldsets(fieldsets))
        form = form_class(request.POST, request.FILES, instance=obj)
        if form.is_valid():
            try:
                saved = self.save_with_service(request, form, obj)
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                return self.response_add(request, saved) if add else self.response_change(request, saved)
        if obj is not None:  # the form wrote the typed values onto it; show the record as stored
            obj.refresh_from_db()
        admin_form = helpers.AdminForm(form, list(fieldsets), {}, self.get_readonly_fields(request, obj),
                                       model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": (_("Add %s") if add else _("Change %s")) % self.opts.verbose_name,
            "subtitle": str(obj) if obj else None,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=add, change=not add, obj=obj, form_url=form_url)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """監査ログ: read-only, scoped to the operator's society (``AuditEntry.objects.visible_to``)."""

    list_filter = (AuditActorFilter, AuditActionFilter, AuditTargetTypeFilter, AuditTargetFilter,
                   AuditDateRangeFilter, AuditBatchFilter)
    search_fields = ("actor_label", "target_repr")
    search_help_text = gettext_lazy("Search by actor (e-mail) or target.")
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    detail_template = "admin/backoffice/auditentry/detail.html"
    batch_limit = 100

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        from .pagination import CappedCountPaginator

        return CappedCountPaginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def timezone_for(self, request):
        return audit_display.viewer_timezone(user_society(request))

    # --- list ---
    def get_list_display(self, request):
        # The time column's header names the zone, so it is made per request — once: the admin compares the
        # columns it sorts by (get_sortable_by) with these by identity.
        cached = getattr(request, "_audit_list_display", None)
        if cached is not None:
            return cached
        tz = self.timezone_for(request)

        @admin.display(description=audit_display.time_header(tz), ordering="at")
        def time_column(entry):
            return audit_display.local_time(entry.at, tz)

        request._audit_list_display = (time_column, "society_column", "actor_column", "action_column",
                                       "target_column")
        return request._audit_list_display

    @admin.display(description=gettext_lazy("society"))
    def society_column(self, entry):
        return getattr(entry, "society_name", "") or audit_display.EMPTY

    @admin.display(description=gettext_lazy("actor"))
    def actor_column(self, entry):
        return entry.actor_label

    @admin.display(description=gettext_lazy("action"))
    def action_column(self, entry):
        return audit.action_label(entry.action)

    @admin.display(description=gettext_lazy("target"))
    def target_column(self, entry):
        return audit_display.target_display(entry)

    def changelist_view(self, request, extra_context=None):
        tz = self.timezone_for(request)
        extra = {"title": AuditEntry._meta.verbose_name_plural, **(extra_context or {})}
        # The period filter reads dates in the society's zone, as the time column shows them.
        with timezone.override(tz):
            response = super().changelist_view(request, extra_context=extra)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    # --- detail ---
    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])  # an audit entry is read, never changed
        entry = self.get_object(request, unquote(object_id))
        if entry is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, entry):
            raise PermissionDenied
        tz = self.timezone_for(request)
        codes = audit_display.SocietyCodes()
        audit_display.present(entry, tz, codes)
        audit_display.attach_society_names([entry])
        changelist_url = reverse("admin:backoffice_auditentry_changelist")
        batch_entries, batch_url, batch_more = [], None, False
        if entry.batch_id:
            batch = list(self.get_queryset(request).filter(batch_id=entry.batch_id).exclude(pk=entry.pk)
                         .order_by("id")[: self.batch_limit + 1])
            batch_more = len(batch) > self.batch_limit
            batch_entries = [audit_display.present(e, tz, codes) for e in batch[: self.batch_limit]]
            for e in batch_entries:
                e.detail_url = reverse("admin:backoffice_auditentry_change", args=[e.pk])
            batch_url = changelist_url + "?" + urlencode({"batch": str(entry.batch_id)})
        target_url, target_history_url = self._target_urls(request, entry)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit entry"),
            "subtitle": None,
            "entry": entry,
            "time_header": audit_display.time_header(tz),
            "target_url": target_url,
            "target_history_url": target_history_url,
            "target_log_url": (changelist_url + "?" + urlencode({"target": entry.target_filter})
                               if entry.target_filter else None),
            "batch_entries": batch_entries,
            "batch_more": batch_more,
            "batch_url": batch_url,
            "changelist_url": changelist_url,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.detail_template, context)

    def _target_urls(self, request, entry) -> tuple[str | None, str | None]:
        """The target's own screen and 履歴 page, from the admin that lists it for this operator (a proxy's
        admin may be the one: a corporate member is not on the individual members' screen)."""
        model = audit_display.target_model(entry)
        if model is None:
            return None, None
        concrete = model._meta.concrete_model
        for registered, model_admin in self.admin_site._registry.items():
            if registered._meta.concrete_model is not concrete or not model_admin.has_view_permission(request):
                continue
            try:
                if not model_admin.get_queryset(request).filter(pk=entry.target_id).exists():
                    continue
            except (ValueError, TypeError):
                return None, None
            info = registered._meta.app_label, registered._meta.model_name
            try:
                return (reverse("admin:%s_%s_change" % info, args=[quote(entry.target_id)]),
                        reverse("admin:%s_%s_history" % info, args=[quote(entry.target_id)]))
            except NoReverseMatch:
                return None, None
        return None, None

    # --- read-only for everyone ---
    def has_module_permission(self, request):
        user = request.user
        return bool(user.is_active and (getattr(user, "sees_all_societies", False) or user_society(request) is not None))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
