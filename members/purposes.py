"""The mail-link purposes members/ owns (mail.links): what following each does is registered from
MembersConfig.ready() (services.applications.register, services.mypage.register)."""

EMAIL_VERIFICATION = "email_verification"  # APP-1: 「メールアドレス認証のご連絡」 → the application form
PASSWORD_RESET = "password_reset"  # MAIL-2: the password-reset mail → a new password for the A-Pass
EMAIL_CHANGE = "email_change"  # MAIL-2: [メールアドレス変更確定URL] → the A-Pass (and linked members') new e-mail
OPERATOR_PASSWORD_RESET = "operator_password_reset"  # seed 001 原因④: an operator's reset mail → a new password
