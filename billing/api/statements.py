"""Billing API: bank statements (入金消込, PAY-6; API.md "Bank statements")."""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from backoffice.parsers import FormParser, JSONParser, MultiPartParser as CheckedMultiPartParser
from backoffice.permissions import operator_society

from ..models import BankStatement, BankStatementRow
from ..services import statements as services
from .payments import MAX_ID, AllocationSerializer

MAX_FILE_BYTES = 20 * 1024 * 1024
MSG_FILE_REQUIRED = _("Attach the statement file.")
MSG_FILE_TOO_LARGE = _("The file is larger than 20 MB.")


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = ["id", "rows", "matched", "unmatched", "ambiguous", "duplicate", "format", "filename", "imported_at",
                  "imported_by"]
        read_only_fields = fields


class StatementRowSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id", allow_null=True, read_only=True)
    payments = serializers.SerializerMethodField()

    class Meta:
        model = BankStatementRow
        fields = ["id", "line", "date", "amount", "payer_name", "state", "reason", "member", "payments"]
        read_only_fields = fields

    def get_payments(self, row) -> list[int]:
        return sorted(p.pk for p in row.payments.all())


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    format = serializers.ChoiceField(choices=BankStatement.Format.choices)

    def validate(self, data):
        upload = data.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": [MSG_FILE_REQUIRED]})
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError({"file": [MSG_FILE_TOO_LARGE]})
        return data


class RowMatchSerializer(serializers.Serializer):
    allocations = AllocationSerializer(many=True, allow_empty=False, max_length=100)


class RowFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=BankStatementRow.State.choices)

    class Meta:
        model = BankStatementRow
        fields: list[str] = []


def _pk(value) -> int:
    if not str(value).isdigit() or int(value) > MAX_ID:
        raise Http404
    return int(value)


class BankStatementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = StatementSerializer
    filterset_class = None
    parser_classes = [CheckedMultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BankStatement.objects.none()
        return BankStatement.objects.visible_to(self.request.user).order_by("-imported_at", "-id")

    def _statement(self, pk) -> BankStatement:
        return get_object_or_404(self.get_queryset(), pk=_pk(pk))

    @extend_schema(request={"multipart/form-data": StatementUploadSerializer}, responses={201: StatementSerializer})
    def create(self, request):
        """PAY-6: import a statement (multipart ``file`` and ``format``: csv | zengin)."""
        data = StatementUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        society = operator_society(request.user)
        if society is None:
            raise Http404
        upload = data.validated_data["file"]
        statement = services.statement_import(actor=request.user, society=society, data=upload.read(),
                                              file_format=data.validated_data["format"],
                                              filename=getattr(upload, "name", "") or "")
        return Response(StatementSerializer(statement).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(StatementSerializer(self._statement(pk)).data)

    @extend_schema(responses=StatementRowSerializer(many=True))
    @extend_schema(parameters=[OpenApiParameter("state", str, enum=BankStatementRow.State.values)])
    @action(detail=True, methods=["get"], url_path="rows", serializer_class=StatementRowSerializer)
    def rows(self, request, pk=None):
        statement = self._statement(pk)
        filterset = RowFilter(request.query_params, queryset=BankStatementRow.objects.filter(statement=statement))
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        queryset = filterset.qs.prefetch_related("payments").order_by("line")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StatementRowSerializer(page, many=True).data)

    @extend_schema(request=RowMatchSerializer, responses=StatementRowSerializer,
                   parameters=[OpenApiParameter("row_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"rows/(?P<row_id>[^/.]+)/match", filterset_class=None,
            parser_classes=[JSONParser, FormParser])
    def match(self, request, pk=None, row_id=None):
        """Resolve an unmatched or ambiguous row by hand: ``allocations`` adding up to its amount, all or none."""
        data = RowMatchSerializer(data=request.data)  # a malformed body is refused as such, first
        data.is_valid(raise_exception=True)
        statement = self._statement(pk)
        row = get_object_or_404(BankStatementRow.objects.filter(statement=statement), pk=_pk(row_id))
        allocations = [(a["invoice"], a["amount"]) for a in data.validated_data["allocations"]]
        row = services.statement_row_match(actor=request.user, row=row, allocations=allocations)
        row = BankStatementRow.objects.prefetch_related("payments").get(pk=row.pk)
        return Response(StatementRowSerializer(row).data)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("bank-statements", BankStatementViewSet, basename="bank-statement")

urlpatterns = router.urls
