from django.urls import path

from . import api
from . import billing_api

urlpatterns = [
    path("sim/clock/", api.ClockView.as_view(), name="sim-clock"),
    path("sim/apass/", api.APassCreateView.as_view(), name="sim-apass"),
    path("sim/mypage/login/", api.MyPageLoginView.as_view(), name="sim-mypage-login"),
    path("sim/applications/", api.ApplicationView.as_view(), name="sim-applications"),
    path("sim/links/<str:token>/", api.LinkFollowView.as_view(), name="sim-link-follow"),
    path("sim/mypage/password-reset/", api.PasswordResetView.as_view(), name="sim-mypage-password-reset"),
    path("sim/mypage/email-change/", api.EmailChangeView.as_view(), name="sim-mypage-email-change"),
    path("sim/mypage/invoices/", billing_api.MyPageInvoicesView.as_view(), name="sim-mypage-invoices"),
    path("sim/mypage/pay/", billing_api.MyPagePayView.as_view(), name="sim-mypage-pay"),
]
