"""Published entries of 执法公示: one per decision document, with what the public may read of it, masked once.

An entry is made (pending) by the daily task for every decision of a published kind (disclosure.choices), then
published, withdrawn when the decision is revoked, and taken down after the jurisdiction's retention: those are
dates on the row, never deletions, so the KPIs can count what happened. A supervisor may hold an entry back with a
recorded reason. What the public reads is a snapshot made when the entry was made (disclosure.masking): the case
and its party are never read by the public pages.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet
from disclosure.choices import PUBLISHED_KINDS, DecisionStatus
from documents.choices import DocumentKind
from patrol.choices import Category


class PublishedDecisionQuerySet(ScopedQuerySet):
    def public(self):
        """What the public pages list: published, not held back, not taken down (withdrawn ones stay, as a line)."""
        return self.filter(published_at__isnull=False, held_back_at__isnull=True, taken_down_at__isnull=True)

    def pending(self):
        return self.filter(published_at__isnull=True, withdrawn_at__isnull=True, taken_down_at__isnull=True)


class PublishedDecision(models.Model):
    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.ForeignKey("geo.Jurisdiction", verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="published_decisions", db_index=False)  # disclosure_public_list
    document = models.OneToOneField("documents.Document", verbose_name=_("决定书"), on_delete=models.PROTECT,
                                    related_name="disclosure")
    kind = models.CharField(_("决定种类"), max_length=40, choices=DocumentKind.choices)
    number = models.CharField(_("决定书编号"), max_length=80)
    decided_on = models.DateField(_("决定日期"))
    # The last day it may be published on (decided_on + the kind's window in working days).
    due_on = models.DateField(_("应公示截止日"))

    # --- the masked snapshot: all the public ever reads ---
    village = models.ForeignKey("geo.Village", verbose_name=_("行政村"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    village_name = models.CharField(_("行政村名称"), max_length=100, blank=True)
    party = models.CharField(_("当事人（已隐去）"), max_length=200, blank=True)
    party_is_person = models.BooleanField(_("当事人为自然人"), default=True)
    category = models.CharField(_("违法类别"), max_length=24, choices=Category.choices, blank=True)
    facts = models.TextField(_("违法事实（已隐去）"), blank=True)
    legal_basis = models.CharField(_("法律依据"), max_length=200, blank=True)
    decision = models.TextField(_("决定内容（已隐去）"), blank=True)
    status = models.CharField(_("决定状态"), max_length=12, choices=DecisionStatus.choices,
                              default=DecisionStatus.IN_FORCE)

    # --- its life on the public site ---
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回公示时间"), null=True, blank=True)
    taken_down_at = models.DateTimeField(_("到期撤下时间"), null=True, blank=True)
    held_back_at = models.DateTimeField(_("暂缓公示时间"), null=True, blank=True)
    held_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("暂缓公示决定人"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    held_back_reason = models.TextField(_("暂缓公示理由"), blank=True)
    # Earlier holds, ended: [{held_back_at, held_back_by, reason, released_at, released_by}].
    hold_history = models.JSONField(_("暂缓公示记录"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # Moves with every change a reader could see, on the real clock (never a test's or a backfill's): the public
    # pages' ETag is built from the jurisdiction's latest (one probe of the index below).
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = models.Manager.from_queryset(PublishedDecisionQuerySet)()

    class Meta:
        verbose_name = _("公示的执法决定")
        verbose_name_plural = _("公示的执法决定")
        ordering = ["-decided_on", "-id"]
        indexes = [
            # The public list: a jurisdiction's visible entries, newest decision first.
            models.Index(fields=["jurisdiction", "-decided_on", "-id"],
                         condition=Q(published_at__isnull=False, held_back_at__isnull=True,
                                     taken_down_at__isnull=True),
                         name="disclosure_public_list"),
            # The same, searched by village (the search the public makes most: "my village").
            models.Index(fields=["jurisdiction", "village", "-decided_on", "-id"],
                         condition=Q(published_at__isnull=False, held_back_at__isnull=True,
                                     taken_down_at__isnull=True),
                         name="disclosure_public_village"),
            # The feed: the most recently published first.
            models.Index(fields=["jurisdiction", "-published_at", "-id"],
                         condition=Q(published_at__isnull=False, held_back_at__isnull=True,
                                     taken_down_at__isnull=True),
                         name="disclosure_public_feed"),
            models.Index(fields=["jurisdiction", "due_on"], name="disclosure_jur_due"),
            models.Index(fields=["jurisdiction", "updated_at"], name="disclosure_jur_updated"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PUBLISHED_KINDS), name="disclosure_kind_published"),
            models.CheckConstraint(condition=Q(status__in=DecisionStatus.values), name="disclosure_status_valid"),
            # A hold names who and why.
            models.CheckConstraint(condition=Q(held_back_at__isnull=True)
                                   | (Q(held_back_by__isnull=False) & ~Q(held_back_reason="")),
                                   name="disclosure_hold_has_reason"),
        ]

    def __str__(self):
        return self.number

    @property
    def withdrawn(self):
        return self.withdrawn_at is not None

    def published_on_time(self):
        return self.published_at is not None and timezone.localdate(self.published_at) <= self.due_on
