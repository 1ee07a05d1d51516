"""Shared admin pieces: the one helper that turns a DomainError into an admin message, society scoping
of every list, form choice and autocomplete (SOC-2), role-based permissions (SOC-3), and the per-object
audit history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import AuditEntry

from .permissions import WRITE_ROLES


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


def can_write(request) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) in WRITE_ROLES))


def _has_society_field(model) -> bool:
    try:
        model._meta.get_field("society")
    except FieldDoesNotExist:
        return False
    return True


class SocietyScopedAdmin(admin.ModelAdmin):
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

    def scope(self, request, queryset):
        if request.user.is_superuser and user_society(request) is None:
            return queryset
        society = user_society(request)
        if society is None:
            return queryset.none()
        return queryset.filter(**{self.society_field: society})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        related = db_field.related_model
        if _has_society_field(related) and "queryset" not in kwargs:
            qs = related._default_manager.all()
            society = user_society(request)
            if society is not None:
                qs = qs.filter(society=society)
            kwargs["queryset"] = qs
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
        return request.user.is_active and (request.user.is_superuser or user_society(request) is not None)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and can_write(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and can_write(request)

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is really deleted; services record state changes instead

    # --- per-object audit history (SEC-1) ---
    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        entries = AuditEntry.objects.for_object(obj).select_related("target_type")[:500]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit history: %(obj)s") % {"obj": obj},
            "subtitle": None,
            "object": obj,
            "entries": entries,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/backoffice/audit_history.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "target_repr")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "target_repr")
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser and user_society(request) is None:
            return qs
        society = user_society(request)
        return qs.filter(society_id=society.pk) if society else qs.none()

    def has_module_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or user_society(request) is not None)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
