"""My Page notices (SIM-4, seed 003 会員マイページお知らせに関すること): written by the secretariat, shown on My Page
in the order the secretariat sets — never sorted by date — with links allowed and no file uploads."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.scoping import SocietyScopedQuerySet


class MyPageNoticeQuerySet(SocietyScopedQuerySet):
    def in_display_order(self):
        return self.order_by("position", "id")


class MyPageNotice(models.Model):
    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.PROTECT,
                                related_name="mypage_notices")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), max_length=10_000, blank=True,
                            help_text=_("Plain text; web addresses (https://…) become links. Files cannot be "
                                        "placed on My Page: put the file on the society's server and write its "
                                        "address here."))
    published_on = models.DateField(_("publication date"))
    is_published = models.BooleanField(_("shown on My Page"), default=True)
    position = models.PositiveIntegerField(_("display order"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MyPageNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("My Page notice")
        verbose_name_plural = _("My Page notices")
        ordering = ["society", "position", "id"]
        indexes = [models.Index(fields=["society", "position"])]

    def __str__(self) -> str:
        return self.title


class ScenarioMember(models.Model):
    """A member built by the scenarios of a society (SIM-3): ``reset_scenarios`` removes exactly these (and what
    hangs off them) and builds them again; members the operators created are never listed here."""

    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.CASCADE,
                                related_name="+")
    member = models.OneToOneField("members.Member", verbose_name=_("member"), on_delete=models.CASCADE,
                                  related_name="scenario")
    key = models.CharField(_("scenario"), max_length=40)
    position = models.PositiveIntegerField(default=0)

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scenario member")
        verbose_name_plural = _("scenario members")
        ordering = ["society", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["society", "key"], name="scenario_member_one_per_key")]

    def __str__(self) -> str:
        return self.key
