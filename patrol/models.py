"""The domain model of DOMAIN.md. Status never changes here: only patrol.workflow changes it."""
import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gis.constants import SRID
from gis.models import Jurisdiction, Village
from patrol.choices import (
    DEADLINE_STATUSES,
    OPEN_STATUSES,
    LEGAL_BASIS_RULES,
    PRE_DECISION_STATUSES,
    CampaignStatus,
    Category,
    LegalBasis,
    LocationSource,
    NoticeKind,
    PatrolKind,
    PhotoStage,
    Resolution,
    Role,
    ServiceMethod,
    Stage,
    Status,
    Structure,
    SummarySchedule,
)
from core.scoping import ScopedManager, ScopedQuerySet


class User(AbstractUser):
    """A member of one jurisdiction's team, with one role (DOMAIN.md, People)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.INSPECTOR)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="members",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    language = models.CharField(
        _("语言"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")], default="zh-hans"
    )
    # 执法证: on-site records and interviews name two officers with valid certificates (行政处罚法 第42条,
    # patrol.officers). Not required of every inspector here: a new member may wait for theirs, and is
    # simply not counted as an officer until it is recorded.
    certificate_number = models.CharField(
        _("执法证号"), max_length=32, blank=True,
        validators=[RegexValidator(r"^[0-9A-Za-z-]{6,32}$", _("执法证号只能包含字母、数字和连字符（6–32位）"))],
    )
    certificate_valid_until = models.DateField(_("执法证有效期至"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # Everyone but the IT admin works inside exactly one jurisdiction.
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN) | Q(jurisdiction__isnull=False),
                name="user_has_jurisdiction_unless_admin",
            ),
            models.UniqueConstraint(fields=["certificate_number"], condition=~Q(certificate_number=""),
                                    name="user_unique_certificate_number"),
        ]

    def __str__(self):
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username

    def clean(self):
        super().clean()
        # A certificate without its validity (or the reverse) cannot be checked on the day of a record.
        if self.certificate_number and self.certificate_valid_until is None:
            raise ValidationError({"certificate_valid_until": _("请填写执法证有效期")})
        if self.certificate_valid_until is not None and not self.certificate_number:
            raise ValidationError({"certificate_number": _("请填写执法证号")})

    @property
    def display_name(self):
        return str(self)


class Campaign(models.Model):
    """专项整治行动: a time-boxed drive over some villages and categories."""

    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="campaigns")
    name = models.CharField(_("行动名称"), max_length=200)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    villages = models.ManyToManyField(Village, verbose_name=_("涉及村"), blank=True, related_name="campaigns")
    area = models.MultiPolygonField(_("划定范围"), srid=SRID, null=True, blank=True)
    target_categories = models.JSONField(_("重点类别"), default=list, blank=True,
                                         help_text=_("为空表示全部类别"))
    status = models.CharField(_("状态"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.PLANNED)
    recipients = models.ManyToManyField(User, verbose_name=_("汇总接收人"), blank=True,
                                        related_name="summary_campaigns")
    summary_schedule = models.CharField(_("汇总发送"), max_length=10, choices=SummarySchedule.choices,
                                        default=SummarySchedule.WEEKLY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("专项整治行动")
        verbose_name_plural = _("专项整治行动")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"),
        ]

    def __str__(self):
        return self.name


class Patrol(models.Model):
    """巡查: one outing; a patrol that found nothing is still a record."""

    JURISDICTION_PATH = "jurisdiction"

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="patrols", db_index=False)  # patrol_jur_started starts with it
    inspector = models.ForeignKey(User, verbose_name=_("巡查人"), on_delete=models.PROTECT, related_name="patrols")
    kind = models.CharField(_("类型"), max_length=10, choices=PatrolKind.choices, default=PatrolKind.DAILY)
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项整治行动"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="patrols")
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    track = models.LineStringField(_("巡查轨迹"), srid=SRID, null=True, blank=True)
    distance_m = models.FloatField(_("巡查里程（米）"), default=0)
    # How many points the track holds and the time of its last one: a batch recorded after that time is appended
    # to the track as it is (patrol.patrols.record_track), instead of the track being rebuilt from every batch.
    track_points = models.PositiveIntegerField(_("轨迹点数"), default=0, editable=False)
    track_ends_at = models.DateTimeField(_("轨迹最后一点时间"), null=True, blank=True, editable=False)
    # The track's last point, kept beside it so that appending a batch never reads the track (ST_EndPoint would
    # fetch all of it: 1.6 MB at 100,000 points).
    track_end = models.PointField(_("轨迹终点"), srid=SRID, null=True, blank=True, editable=False)
    villages = models.ManyToManyField(Village, verbose_name=_("途经村"), blank=True, related_name="patrols")
    note = models.TextField(pgettext_lazy("patrol", "备注"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["jurisdiction", "started_at"], name="patrol_jur_started")]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="patrol_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.inspector} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class PatrolTrackBatch(models.Model):
    """One upload of GPS points of a patrol, kept as received.

    The phone numbers its uploads (``seq``) so that a retried upload is recognised; the patrol's track,
    distance and villages are rebuilt from all batches (patrol.patrols), so batches may arrive in any order.
    """

    JURISDICTION_PATH = "patrol__jurisdiction"

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE,
                               related_name="track_batches", db_index=False)  # indexed by its unique (patrol, seq)
    seq = models.PositiveIntegerField(_("批次序号"))
    points = models.JSONField(_("轨迹点"), default=list)
    # SHA-256 of the normalised points, so a retried upload can be told from a conflicting one.
    digest = models.CharField(max_length=64, editable=False)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("巡查轨迹批次")
        verbose_name_plural = _("巡查轨迹批次")
        ordering = ["patrol", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "seq"], name="track_batch_unique_seq_per_patrol"),
        ]

    def __str__(self):
        return f"{self.patrol} #{self.seq}"


class DocumentSequence(models.Model):
    """The last number handed out per jurisdiction, scope and year.

    Numbers are taken inside the transaction that uses them, with this row locked, so a rolled-back
    case or notice gives its number back: case references and notice numbers stay gap-free.
    """

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, db_index=False)  # sequence_unique_scope_year
    scope = models.CharField(max_length=40)  # "case" or a notice kind
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "scope", "year"], name="sequence_unique_scope_year"),
        ]


def overdue_q(today):
    """逾期, derived, never stored (DOMAIN.md): the case waits on a deadline (DEADLINE_STATUSES) that passed before
    ``today`` (a local date, Asia/Shanghai)."""
    return Q(status__in=DEADLINE_STATUSES, deadline__lt=today)


def is_overdue(status, deadline, today):
    """``overdue_q`` for a row already read (map points, ledger rows)."""
    return status in DEADLINE_STATUSES and deadline is not None and deadline < today


def late_q(today):
    """Late (DOMAIN.md): the 办案期限 of 行政处罚法 第60条 (90 days from 立案, or a recorded extension's end) passed
    before ``today`` without a 限期拆除决定."""
    return Q(status__in=PRE_DECISION_STATUSES, decision_due__lt=today)


class CaseQuerySet(ScopedQuerySet):
    def open(self):
        """Open until closed or dismissed."""
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        return self.filter(overdue_q(today or timezone.localdate()))

    def late(self, today=None):
        return self.filter(late_q(today or timezone.localdate()))


class Case(models.Model):
    """案件, starting as a finding (线索) logged in the field."""

    JURISDICTION_PATH = "jurisdiction"

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4,
                                   help_text=_("手机端生成，重试时保证不重复"))
    # No single-column index on these foreign keys: a composite index of Meta starts with each (migration 0026).
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT,
                                     related_name="cases", db_index=False)
    reference = models.CharField(_("案件编号"), max_length=40, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    seq = models.PositiveIntegerField(_("序号"), editable=False)

    location = models.PointField(_("位置"), srid=SRID)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True,
                                   validators=[MinValueValidator(0)])
    location_source = models.CharField(_("位置来源"), max_length=12, choices=LocationSource.choices,
                                       default=LocationSource.DEVICE_GPS)
    village = models.ForeignKey(Village, verbose_name=_("行政村"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="cases", db_index=False)
    address = models.CharField(_("地址或标志物"), max_length=200, blank=True)

    category = models.CharField(_("类别"), max_length=24, choices=Category.choices)
    stage = models.CharField(_("建设状态"), max_length=20, choices=Stage.choices)
    estimated_area_m2 = models.DecimalField(_("估算面积（㎡）"), max_digits=10, decimal_places=1, null=True,
                                            blank=True, validators=[MinValueValidator(0)])
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(50)])
    structure = models.CharField(_("结构"), max_length=24, choices=Structure.choices, blank=True)
    # 当事人: personal data, visible to the case's jurisdiction only.
    party_name = models.CharField(_("当事人"), max_length=100, blank=True)
    party_phone = models.CharField(_("当事人电话"), max_length=30, blank=True)
    description = models.TextField(_("情况描述"), blank=True, max_length=5000)

    campaign = models.ForeignKey(Campaign, verbose_name=_("专项整治行动"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="cases", db_index=False)
    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="cases")
    reported_by = models.ForeignKey(User, verbose_name=_("发现人"), on_delete=models.PROTECT,
                                    related_name="reported_cases", db_index=False)
    responsible = models.ForeignKey(User, verbose_name=_("责任人"), on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="responsible_cases", db_index=False)
    observed_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, editable=False)

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REPORTED,
                              editable=False)
    # Chosen at 立案 from the jurisdiction's bases; it decides who enforces (``route``). Empty before.
    legal_basis = models.CharField(_("法律依据"), max_length=20, choices=LegalBasis.choices, blank=True,
                                   editable=False)
    deadline = models.DateField(_("整改期限"), null=True, blank=True, editable=False)
    # 办案期限 (行政处罚法 第60条): the last day for the 限期拆除决定, set at 立案 and moved only by a recorded
    # extension (extend_case_period). Stored so that "late" is one indexed filter (late_q).
    decision_due = models.DateField(_("办案期限"), null=True, blank=True, editable=False)
    resolution = models.CharField(_("结案方式"), max_length=24, choices=Resolution.choices, blank=True,
                                  editable=False)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey("self", verbose_name=_("重复于"), on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="duplicates", editable=False)
    # The public notice (公告) of a forced-demolition decision starts the statutory waiting period.
    enforcement_announced_on = models.DateField(_("强制拆除公告日期"), null=True, blank=True, editable=False)
    # A recorded appeal (行政复议/诉讼) suspends enforcement until the legal reviewer lifts it.
    suspended = models.BooleanField(_("因申诉中止"), default=False, editable=False)
    # Optimistic locking: every change bumps it, and the API's ETag is built from it.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    # Hash of the content the phone sent, so a retried POST can be told from a conflicting one.
    submission_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = models.Manager.from_queryset(CaseQuerySet)()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["jurisdiction", "status"], name="case_jur_status"),
            # With the id: the ledger's default order (created_at, then id to break ties) and its pages come
            # straight from the index (patrol.ordering), as the deadline order does from the next.
            models.Index(fields=["jurisdiction", "created_at", "id"], name="case_jur_created_id"),
            models.Index(fields=["jurisdiction", "deadline", "id"], name="case_jur_deadline_id"),
            models.Index(fields=["village", "status"], name="case_village_status"),
            models.Index(fields=["campaign", "status"], name="case_campaign_status"),
            models.Index(fields=["responsible", "status"], name="case_responsible_status"),
            # The field page's lists (patrol.views.field_page): an inspector's newest findings, and the cases they
            # answer for that wait on a deadline, soonest first, each a short index range whatever the history.
            models.Index(fields=["reported_by", "created_at", "id"], name="case_reporter_created"),
            models.Index(fields=["responsible", "deadline", "id"], condition=Q(status__in=DEADLINE_STATUSES),
                         name="case_responsible_due"),
            # The KPIs of a period (patrol.kpis.period_sums): the cases closed in it, read from the index alone (the
            # measures name the status, so it is carried too).
            models.Index(fields=["jurisdiction", "closed_at"], condition=Q(status=Status.CLOSED),
                         include=["id", "created_at", "deadline", "resolution", "estimated_area_m2", "status"],
                         name="case_jur_closed"),
            # The strip's late count (late_q, 行政处罚法 第60条): the late cases' entries, not every open case's row;
            # with the id, the summary's set of late cases too (patrol.kpis._case_groups).
            models.Index(fields=["jurisdiction", "decision_due"], condition=Q(status__in=PRE_DECISION_STATUSES),
                         include=["id"], name="case_jur_late"),
            # The cases filed in a period are found by their 立案 events (event_filed_at); each is then checked for
            # its jurisdiction and closing from this index alone, not from the case's wide row (issue #20).
            models.Index(fields=["id"], include=["jurisdiction", "status", "closed_at"], name="case_id_kpi_cover"),
            # The map's list by deadline, open cases first (api.map.case_rows): the open ones in deadline order.
            models.Index(fields=["jurisdiction", "deadline", "id"], condition=Q(status__in=OPEN_STATUSES),
                         name="case_jur_open_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "year", "seq"], name="case_unique_seq"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="case_category_valid"),
            models.CheckConstraint(condition=Q(legal_basis="") | Q(legal_basis__in=LegalBasis.values),
                                   name="case_legal_basis_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[Status.CLOSED, Status.DISMISSED], resolution__gt="", closed_at__isnull=False)
                | (~Q(status__in=[Status.CLOSED, Status.DISMISSED]) & Q(resolution="")),
                name="case_resolution_iff_ended",
            ),
            models.CheckConstraint(condition=Q(estimated_area_m2__isnull=True) | Q(estimated_area_m2__gte=0),
                                   name="case_area_not_negative"),
            models.CheckConstraint(condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                                   name="case_accuracy_not_negative"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def route(self):
        """EnforcementRoute the legal basis implies (``self`` or ``court``), or None before 立案."""
        rule = LEGAL_BASIS_RULES.get(self.legal_basis)
        return rule.route if rule else None

    @property
    def overdue(self):
        return is_overdue(self.status, self.deadline, timezone.localdate())

    @property
    def late(self):
        return (self.status in PRE_DECISION_STATUSES and self.decision_due is not None
                and self.decision_due < timezone.localdate())

    @property
    def etag(self):
        return f'"{self.pk}-{self.version}"'


def photo_upload_to(photo, filename):
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}.get(
        photo.content_type, "bin")
    taken = timezone.localtime(photo.taken_at)
    return f"photos/{photo.case.jurisdiction.code}/{taken:%Y/%m}/{photo.client_uuid}.{extension}"


def thumbnail_upload_to(photo, filename):
    return f"thumbs/{photo.case.jurisdiction.code}/{photo.client_uuid}.jpg"


def display_upload_to(photo, filename):
    return f"display/{photo.case.jurisdiction.code}/{photo.client_uuid}.jpg"


class Photo(models.Model):
    """照片取证. The evidence columns never change and the row is never deleted (database triggers)."""

    JURISDICTION_PATH = "case__jurisdiction"
    EVIDENCE_COLUMNS = ("file", "sha256", "taken_at", "location", "accuracy_m")

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("原始文件"), upload_to=photo_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("文件大小"))
    taken_at = models.DateTimeField(_("拍摄时间"))
    location = models.PointField(_("拍摄位置"), srid=SRID, null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    stage = models.CharField(_("阶段"), max_length=12, choices=PhotoStage.choices, default=PhotoStage.BEFORE)
    exif = models.JSONField(_("EXIF 信息"), default=dict, blank=True)
    width = models.PositiveIntegerField(_("宽"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高"), null=True, blank=True)
    thumbnail = models.ImageField(_("缩略图"), upload_to=thumbnail_upload_to, null=True, blank=True, max_length=200)
    # Derived like the thumbnail (patrol.watermark): the photo with a band of time, position, case and taker, for
    # people to look at; the original above stays the evidence.
    display = models.ImageField(_("水印展示图"), upload_to=display_upload_to, blank=True, default="", max_length=200)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="photos")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["taken_at"]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="photo_sha256_hex"),
        ]
        # The thumbnail sweep (worker.tasks.make_missing_thumbnails, every minute) reads only the few photos
        # still without one, not every photo ever taken.
        indexes = [models.Index(fields=["uploaded_at"], condition=Q(thumbnail=""), name="photo_without_thumbnail"),
                   models.Index(fields=["uploaded_at"], condition=Q(display=""), name="photo_without_display")]

    def __str__(self):
        return f"{self.case} {self.get_stage_display()}"


class Notice(models.Model):
    """执法文书, numbered gap-free per jurisdiction, kind and year, with its service record (送达)."""

    JURISDICTION_PATH = "case__jurisdiction"

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="notices",
                             db_index=False)  # notice_unique_number_parts starts with it
    kind = models.CharField(_("文书种类"), max_length=30, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文书编号"), max_length=60, unique=True)
    issued_on = models.DateField(_("签发日期"))
    deadline = models.DateField(_("期限"), null=True, blank=True)
    service_method = models.CharField(_("送达方式"), max_length=20, choices=ServiceMethod.choices)
    served_on = models.DateField(_("送达日期"))
    service_photo = models.ForeignKey(Photo, verbose_name=_("送达照片"), on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="+")
    issued_by = models.ForeignKey(User, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")
        ordering = ["issued_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "year", "seq"], name="notice_unique_number_parts"),
            models.CheckConstraint(condition=Q(served_on__gte=models.F("issued_on")), name="notice_served_after_issue"),
        ]

    def __str__(self):
        return self.number


class CaseEvent(models.Model):
    """全过程记录: append-only (the database refuses UPDATE and DELETE) and hash-chained per case."""

    JURISDICTION_PATH = "case__jurisdiction"

    # Indexed by event_unique_seq_per_case, which starts with it (migration 0026).
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)
    seq = models.PositiveIntegerField(_("序号"))
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True,
                              related_name="+")
    created_at = models.DateTimeField(_("时间"))
    location = models.PointField(_("操作位置"), srid=SRID, null=True, blank=True)
    action = models.CharField(_("操作"), max_length=30)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    note = models.TextField(_("说明"), blank=True)
    payload = models.JSONField(_("详细内容"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64)
    # Not unique in the database (migration 0026): the hash covers the case and seq, which are unique together.
    hash = models.CharField(_("本记录哈希"), max_length=64)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_unique_seq_per_case")]
        # The KPIs (patrol.kpis): the cases filed (立案) in a period, and a case's 立案 time, both read from the index
        # alone (issue #20: reading them from the table's wide rows was most of a summary at a million cases).
        indexes = [
            models.Index(fields=["created_at"], include=["case"], condition=Q(action="file"), name="event_filed_at"),
            models.Index(fields=["case"], include=["created_at"], condition=Q(action="file"), name="event_filing_case"),
        ]

    def __str__(self):
        return f"{self.case} #{self.seq} {self.action}"


# --- API tokens: a user's credential for API clients; only a hash is stored, the token is shown once ---

TOKEN_PREFIX = "xc_"


def hash_token(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌开头"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.name} · {self.prefix}…"

    @classmethod
    def issue(cls, user, name):
        """Make a token and return ``(token_row, key)``; the key is never stored and cannot be shown again."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name[:100], key_hash=hash_token(key), prefix=key[:10])
        return row, key


# --- the map's rollup of cases per grid cell (patrol.rollup), maintained by a trigger on patrol_case ---


class CaseCell(models.Model):
    """How many cases of a jurisdiction lie in one cell of the rollup grid in one status, with the sums of their
    coordinates (for the centroid). Written only by the database trigger of migration 0014, in the transaction that
    writes the case; read by patrol.rollup. A count may reach 0 and stay as a row."""

    jurisdiction_id = models.BigIntegerField()
    gx = models.IntegerField()
    gy = models.IntegerField()
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0)
    sx = models.FloatField(default=0)
    sy = models.FloatField(default=0)

    class Meta:
        verbose_name = _("网格案件数")
        verbose_name_plural = _("网格案件数")
        constraints = [models.UniqueConstraint(fields=["jurisdiction_id", "gx", "gy", "status"],
                                               name="casecell_unique_key")]


