from django.urls import path

from . import api

urlpatterns = [
    path("sim/clock/", api.ClockView.as_view(), name="sim-clock"),
    path("sim/apass/", api.APassCreateView.as_view(), name="sim-apass"),
    path("sim/mypage/login/", api.MyPageLoginView.as_view(), name="sim-mypage-login"),
]
