"""A notification to one recipient over one channel, recorded in the transaction that decided to send it."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    """One message to one recipient over one channel (``notifications.transports``).

    The key makes the decision idempotent (a task that runs twice finds the row); the status, changed under a
    row lock while sending, keeps two workers from both sending it. A beat task sends rows still pending, so a
    broker outage delays a message but does not lose it. ``payload`` is what the channel's transport needs to
    send it, recorded when it was decided (for email: subject, text and HTML bodies, attachments).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    # A transport's name (notifications.transports.TRANSPORTS); not DB choices, so a new channel needs no migration.
    channel = models.CharField(_("渠道"), max_length=20, default="email")
    key = models.CharField(_("去重键"), max_length=200, unique=True)
    # An address in the channel's own form: an email address for "email".
    recipient = models.CharField(_("收件人"), max_length=254)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最后错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送记录")
        verbose_name_plural = _("通知发送记录")
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created")]

    def __str__(self):
        return f"{self.channel} {self.recipient}: {self.title}"

    @property
    def title(self):
        """What the message is about, for lists (an email's subject)."""
        return self.payload.get("subject", "")