class CaseFiling(models.Model):
    """How many cases of a jurisdiction were filed (立案, their ``file`` event) on a local day and closed on another
    (``closed_on``; NOT_CLOSED while the case is not closed): the KPI strip's filed and 整改率 of a period are sums of
    these rows (patrol.rollup.filings), not a join of the period's cases to their events. Written only by the database
    triggers of migration 0025, in the transaction that writes the event or the case (PostgreSQL)."""

    jurisdiction_id = models.BigIntegerField()
    filed_on = models.DateField()
    closed_on = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("立案结案日计数")
        verbose_name_plural = _("立案结案日计数")
        constraints = [models.UniqueConstraint(fields=["jurisdiction_id", "filed_on", "closed_on"],
                                               name="casefiling_unique_key")]


class CaseCellDeadline(models.Model):
    """How many cases of a cell wait on each deadline (status in DEADLINE_STATUSES, deadline set): the cell's
    overdue cases are those with a deadline before today. Written by the same trigger as CaseCell."""

    jurisdiction_id = models.BigIntegerField()
    gx = models.IntegerField()
    gy = models.IntegerField()
    deadline = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("网格期限案件数")
        verbose_name_plural = _("网格期限案件数")
        constraints = [models.UniqueConstraint(fields=["jurisdiction_id", "gx", "gy", "deadline"],
                                               name="casecelldeadline_unique_key")]
