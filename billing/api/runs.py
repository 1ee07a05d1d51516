"""Billing API: runs (API.md, Billing and payments) — POST 202, GET list/detail with skips and progress,
PATCH rename (BIL-6), confirm (BIL-3), cancel (BIL-7). Views parse input and call a service."""

from __future__ import annotations

import datetime
import re

from django.db.models import Prefetch
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from backoffice import text
from backoffice.schema import declare
from backoffice.fields import HalfWidthCharField, HalfWidthDateField, HalfWidthIntegerField
from members.api import society_of
from members.models import MemberType
from members.serializers import MAX_ID, SocietyScopedSlugField

from ..models import BillingRun, BillingRunSkip, Category
from ..services import invoices as invoice_services
from ..services import runs as run_services

MSG_MONTH = _("Enter the allocation start month as YYYY-MM.")
#: YYYY-MM of the years run_services.MIN_YEAR … MAX_YEAR (1900–2999), as the schema declares it (the field also reads
#: a one-digit month, a full date, ``/`` and full-width digits)
MONTH_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")


@extend_schema_field(OpenApiTypes.STR)
class MonthField(serializers.Field):
    """請求引当開始月 as ``YYYY-MM`` (a full date is accepted and read as its month); full-width digits too."""

    default_error_messages = {"invalid": MSG_MONTH}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        match = _MONTH_RE.match(text.half_width(data).strip().replace("/", "-"))
        if not match:
            self.fail("invalid")
        year, month = int(match.group(1)), int(match.group(2))
        if not (run_services.MIN_YEAR <= year <= run_services.MAX_YEAR and 1 <= month <= 12):
            self.fail("invalid")
        return datetime.date(year, month, 1)

    def to_representation(self, value):
        return f"{value.year:04d}-{value.month:02d}"


class SkipSerializer(serializers.ModelSerializer):
    member = serializers.SerializerMethodField()

    class Meta:
        model = BillingRunSkip
        fields = ["member", "reason"]

    def get_member(self, obj) -> int | None:
        return obj.member_id if obj.member_id is not None else obj.member_ref


class BillingRunSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="state")
    allocation_start = MonthField()
    exclude_member_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    skipped = SkipSerializer(source="skips", many=True)
    progress = serializers.FloatField()

    class Meta:
        model = BillingRun
        fields = ["id", "name", "status", "category", "fiscal_year", "allocation_start", "due_date",
                  "exclude_member_types", "created_count", "skipped_count", "skipped", "progress", "target_count",
                  "processed_count", "error", "requested_on", "requested_at", "started_at", "finished_at"]
        read_only_fields = fields


class BillingRunCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=Category.choices)
    fiscal_year = HalfWidthIntegerField(min_value=run_services.MIN_YEAR, max_value=run_services.MAX_YEAR)
    allocation_start = declare(MonthField(), pattern=MONTH_PATTERN)
    due_date = HalfWidthDateField(required=False, allow_null=True)
    exclude_member_types = serializers.ListField(child=SocietyScopedSlugField(MemberType), required=False,
                                                 default=list)
    member_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                       required=False, allow_null=True, allow_empty=False, max_length=500_000)


class RenameSerializer(serializers.Serializer):
    name = HalfWidthCharField(max_length=100)


def runs_visible_to(user):
    return (BillingRun.objects.visible_to(user)
            .prefetch_related(Prefetch("skips", queryset=BillingRunSkip.objects.order_by("id")),
                              "exclude_member_types")
            .order_by("-requested_at", "-id"))


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BillingRunSerializer
    write_permission = "can_write"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BillingRun.objects.none()
        return runs_visible_to(self.request.user)

    def _render(self, run, code=status.HTTP_200_OK):
        return Response(BillingRunSerializer(runs_visible_to(self.request.user).get(pk=run.pk)).data, status=code)

    @extend_schema(request=BillingRunCreateSerializer, responses={202: BillingRunSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                                description="The same key answers with the same run.")])
    def create(self, request):
        """[請求情報作成]: 202 with the run (作成依頼中); it runs in the background (BIL-1)."""
        data = BillingRunCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        run = run_services.billing_run_request(
            actor=request.user, society=society_of(request), request_key=request.headers.get("Idempotency-Key"),
            **data.validated_data)
        return self._render(run, status.HTTP_202_ACCEPTED)

    @extend_schema(request=RenameSerializer, responses=BillingRunSerializer)
    def partial_update(self, request, pk=None):
        """BIL-6: renames the run and every one of its invoices, paid ones included."""
        data = RenameSerializer(data=request.data)  # the body first: a malformed one is 400/413 whatever the id
        run = self.get_object()
        data.is_valid(raise_exception=True)
        run = invoice_services.billing_run_rename(actor=request.user, run=run, name=data.validated_data["name"])
        return self._render(run)

    @extend_schema(request=None, responses=inline_serializer("RunConfirmed", {"confirmed": serializers.IntegerField()}))
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """[請求内容確定] for every invoice of the run (BIL-3)."""
        request.data  # noqa: B018 - the body is parsed first: a malformed one is 400/413 whatever the id
        run = self.get_object()
        return Response({"confirmed": invoice_services.billing_run_confirm(actor=request.user, run=run)})

    @extend_schema(request=None, responses=inline_serializer("RunCancelled", {"cancelled": serializers.IntegerField()}))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """[請求取消] of the whole run, all or none: 409 invoice_has_payments (BIL-7)."""
        request.data  # noqa: B018 - the body is parsed first
        run = self.get_object()
        return Response({"cancelled": invoice_services.billing_run_cancel(actor=request.user, run=run)})


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("billing-runs", BillingRunViewSet, basename="billing-run")

urlpatterns = [path("", include(router.urls))]
