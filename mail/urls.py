from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("sent-mails", api.SentMailViewSet, basename="sent-mail")

urlpatterns = [path("", include(router.urls))]
