"""Ledger exports too large to answer within a request."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_upload_to(job, filename):
    # A random name: the files hold personal data (当事人) and are only ever served through a view.
    return f"exports/{job.jurisdiction_id}/{uuid.uuid4().hex}.{job.format}"


class ExportJob(models.Model):
    """A ledger export (台账) too large to answer within the request, built by ``exports.services.run_export_job``
    (queued as ``worker.tasks.build_export``).

    The query string is the one the user sent (patrol.filters.CaseFilter and ``ordering``), so the file holds
    what the ledger page showed. ``updated_at`` moves with the progress: a running job whose ``updated_at``
    stops moving lost its worker and may be taken over.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="export_jobs")
    jurisdiction = models.ForeignKey("geo.Jurisdiction", verbose_name=_("执法单位"), on_delete=models.CASCADE,
                                     related_name="+")
    # A key of exports.formats.FORMATS, checked where a job is asked for: not DB choices, so a new format needs
    # no migration.
    format = models.CharField(_("格式"), max_length=10)
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
