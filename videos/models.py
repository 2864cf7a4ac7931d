"""音像记录: body-camera video files kept as evidence of on-site enforcement (DOMAIN.md, "Evidence rules").

A ``Video`` is written once, when its whole file has arrived and matched the SHA-256 the camera's phone sent;
the database refuses to delete it or change its evidence columns (migration 0002). A ``VideoUpload`` is the
transfer on its way: how many bytes have arrived (``offset``), kept in parts through the storage API so an
interrupted transfer resumes from there instead of starting again (videos.uploads).
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager

CONTENT_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/3gpp": "3gp", "video/x-msvideo": "avi",
                 "video/x-matroska": "mkv", "video/webm": "webm"}


def video_upload_to(video, filename):
    recorded = timezone.localtime(video.recorded_from or video.uploaded_at)
    extension = CONTENT_TYPES.get(video.content_type, "bin")
    return f"videos/{video.case.jurisdiction.code}/{recorded:%Y/%m}/{video.client_uuid}.{extension}"


class Video(models.Model):
    """执法记录仪视频. Never deleted; the evidence columns never change (database triggers)."""

    JURISDICTION_PATH = "case__jurisdiction"
    EVIDENCE_COLUMNS = ("client_uuid", "case", "file", "sha256", "content_type", "size_bytes", "filename",
                        "recorded_from", "recorded_to", "uploaded_by", "uploaded_at")

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    case = models.ForeignKey("patrol.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="videos")
    file = models.FileField(_("原始文件"), upload_to=video_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size_bytes = models.PositiveBigIntegerField(_("文件大小"))
    filename = models.CharField(_("原文件名"), max_length=200, blank=True)
    recorded_from = models.DateTimeField(_("录制开始"), null=True, blank=True)
    recorded_to = models.DateTimeField(_("录制结束"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="videos")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("视频")
        verbose_name_plural = _("视频")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="video_sha256_hex"),
            models.CheckConstraint(condition=Q(recorded_from__isnull=True) | Q(recorded_to__isnull=True)
                                   | Q(recorded_to__gte=F("recorded_from")), name="video_recorded_in_order"),
        ]

    def __str__(self):
        return f"{self.case} {self.filename or self.client_uuid}"


class VideoUpload(models.Model):
    """A video file on its way, in parts; it becomes a Video when the last byte arrived and the SHA-256 matched."""

    JURISDICTION_PATH = "case__jurisdiction"

    client_uuid = models.UUIDField(_("客户端编号"), unique=True)
    case = models.ForeignKey("patrol.Case", verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="video_uploads")
    filename = models.CharField(_("原文件名"), max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("文件大小"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=40)
    recorded_from = models.DateTimeField(_("录制开始"), null=True, blank=True)
    recorded_to = models.DateTimeField(_("录制结束"), null=True, blank=True)
    # Bytes received so far, all in whole parts: a chunk is stored entirely or not at all.
    offset = models.PositiveBigIntegerField(_("已接收字节"), default=0)
    parts = models.PositiveIntegerField(_("已接收分段"), default=0)
    video = models.OneToOneField(Video, verbose_name=_("视频"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="upload")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("视频上传")
        verbose_name_plural = _("视频上传")
        constraints = [
            models.CheckConstraint(condition=Q(offset__lte=F("size_bytes")), name="video_upload_offset_in_file"),
        ]

    def __str__(self):
        return f"{self.case} {self.filename} {self.offset}/{self.size_bytes}"

    @property
    def complete(self):
        return self.video_id is not None

    def part_name(self, index):
        return f"video-uploads/{self.case.jurisdiction.code}/{self.pk}/{index:06d}.part"
