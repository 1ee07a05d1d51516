"""[会員マイページお知らせ管理]: the secretariat writes My Page notices and sets their order by hand (SIM-4)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.adminkit import ServiceAdmin, can_write, report_domain_error, user_society
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormDateField

from . import services
from .models import MyPageNotice


class NoticeForm(forms.ModelForm):
    published_on = HalfWidthFormDateField(label=gettext_lazy("publication date"))

    class Meta:
        model = MyPageNotice
        fields = ["title", "published_on", "body", "is_published"]


@admin.register(MyPageNotice)
class MyPageNoticeAdmin(ServiceAdmin):
    form = NoticeForm
    list_display = ("order_col", "title", "published_on", "is_published", "move_col")
    list_display_links = ("title",)
    ordering = ("position", "id")
    sortable_by = ()  # the order is the secretariat's, not a column sort
    change_list_template = "admin/simulator/mypagenotice/change_list.html"

    @admin.display(description=gettext_lazy("display order"))
    def order_col(self, obj):
        return obj.position + 1

    @admin.display(description=gettext_lazy("Move"))
    def move_col(self, obj):
        # The buttons submit the page's one #notice-move form (outside the list's own form), to this row's URL.
        url = reverse("admin:simulator_mypagenotice_move", args=[obj.pk])
        return format_html(
            '<button type="submit" form="notice-move" formaction="{}" name="direction" value="up" title="{}">↑</button> '
            '<button type="submit" form="notice-move" formaction="{}" name="direction" value="down" title="{}">↓</button>',
            url, _("Move up"), url, _("Move down"))

    def changelist_view(self, request, extra_context=None):
        preview = reverse("admin:simulator_mypagenotice_preview")
        return super().changelist_view(request, {"preview_url": preview, "title": self.opts.verbose_name_plural,
                                                 **(extra_context or {})})

    def get_list_display(self, request):
        return self.list_display if can_write(request) else tuple(c for c in self.list_display if c != "move_col")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/move/", wrap(self.move_view), name="simulator_mypagenotice_move"),
            path("preview/", wrap(self.preview_view), name="simulator_mypagenotice_preview"),
        ] + super().get_urls()

    def save_with_service(self, request, form, obj):
        data = form.cleaned_data
        if obj is None:
            return services.notice_create(actor=request.user, society=user_society(request), **data)
        return services.notice_update(actor=request.user, notice=obj, **data)

    def move_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        notice = get_object_or_404(self.get_queryset(request), pk=pk)
        step = {"up": -1, "down": 1}.get(request.POST.get("direction"))
        if step is None:
            messages.error(request, _("Choose up or down."))
        else:
            order = list(self.get_queryset(request).values_list("pk", flat=True))
            try:
                services.notice_move(actor=request.user, notice=notice, index=order.index(notice.pk) + step)
            except DomainError as exc:
                report_domain_error(request, exc)
        return HttpResponseRedirect(reverse("admin:simulator_mypagenotice_changelist"))

    def preview_view(self, request):
        """The notices as My Page shows them to members: published ones, in the secretariat's order."""
        notices = self.get_queryset(request).filter(is_published=True).in_display_order()
        return TemplateResponse(request, "simulator/mypage_notices.html", {
            **self.admin_site.each_context(request), "title": _("My Page notices (as members see them)"),
            "notices": notices, "opts": self.opts})
