"""Billing API: payments (API.md, Billing and payments) — register, list, split (PAY-4), delete (PAY-2).

Views parse input and call ``billing.services.payments``; another society's payment in the path is 404 (SOC-2).
An invoice or member named in the body that the operator cannot see (unknown, or another society's) is bad
input: 400 naming the field as sent (``invoice``, ``member``), as ``POST /invoices/`` does for ``member``."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from backoffice.errors import DomainError
from backoffice.schema import declare
from backoffice.fields import HalfWidthCharField, HalfWidthDateField, HalfWidthIntegerField
from members.models import Member

from .. import selectors
from ..models import ONLINE_METHODS, Payment, PaymentMethod
from ..services import payments as services

MAX_ID = 2**63 - 1
MAX_AMOUNT = 10**10  # ten billion yen: far beyond any fee, well inside every integer column
MSG_UNKNOWN_INVOICE = _("Unknown invoice.")
MSG_UNKNOWN_MEMBER = _("Unknown member.")


def body_reference(queryset, pk, field: str, message):
    """The object a body field names, among those the operator may see; else 400 naming ``field``."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise DomainError("invalid", message, fields={field: [str(message)]})
    return found


class PaymentSerializer(serializers.ModelSerializer):
    """API.md's payment fields, plus ``receipt_number`` (領収書番号, BIL-11), ``member`` and ``deleted_by``
    (PAY-2: who deleted it)."""

    invoice = serializers.IntegerField(source="invoice_id", read_only=True)
    member = serializers.IntegerField(source="invoice.member_id", read_only=True)
    channel = serializers.CharField(read_only=True)
    deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "invoice", "amount", "method", "channel", "paid_on", "remarks", "settlement_number",
                  "deleted", "deleted_at", "deleted_reason", "receipt_number", "member", "deleted_by"]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    invoice = HalfWidthIntegerField(min_value=1, max_value=MAX_ID)
    amount = HalfWidthIntegerField(min_value=1, max_value=MAX_AMOUNT)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    paid_on = HalfWidthDateField()
    remarks = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    settlement_number = HalfWidthCharField(required=False, allow_blank=True, default="", max_length=64)


class AllocationSerializer(serializers.Serializer):
    invoice = HalfWidthIntegerField(min_value=1, max_value=MAX_ID)
    amount = HalfWidthIntegerField(min_value=1, max_value=MAX_AMOUNT)


#: the payment methods a split takes (PAY-4), the schema's ``OfflinePaymentMethodEnum``
OFFLINE_METHODS = sorted(m.value for m in PaymentMethod if m not in ONLINE_METHODS)


class PaymentSplitSerializer(serializers.Serializer):
    member = HalfWidthIntegerField(min_value=1, max_value=MAX_ID)
    # PAY-4: only an offline payment is split over invoices (the service refuses an online one, naming ``method``)
    method = declare(serializers.ChoiceField(choices=PaymentMethod.choices), enum=OFFLINE_METHODS)
    paid_on = HalfWidthDateField()
    remarks = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    allocations = AllocationSerializer(many=True, allow_empty=False, max_length=100)


class PaymentDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PaymentFilter(django_filters.FilterSet):
    invoice = django_filters.NumberFilter(field_name="invoice_id", min_value=1, max_value=MAX_ID)
    member = django_filters.NumberFilter(field_name="invoice__member_id", min_value=1, max_value=MAX_ID)
    include_deleted = django_filters.BooleanFilter(method="filter_include_deleted")

    class Meta:
        model = Payment
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_deleted"):
            queryset = queryset.filter(deleted_at__isnull=True)
        return queryset

    def filter_include_deleted(self, queryset, name, value):
        return queryset  # applied in filter_queryset: live payments only unless include_deleted=true


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_of(self.request.user).order_by("-paid_on", "-id")

    def _render(self, payments):
        return PaymentSerializer(payments, many=isinstance(payments, list)).data

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request):
        """[入金情報登録] (PAY-1, PAY-3)."""
        data = PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        invoice = body_reference(selectors.invoices_of(request.user), values.pop("invoice"), "invoice",
                                 MSG_UNKNOWN_INVOICE)
        payment = services.payment_register(actor=request.user, invoice=invoice, **values)
        return Response(self._render(payment), status=status.HTTP_201_CREATED)

    @extend_schema(request=PaymentSplitSerializer, responses={201: PaymentSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="split", filterset_class=None, pagination_class=None)
    def split(self, request):
        """PAY-4: one offline payment split over several invoices of a member; all or none."""
        data = PaymentSplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member = body_reference(Member.objects.visible_to(request.user), values.pop("member"), "member",
                                MSG_UNKNOWN_MEMBER)
        allocations = [(a["invoice"], a["amount"]) for a in values.pop("allocations")]
        payments = services.payments_split(actor=request.user, member=member, allocations=allocations, **values)
        return Response(self._render(payments), status=status.HTTP_201_CREATED)

    @extend_schema(request=PaymentDeleteSerializer, responses={204: None})
    def destroy(self, request, pk=None):
        """[入金履歴削除] (PAY-2): kept as deleted, with who, when and why."""
        data = PaymentDeleteSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)  # a malformed body is refused as such, first
        payment = self.get_object()
        services.payment_delete(actor=request.user, payment=payment, reason=data.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_object(self):
        pk = self.kwargs.get("pk", "")
        if not str(pk).isdigit() or int(pk) > MAX_ID:
            from django.http import Http404

            raise Http404(_("Not found."))
        return get_object_or_404(self.get_queryset(), pk=int(pk))


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = router.urls
