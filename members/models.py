"""Societies, operators, member types, members, their dated status history, numbers and adjustments."""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice import text
from backoffice.scoping import SocietyScopedQuerySet

# ---------------------------------------------------------------------------------------------------
# Societies and operators (SOC-1, SOC-3)
# ---------------------------------------------------------------------------------------------------


class SocietyQuerySet(SocietyScopedQuerySet):
    society_lookup = ""  # a society is its own scope


class Society(models.Model):
    class ContractStatus(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")
        SUSPENDED = "suspended", _("suspended for non-payment")

    name = models.CharField(_("society name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    contract_status = models.CharField(
        _("contract status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(_("fiscal year start month"), default=4)
    bank_account_text = models.TextField(_("bank account (printed on invoices)"), blank=True)
    accepted_payment_methods = models.JSONField(_("accepted payment methods"), default=list, blank=True)
    lapse_threshold_years = models.PositiveSmallIntegerField(_("unpaid years before lapse candidate"), default=2)
    is_sandbox = models.BooleanField(_("training sandbox"), default=False)
    #: SEC-6: the society's administrators must sign in with a second step (TOTP) at every door
    two_step_required_for_admins = models.BooleanField(_("two-step sign-in required for administrators"),
                                                       default=False)
    clock_offset = models.DurationField(_("simulation clock offset"), default=datetime.timedelta)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    # NUM-1: the society's member number format — a fixed prefix (may be empty), then digits; proposals are
    # zero-padded to ``member_number_digits``.
    member_number_prefix = models.CharField(_("member number prefix"), max_length=10, blank=True,
                                            validators=[RegexValidator(r"^[A-Za-z0-9-]*$")])
    member_number_digits = models.PositiveSmallIntegerField(_("member number digits"), default=6,
                                                            validators=[MinValueValidator(1), MaxValueValidator(12)])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SocietyQuerySet.as_manager()

    class Meta:
        verbose_name = _("society")
        verbose_name_plural = _("societies")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="society_fiscal_month_1_12",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def member_number_example(self) -> str:
        return self.member_number_prefix + "1".zfill(self.member_number_digits)


class OperatorQuerySet(SocietyScopedQuerySet):
    pass


class OperatorManager(BaseUserManager.from_queryset(OperatorQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username=username)

    def create_superuser(self, username=None, password=None, email=None, **extra):
        """``createsuperuser``: a platform superuser (no society) who signs in with 学会ID left empty. Created
        through the same service as every operator, so it is audited like them."""
        from members.services import operator_create  # services import the models: import at call time

        return operator_create(actor="system: createsuperuser", society=None, email=email or username,
                               password=password, role=Operator.Role.ADMIN, is_superuser=True,
                               name=extra.get("name", ""))


class Operator(AbstractBaseUser, PermissionsMixin):
    """A secretariat staff account. Belongs to one society (SOC-3); a platform superuser may have none."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        STAFF = "staff", _("staff")
        TRAINER = "trainer", _("trainer")
        VIEWER = "viewer", _("viewer")

    # Internal unique key "<society slug>/<e-mail>": e-mail is unique only within a society (SOC-5).
    username = models.CharField(max_length=320, unique=True, editable=False)
    society = models.ForeignKey(
        Society, verbose_name=_("society"), null=True, blank=True, on_delete=models.PROTECT, related_name="operators"
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("created at"), default=timezone.now)
    #: SOC-5, seed 001 cause ⑤: a deleted operator is kept (who deleted it and when) and can no longer sign in.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.CharField(_("deleted by"), max_length=255, blank=True)

    objects = OperatorManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["society__slug", "email"]
        constraints = [
            # SOC-5: unique among the society's live operators (a deleted one is kept and frees its e-mail)
            models.UniqueConstraint(fields=["society", "email"], condition=Q(deleted_at__isnull=True),
                                    name="operator_email_unique_in_society"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @staticmethod
    def make_username(society: Society | None, email: str) -> str:
        return f"{society.slug if society else '_platform'}/{text.normalize_email(email)}"

    def save(self, *args, **kwargs):
        self.email = text.normalize_email(self.email)
        self.username = self.make_username(self.society, self.email)
        if self.deleted_at is not None:  # kept under a key of its own, so that the e-mail can be used again
            self.username = f"{self.username}#deleted-{self.pk}"
        super().save(*args, **kwargs)

    def get_short_name(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    @property
    def is_staff(self) -> bool:  # every active operator may use the admin; roles decide what they can do
        return self.is_active

    # --- what a role may do (SOC-3). Views and the core ask these, never a role name. ---
    @property
    def sees_all_societies(self) -> bool:
        """A platform superuser without a society sees every society (SOC-3)."""
        return bool(self.is_active and self.is_superuser and self.society_id is None)

    @property
    def can_write(self) -> bool:
        """Day-to-day changes: everyone but a viewer."""
        return bool(self.is_active and (self.is_superuser or self.role != self.Role.VIEWER))

    @property
    def can_use_support(self) -> bool:
        """Act in the support console (start and answer cases, run an outcome's actions): whoever may write.
        A viewer reads cases and never acts."""
        return self.can_write

    @property
    def can_manage_settings(self) -> bool:
        """Operators, member types, the society's settings and corrections of member numbers."""
        return bool(self.is_active and (self.is_superuser or self.role == self.Role.ADMIN))

    @property
    def can_disclose_personal_data(self) -> bool:
        """SEC-5: produce a member's disclosure and read who opened their record: admins (and the platform)."""
        return self.can_manage_settings

    @property
    def can_manage_platform(self) -> bool:
        """A society's slug and contract status are the platform's to set, never the society's."""
        return bool(self.is_active and self.is_superuser)

    @property
    def can_use_training_tools(self) -> bool:
        """Move the simulation clock, reset scenarios, play the member: trainers and admins of a sandbox."""
        society = self.society
        return bool(
            self.is_active and society is not None and society.is_sandbox
            and (self.is_superuser or self.role in (self.Role.TRAINER, self.Role.ADMIN))
        )


# ---------------------------------------------------------------------------------------------------
# Members (MEM-1 … MEM-10)
# ---------------------------------------------------------------------------------------------------


class MemberTypeQuerySet(SocietyScopedQuerySet):
    pass


class MemberType(models.Model):
    society = models.ForeignKey(Society, verbose_name=_("society"), on_delete=models.PROTECT, related_name="member_types")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("member type name"), max_length=100)
    annual_fee = models.PositiveIntegerField(_("annual fee (yen)"))
    sort_order = models.PositiveSmallIntegerField(_("display order"), default=0)

    objects = MemberTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("member type")
        verbose_name_plural = _("member types")
        ordering = ["society", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["society", "code"], name="member_type_code_unique")]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    APPLYING = "applying", _("applying")
    ACTIVE = "active", _("joined / active")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXPELLED = "expelled", _("expelled")
    APPLICATION_WITHDRAWN = "application_withdrawn", _("application withdrawn")


# API.md Clarifications: status transitions. A member's first entry is always 申請中.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.APPLYING: {Status.ACTIVE, Status.APPLICATION_WITHDRAWN},
    Status.ACTIVE: {Status.WITHDRAWN, Status.EXPELLED},
    Status.WITHDRAWN: {Status.APPLYING},
    Status.EXPELLED: {Status.APPLYING},
    Status.APPLICATION_WITHDRAWN: {Status.APPLYING},
}
ENDED_STATUSES = {Status.WITHDRAWN, Status.EXPELLED, Status.APPLICATION_WITHDRAWN}


class APass(models.Model):
    """The shared login ID (A-Pass). The account itself and the linking come with the A-Pass issue; the
    member record already carries the link so the chain mark (鎖マーク) shows whatever it holds."""

    email = models.EmailField(_("e-mail"), unique=True)
    password = models.CharField(max_length=128, editable=False)
    recovery_contact = models.CharField(_("password-reset contact"), max_length=200, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = "A-Pass"
        verbose_name_plural = "A-Pass"
        constraints = [
            # APS-1: one A-Pass per address, compared case-insensitively (stored lower-case by save()).
            models.UniqueConstraint(Lower("email"), name="apass_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = text.normalize_email(self.email or "")
        super().save(*args, **kwargs)


class MemberQuerySet(SocietyScopedQuerySet):
    # The one society the rows are limited to (set by of_society), so that the search index is asked for that
    # society's rows only (members.selectors.search_members); None: not known to be one society's.
    search_society_id: int | None = None

    def _clone(self):
        clone = super()._clone()
        clone.search_society_id = self.search_society_id
        return clone

    def __or__(self, other):  # the union may hold other societies' rows
        combined = super().__or__(other)
        combined.search_society_id = None
        return combined

    def __xor__(self, other):
        combined = super().__xor__(other)
        combined.search_society_id = None
        return combined

    def of_society(self, society):
        """The members of ``society``, known to the search as one society's."""
        qs = self.filter(society=society)
        qs.search_society_id = society.pk
        return qs

    def with_current_status(self, today: datetime.date | dict[int, datetime.date]):
        """Annotate ``current_status`` (latest entry dated on or before today, MEM-4) in one query.

        ``today`` is one date, or a date per society id (each society's own clock, SIM-1)."""
        qs = self
        day = today
        if isinstance(today, dict):
            days = set(today.values())
            if len(days) <= 1:
                day = next(iter(days), datetime.date.min)
            else:  # the societies' clocks disagree (a sandbox offset): each member reads its own
                qs = qs.annotate(status_day=Case(*(When(society_id=sid, then=Value(d)) for sid, d in today.items()),
                                                 output_field=models.DateField()))
                day = OuterRef("status_day")
        latest = (
            MemberStatus.objects.filter(member=OuterRef("pk"), effective_date__lte=day)
            .order_by("-effective_date")
            .values("status")[:1]
        )
        return qs.annotate(current_status=Subquery(latest))

    def individuals(self):
        return self.filter(kind=Member.Kind.INDIVIDUAL)

    def corporates(self):
        return self.filter(kind=Member.Kind.CORPORATE)


class Member(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        CORPORATE = "corporate", _("corporate")

    society = models.ForeignKey(Society, verbose_name=_("society"), on_delete=models.PROTECT, related_name="members")
    kind = models.CharField(_("member kind"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    member_number = models.CharField(_("member number"), max_length=20, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    organization = models.CharField(_("organisation name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), max_length=254)
    member_type = models.ForeignKey(
        MemberType, verbose_name=_("member type"), on_delete=models.PROTECT, related_name="members"
    )
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    scheduled_withdrawal_date = models.DateField(_("scheduled withdrawal date"), null=True, blank=True)
    apass = models.ForeignKey(
        APass, verbose_name="A-Pass", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    apass_linked_at = models.DateTimeField(_("A-Pass linked at"), null=True, blank=True)
    # Derived search keys (MEM-10), kept in step by save().
    search_text = models.TextField(editable=False, default="")
    phone_digits = models.CharField(max_length=30, editable=False, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["society", "email"], name="member_email_unique_in_society"),
            models.UniqueConstraint(
                fields=["society", "member_number"],
                condition=Q(member_number__isnull=False),
                name="member_number_unique_in_society",
            ),
            models.UniqueConstraint(
                fields=["society", "apass"], condition=Q(apass__isnull=False), name="one_member_per_apass_in_society"
            ),
        ]
        indexes = [models.Index(fields=["society", "kind", "id"])]

    def __str__(self) -> str:
        """How a member is named wherever one is picked or listed (autocompletes, selects, lists, audit targets):
        the member number before the name, or — not numbered yet — the e-mail after it, so that namesakes (two
        青木 翼) never look the same. Both are unique in the society (NUM-2, MEM-3)."""
        return f"{self.member_number} {self.display_name}" if self.member_number else self.distinct_name

    @property
    def display_name(self) -> str:
        """The name (a corporate member's: its organisation's)."""
        return self.organization if self.kind == self.Kind.CORPORATE and self.organization else self.name

    @property
    def distinct_name(self) -> str:
        """The name for a list whose own column gives the member number: the e-mail beside it while there is none."""
        if self.member_number or not self.email:
            return self.display_name
        return f"{self.display_name} ({self.email})"

    @property
    def apass_linked(self) -> bool:
        return self.apass_id is not None

    def refresh_search_keys(self) -> None:
        self.email = text.normalize_email(self.email or "")
        self.search_text = " ".join(
            k for k in (text.search_key(self.name), text.search_key(self.name_kana), text.search_key(self.organization)) if k
        )
        self.phone_digits = text.phone_digits(self.phone or "")

    def save(self, *args, **kwargs):
        self.refresh_search_keys()
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"email", "search_text", "phone_digits", "updated_at"}
        super().save(*args, **kwargs)

    def status_on(self, day: datetime.date) -> str | None:
        entry = self.statuses.filter(effective_date__lte=day).order_by("-effective_date").first()
        return entry.status if entry else None


class CorporateMember(Member):
    """Proxy for [法人会員検索]."""

    class Meta:
        proxy = True
        verbose_name = _("corporate member")
        verbose_name_plural = _("corporate members")


class MemberStatus(models.Model):
    """One dated entry of [会員状況履歴] (MEM-4). Future-dated entries are scheduled changes."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("member status"), max_length=30, choices=Status.choices)
    effective_date = models.DateField(_("effective date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("member status entry")
        verbose_name_plural = _("member status history")
        ordering = ["member", "effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["member", "effective_date"], name="one_status_per_member_per_date"),
        ]
        # A member's status on a date is the latest entry on or before it (MEM-4): this index answers it without
        # reading the table on PostgreSQL (``include``; SQLite builds it without), once per member in a billing
        # run or a status search (bench/README.md, BIL-1).
        indexes = [models.Index(fields=["member", "-effective_date"], include=["status"],
                                name="member_status_on_date_idx")]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.get_status_display()}"


class MemberEmailChange(models.Model):
    """Kept history of a member's e-mail rewrites (MEM-3 release, APS-4 unlink)."""

    class Reason(models.TextChoices):
        RELEASED = "released", _("released for a new record")
        EDITED = "edited", _("edited by the secretariat")
        UNLINKED = "unlinked", _("A-Pass unlinked")
        MYPAGE = "mypage", _("changed by the member on My Page")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="email_changes")
    old_email = models.EmailField(_("old e-mail"))
    new_email = models.EmailField(_("new e-mail"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor_label = models.CharField(_("actor"), max_length=255)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail change")
        verbose_name_plural = _("e-mail changes")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}（{self.get_reason_display()}）"


class MemberAdjustment(models.Model):
    """会員調整額 (ADJ-1): one-time (一時, spent by the next invoice) or permanent (恒久). Signed yen."""

    class Kind(models.TextChoices):
        ONE_TIME = "one_time", _("one-time")
        PERMANENT = "permanent", _("permanent")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("adjustment kind"), max_length=20, choices=Kind.choices)
    amount = models.IntegerField(_("amount (yen)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    spent_at = models.DateTimeField(_("spent at"), null=True, blank=True)
    spent_reference = models.CharField(_("spent by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("member adjustment")
        verbose_name_plural = _("member adjustments")
        ordering = ["member", "created_at"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+,}円"


class MyPageSignIn(models.Model):
    """APS-6: one My Page sign-in attempt, with the reason diagnosed at the time. Never the typed password."""

    class Reason(models.TextChoices):
        OK = "ok", _("signed in")
        UNKNOWN_ID = "unknown_id", _("unknown ID")
        ID_WIDTH_OR_CASE = "id_width_or_case", _("ID typed in full width or another letter case")
        WRONG_PASSWORD = "wrong_password", _("wrong password")
        PASSWORD_CAPS_LOCK = "password_caps_lock", _("password typed with Caps Lock on")
        PASSWORD_WIDTH = "password_width", _("password typed in full width")
        NO_MEMBERSHIP_HERE = "no_membership_here", _("no membership in this society (another site)")
        NOT_ELIGIBLE = "not_eligible", _("membership not eligible for linking")
        RATE_LIMITED = "rate_limited", _("too many failed sign-ins")

    society = models.ForeignKey(Society, on_delete=models.CASCADE, related_name="mypage_sign_ins")
    apass = models.ForeignKey(APass, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_ins")
    member = models.ForeignKey("Member", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="mypage_sign_ins")
    typed_id = models.CharField(_("typed ID"), max_length=300)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    at = models.DateTimeField(_("time"))
    #: The client's address (REMOTE_ADDR, or X-Forwarded-For behind a trusted proxy): the per-address
    #: rate limit (API.md "Rate limits") counts the failures from it. Empty when unknown.
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("My Page sign-in")
        verbose_name_plural = _("My Page sign-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["apass", "at"]), models.Index(fields=["society", "at"]),
                   models.Index(fields=["society", "client_address", "at"], name="members_signin_address_at")]

    def __str__(self) -> str:
        return f"{self.typed_id}（{self.get_reason_display()}）"


class APassUnlink(models.Model):
    """APS-4: an unlink (ログイン情報の統合解除), kept for good. It also bars that A-Pass from this member."""

    member = models.ForeignKey("Member", on_delete=models.CASCADE, related_name="apass_unlinks")
    apass = models.ForeignKey(APass, on_delete=models.PROTECT, related_name="unlinks")
    old_email = models.EmailField(_("old e-mail"))
    new_email = models.EmailField(_("new e-mail"))
    actor_label = models.CharField(_("actor"), max_length=255)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("A-Pass unlink")
        verbose_name_plural = _("A-Pass unlinks")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "apass"], name="one_unlink_per_member_and_apass"),
        ]

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}"


class OperatorSignIn(models.Model):
    """SOC-4 … SOC-6, SEC-2: one operator sign-in attempt at one door, with its diagnosed reason (API.md "Sign-in
    reasons"). What a refused visitor is told is deliberately vague; the reason here is the full diagnosis that
    the ``operator-login`` flow reads. Never the typed password."""

    class Door(models.TextChoices):
        SOCIETY_PAGE = "society_page", _("society's operator sign-in page")
        GENERAL_PAGE = "general_page", _("general sign-in page")
        TOKEN = "token", _("API token")

    class Reason(models.TextChoices):
        OK = "ok", _("signed in")
        WRONG_LOGIN_PAGE = "wrong_login_page", _("an operator at the general sign-in page")
        OTHER_SOCIETY_PAGE = "other_society_page", _("another society's sign-in page")
        WRONG_PASSWORD = "wrong_password", _("wrong password")
        UNKNOWN_OPERATOR = "unknown_operator", _("unknown operator")
        DUPLICATE_EMAIL = "duplicate_email", _("two operators with one e-mail address")
        OPERATOR_DELETED = "operator_deleted", _("operator deleted or deactivated")
        CONTRACT_INACTIVE = "contract_inactive", _("society's contract cancelled or suspended")
        RATE_LIMITED = "rate_limited", _("too many failed sign-ins")
        OTP_REQUIRED = "otp_required", _("two-step code required")
        OTP_WRONG = "otp_wrong", _("wrong two-step code")

    #: the society of the page used (or named in the request); None for the platform's own accounts
    society = models.ForeignKey(Society, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="operator_sign_ins")
    #: the operator the attempt was diagnosed as (of any society — an operator at another society's page too)
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_ins")
    typed_email = models.CharField(_("typed e-mail address"), max_length=320)
    #: the typed e-mail normalized (half width, lower case): the per-account rate limit counts by it
    email_key = models.CharField(max_length=320, blank=True, editable=False)
    door = models.CharField(_("sign-in door"), max_length=20, choices=Door.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    at = models.DateTimeField(_("time"))
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    #: SOC-6 (seed 001 cause ②): the account this sign-in ended in the same browser
    ended_operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name=_("session ended"))

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("operator sign-in")
        verbose_name_plural = _("operator sign-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["society", "email_key", "at"], name="members_opsignin_account_at"),
                   models.Index(fields=["client_address", "at"], name="members_opsignin_address_at"),
                   models.Index(fields=["operator", "at"], name="members_opsignin_operator_at")]

    def __str__(self) -> str:
        return f"{self.typed_email}（{self.get_reason_display()}）"
class OperatorPasswordResetRequest(models.Model):
    """Seed 001 原因④: one request at a society's 「パスワードをお忘れですか?」 page, with what was done about it. The
    visitor is told the same whatever the outcome; the rate limit (SEC-2) counts these rows by typed address and by
    client address. Never a password; the mail itself is kept in the outbox (``mail.SentMail``)."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("reset mail sent")
        UNKNOWN_OPERATOR = "unknown_operator", _("unknown operator")
        OPERATOR_DELETED = "operator_deleted", _("operator deleted or deactivated")
        CONTRACT_INACTIVE = "contract_inactive", _("society's contract cancelled or suspended")
        RATE_LIMITED = "rate_limited", _("too many requests")

    society = models.ForeignKey(Society, on_delete=models.CASCADE, related_name="operator_password_resets",
                                verbose_name=_("society"))
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("operator"))
    typed_email = models.CharField(_("typed e-mail address"), max_length=320)
    #: the typed e-mail normalized: the per-account rate limit counts by it
    email_key = models.CharField(max_length=320, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    at = models.DateTimeField(_("time"))
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    mail_id = models.BigIntegerField(_("mail ID"), null=True, blank=True)

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("operator password reset request")
        verbose_name_plural = _("operator password reset requests")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["society", "email_key", "at"], name="members_oppwreset_account_at"),
                   models.Index(fields=["client_address", "at"], name="members_oppwreset_address_at")]

    def __str__(self) -> str:
        return f"{self.typed_email}（{self.get_outcome_display()}）"


class MemberAccessQuerySet(SocietyScopedQuerySet):
    pass


class MemberAccess(models.Model):
    """SEC-5 (個人情報保護法, records of use): one operator opened one member's record — its admin page, the API
    detail, the accesses or the disclosure. A log of its own, not the audit trail (nothing changed): one INSERT
    per opening (``members.services.member_access_record``)."""

    class Via(models.TextChoices):
        ADMIN = "admin", _("admin screen")
        API = "api", _("API")

    society = models.ForeignKey(Society, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="accesses")
    operator = models.ForeignKey("members.Operator", verbose_name=_("operator"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    operator_email = models.CharField(_("operator"), max_length=255)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    where = models.CharField(_("screen or endpoint"), max_length=100)
    at = models.DateTimeField(_("time"))  # society clock

    objects = MemberAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("access to a member's record")
        verbose_name_plural = _("accesses to members' records")
        indexes = [models.Index(fields=["member", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.operator_email} {self.where}"
