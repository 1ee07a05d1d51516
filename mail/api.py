"""REST API v1 for sent mail (API.md, Applications and mail). Views parse input and call a service."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backoffice import clock, text

from . import selectors, services
from .models import MailKind, SentMail


def operator_now(user):
    return clock.now(getattr(user, "society", None))


class SentMailFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("free word"))
    kind = django_filters.ChoiceFilter(choices=MailKind.choices)
    member = django_filters.NumberFilter(field_name="member_id")
    to = django_filters.CharFilter(method="filter_to")

    class Meta:
        model = SentMail
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return selectors.search_sent_mails(queryset, value)

    def filter_to(self, queryset, name, value):
        return queryset.filter(to=text.normalize_email(value))


class SentMailSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id", allow_null=True)
    sent_at = serializers.SerializerMethodField()
    link_url = serializers.SerializerMethodField()
    link_expires_at = serializers.SerializerMethodField()
    link_state = serializers.SerializerMethodField()
    link_token = serializers.SerializerMethodField()

    class Meta:
        model = SentMail
        fields = ["id", "kind", "to", "subject", "body", "status", "sent_at", "member", "link_url",
                  "link_expires_at", "link_state", "link_token"]

    def _link(self, obj):
        return getattr(obj, "link", None) if hasattr(obj, "link") else None

    @extend_schema_field(serializers.DateTimeField())
    def get_sent_at(self, obj):
        return serializers.DateTimeField().to_representation(obj.sent_at or obj.created_at)

    def get_link_url(self, obj) -> str | None:
        link = self._link(obj)
        return (link.url or link.token) if link else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_link_expires_at(self, obj):
        link = self._link(obj)
        return serializers.DateTimeField().to_representation(link.expires_at) if link else None

    @extend_schema_field(serializers.ChoiceField(choices=["valid", "expired", "superseded", "used"], allow_null=True))
    def get_link_state(self, obj) -> str | None:
        now = self.context.get("now") or operator_now(self.context["request"].user)
        return obj.link_state_at(now)

    def get_link_token(self, obj) -> str | None:
        link = self._link(obj)
        return link.token if link else None


class SentMailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SentMailSerializer
    filterset_class = SentMailFilter
    write_permission = "can_write"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SentMail.objects.none()
        return SentMail.objects.visible_to(self.request.user).with_link().order_by("-created_at", "-id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": operator_now(self.request.user)}

    @extend_schema(request=inline_serializer("LinkFormData", {}),
                   responses=inline_serializer("LinkResult", {}))
    @action(detail=True, methods=["post"], url_path="open-link", filterset_class=None)
    def open_link(self, request, pk=None):
        """Follow the mail's link on the member's behalf; 409 link_expired / link_superseded / link_used."""
        # the body is parsed first: a malformed body is 400/413 whichever mail is named
        data = request.data.dict() if hasattr(request.data, "dict") else request.data
        data = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"} if isinstance(data, dict) else {}
        mail = self.get_object()
        link = getattr(mail, "link", None) if hasattr(mail, "link") else None
        if link is None:
            from backoffice.errors import NotFound

            raise NotFound(_("This mail carries no link."))
        result = services.link_follow(actor=request.user, token=link.token, data=data)
        return Response(result)
