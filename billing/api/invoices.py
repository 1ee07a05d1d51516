"""Billing API: invoices (API.md, Billing and payments) — the list with BIL-8's filters (one query for the rows,
status derived by ``with_status``), a single invoice, PATCH name/adjustment, confirm (BIL-3), cancel and
bulk-cancel (BIL-7)."""

from __future__ import annotations

import django_filters
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from backoffice.errors import DomainError
from backoffice.fields import HalfWidthCharField, HalfWidthDateField, HalfWidthIntegerField
from members.api import society_of
from members.models import Member
from members.serializers import MAX_ID

from ..models import Category, Invoice, InvoiceStatus
from ..selectors import invoices_of
from ..services import invoices as services
from ..services.invoices import MAX_AMOUNT
from ..services.runs import MAX_YEAR, MIN_YEAR

MSG_UNKNOWN_MEMBER = _("Unknown member.")


def search_invoices(queryset, q: str):
    """BIL-8 keyword: part of the invoice name (the manual's 「20XX年度」)."""
    q = (q or "").strip()
    return queryset.filter(name__icontains=q) if q else queryset


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("keyword (invoice name)"))
    status = django_filters.MultipleChoiceFilter(field_name="status", choices=InvoiceStatus.choices)
    category = django_filters.MultipleChoiceFilter(field_name="category", choices=Category.choices)
    fiscal_year = django_filters.NumberFilter(field_name="fiscal_year", min_value=MIN_YEAR, max_value=MAX_YEAR)
    member = django_filters.NumberFilter(field_name="member_id", min_value=1, max_value=MAX_ID)
    run = django_filters.NumberFilter(field_name="run_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = Invoice
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return search_invoices(queryset, value)


class InvoiceSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id")
    run = serializers.IntegerField(source="run_id", allow_null=True)
    total = serializers.IntegerField()
    paid = serializers.IntegerField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    confirmed = serializers.BooleanField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "member", "run", "name", "category", "fiscal_year", "amount", "adjustment", "total",
                  "paid", "status", "confirmed", "settlement_number", "due_date", "created_at"]
        read_only_fields = fields


class InvoiceCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    name = HalfWidthCharField(max_length=100)
    category = serializers.ChoiceField(choices=Category.choices)
    fiscal_year = HalfWidthIntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
    amount = HalfWidthIntegerField(min_value=0, max_value=MAX_AMOUNT)
    due_date = HalfWidthDateField(required=False, allow_null=True)


class InvoiceUpdateSerializer(serializers.Serializer):
    name = HalfWidthCharField(max_length=100, required=False)
    adjustment = HalfWidthIntegerField(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, required=False)


class BulkCancelSerializer(serializers.Serializer):
    invoice_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                        allow_empty=False, max_length=100_000)


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    write_permission = "can_write"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        # select_related of invoices_of is for the screens; the API answers ids only: one query for the rows
        return invoices_of(self.request.user).select_related(None).order_by("-fiscal_year", "-number")

    def _render(self, invoice, code=status.HTTP_200_OK):
        return Response(InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data, status=code)

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer})
    def create(self, request):
        """A single invoice for one member (not confirmed yet)."""
        data = InvoiceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        society = society_of(request)
        member = Member.objects.filter(society=society, pk=values.pop("member")).first()
        if member is None:
            raise DomainError("invalid", MSG_UNKNOWN_MEMBER, fields={"member": [str(MSG_UNKNOWN_MEMBER)]})
        invoice = services.invoice_create(actor=request.user, society=society, member=member, **values)
        return self._render(invoice, status.HTTP_201_CREATED)

    @extend_schema(request=InvoiceUpdateSerializer, responses=InvoiceSerializer)
    def partial_update(self, request, pk=None):
        """Change the name or the invoice adjustment (請求調整額); 409 invoice_cancelled once cancelled."""
        data = InvoiceUpdateSerializer(data=request.data)  # the body first: malformed is 400/413 whatever the id
        invoice = self.get_object()
        data.is_valid(raise_exception=True)
        invoice = services.invoice_update(actor=request.user, invoice=invoice, **data.validated_data)
        return self._render(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        """[請求内容確定]: the invoice shows on My Page (BIL-3)."""
        request.data  # noqa: B018 - the body is parsed first
        invoice = services.invoice_confirm(actor=request.user, invoice=self.get_object())
        return self._render(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        """[請求取消]: 409 invoice_has_payments while a payment is registered, invoice_cancelled (BIL-7)."""
        request.data  # noqa: B018 - the body is parsed first
        invoice = services.invoice_cancel(actor=request.user, invoice=self.get_object())
        return self._render(invoice)

    @extend_schema(request=BulkCancelSerializer,
                   responses=inline_serializer("BulkCancelled", {"cancelled": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="bulk-cancel", filterset_class=None)
    def bulk_cancel(self, request):
        """Cancel a selection, all or none (BIL-7)."""
        data = BulkCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = services.invoices_bulk_cancel(actor=request.user, society=society_of(request),
                                                  invoice_ids=data.validated_data["invoice_ids"])
        return Response({"cancelled": cancelled})


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [path("", include(router.urls))]
