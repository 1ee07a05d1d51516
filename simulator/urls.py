from django.urls import path

from . import api
from . import billing_api

urlpatterns = [
    path("sim/clock/", api.ClockView.as_view(), name="sim-clock"),
    path("sim/apass/", api.APassCreateView.as_view(), name="sim-apass"),
    path("sim/mypage/login/", api.MyPageLoginView.as_view(), name="sim-mypage-login"),
    path("sim/mypage/invoices/", billing_api.MyPageInvoicesView.as_view(), name="sim-mypage-invoices"),
    path("sim/mypage/pay/", billing_api.MyPagePayView.as_view(), name="sim-mypage-pay"),
]
