from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from gis.constants import SRID
from core.scoping import ScopedManager
from patrol.choices import LegalBasis


def default_legal_bases():
    # 城乡规划法 第65条 is the township's own power; the others need a delegation the admin records.
    return [LegalBasis.PLANNING_ART65.value]


class Jurisdiction(models.Model):
    """执法单位: a township or zone with its own enforcement team; the unit of data isolation."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.CharField(
        _("简码"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,11}$", _("简码只能包含大写字母和数字，以字母开头"))],
        help_text=_("用于案件编号和文书编号，例如 LWG"),
    )
    doc_prefix = models.CharField(
        _("文书字号"), max_length=20, blank=True, help_text=_("执法文书编号中的机关代字，如“龙执”；为空时使用简码")
    )
    boundary = models.MultiPolygonField(_("辖区边界"), srid=SRID, null=True, blank=True)
    # Forced demolition waits for the appeal windows to pass (行政复议 60 days, 行政诉讼 6 months);
    # configurable because in-progress construction may be handled faster (城乡规划法 Art. 65, 68).
    demolition_wait_days = models.PositiveIntegerField(_("强制拆除等待期（天）"), default=183)
    # 行政强制法 Art. 43: no enforcement at night.
    enforcement_day_starts = models.TimeField(_("可执行开始时间"), default="08:00")
    enforcement_day_ends = models.TimeField(_("可执行结束时间"), default="18:00")

    # --- the statutory procedure (DOMAIN.md "Legal basis"): what differs by province and delegation ---
    legal_bases = models.JSONField(_("可适用的法律依据"), default=default_legal_bases,
                                   help_text=_("立案时可选择的法律依据，取决于本单位的职权和授权"))
    # Printed on every decision with the windows to apply and to sue (行政处罚法 第59条).
    reconsideration_body = models.CharField(_("行政复议机关"), max_length=100, blank=True,
                                            help_text=_("如“××县人民政府”，印在决定书的救济途径中"))
    court = models.CharField(_("管辖法院"), max_length=100, blank=True,
                             help_text=_("如“××县人民法院”，印在决定书上，也是申请强制执行的法院"))
    # 行政处罚法 第57条: 情节复杂或者重大违法行为 are decided by the body's leaders together (集体讨论).
    # Demolishing a building is among the heaviest penalties, so by default every demolition is "major";
    # a jurisdiction whose rules draw the line by size sets an area and clears the flag.
    major_case_area_m2 = models.DecimalField(
        _("重大案件面积标准（㎡）"), max_digits=10, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0)], help_text=_("估算面积达到此值的案件须集体讨论；为空表示不按面积"))
    major_case_any_demolition = models.BooleanField(_("拆除决定一律集体讨论"), default=True)
    # 行政处罚法 第60条: 90 days from 立案, unless a law, regulation or rule provides otherwise.
    decision_period_days = models.PositiveSmallIntegerField(
        _("办案期限（天）"), default=90, validators=[MinValueValidator(1), MaxValueValidator(365)])
    # The time a 事先告知书 gives for 陈述申辩: the law fixes none, so the same five working days as the
    # hearing request (行政处罚法 第64条), counted as working days (第85条). Up to ten, the counting of
    # 行政强制法 第69条 agrees.
    statement_window_days = models.PositiveSmallIntegerField(
        _("陈述申辩期限（工作日）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)])
    # How long the evidence (photos, videos, documents, the record) is kept. A case file of a penalty is
    # kept 30 years, the longer fixed term of the archives rules (国家档案局令第8号, 永久/30年/10年); a
    # jurisdiction whose archive keeps demolition files permanently raises it.
    evidence_retention_years = models.PositiveSmallIntegerField(
        _("证据保存年限"), default=30, validators=[MinValueValidator(1)])
    # 执法公示: a published decision is taken down after this many years (DOMAIN.md, default 5).
    disclosure_retention_years = models.PositiveSmallIntegerField(
        _("执法决定公示年限"), default=5, validators=[MinValueValidator(1)])
    # Some provinces keep a natural person's decision public for less time (e.g. 2 years) than an
    # organisation's; empty means the same as above.
    disclosure_retention_years_person = models.PositiveSmallIntegerField(
        _("自然人执法决定公示年限"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("当事人为自然人的决定公示满此年限后撤下；为空时与上一项相同"))

    # --- 执法公示 (事前公开): what the public page says of the enforcement body ---
    public_address = models.CharField(_("办公地址"), max_length=200, blank=True)
    public_phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    duties = models.TextField(_("执法职责"), blank=True,
                              help_text=_("公示的职责范围，每行一项；为空时按可适用的法律依据列出"))

    # --- evidence captured in the field (#15) ---
    # A finding saved from the phone's GPS needs a fix at least this good; otherwise the inspector places the
    # marker on the map (recorded as map_pick).
    finding_accuracy_max_m = models.PositiveSmallIntegerField(
        _("线索定位精度要求（米）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=_("手机定位精度达到此值才可保存线索；达不到时须在地图上选点"))
    # Photos of the site before anything changed (stage "before"): the field page asks for this many before a
    # finding can be saved, and 立案 is refused on a case without any photo.
    finding_min_photos = models.PositiveSmallIntegerField(
        _("线索至少照片数"), default=1, validators=[MaxValueValidator(10)],
        help_text=_("登记线索时至少须拍的现场照片张数；0 表示不要求"))
    # A 图斑 is checked on the spot (自然资发〔2023〕258号): the inspector's position must lie in the polygon or this
    # close to it, else the check records why not (a fenced site seen from the road).
    tuban_near_m = models.PositiveSmallIntegerField(
        _("图斑核查位置距离（米）"), default=50, validators=[MaxValueValidator(1000)],
        help_text=_("核查位置须在图斑内或距图斑不超过此距离，否则须说明原因；0 表示须在图斑内"))

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("执法单位")
        verbose_name_plural = _("执法单位")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        super().clean()
        bases = self.legal_bases if isinstance(self.legal_bases, list) else None
        if not bases or any(basis not in LegalBasis.values for basis in bases) or len(set(bases)) != len(bases):
            raise ValidationError({"legal_bases": _("请至少选择一项法律依据")})

    def allows_legal_basis(self, legal_basis):
        return legal_basis in self.legal_bases

    def is_major_case(self, *, area_m2=None, demolition=False):
        """Whether a case needs 集体讨论 before its decision under this jurisdiction's rule (第57条)."""
        if demolition and self.major_case_any_demolition:
            return True
        return self.major_case_area_m2 is not None and area_m2 is not None and area_m2 >= self.major_case_area_m2


class Village(models.Model):
    """行政村. A finding's village is derived from its point, never typed."""

    JURISDICTION_PATH = "jurisdiction"

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("执法单位"), on_delete=models.PROTECT, related_name="villages"
    )
    name = models.CharField(_("村名"), max_length=100)
    code = models.CharField(_("村代码"), max_length=32, blank=True, help_text=_("统计用区划代码，可空"))
    boundary = models.MultiPolygonField(_("村界"), srid=SRID)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")
        ordering = ["jurisdiction", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="village_unique_name_in_jurisdiction"),
        ]

    def __str__(self):
        return self.name
