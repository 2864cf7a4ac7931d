"""What 执法公示 publishes and when (国办发〔2018〕118号; DOMAIN.md "执法公示")."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentKind

K = DocumentKind

# Working days (patrol.periods, the 调休 calendar) from the decision within which it must be public: the
# administrative-penalty and enforcement decisions within 7, other decisions within 20.
PUBLICATION_WINDOW_DAYS = {
    K.DEMOLITION_DECISION: 7,
    K.ENFORCEMENT_DECISION: 7,
    K.STOP_CONSTRUCTION_ORDER: 20,
    K.RECTIFICATION_ORDER: 20,
}
PUBLISHED_KINDS = tuple(PUBLICATION_WINDOW_DAYS)

# 行政执法决定被撤销的，应当在三日内撤回公示 (118号文): calendar days from the revocation being recorded.
WITHDRAWAL_DAYS = 3


class DecisionStatus(models.TextChoices):
    IN_FORCE = "in_force", _("有效")
    REVOKED = "revoked", _("已撤销")
    CARRIED_OUT = "carried_out", _("已执行")
