from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False  # API.md has no "members.json" URLs; the views take no format argument
router.register("member-types", api.MemberTypeViewSet, basename="member-type")
router.register("members", api.MemberViewSet, basename="member")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("member-numbers/pending/", api.PendingNumbersView.as_view(), name="member-numbers-pending"),
    path("member-numbers/assign/", api.AssignNumbersView.as_view(), name="member-numbers-assign"),
    path("apass/lookup/", api.APassLookupView.as_view(), name="apass-lookup"),
    path("proxy-applications/", api.ProxyApplicationView.as_view(), name="proxy-applications"),
    path("", include(router.urls)),
]
