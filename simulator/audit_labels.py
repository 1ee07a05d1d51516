"""The simulator app's labels on the audit screens (registered from SimulatorConfig.ready())."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from backoffice import audit

from .models import MyPageNotice


def register() -> None:
    audit.register_action_labels({
        "simulator.notice.created": pgettext_lazy("audit action", "My Page notice registered"),
        "simulator.notice.updated": pgettext_lazy("audit action", "My Page notice changed"),
        "simulator.notice.moved": pgettext_lazy("audit action", "My Page notice moved"),
        "simulator.scenarios.reset": pgettext_lazy("audit action", "Scenarios reset"),
    })
    audit.register_field_labels("simulator.scenarios.reset",
                                {"scenario_members": pgettext_lazy("audit field", "Scenario members")})
    audit.register_target_models(MyPageNotice)
