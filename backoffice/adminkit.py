"""Shared admin pieces: the one helper that turns a DomainError into an admin message, society scoping
of every list, form choice and autocomplete (SOC-2), role-based permissions (SOC-3), the one door through
which an admin form reaches its service (``ServiceAdmin``), and the per-object audit history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

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
