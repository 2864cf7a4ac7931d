import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task; /healthz reports its age."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台任务心跳")
        verbose_name_plural = _("后台任务心跳")


class EmailDelivery(models.Model):
    """One email to one recipient, recorded in the transaction that decided to send it.

    The key makes the decision idempotent (a task that runs twice finds the row); the status, changed
    under a row lock while sending, keeps two workers from both sending it. A beat task sends rows
    still pending, so a broker outage delays an email but does not lose it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(_("去重键"), max_length=200, unique=True)
    recipient = models.EmailField(_("收件人"))
    subject = models.CharField(_("主题"), max_length=300)
    body_text = models.TextField(_("正文"))
    body_html = models.TextField(_("HTML 正文"), blank=True)
    attachments = models.JSONField(_("附件"), default=list, blank=True,
                                   help_text=_("[{name, path, mimetype}]，路径相对于 MEDIA_ROOT"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最后错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("邮件发送记录")
        verbose_name_plural = _("邮件发送记录")
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created")]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"


def export_upload_to(job, filename):
    # A random name: the files hold personal data (当事人) and are only ever served through a view.
    return f"exports/{job.jurisdiction_id}/{uuid.uuid4().hex}.{job.format}"


class ExportJob(models.Model):
    """A ledger export (台账) too large to answer within the request, built by ``worker.tasks.build_export``.

    The query string is the one the user sent (api.filters.CaseFilter and ``ordering``), so the file holds
    what the ledger page showed. ``updated_at`` moves with the progress: a running job whose ``updated_at``
    stops moving lost its worker and may be taken over.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel"
        CSV = "csv", "CSV"
        GEOJSON = "geojson", "GeoJSON"
        KML = "kml", "KML"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="export_jobs")
    jurisdiction = models.ForeignKey("geo.Jurisdiction", verbose_name=_("执法单位"), on_delete=models.CASCADE,
                                     related_name="+")
    format = models.CharField(_("格式"), max_length=10, choices=Format.choices)
    query = models.TextField(_("筛选条件"), blank=True)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    row_count = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=export_upload_to, max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导出任务")
        verbose_name_plural = _("台账导出任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"], name="export_status_updated")]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="export_progress_max_100")]

    def __str__(self):
        return f"{self.user} {self.format} {self.created_at:%Y-%m-%d %H:%M}"


from patrol.choices import SummarySchedule as SummaryFrequency  # noqa: E402 - kept with the models below
from patrol.scoping import ScopedManager  # noqa: E402


class Summary(models.Model):
    """汇总报告: the KPIs of a campaign or of a jurisdiction for one period, kept with its rendered files.

    A row is first recorded as requested (by the schedule sweep, or a supervisor's "send now"); the
    ``send_summary`` task then builds it once, under a lock of this row, and in the same transaction
    records one ``EmailDelivery`` per recipient (keyed by scope, kind, period and recipient), so a task
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
    deliveries = models.ManyToManyField(EmailDelivery, verbose_name=_("邮件"), blank=True, related_name="summaries")
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
    schedule = models.CharField(_("汇总发送"), max_length=10, choices=SummaryFrequency.choices,
                                default=SummaryFrequency.WEEKLY)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("汇总接收人"), blank=True,
                                        related_name="jurisdiction_summaries")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("辖区汇总发送设置")
        verbose_name_plural = _("辖区汇总发送设置")

    def __str__(self):
        return f"{self.jurisdiction} {self.get_schedule_display()}"
