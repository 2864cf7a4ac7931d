"""The domain's vocabularies (DOMAIN.md). Values are API identifiers; labels are what users see."""
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("执法队员")
    SUPERVISOR = "supervisor", _("中队长")
    LEGAL_REVIEWER = "legal_reviewer", _("法制审核员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("系统管理员")


class Status(models.TextChoices):
    """The states of DOMAIN.md "The statutory procedure", in procedure order."""

    REPORTED = "reported", _("待立案")
    FILED = "filed", _("已立案")
    ORDERED = "ordered", _("责令整改中")
    NOTIFIED = "notified", _("已事先告知")
    HEARING = "hearing", _("听证中")
    IN_REVIEW = "in_review", _("法制审核中")
    DECIDED = "decided", _("已作出限期拆除决定")
    SUSPENDED = "suspended", _("复议诉讼中止")
    REMINDED = "reminded", _("已催告")
    ENFORCEMENT_DECIDED = "enforcement_decided", _("已决定强制拆除")
    ANNOUNCED = "announced", _("已公告")
    COURT_PENDING = "court_pending", _("待法院裁定")
    COURT_GRANTED = "court_granted", _("法院准予执行")
    EXECUTED = "executed", _("已强制拆除")
    CLOSED = "closed", _("已结案")
    DISMISSED = "dismissed", pgettext_lazy("case status", "不予立案")


OPEN_STATUSES = [s for s in Status.values if s not in (Status.CLOSED, Status.DISMISSED)]
# Who works cases in the field: may be made responsible for one, logs findings and patrols, re-inspects.
FIELD_ROLES = frozenset({Role.INSPECTOR, Role.SUPERVISOR})

# The states in which the case waits for the party to comply by a deadline (case.deadline): 逾期 is derived
# from these alone (DOMAIN.md: "the case waits on a deadline that passed").
DEADLINE_STATUSES = (Status.ORDERED, Status.DECIDED, Status.REMINDED, Status.ANNOUNCED)

# The states before the 限期拆除决定: a case still here when its 办案期限 (Case.decision_due) has passed is late
# (行政处罚法 第60条).
PRE_DECISION_STATUSES = (Status.FILED, Status.ORDERED, Status.NOTIFIED, Status.HEARING, Status.IN_REVIEW)

# The states before #13's procedure. Old CaseEvents keep them (the record is append-only), so they are still
# shown by name; never assigned to a case again.
LEGACY_STATUS_LABELS = {
    "rectifying": _("整改中"),
    "escalated": _("待法制审核"),
}


def status_label(value):
    """What a status in a case or in an old event is called, including the states before #13."""
    if value in Status.values:
        return Status(value).label
    return LEGACY_STATUS_LABELS.get(value, value)


class Category(models.TextChoices):
    NEW_CONSTRUCTION = "new_construction", _("违法新建")
    EXTENSION = "extension", _("违法加建/扩建")
    TEMPORARY_STRUCTURE = "temporary_structure", _("乱搭乱盖/临时构筑物")
    CHANGE_OF_USE = "change_of_use", _("擅自改变用途")
    OTHER = "other", _("其他")


class Stage(models.TextChoices):
    UNDER_CONSTRUCTION = "under_construction", _("在建")
    COMPLETED = "completed", _("已建成")


class Structure(models.TextChoices):
    BRICK_CONCRETE = "brick_concrete", _("砖混")
    REINFORCED_CONCRETE = "reinforced_concrete", _("钢筋混凝土")
    STEEL = "steel", _("钢结构")
    COLOUR_STEEL = "colour_steel", _("彩钢板房")
    TIMBER = "timber", _("木结构")
    EARTH = "earth", _("土木/土坯")
    OTHER = "other", _("其他")


class LocationSource(models.TextChoices):
    DEVICE_GPS = "device_gps", _("手机定位")
    MAP_PICK = "map_pick", _("地图选点")
    PHOTO_EXIF = "photo_exif", _("照片位置信息")


class Resolution(models.TextChoices):
    RECTIFIED_BY_PARTY = "rectified_by_party", _("自行整改")
    DEMOLISHED_BY_PARTY = "demolished_by_party", _("自行拆除")
    LEGALIZED = "legalized", pgettext_lazy("resolution", "补办手续")
    FORCIBLY_DEMOLISHED = "forcibly_demolished", _("强制拆除")
    REVOKED = "revoked", _("决定被撤销")
    COURT_REFUSED = "court_refused", _("法院不准予执行")
    WITHDRAWN = "withdrawn", _("撤销立案")
    NOT_VIOLATION = "not_violation", _("不构成违法")
    DUPLICATE = "duplicate", _("重复线索")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("不属本辖区")


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("整改前")
    NOTICE = "notice", _("文书送达")
    AFTER = "after", _("整改后")
    DEMOLITION = "demolition", _("拆除")


class NoticeKind(models.TextChoices):
    STOP_CONSTRUCTION = "stop_construction", _("责令停止建设通知书")
    RECTIFY = "rectify", _("责令限期改正通知书")
    DEMOLISH_WITHIN_DEADLINE = "demolish_within_deadline", _("限期拆除决定书")
    DEMAND = "demand", _("催告书")
    ENFORCEMENT_DECISION = "enforcement_decision", _("强制拆除决定书")
    ENFORCEMENT_ANNOUNCEMENT = "enforcement_announcement", _("强制拆除公告")


# The 字 in a document number: 龙执〔2026〕限改字第3号.
NOTICE_KIND_ABBREVIATION = {
    NoticeKind.STOP_CONSTRUCTION: "停建",
    NoticeKind.RECTIFY: "限改",
    NoticeKind.DEMOLISH_WITHIN_DEADLINE: "限拆",
    NoticeKind.DEMAND: "催告",
    NoticeKind.ENFORCEMENT_DECISION: "强拆决",
    NoticeKind.ENFORCEMENT_ANNOUNCEMENT: "强拆告",
}


class ServiceMethod(models.TextChoices):
    IN_PERSON = "in_person", _("直接送达")
    LEFT_AT_PREMISES = "left_at_premises", _("留置送达")
    POST = "post", _("邮寄送达")
    PUBLIC_NOTICE = "public_notice", _("公告送达")
    # Last, so that older lists keep their order; only with the party's signed consent (行政处罚法 第61条).
    ELECTRONIC = "electronic", _("电子送达")


class ReinspectionResult(models.TextChoices):
    RECTIFIED = "rectified", _("已整改")
    PARTLY_RECTIFIED = "partly_rectified", _("部分整改")
    NOT_RECTIFIED = "not_rectified", _("未整改")


class DismissReason(models.TextChoices):
    NOT_VIOLATION = "not_violation", _("不构成违法建设")
    DUPLICATE = "duplicate", _("重复线索")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("不属本辖区")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class SummarySchedule(models.TextChoices):
    NONE = "none", _("不发送")
    DAILY = "daily", _("每天 08:00")
    WEEKLY = "weekly", _("每周一 08:00")
    MONTHLY = "monthly", _("每月1日 08:00")


class PatrolKind(models.TextChoices):
    DAILY = "daily", _("日常巡查")
    CAMPAIGN = "campaign", _("专项整治")


class EnforcementRoute(models.TextChoices):
    """Who carries out a demolition the party does not do: the body itself, or the court on its application."""

    SELF = "self", _("行政机关强制拆除")
    COURT = "court", _("申请人民法院强制执行")


class LegalBasis(models.TextChoices):
    """The law a case is decided under, chosen at 立案 (DOMAIN.md, "Legal basis"); it decides the route."""

    PLANNING_ART65 = "planning_art65", _("城乡规划法 第65条（乡村建设规划许可）")
    PLANNING_ART64 = "planning_art64", _("城乡规划法 第64、68条（建设工程规划许可）")
    LAND_ART78 = "land_art78", _("土地管理法 第78、83条（农村村民非法占地建住宅）")


@dataclass(frozen=True)
class LegalBasisRule:
    articles: str  # as documents cite them: always Chinese, so not translated
    route: str  # EnforcementRoute
    litigation_period: str  # the patrol.periods entry for the party's time to sue


LEGAL_BASIS_RULES = {
    # 第65条: the township orders and may demolish itself.
    LegalBasis.PLANNING_ART65: LegalBasisRule("《中华人民共和国城乡规划法》第六十五条", EnforcementRoute.SELF,
                                              "litigation"),
    # 第68条: the county government 责成 the departments concerned to demolish.
    LegalBasis.PLANNING_ART64: LegalBasisRule("《中华人民共和国城乡规划法》第六十四条、第六十八条",
                                              EnforcementRoute.SELF, "litigation"),
    # 第83条: no power to demolish: the body applies to the court; and the party has only 15 days to sue.
    LegalBasis.LAND_ART78: LegalBasisRule("《中华人民共和国土地管理法》第七十八条、第八十三条",
                                          EnforcementRoute.COURT, "litigation_land"),
}


class AppealKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", _("行政复议")
    LITIGATION = "litigation", _("行政诉讼")


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("维持")
    CHANGED = "changed", _("变更")
    REVOKED = "revoked", _("撤销")


class CourtRuling(models.TextChoices):
    GRANTED = "granted", _("准予执行")
    REFUSED = "refused", _("不准予执行")
