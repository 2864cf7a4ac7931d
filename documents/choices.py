"""The kinds of enforcement documents (DOMAIN.md, "Documents") and the vocabularies of their service records.

The service methods themselves are patrol.choices.ServiceMethod (patrol.periods decides when each takes effect).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    FILING_APPROVAL = "filing_approval", _("立案审批表")
    INSPECTION_RECORD = "inspection_record", _("现场检查（勘验）笔录")
    INTERVIEW_RECORD = "interview_record", _("询问笔录")
    STOP_CONSTRUCTION_ORDER = "stop_construction_order", _("责令停止建设通知书")
    RECTIFICATION_ORDER = "rectification_order", _("责令限期改正通知书")
    INTENT_NOTICE = "intent_notice", _("行政处罚（拟作出决定）事先告知书")
    STATEMENT_RECORD = "statement_record", _("陈述申辩笔录")
    HEARING_NOTICE = "hearing_notice", _("听证通知书")
    HEARING_RECORD = "hearing_record", _("听证笔录")
    LEGAL_REVIEW_OPINION = "legal_review_opinion", _("法制审核意见书")
    COLLECTIVE_DISCUSSION_RECORD = "collective_discussion_record", _("集体讨论记录")
    DEMOLITION_DECISION = "demolition_decision", _("限期拆除决定书")
    REMINDER = "reminder", _("催告书")
    ENFORCEMENT_DECISION = "enforcement_decision", _("强制拆除决定书")
    ENFORCEMENT_ANNOUNCEMENT = "enforcement_announcement", _("强制拆除公告")
    COURT_ENFORCEMENT_APPLICATION = "court_enforcement_application", _("强制执行申请书")
    EXECUTION_RECORD = "execution_record", _("执行笔录")
    SERVICE_RECEIPT = "service_receipt", _("送达回证")
    CLOSING_APPROVAL = "closing_approval", _("结案审批表")
    DOSSIER_COVER = "dossier_cover", _("案卷封面与目录")


K = DocumentKind

# The 字 of a document number: 龙执〔2026〕限改字第3号. The six kinds the old Notice model also issues keep its 字.
ABBREVIATION = {
    K.FILING_APPROVAL: "立审",
    K.INSPECTION_RECORD: "检录",
    K.INTERVIEW_RECORD: "询录",
    K.STOP_CONSTRUCTION_ORDER: "停建",
    K.RECTIFICATION_ORDER: "限改",
    K.INTENT_NOTICE: "罚告",
    K.STATEMENT_RECORD: "申录",
    K.HEARING_NOTICE: "听通",
    K.HEARING_RECORD: "听录",
    K.LEGAL_REVIEW_OPINION: "法审",
    K.COLLECTIVE_DISCUSSION_RECORD: "集讨",
    K.DEMOLITION_DECISION: "限拆",
    K.REMINDER: "催告",
    K.ENFORCEMENT_DECISION: "强拆决",
    K.ENFORCEMENT_ANNOUNCEMENT: "强拆告",
    K.COURT_ENFORCEMENT_APPLICATION: "强执申",
    K.EXECUTION_RECORD: "执录",
    K.SERVICE_RECEIPT: "送",
    K.CLOSING_APPROVAL: "结审",
    K.DOSSIER_COVER: "卷",
}

# The sequence each kind numbers from. The kinds patrol.Notice issued before documents existed share its
# sequences (patrol.workflow._create_notice), so a Document never gets a number an old Notice already has.
SEQUENCE_SCOPE = {kind: f"document:{kind}" for kind in K}
SEQUENCE_SCOPE.update({
    K.STOP_CONSTRUCTION_ORDER: "notice:stop_construction",
    K.RECTIFICATION_ORDER: "notice:rectify",
    K.DEMOLITION_DECISION: "notice:demolish_within_deadline",
    K.REMINDER: "notice:demand",
    K.ENFORCEMENT_DECISION: "notice:enforcement_decision",
    K.ENFORCEMENT_ANNOUNCEMENT: "notice:enforcement_announcement",
})

# The title printed where it differs from the kind's name: the notice of intent is headed as the law calls it.
PRINTED_TITLE = {K.INTENT_NOTICE: "行政处罚事先告知书"}

# Documents served on the party (and so given a 送达回证); the others are internal records and forms.
SERVED_KINDS = frozenset({
    K.STOP_CONSTRUCTION_ORDER, K.RECTIFICATION_ORDER, K.INTENT_NOTICE, K.HEARING_NOTICE, K.DEMOLITION_DECISION,
    K.REMINDER, K.ENFORCEMENT_DECISION, K.ENFORCEMENT_ANNOUNCEMENT,
})

# Documents that give the party a deadline to comply: once one is effectively served, its deadline (counted from
# that day, 行政强制法 第69条) is the case's deadline — the one 逾期 is measured against.
DEADLINE_KINDS = frozenset({
    K.STOP_CONSTRUCTION_ORDER, K.RECTIFICATION_ORDER, K.DEMOLITION_DECISION, K.REMINDER, K.ENFORCEMENT_ANNOUNCEMENT,
})

# On-site records name the officers present with their 执法证号 (行政处罚法 第42、55条).
RECORD_KINDS = frozenset({
    K.INSPECTION_RECORD, K.INTERVIEW_RECORD, K.STATEMENT_RECORD, K.HEARING_RECORD, K.EXECUTION_RECORD,
    K.COLLECTIVE_DISCUSSION_RECORD,
})


class RecipientRelation(models.TextChoices):
    PARTY = "party", _("当事人本人")
    FAMILY = "family", _("同住成年家属")
    AGENT = "agent", _("委托代理人")
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人或负责人")


class ElectronicChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")
    PLATFORM = "platform", _("电子送达平台")
