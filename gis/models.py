from django.contrib.gis.db import models
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from gis.constants import SRID
from patrol.scoping import ScopedManager


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
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("执法单位")
        verbose_name_plural = _("执法单位")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


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
