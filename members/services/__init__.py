"""Every write of the members app (DESIGN.md): keyword-only, with a required actor checked before anything is
touched, atomic, one audit entry per changed object. Split by concern; import from here."""

from ._common import MSG_EMAIL_IN_USE  # noqa: F401
from .apass import SignInResult, apass_create, apass_unlink, mypage_sign_in  # noqa: F401
from .adjustments import member_adjustment_add, member_adjustments_spend  # noqa: F401
from .applications import application_request, proxy_application_create  # noqa: F401
from .mypage import ResetReason, ResetResult, email_change_request, password_reset_request  # noqa: F401
from .members import EDITABLE_MEMBER_FIELDS, member_create, member_email_release, member_update  # noqa: F401
from .numbers import MSG_NUMBER_GAP, member_number_correct, member_numbers_assign  # noqa: F401
from .two_step import (  # noqa: F401
    two_step_check,
    two_step_disable,
    two_step_enrol_confirm,
    two_step_enrol_start,
    two_step_on,
    two_step_required,
)
from .operator_password import (  # noqa: F401
    PasswordResetRequestResult,
    operator_of_reset_link,
    operator_password_refusal,
    operator_password_reset,
    operator_password_reset_link,
    operator_password_reset_refusal,
    operator_password_reset_request,
)
from .signin import OperatorSignInResult, operator_sign_in, operator_sign_in_allowed  # noqa: F401
from .settings import (  # noqa: F401
    operator_delete,
    operator_delete_refusal,
    SOCIETY_PLATFORM_FIELDS,
    SOCIETY_SETTINGS,
    member_type_create,
    member_type_update,
    operator_create,
    operator_update,
    society_clock_move,
    society_create,
    society_update,
)
from .statuses import (  # noqa: F401
    member_application_withdraw,
    member_status_add,
    member_status_bulk_update,
    member_status_edit,
)
from .personal_data import member_access_record  # noqa: F401
