"""My Page simulator, billing side (SIM-2): the member's confirmed invoices and paying one online.

Sandbox societies only (403 ``not_sandbox`` first), trainers and administrators (403 ``permission_denied``), as
the other simulation endpoints. The views parse input and call ``billing.services.payments``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from backoffice.fields import HalfWidthIntegerField
from backoffice.schema import declare
from billing import selectors
from billing.api.payments import MAX_AMOUNT, MAX_ID, PaymentSerializer
from billing.models import ONLINE_METHODS, Invoice, PaymentMethod
from billing.services import payments as payment_services
from members.api import mypage_member

from .api import SandboxView



class MyPageInvoiceSerializer(serializers.ModelSerializer):
    """An invoice as My Page shows it (API.md's invoice fields)."""

    member = serializers.IntegerField(source="member_id", read_only=True)
    run = serializers.IntegerField(source="run_id", read_only=True, allow_null=True)
    total = serializers.IntegerField(read_only=True)
    paid = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    confirmed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "member", "run", "name", "category", "fiscal_year", "amount", "adjustment", "total",
                  "paid", "status", "confirmed", "settlement_number", "due_date", "created_at"]
        read_only_fields = fields


#: the payment methods My Page takes, the schema's ``OnlinePaymentMethodEnum``
ONLINE_METHOD_VALUES = sorted(m.value for m in PaymentMethod if m in ONLINE_METHODS)


class MyPagePaySerializer(serializers.Serializer):
    invoice = HalfWidthIntegerField(min_value=1, max_value=MAX_ID)
    # SIM-2: My Page pays online (the service refuses an offline method, naming ``method``)
    method = declare(serializers.ChoiceField(choices=PaymentMethod.choices), enum=ONLINE_METHOD_VALUES)
    amount = HalfWidthIntegerField(min_value=1, max_value=MAX_AMOUNT)


class MyPageInvoicesView(SandboxView):
    """SIM-2: the confirmed invoices of the member with this e-mail (入金不要 ones too), with their status."""

    @extend_schema(parameters=[OpenApiParameter("email", str, required=True)],
                   responses=MyPageInvoiceSerializer(many=True))
    def get(self, request):
        member = mypage_member(request)
        return Response(MyPageInvoiceSerializer(selectors.mypage_invoices(member), many=True).data)


class MyPagePayView(SandboxView):
    """SIM-2: the member pays one confirmed invoice online (card and convenience store up to the outstanding
    amount, bank check any amount); the payment carries a fresh settlement number."""

    body_serializer = MyPagePaySerializer

    @extend_schema(request=MyPagePaySerializer, responses={201: PaymentSerializer})
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        invoice = get_object_or_404(Invoice.objects.filter(society=society, confirmed_at__isnull=False),
                                    pk=data["invoice"])
        payment = payment_services.mypage_payment_make(
            actor=request.user, member=invoice.member, invoice=invoice, method=data["method"], amount=data["amount"])
        return Response(PaymentSerializer(payment).data, status=201)
