"""The admin site of the secretariat (issue 12 point 10): Django's per-app index pages (「会員 管理」 with 「モデル名 /
追加のリンク」) are not the product's; their URLs (the breadcrumbs' second step) lead to the first page, whose
事務局メニュー lists every screen in the order the manuals use them."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import redirect


class SecretariatAdminSite(admin.AdminSite):
    def app_index(self, request, app_label, extra_context=None):
        return redirect("admin:index")
