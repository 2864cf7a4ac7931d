"""The vocabulary of 卫片执法 (DOMAIN.md). Values are API identifiers; labels are what users see."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class TubanStatus(models.TextChoices):
    """Where a 图斑 stands. ``rectified`` (整改销号) is never stored: it is what ``verified_illegal`` or
    ``already_handled`` shows once the linked case is closed (``TubanQuerySet.with_display_status``)."""

    PENDING = "pending", _("待核查")
    VERIFIED_ILLEGAL = "verified_illegal", _("核查违法")
    LEGAL = "legal", _("合法")
    NOT_CONSTRUCTION = "not_construction", _("非建设")
    ALREADY_HANDLED = "already_handled", _("已处理")
    RECTIFIED = "rectified", _("整改销号")


STORED_STATUSES = [s for s in TubanStatus.values if s != TubanStatus.RECTIFIED]
# A verified 图斑 whose linked case is closed is 整改销号.
LINKED_CASE_STATUSES = (TubanStatus.VERIFIED_ILLEGAL, TubanStatus.ALREADY_HANDLED)


class Verdict(models.TextChoices):
    """The result of the on-site check (自然资发〔2023〕258号: a 图斑 is only a lead until checked)."""

    ILLEGAL = "illegal", _("违法")
    LEGAL = "legal", _("合法")
    NOT_CONSTRUCTION = "not_construction", _("非建设")
    ALREADY_HANDLED = "already_handled", _("已处理")


VERDICT_STATUS = {
    Verdict.ILLEGAL: TubanStatus.VERIFIED_ILLEGAL,
    Verdict.LEGAL: TubanStatus.LEGAL,
    Verdict.NOT_CONSTRUCTION: TubanStatus.NOT_CONSTRUCTION,
    Verdict.ALREADY_HANDLED: TubanStatus.ALREADY_HANDLED,
}


class EvidenceKind(models.TextChoices):
    """The 举证 set: every 图斑 needs at least one of each."""

    FAR = "far", _("远景")
    NEAR = "near", _("近景")
    INSIDE = "inside", _("内部")
