"""Pagination that never runs an unbounded COUNT(*) (MEM-10: lists stay fast on large tables).

The total is counted up to ``COUNT_CAP`` rows; beyond that the API answers ``count: null`` and the admin
shows the cap. "Is there a next page?" is answered by fetching one row more than the page holds.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_CAP = 10_000
MAX_OFFSET = 2**62


def capped_count(queryset, cap: int | None = None) -> int | None:
    """Number of rows, or None when there are more than ``cap`` (default COUNT_CAP; one bounded query). Only the
    primary key is selected: the list's annotations (a member's current status: a subquery per row) are computed
    for the page, not for each of up to ``cap`` counted rows — unless a filter uses them."""
    cap = COUNT_CAP if cap is None else cap
    query = queryset.query
    if not (query.group_by or query.distinct or query.combinator or getattr(queryset, "_fields", None)):
        queryset = queryset.values("pk")  # one row per object: counting keys counts the same rows
    n = queryset.order_by()[: cap + 1].count()
    return None if n > cap else n


class CappedCountPaginator(Paginator):
    """Admin paginator: counts at most COUNT_CAP + 1 rows."""

    @cached_property
    def count(self) -> int:
        n = capped_count(self.object_list)
        self.is_capped = n is None
        return COUNT_CAP if n is None else n

    is_capped = False


class CappedPageNumberPagination(BasePagination):
    page_size = 50
    max_page_size = 500
    page_query_param = "page"
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            return self.page_size
        return max(1, min(size, self.max_page_size))

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except (TypeError, ValueError):
            raise NotFound(_("Invalid page."))
        offset = (number - 1) * size
        if number < 1 or offset > MAX_OFFSET:  # a huge OFFSET is a database error, not an empty page
            raise NotFound(_("Invalid page."))
        rows = list(queryset[offset : offset + size + 1])
        if number > 1 and not rows:
            raise NotFound(_("Invalid page."))
        self.has_next = len(rows) > size
        self.number = number
        self.count = capped_count(queryset)
        return rows[:size]

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        return Response(
            {"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
             "description": "Page number, from 1; a page past the end answers 404."},
            {"name": self.page_size_query_param, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
             "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size})."},
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "nullable": True},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
