"""Simulation endpoints of API.md (sandbox societies only). Views check, parse and call the services."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.errors import DomainError
from backoffice.fields import MAX_DATE, MIN_DATE
from members import services

from .clock import clock_body

ClockSerializer = inline_serializer("SimClock", {
    "now": serializers.DateTimeField(), "today": serializers.DateField(), "timezone": serializers.CharField()})


class ClockMoveSerializer(serializers.Serializer):
    advance_hours = serializers.IntegerField(required=False, min_value=1, max_value=24 * 366 * 20)
    set = serializers.DateTimeField(required=False)

    def validate_set(self, value: datetime.datetime) -> datetime.datetime:
        if not MIN_DATE <= value.date() <= MAX_DATE:
            raise serializers.ValidationError(_("Enter a date between %(min)s and %(max)s.")
                                              % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()})
        return value

    def validate(self, data):
        if ("advance_hours" in data) == ("set" in data):
            raise serializers.ValidationError(_("Give either advance_hours or set."))
        return data


def _sandbox_of(request):
    """The caller's society, which must be a training sandbox (403 not_sandbox) the caller may train in."""
    society = getattr(request.user, "society", None)
    if society is None or not society.is_sandbox:
        raise DomainError("not_sandbox", _("The simulation exists only in a training sandbox society."), status=403)
    if not request.user.can_use_training_tools:
        raise DomainError("permission_denied", _("Only trainers and administrators use the simulation."),
                          status=403)
    return society


class ClockView(APIView):
    """SIM-1: the sandbox's simulation clock."""

    # Any signed-in operator reaches the view, which answers not_sandbox before permission_denied (API.md).
    write_permission = "is_active"

    @extend_schema(responses=ClockSerializer)
    def get(self, request):
        return Response(clock_body(_sandbox_of(request)))

    @extend_schema(request=ClockMoveSerializer, responses=ClockSerializer)
    def post(self, request):
        data = ClockMoveSerializer(data=request.data)  # a malformed body is refused as such, first
        data.is_valid(raise_exception=True)
        society = _sandbox_of(request)
        if "set" in data.validated_data:
            to = data.validated_data["set"]
        else:
            from backoffice import clock

            to = clock.now(society) + datetime.timedelta(hours=data.validated_data["advance_hours"])
        society = services.society_clock_move(actor=request.user, society=society, to=to)
        return Response(clock_body(society))


class APassCreateSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    recovery_contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MyPageLoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=300, trim_whitespace=False, allow_blank=True)
    password = serializers.CharField(max_length=128, trim_whitespace=False, allow_blank=True, write_only=True)


APassSerializer = inline_serializer("SimAPass", {
    "apass_id": serializers.IntegerField(), "email": serializers.EmailField(), "issued_at": serializers.DateTimeField(),
    "recovery_contact": serializers.CharField(required=False)})
LoginResultSerializer = inline_serializer("SimMyPageLogin", {
    "ok": serializers.BooleanField(), "reason": serializers.CharField(), "linked": serializers.BooleanField()})


class APassCreateView(APIView):
    """APS-1: the member issues an A-Pass on the My Page simulator (never answers the password)."""

    write_permission = "is_active"

    @extend_schema(request=APassCreateSerializer, responses={201: APassSerializer})
    def post(self, request):
        data = APassCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        society = _sandbox_of(request)
        apass = services.apass_create(actor=request.user, society=society, **data.validated_data)
        body = {"apass_id": apass.pk, "email": apass.email,
                "issued_at": serializers.DateTimeField().to_representation(apass.issued_at)}
        if apass.recovery_contact:
            body["recovery_contact"] = apass.recovery_contact
        return Response(body, status=201)


class MyPageLoginView(APIView):
    """APS-3/APS-6: a My Page sign-in; a refused one is still 200 with ``ok: false`` and its reason."""

    write_permission = "is_active"

    @extend_schema(request=MyPageLoginSerializer, responses=LoginResultSerializer)
    def post(self, request):
        data = MyPageLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        society = _sandbox_of(request)
        result = services.mypage_sign_in(actor=request.user, society=society, **data.validated_data)
        return Response({"ok": result.ok, "reason": result.reason, "linked": result.linked})
