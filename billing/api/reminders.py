"""Billing API: reminders — POST /api/v1/invoices/remind/ (BIL-12).

Gathered before the invoices module in ``billing.urls`` so that ``invoices/remind/`` is never read as an
invoice id by the invoices' routes."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.fields import HalfWidthIntegerField
from members.serializers import MAX_ID

from ..services.reminders import MAX_REMINDERS, invoices_remind


class RemindSerializer(serializers.Serializer):
    invoice_ids = serializers.ListField(child=HalfWidthIntegerField(min_value=1, max_value=MAX_ID), allow_empty=False,
                                        max_length=MAX_REMINDERS)


RemindResultSerializer = inline_serializer("RemindResult", {
    "sent": serializers.IntegerField(),
    "skipped": inline_serializer("RemindSkipped", {"invoice": serializers.IntegerField(),
                                                   "reason": serializers.CharField()}, many=True),
})


class RemindView(APIView):
    """A 督促 mail per confirmed unpaid or partially paid invoice; paid, overpaid, cancelled, 入金不要 and
    unconfirmed ones are skipped with a reason (paid / overpaid / cancelled / no_payment_needed /
    not_confirmed)."""

    write_permission = "can_write"

    @extend_schema(request=RemindSerializer, responses=RemindResultSerializer)
    def post(self, request):
        data = RemindSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = invoices_remind(actor=request.user, invoices=data.validated_data["invoice_ids"])
        return Response({"sent": result.sent, "skipped": result.skipped})


urlpatterns = [
    path("invoices/remind/", RemindView.as_view(), name="api-invoices-remind"),
]
