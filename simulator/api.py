"""Simulation endpoints of API.md (sandbox societies only). Views check, parse and call the services."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.fields import MAX_DATE, MIN_DATE
from backoffice.schema import declare
from backoffice.http import client_address
from mail import links
from members import services
from members.api import simulation_society

from .clock import clock_body

ClockSerializer = inline_serializer("SimClock", {
    "now": serializers.DateTimeField(), "today": serializers.DateField(), "timezone": serializers.CharField()})


class ClockMoveSerializer(serializers.Serializer):
    # exactly one of the two (the view refuses neither and both)
    openapi_request = {"oneOf": [{"required": ["advance_hours"]}, {"required": ["set"]}]}

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


class SandboxView(APIView):
    """A simulation endpoint. Any signed-in operator reaches it; it answers, in this order: a body that cannot be
    parsed (400/413), ``not_sandbox`` and ``permission_denied`` (403, API.md), then the body's fields (400) — see
    :meth:`sandbox_and_body`."""

    write_permission = "is_active"
    #: The request body's serializer, for :meth:`sandbox_and_body`.
    body_serializer: type[serializers.Serializer] | None = None

    def sandbox_and_body(self, request) -> tuple:
        """The caller's sandbox society and the validated body."""
        data = self.body_serializer(data=request.data)  # reading request.data parses the body first
        society = simulation_society(request)
        data.is_valid(raise_exception=True)
        return society, data.validated_data


class ClockView(SandboxView):
    """SIM-1: the sandbox's simulation clock."""

    body_serializer = ClockMoveSerializer

    @extend_schema(responses=ClockSerializer)
    def get(self, request):
        return Response(clock_body(simulation_society(request)))

    @extend_schema(request=ClockMoveSerializer, responses=ClockSerializer)
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        if "set" in data:
            to = data["set"]
        else:
            from backoffice import clock

            to = clock.now(society) + datetime.timedelta(hours=data["advance_hours"])
        society = services.society_clock_move(actor=request.user, society=society, to=to)
        return Response(clock_body(society))


class APassCreateSerializer(serializers.Serializer):
    email = declare(serializers.CharField(max_length=254), format="email")  # the service refuses another text
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


class APassCreateView(SandboxView):
    """APS-1: the member issues an A-Pass on the My Page simulator (never answers the password)."""

    body_serializer = APassCreateSerializer

    @extend_schema(request=APassCreateSerializer, responses={201: APassSerializer})
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        apass = services.apass_create(actor=request.user, society=society, **data)
        body = {"apass_id": apass.pk, "email": apass.email,
                "issued_at": serializers.DateTimeField().to_representation(apass.issued_at)}
        if apass.recovery_contact:
            body["recovery_contact"] = apass.recovery_contact
        return Response(body, status=201)


class MyPageLoginView(SandboxView):
    """APS-3/APS-6: a My Page sign-in; a refused one is still 200 with ``ok: false`` and its reason."""

    body_serializer = MyPageLoginSerializer

    @extend_schema(request=MyPageLoginSerializer, responses=LoginResultSerializer)
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        result = services.mypage_sign_in(actor=request.user, society=society, **data,
                                         client_address=client_address(request))
        return Response({"ok": result.ok, "reason": result.reason, "linked": result.linked})


# --- applications and mail links on My Page (APP-1, APP-2, MAIL-2, SIM-2) ---


def mail_body(mail) -> dict:
    link = getattr(mail, "link", None)
    return {"mail": mail.pk, "kind": mail.kind, "to": mail.to,
            "link_expires_at": serializers.DateTimeField().to_representation(link.expires_at) if link else None}


class ApplicationSerializer(serializers.Serializer):
    email = declare(serializers.CharField(max_length=254), format="email")


class PasswordResetSerializer(serializers.Serializer):
    email = declare(serializers.CharField(max_length=254), format="email")


class EmailChangeSerializer(serializers.Serializer):
    session_email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    new_email = serializers.CharField(max_length=254)


MailSentSerializer = inline_serializer("SimMailSent", {
    "mail": serializers.IntegerField(), "kind": serializers.CharField(), "to": serializers.EmailField(),
    "link_expires_at": serializers.DateTimeField(allow_null=True)})
ResetResultSerializer = inline_serializer("SimPasswordReset", {
    "sent": serializers.BooleanField(), "reason": serializers.CharField()})


class ApplicationView(SandboxView):
    """APP-1: the applicant agrees to the rules and gives an e-mail → 「メールアドレス認証のご連絡」 (201)."""

    body_serializer = ApplicationSerializer

    @extend_schema(request=ApplicationSerializer, responses={201: MailSentSerializer})
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        mail = services.application_request(actor=request.user, society=society, email=data["email"],
                                            link_url_template=links.link_url_template(request))
        return Response(mail_body(mail), status=201)


def _form_data(request) -> dict:
    data = request.data.dict() if hasattr(request.data, "dict") else request.data
    return {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"} if isinstance(data, dict) else {}


class LinkFollowView(SandboxView):
    """Follow a mail's link as the member (the form fields the link asks for in the body); 409 link_expired,
    link_superseded, link_used; another society's link is 404."""

    @extend_schema(request=inline_serializer("SimLinkForm", {}), responses=inline_serializer("SimLinkResult", {}))
    def post(self, request, token: str):
        from mail.services import link_follow

        data = _form_data(request)  # the body is parsed first: a malformed one is 400/413 whatever the token
        simulation_society(request)
        return Response(link_follow(actor=request.user, token=token, data=data))


class PasswordResetView(SandboxView):
    """MAIL-2: [パスワード再発行] on My Page → ``{sent, reason}`` (a request that sends nothing is still 200)."""

    body_serializer = PasswordResetSerializer

    @extend_schema(request=PasswordResetSerializer, responses=ResetResultSerializer)
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        result = services.password_reset_request(actor=request.user, society=society, email=data["email"],
                                                 link_url_template=links.link_url_template(request))
        return Response({"sent": result.sent, "reason": result.reason})


class EmailChangeView(SandboxView):
    """MAIL-2: a signed-in member changes the A-Pass e-mail → the confirmation mail to the new address (201)."""

    body_serializer = EmailChangeSerializer

    @extend_schema(request=EmailChangeSerializer, responses={201: MailSentSerializer})
    def post(self, request):
        society, data = self.sandbox_and_body(request)
        mail = services.email_change_request(actor=request.user, society=society, **data,
                                             link_url_template=links.link_url_template(request))
        return Response(mail_body(mail), status=201)
