"""The My Page simulator's pages (SIM-2), under /admin/simulation/mypage/."""

from django.urls import path

from . import mypage

urlpatterns = [
    path("", mypage.mypage_page, name="sim-mypage"),
    path("links/<str:token>/", mypage.link_page, name="sim-mypage-link"),
]
