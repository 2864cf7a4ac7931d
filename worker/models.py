from django.db import models
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
