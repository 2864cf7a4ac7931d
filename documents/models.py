"""执法文书 and their service records (DOMAIN.md, "Documents", "Service").

An issued document never changes: its number, content, PDF and SHA-256 are written once, in one INSERT, and the
database refuses to change or delete them (migration 0002). A service record keeps what happened at the door; only
a posted document's return-receipt date (and so its effective date) may be filled in once, later.
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentKind, ElectronicChannel, RecipientRelation
from patrol.choices import ServiceMethod
from core.scoping import ScopedManager


def document_upload_to(document, filename):
    return (f"documents/{document.case.jurisdiction.code}/{document.year}/"
            f"{document.kind}-{document.seq}-{document.sha256[:12]}.pdf")


class Document(models.Model):
    JURISDICTION_PATH = "case__jurisdiction"
    # What the database refuses to change once issued (migration 0002): every column of the row.
    EVIDENCE_COLUMNS = ("case", "kind", "year", "seq", "number", "issued_on", "issued_at", "content", "pdf",
                        "sha256", "deadline", "period_days", "issued_by")

    # Indexed by document_case_issued, which starts with it (migration 0006).
    case = models.ForeignKey("patrol.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="documents",
                             db_index=False)
    kind = models.CharField(_("文书种类"), max_length=40, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文书编号"), max_length=80, unique=True)
    issued_on = models.DateField(_("签发日期"))
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    # Everything printed, as printed: the PDF can be rebuilt from this row alone.
    content = models.JSONField(_("文书内容"), default=dict)
    pdf = models.FileField(_("PDF 文件"), upload_to=document_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # A fixed date, or a period counted from effective service (the document then says "自送达之日起N日内").
    deadline = models.DateField(_("期限"), null=True, blank=True)
    period_days = models.PositiveSmallIntegerField(_("期限天数"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.PROTECT,
                                  related_name="+")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["case", "issued_at"], name="document_case_issued")]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(condition=Q(period_days__isnull=True) | Q(period_days__gte=1),
                                   name="document_period_positive"),
        ]

    def __str__(self):
        return self.number

    @property
    def file_name(self):
        """What a download is called: the kind and the number, in Chinese."""
        return f"{self.get_kind_display()}（{self.number}）.pdf"


class ServiceRecord(models.Model):
    """One service (送达) of a document, with its 送达回证 (``receipt``, itself a numbered document)."""

    JURISDICTION_PATH = "document__case__jurisdiction"

    document = models.ForeignKey(Document, verbose_name=_("文书"), on_delete=models.PROTECT, related_name="services")
    method = models.CharField(_("送达方式"), max_length=20, choices=ServiceMethod.choices)
    # The day it was handed over, left, posted, sent, or published (by method).
    served_on = models.DateField(_("送达日期"))
    place = models.CharField(_("送达地点"), max_length=200, blank=True)
    recipient_name = models.CharField(_("受送达人"), max_length=100, blank=True)
    recipient_relation = models.CharField(_("与当事人关系"), max_length=24, choices=RecipientRelation.choices,
                                          blank=True)
    signature_photo = models.ForeignKey("patrol.Photo", verbose_name=_("签收照片"), on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    refused = models.BooleanField(_("拒绝签收"), default=False)
    witness_name = models.CharField(_("见证人"), max_length=100, blank=True)
    evidence_photo = models.ForeignKey("patrol.Photo", verbose_name=_("留置或公告照片"), on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+")
    tracking_number = models.CharField(_("邮件单号"), max_length=60, blank=True)
    receipt_date = models.DateField(_("回执签收日期"), null=True, blank=True)
    consent_photo = models.ForeignKey("patrol.Photo", verbose_name=_("电子送达确认书"), on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    channel = models.CharField(_("电子送达渠道"), max_length=20, choices=ElectronicChannel.choices, blank=True)
    address = models.CharField(_("电子送达地址"), max_length=200, blank=True)
    publication_place = models.CharField(_("公告地点"), max_length=200, blank=True)
    failure_reason = models.TextField(_("其他方式无法送达的原因"), blank=True)
    # Computed by patrol.periods.effective_on (never typed); null while a posted document waits for its receipt.
    effective_on = models.DateField(_("送达生效日期"), null=True, blank=True)
    receipt = models.OneToOneField(Document, verbose_name=_("送达回证"), on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="service_record")
    served_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("送达人"), on_delete=models.PROTECT,
                                  related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    note = models.TextField(_("备注"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ServiceMethod.values), name="service_method_valid"),
            models.CheckConstraint(condition=Q(effective_on__isnull=True) | Q(effective_on__gte=models.F("served_on")),
                                   name="service_effective_not_before_served"),
            models.CheckConstraint(condition=~Q(method=ServiceMethod.ELECTRONIC) | Q(consent_photo__isnull=False),
                                   name="service_electronic_needs_consent"),
        ]

    def __str__(self):
        return f"{self.document} {self.get_method_display()} {self.served_on}"

    @property
    def pending(self):
        return self.effective_on is None


def dossier_upload_to(job, filename):
    # A random name: the file holds personal data (当事人) and is only ever served through the API.
    return f"dossiers/{job.case_id}/{uuid.uuid4().hex}.pdf"


class DossierJob(models.Model):
    """The case file (案卷) of a case with many photos, built by a worker (``documents.dossier.run_dossier_job``,
    queued as ``worker.tasks.build_dossier``). One per version of the case: a case that changed gets a new file.
    ``updated_at`` moves with the progress: a running job whose ``updated_at`` stops lost its worker.
    """

    JURISDICTION_PATH = "case__jurisdiction"

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    case = models.ForeignKey("patrol.Case", verbose_name=_("案件"), on_delete=models.CASCADE,
                             related_name="dossier_jobs", db_index=False)  # dossier_job_one_per_case_version
    case_version = models.PositiveIntegerField(_("案件版本"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=dossier_upload_to, max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("案卷生成任务")
        verbose_name_plural = _("案卷生成任务")
        constraints = [
            models.UniqueConstraint(fields=["case", "case_version"], name="dossier_job_one_per_case_version"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="dossier_progress_max_100"),
        ]

    def __str__(self):
        return f"{self.case_id} v{self.case_version} {self.status}"


def signature_upload_to(signature, filename):
    drawn = timezone.localtime(signature.drawn_at)
    return f"signatures/{signature.case.jurisdiction.code}/{drawn:%Y/%m}/{signature.client_uuid}.png"


class Signature(models.Model):
    """签名: drawn with a finger on the phone by the party, a recipient or an officer, kept as evidence like a
    photo (PNG and its SHA-256, computed on the phone and checked here); or the signer's refusal, with the
    witness who saw it. Never changed or deleted (database triggers, migration 0005); documents place it by its
    SHA-256 (documents.images)."""

    JURISDICTION_PATH = "case__jurisdiction"
    EVIDENCE_COLUMNS = ("client_uuid", "case", "role", "signer_name", "officer", "refused", "witness_name", "file",
                        "sha256", "drawn_at", "uploaded_by", "uploaded_at")

    class Role(models.TextChoices):
        PARTY = "party", _("当事人")
        RECIPIENT = "recipient", _("受送达人")
        OFFICER = "officer", _("执法人员")

    client_uuid = models.UUIDField(_("客户端编号"), unique=True)
    case = models.ForeignKey("patrol.Case", verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="signatures")
    role = models.CharField(_("签名人身份"), max_length=12, choices=Role.choices)
    signer_name = models.CharField(_("签名人"), max_length=100)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("执法人员"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")
    refused = models.BooleanField(_("拒绝签名"), default=False)
    witness_name = models.CharField(_("见证人"), max_length=100, blank=True)
    file = models.FileField(_("签名图像"), upload_to=signature_upload_to, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("签名时间"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("签名")
        verbose_name_plural = _("签名")
        ordering = ["drawn_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["party", "recipient", "officer"]), name="signature_role_valid"),
            # A drawn signature has its image and hash; a refusal has neither, and names its witness.
            models.CheckConstraint(
                condition=(Q(refused=False, sha256__regex=r"^[0-9a-f]{64}$") & ~Q(file=""))
                | (Q(refused=True, sha256="", file="") & ~Q(witness_name="")),
                name="signature_drawn_or_refused_with_witness"),
        ]

    def __str__(self):
        return f"{self.case} {self.get_role_display()} {self.signer_name}"
