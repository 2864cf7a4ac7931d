"""图斑 batches from satellite monitoring and their on-site verification (DOMAIN.md "卫片执法").

A 图斑 is a verification task, not a case: only the verdict ``illegal`` makes a case, through
patrol.workflow.report_finding, and the case keeps its own record from then on.
"""
import uuid

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Case as When_, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager, ScopedQuerySet
from gis.constants import SRID
from gis.models import Jurisdiction, Village
from patrol.choices import Status
from patrol.models import Case, User
from tuban.choices import LINKED_CASE_STATUSES, STORED_STATUSES, EvidenceKind, TubanStatus, Verdict

class TubanColumns(models.Model):
    """A jurisdiction's own column names for its 图斑 files (when its province names them otherwise)."""

    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.OneToOneField(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.CASCADE,
                                        related_name="tuban_columns")
    columns = models.JSONField(_("字段对应"), default=dict, blank=True,
                               help_text=_("如 {\"TBBH\": \"JCBH\"}：标准字段名（TBBH、JCSJ、QSX、HSX、BHLX、MJ）对应本单位文件中的字段名"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("图斑字段对应")
        verbose_name_plural = _("图斑字段对应")

    def __str__(self):
        return str(self.jurisdiction)


class TubanBatch(models.Model):
    """一批图斑, as the natural-resources department sent it, with the date by which all must be checked."""

    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="tuban_batches")
    name = models.CharField(_("批次名称"), max_length=100)
    due_date = models.DateField(_("核查截止日期"), null=True, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    imported_by = models.ForeignKey(User, verbose_name=_("导入人"), on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    source_file = models.CharField(_("来源文件"), max_length=255, blank=True)
    source_srs = models.CharField(_("来源坐标系"), max_length=100, blank=True)
    columns = models.JSONField(_("字段对应"), default=dict, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("图斑批次")
        verbose_name_plural = _("图斑批次")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="tuban_batch_unique_name"),
        ]

    def __str__(self):
        return self.name

    def is_overdue(self, today=None):
        return self.due_date is not None and self.due_date < (today or timezone.localdate())


def rectified_q():
    """整改销号: verified illegal (or already handled) and the linked case closed."""
    return Q(status__in=LINKED_CASE_STATUSES, case__status=Status.CLOSED)


class TubanQuerySet(ScopedQuerySet):
    def with_display_status(self):
        return self.annotate(shown_status=When_(
            When(rectified_q(), then=Value(TubanStatus.RECTIFIED.value)), default="status",
            output_field=models.CharField()))

    def with_status(self, status):
        if status == TubanStatus.RECTIFIED:
            return self.filter(rectified_q())
        if status in LINKED_CASE_STATUSES:
            return self.filter(status=status).exclude(rectified_q())
        return self.filter(status=status)

    def pending(self):
        return self.filter(status=TubanStatus.PENDING)

    def overdue(self, today=None):
        """Still unchecked after the batch's due date (月清、季核)."""
        return self.pending().filter(batch__due_date__lt=today or timezone.localdate())


class Tuban(models.Model):
    """图斑: a change polygon to check on the spot."""

    JURISDICTION_PATH = "jurisdiction"

    batch = models.ForeignKey(TubanBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="tuban")
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="tuban")
    number = models.CharField(_("图斑编号"), max_length=64)
    polygon = models.MultiPolygonField(_("图斑范围"), srid=SRID)
    monitored_on = models.DateField(_("监测时间"), null=True, blank=True)
    before_imaged_on = models.DateField(_("前时相"), null=True, blank=True)
    after_imaged_on = models.DateField(_("后时相"), null=True, blank=True)
    change_type = models.CharField(_("变化类型"), max_length=100, blank=True)
    reported_area = models.FloatField(_("面积（原表）"), null=True, blank=True)
    area_m2 = models.FloatField(_("图形面积（㎡）"), default=0, validators=[MinValueValidator(0)])
    attributes = models.JSONField(_("其他属性"), default=dict, blank=True)
    feature_number = models.PositiveIntegerField(_("文件中序号"), default=0)
    village = models.ForeignKey(Village, verbose_name=_("行政村"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="tuban")
    assignee = models.ForeignKey(User, verbose_name=_("核查人"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="tuban")
    status = models.CharField(_("核查状态"), max_length=20, choices=TubanStatus.choices,
                              default=TubanStatus.PENDING, editable=False)
    case = models.ForeignKey(Case, verbose_name=_("关联案件"), on_delete=models.PROTECT, null=True, blank=True,
                             related_name="tuban", editable=False)
    created_at = models.DateTimeField(_("导入时间"), default=timezone.now, editable=False)

    objects = models.Manager.from_queryset(TubanQuerySet)()

    class Meta:
        verbose_name = _("图斑")
        verbose_name_plural = _("图斑")
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="tuban_unique_number_in_batch"),
            models.CheckConstraint(condition=Q(status__in=STORED_STATUSES), name="tuban_status_valid"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "status"], name="tuban_jur_status"),
            models.Index(fields=["batch", "status"], name="tuban_batch_status"),
            models.Index(fields=["assignee", "status"], name="tuban_assignee_status"),
        ]

    def __str__(self):
        return self.number

    @property
    def display_status(self):
        if self.status in LINKED_CASE_STATUSES and self.case_id and self.case.status == Status.CLOSED:
            return TubanStatus.RECTIFIED
        return self.status


