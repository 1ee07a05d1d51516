from django.urls import path

from . import api

urlpatterns = [
    path("sim/clock/", api.ClockView.as_view(), name="sim-clock"),
]
