"""汇总报告 and who receives them when."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager
from notifications.models import Delivery
from patrol.choices import SummarySchedule




class Summary(models.Model):
    """汇总报告: the KPIs of a campaign or of a jurisdiction for one period, kept with its rendered files.

    A row is first recorded as requested (by the schedule sweep, or a supervisor's "send now"); the
    ``send_summary`` task then builds it once, under a lock of this row, and in the same transaction
    records one notification ``Delivery`` per recipient (keyed by scope, kind, period and recipient), so a task
    that runs twice, two beat processes or a worker killed half-way never send an email twice.
    """

    JURISDICTION_PATH = "jurisdiction"

    class Kind(models.TextChoices):
        DAILY = "daily", _("日报")
        WEEKLY = "weekly", _("周报")
        MONTHLY = "monthly", _("月报")
        CLOSEOUT = "closeout", _("总结报告")
        ON_DEMAND = "on_demand", _("即时汇总")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待生成")
        READY = "ready", _("已生成")

    jurisdiction = models.ForeignKey("geo.Jurisdiction", verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="summaries")
    campaign = models.ForeignKey("patrol.Campaign", verbose_name=_("专项整治行动"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="summaries")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    numbers = models.JSONField(_("指标"), default=dict, blank=True)
    # {"charts": {language: {"weekly": path, "villages": path}}, "ledger": path, "ledger_rows": n}; paths are
    # relative to MEDIA_ROOT (summaries/...) and served only through a view that checks the jurisdiction.
    files = models.JSONField(_("文件"), default=dict, blank=True)
    deliveries = models.ManyToManyField(Delivery, verbose_name=_("邮件"), blank=True, related_name="summaries")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    last_error = models.TextField(_("最后错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    built_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("汇总报告")
        verbose_name_plural = _("汇总报告")
        ordering = ["-period_end", "-created_at"]
        indexes = [models.Index(fields=["jurisdiction", "period_end"], name="summary_jur_period"),
                   models.Index(fields=["status", "created_at"], name="summary_status_created")]
        constraints = [
            # One summary per scope, kind and period (NULL campaigns are distinct in a plain unique index).
            models.UniqueConstraint(fields=["campaign", "kind", "period_start", "period_end"],
                                    condition=models.Q(campaign__isnull=False), name="summary_unique_campaign_period"),
            models.UniqueConstraint(fields=["jurisdiction", "kind", "period_start", "period_end"],
                                    condition=models.Q(campaign__isnull=True),
                                    name="summary_unique_jurisdiction_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="summary_period_ends_after_start"),
        ]

    def __str__(self):
        scope = self.campaign or self.jurisdiction
        return f"{scope} {self.get_kind_display()} {self.period_start}~{self.period_end}"

    @property
    def scope_key(self):
        return f"campaign-{self.campaign_id}" if self.campaign_id else f"jurisdiction-{self.jurisdiction_id}"


class JurisdictionSummarySchedule(models.Model):
    """Who receives a jurisdiction's own periodic summary and how often (a campaign keeps its own on Campaign).

    Read by the ``send_due_summaries`` sweep every few minutes, so a change counts without a restart.
    """

    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.OneToOneField("geo.Jurisdiction", verbose_name=_("执法单位"), on_delete=models.CASCADE,
                                        related_name="summary_schedule")
    schedule = models.CharField(_("汇总发送"), max_length=10, choices=SummarySchedule.choices,
                                default=SummarySchedule.WEEKLY)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("汇总接收人"), blank=True,
                                        related_name="jurisdiction_summaries")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("辖区汇总发送设置")
        verbose_name_plural = _("辖区汇总发送设置")

    def __str__(self):
        return f"{self.jurisdiction} {self.get_schedule_display()}"
