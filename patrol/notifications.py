"""Which emails the case workflow decides to send, recorded in the deciding transaction (notifications.services)."""
from datetime import timedelta

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from patrol.choices import DEADLINE_STATUSES
from patrol.models import Case, User
from notifications.services import queue_delivery, record_email


def notify_assignment(case, inspector, event):
    """Tell an inspector a case is now theirs (call inside the assign transaction)."""
    if not inspector.email:
        return None
    with translation.override(inspector.language):
        delivery = record_email(
            key=f"assign:{event.pk}", recipient=inspector.email, language=inspector.language,
            subject=_("【巡查】案件 %(reference)s 已指派给您") % {"reference": case.reference},
            template="assignment", context={"case": case, "inspector": inspector, "event": event},
        )
    if delivery is not None:
        queue_delivery(delivery)
    return delivery


def record_daily_reminders(today):
    """Record today's reminder for every inspector with overdue cases or cases due tomorrow."""
    tomorrow = today + timedelta(days=1)
    # Overdue (patrol.models.overdue_q) or due by tomorrow.
    due = Q(status__in=DEADLINE_STATUSES, deadline__lte=tomorrow)
    ids = []
    for inspector in User.objects.filter(is_active=True, responsible_cases__in=Case.objects.filter(due)).distinct():
        cases = list(Case.objects.filter(due, responsible=inspector).select_related("village").order_by("deadline"))
        if not inspector.email or not cases:
            continue
        with translation.override(inspector.language):
            delivery = record_email(
                key=f"daily-reminder:{inspector.pk}:{today.isoformat()}", recipient=inspector.email,
                language=inspector.language,
                subject=_("【巡查】%(date)s 待办：%(overdue)d 件逾期，%(tomorrow)d 件明天到期") % {
                    "date": today.isoformat(), "overdue": sum(c.deadline < today for c in cases),
                    "tomorrow": sum(c.deadline == tomorrow for c in cases)},
                template="daily_reminder",
                context={"inspector": inspector, "today": today, "tomorrow": tomorrow,
                         "overdue": [c for c in cases if c.deadline < today],
                         "due_tomorrow": [c for c in cases if c.deadline == tomorrow],
                         "due_today": [c for c in cases if c.deadline == today]},
            )
        if delivery is not None:
            ids.append(delivery.pk)
    return ids
