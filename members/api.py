"""REST API v1 for members (API.md, Members). Views check permission, parse input and call a service."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice import text
from backoffice.errors import DomainError
from backoffice.http import client_address
from backoffice.services import permission_denied

from . import disclosure, selectors, services
from .models import Member, MemberType, Status
from .serializers import (
    AdjustmentSerializer,
    AssignNumbersSerializer,
    BulkStatusSerializer,
    MemberCreateSerializer,
    MemberNumberCorrectionSerializer,
    MemberSerializer,
    MemberTypeSerializer,
    MemberUpdateSerializer,
    ReleaseEmailSerializer,
    StatusAddSerializer,
    StatusEditSerializer,
    StatusEntrySerializer,
    TokenRequestSerializer,
    UnlinkAPassSerializer,
    APassLookupSerializer,
)


def society_of(request):
    society = getattr(request.user, "society", None)
    if society is None:
        raise PermissionDenied(_("Use an operator account of a society."))
    return society


MSG_MYPAGE_EMAIL_REQUIRED = _("Give the member's e-mail address (email).")


def simulation_society(request):
    """The caller's society, which must be a training sandbox (403 ``not_sandbox``) the caller may train in (403
    ``permission_denied``): every simulation endpoint's first check (API.md, Simulation access)."""
    society = getattr(request.user, "society", None)
    if society is None or not society.is_sandbox:
        raise DomainError("not_sandbox", _("The simulation exists only in a training sandbox society."), status=403)
    if not request.user.can_use_training_tools:
        raise DomainError("permission_denied", _("Only trainers and administrators use the simulation."),
                          status=403)
    return society


def mypage_member(request) -> Member:
    """The member a My Page request is made as (SIM-2): ``?email=`` in the caller's sandbox society."""
    society = simulation_society(request)
    email = text.normalize_email(request.query_params.get("email", "") or "")
    if not email:
        raise DomainError("invalid", MSG_MYPAGE_EMAIL_REQUIRED, fields={"email": [str(MSG_MYPAGE_EMAIL_REQUIRED)]})
    return get_object_or_404(Member.objects.filter(society=society), email=email)


