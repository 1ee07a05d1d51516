"""Billing API: lapse — GET /api/v1/lapse-candidates/ (MEM-9)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from backoffice.pagination import CappedPageNumberPagination
from members.api import society_of
from members.serializers import MemberSerializer

from .. import selectors


class LapseCandidatesView(APIView):
    """Members (joined/active) whose unpaid fiscal years — confirmed admission or annual invoices of years
    before the current one, 未入金 or 一部入金 — number at least the society's threshold. Paginated items
    ``{member, unpaid_years}``; withdrawing them is ``POST /api/v1/members/bulk-status/`` (or the screen
    会員資格喪失候補). Three queries per page whatever its size."""

    @extend_schema(responses=inline_serializer("LapseCandidatePage", {
        "count": serializers.IntegerField(allow_null=True), "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": inline_serializer("LapseCandidate", {
            "member": MemberSerializer(), "unpaid_years": serializers.ListField(child=serializers.IntegerField())},
            many=True),
    }))
    def get(self, request):
        society = society_of(request)
        paginator = CappedPageNumberPagination()
        page = paginator.paginate_queryset(selectors.lapse_candidates(society), request, view=self)
        members = selectors.with_unpaid_years(society, page)
        return paginator.get_paginated_response([
            {"member": MemberSerializer(m).data, "unpaid_years": m.unpaid_years} for m in members])


urlpatterns = [
    path("lapse-candidates/", LapseCandidatesView.as_view(), name="api-lapse-candidates"),
]