def evidence_upload_to(photo, filename):
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}.get(
        photo.content_type, "bin")
    # Under photos/<code>/: evidence, locked on object storage like every photo (config.storage).
    return f"photos/{photo.tuban.jurisdiction.code}/tuban/{photo.tuban.batch_id}/{photo.client_uuid}.{extension}"


class TubanPhoto(models.Model):
    """举证照片: checked like a case photo (patrol.photos), with its kind and the direction the phone faced. Evidence
    like a case photo: the evidence columns never change and the row is never deleted (database triggers, migration
    0002)."""

    JURISDICTION_PATH = "tuban__jurisdiction"

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    tuban = models.ForeignKey(Tuban, verbose_name=_("图斑"), on_delete=models.PROTECT, related_name="photos")
    kind = models.CharField(_("举证类型"), max_length=10, choices=EvidenceKind.choices)
    file = models.FileField(_("原始文件"), upload_to=evidence_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("文件大小"))
    taken_at = models.DateTimeField(_("拍摄时间"))
    location = models.PointField(_("拍摄位置"), srid=SRID, null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    heading = models.FloatField(_("拍摄方向（度）"), null=True, blank=True,
                                validators=[MinValueValidator(0), MaxValueValidator(360)])
    exif = models.JSONField(_("EXIF 信息"), default=dict, blank=True)
    width = models.PositiveIntegerField(_("宽"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高"), null=True, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("举证照片")
        verbose_name_plural = _("举证照片")
        ordering = ["taken_at"]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="tuban_photo_sha256_hex"),
        ]

    def __str__(self):
        return f"{self.tuban} {self.get_kind_display()}"


class Verification(models.Model):
    """The on-site check of one 图斑: where the inspector stood, the verdict and what supports it."""

    JURISDICTION_PATH = "tuban__jurisdiction"

    client_uuid = models.UUIDField(_("客户端编号"), unique=True)
    tuban = models.OneToOneField(Tuban, verbose_name=_("图斑"), on_delete=models.PROTECT,
                                 related_name="verification")
    verdict = models.CharField(_("核查结果"), max_length=20, choices=Verdict.choices)
    location = models.PointField(_("核查位置"), srid=SRID, null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    distance_m = models.FloatField(_("距图斑距离（米）"), null=True, blank=True)
    position_reason = models.CharField(_("未到图斑的原因"), max_length=500, blank=True)
    permit_number = models.CharField(_("许可或批准文号"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    photos = models.ManyToManyField(TubanPhoto, verbose_name=_("举证照片"), related_name="+")
    verified_by = models.ForeignKey(User, verbose_name=_("核查人"), on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("核查时间"), default=timezone.now)
    submission_hash = models.CharField(max_length=64, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("图斑核查")
        verbose_name_plural = _("图斑核查")
        constraints = [
            models.CheckConstraint(condition=Q(verdict__in=Verdict.values), name="tuban_verdict_valid"),
        ]

    def __str__(self):
        return f"{self.tuban} {self.get_verdict_display()}"