class TokenView(APIView):
    """POST {society, email, password} → {token}."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=TokenRequestSerializer, responses=inline_serializer("Token", {"token": serializers.CharField()}))
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.operator_sign_in(
            actor="system: API token", door="token", society_slug=data.validated_data.get("society") or None,
            email=data.validated_data["email"], password=data.validated_data["password"],
            client_address=client_address(request), otp=data.validated_data.get("otp") or None)
        if result.reason == "otp_required":  # API.md: without the code 401 otp_required
            raise DomainError("otp_required", result.message, status=401)
        if result.reason == "rate_limited":  # SEC-2, API.md "Rate limits"
            raise DomainError("rate_limited", result.message, status=429)
        if not result.ok:
            raise DomainError("invalid_credentials", _("The society, e-mail address or password is incorrect."),
                              status=401)
        operator = result.operator
        token, _created = Token.objects.get_or_create(user=operator)
        return Response({"token": token.key})


class MemberTypeViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MemberTypeSerializer
    pagination_class = None
    write_permission = "can_manage_settings"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MemberType.objects.none()
        return MemberType.objects.visible_to(self.request.user).order_by("sort_order", "id")

    def perform_create(self, serializer):
        serializer.instance = services.member_type_create(
            actor=self.request.user, society=society_of(self.request), **serializer.validated_data
        )


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("free word"))
    email = django_filters.CharFilter(method="filter_email")
    member_number = django_filters.CharFilter(method="filter_member_number")
    status = django_filters.ChoiceFilter(field_name="current_status", choices=Status.choices)
    member_type = django_filters.CharFilter(field_name="member_type__code")
    apass_linked = django_filters.BooleanFilter(field_name="apass", lookup_expr="isnull", exclude=True)
    kind = django_filters.ChoiceFilter(choices=Member.Kind.choices)

    class Meta:
        model = Member
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return selectors.search_members(queryset, value)

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=text.normalize_email(value))

    def filter_member_number(self, queryset, name, value):
        return queryset.filter(member_number=text.normalize_code(value))


class AccessSerializer(serializers.Serializer):
    """API.md "Personal data": one opening of a member's record."""

    at = serializers.DateTimeField()
    operator = serializers.CharField()
    via = serializers.ChoiceField(choices=["admin", "api"])
    where = serializers.CharField()


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MemberSerializer
    write_permission = "can_write"  # an action may ask more (the number correction: can_manage_settings)
    filterset_class = MemberFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member.objects.none()
        members = selectors.visible_members(self.request.user).order_by("pk")
        if self.action == "list":
            # the list reads each member's status from its annotation, never the society; without the join SQLite
            # walks a search's candidates in key order and stops at the page (with it, it sorted them all)
            return members
        return members.select_related("society")

    def _member(self) -> Member:
        return self.get_object()

    def retrieve(self, request, *args, **kwargs):
        """A member's record; opening it is recorded (SEC-5: who, when, which endpoint)."""
        member = self.get_object()
        services.member_access_record(actor=request.user, member=member, via="api", where=f"GET {request.path}")
        return Response(self.get_serializer(member).data)

    def _personal_data(self, request) -> Member:
        """SEC-5: admins only (403 ``permission_denied``); another society's member is 404. The reading is recorded."""
        if not getattr(request.user, "can_disclose_personal_data", False):
            raise permission_denied()
        member = self.get_object()
        services.member_access_record(actor=request.user, member=member, via="api", where=f"GET {request.path}")
        return member

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="disclosure", pagination_class=None, filterset_class=None)
    def disclosure(self, request, pk=None):
        """Everything the society holds on the member (API.md "Personal data"); never a password or hash."""
        member = self._personal_data(request)
        response = Response(disclosure.member_disclosure(member))
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(responses=AccessSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="accesses", pagination_class=None, filterset_class=None)
    def accesses(self, request, pk=None):
        """Who opened the member's record, newest first (this reading included)."""
        member = self._personal_data(request)
        response = Response(disclosure.accesses(member))
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def create(self, request):
        data = MemberCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        member = services.member_create(actor=request.user, society=society_of(request), **data.validated_data)
        return Response(self._render(member), status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def partial_update(self, request, pk=None):
        member = self._member()
        data = MemberUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        member = services.member_update(actor=request.user, member=member, **data.validated_data)
        return Response(self._render(member))

    def _render(self, member: Member) -> dict:
        fresh = self.get_queryset().get(pk=member.pk)
        return MemberSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(methods=["GET"], responses=StatusEntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=StatusAddSerializer, responses={201: StatusEntrySerializer})
    @action(detail=True, methods=["get", "post"], url_path="statuses", pagination_class=None, filterset_class=None)
    def statuses(self, request, pk=None):
        member = self._member()
        if request.method == "GET":
            entries = member.statuses.order_by("effective_date")
            return Response(StatusEntrySerializer(entries, many=True).data)
        self._require_write(request)
        data = StatusAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.member_status_add(actor=request.user, member=member, **data.validated_data)
        return Response(StatusEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusEditSerializer, responses=StatusEntrySerializer,
                   parameters=[OpenApiParameter("sid", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["patch"], url_path=r"statuses/(?P<sid>[0-9]+)", filterset_class=None)
    def status_edit(self, request, pk=None, sid=None):
        member = self._member()
        entry = get_object_or_404(member.statuses, pk=sid)
        data = StatusEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.member_status_edit(actor=request.user, entry=entry, **data.validated_data)
        return Response(StatusEntrySerializer(entry).data)

    @extend_schema(request=BulkStatusSerializer, responses=inline_serializer("BulkStatusResult", {"updated": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="bulk-status", filterset_class=None)
    def bulk_status(self, request):
        data = BulkStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.member_status_bulk_update(actor=request.user, society=society_of(request), **data.validated_data)
        return Response({"updated": updated})

    @extend_schema(request=ReleaseEmailSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"], url_path="release-email", filterset_class=None)
    def release_email(self, request, pk=None):
        member = self._member()
        data = ReleaseEmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_email_release(actor=request.user, member=member, **data.validated_data)
        return Response(self._render(member))

    @extend_schema(request=UnlinkAPassSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-apass", filterset_class=None)
    def unlink_apass(self, request, pk=None):
        """APS-4: ログイン情報の統合解除 — needs ``confirm: true`` (400 unlink_not_confirmed)."""
        member = self._member()
        data = UnlinkAPassSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["confirm"]:
            raise DomainError("unlink_not_confirmed", MSG_UNLINK_NOT_CONFIRMED, fields={"confirm": [str(MSG_UNLINK_NOT_CONFIRMED)]})
        member = services.apass_unlink(actor=request.user, member=member, new_email=data.validated_data["new_email"])
        return Response(self._render(member))

    @extend_schema(request=AdjustmentSerializer, responses={201: AdjustmentSerializer})
    @action(detail=True, methods=["post"], url_path="adjustments", filterset_class=None)
    def adjustments(self, request, pk=None):
        member = self._member()
        data = AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = services.member_adjustment_add(actor=request.user, member=member, **data.validated_data)
        return Response(AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberNumberCorrectionSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"], url_path="member-number", filterset_class=None,
            write_permission="can_manage_settings")
    def member_number(self, request, pk=None):
        """Correct a wrongly assigned member number (administrators; the old number stays in the history)."""
        member = self._member()
        data = MemberNumberCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_number_correct(actor=request.user, member=member, **data.validated_data)
        return Response(self._render(member))

    def _require_write(self, request):
        for permission in self.get_permissions():
            if not permission.has_permission(request, self):
                self.permission_denied(request)


MSG_UNLINK_NOT_CONFIRMED = _("Tick the confirmation to unlink the member's login.")
MSG_LOOKUP_ONE_CRITERION = _("Give exactly one of email, member_number, phone or name.")
LOOKUP_KEYS = ("email", "member_number", "phone", "name")


class APassLookupView(APIView):
    """APS-5: A-Pass look-up, scoped to the caller's society; never a password."""

    @extend_schema(parameters=[OpenApiParameter(k, str) for k in LOOKUP_KEYS],
                   responses=APassLookupSerializer(many=True))
    def get(self, request):
        given = {k: request.query_params.get(k, "").strip() for k in LOOKUP_KEYS}
        given = {k: v for k, v in given.items() if v}
        if len(given) != 1:
            raise DomainError("invalid", MSG_LOOKUP_ONE_CRITERION,
                              fields={k: [str(MSG_LOOKUP_ONE_CRITERION)] for k in LOOKUP_KEYS})
        found = selectors.apass_lookup(request.user, **given)
        return Response(APassLookupSerializer(found, many=True, context={"operator": request.user}).data)


class PendingNumbersView(APIView):
    @extend_schema(responses=inline_serializer("PendingNumbers", {
        "members": MemberSerializer(many=True), "next_numbers": serializers.ListField(child=serializers.CharField())}))
    def get(self, request):
        society = society_of(request)
        members = list(selectors.members_pending_number(society))
        return Response({
            "members": MemberSerializer(members, many=True).data,
            "next_numbers": selectors.next_member_numbers(society, len(members)),
        })


class AssignNumbersView(APIView):
    @extend_schema(request=AssignNumbersSerializer, responses=inline_serializer("AssignResult", {"assigned": serializers.IntegerField()}))
    def post(self, request):
        data = AssignNumbersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assigned = services.member_numbers_assign(
            actor=request.user, society=society_of(request),
            assignments=[(a["member"], a["member_number"]) for a in data.validated_data["assignments"]],
        )
        return Response({"assigned": assigned})


class ProxyApplicationView(APIView):
    """APP-3 [代理申請]: 201 member (申請中) + the registration-complete mail; 409 email_verification_pending while
    a verification link to that address is still valid, 409 email_in_use when a member has it."""

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def post(self, request):
        data = MemberCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        member = services.proxy_application_create(actor=request.user, society=society_of(request),
                                                   **data.validated_data)
        fresh = selectors.visible_members(request.user).select_related("society").get(pk=member.pk)
        return Response(MemberSerializer(fresh).data, status=status.HTTP_201_CREATED)
