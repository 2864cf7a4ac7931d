"""Summaries (汇总报告): the KPIs of patrol.kpis for a campaign or a jurisdiction and one period, stored with their
charts and ledger, and emailed once per recipient and period (notifications)."""
import logging
from dataclasses import dataclass
from datetime import timedelta
from datetime import time as clock
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.queue import enqueue_on_commit
from disclosure import kpis as disclosure_kpis
from exports.formats import write_ledger_xlsx
from notifications.models import Delivery
from notifications.services import record_email
from patrol.choices import OPEN_STATUSES, CampaignStatus, Role, SummarySchedule
from patrol.errors import Conflict, InvalidInput, NotAllowed, NotFound
from patrol.kpis import Period, Scope, build_summary, current_period
from patrol.models import Campaign, User
from summaries import charts
from summaries.models import JurisdictionSummarySchedule, Summary
from summaries.presentation import summary_context, summary_title
from tuban.selectors import summary_batches as tuban_batches

logger = logging.getLogger(__name__)

# Scheduled summaries go out at 08:00 local time: daily for the day before, weekly on Monday for the week
# before (Monday to Sunday), monthly on the 1st for the month before (patrol.choices.SummarySchedule).
SEND_AT = clock(8, 0)
# A closed campaign gets its close-out report if it ended within this many days (not every old campaign
# the first time this runs).
CLOSEOUT_WITHIN_DAYS = 30
# A requested summary still not built after this long lost its task (broker down, worker died): queue it again.
REQUEUE_AFTER = timedelta(minutes=2)


# --- recording, building and sending ----------------------------------------------------------------------


def request_summary(*, scope, kind, period, requested_by=None):
    """Record that this summary is wanted; idempotent. Returns ``(summary, created)``; the caller queues it."""
    summary, created = Summary.objects.get_or_create(
        jurisdiction=scope.jurisdiction, campaign=scope.campaign, kind=kind, period_start=period.start,
        period_end=period.end, defaults={"requested_by": requested_by})
    return summary, created


def queue_summary(summary):
    """Send ``send_summary`` after commit; if the broker is down, ``request_due_summaries`` queues it later."""
    enqueue_on_commit("worker.tasks.send_summary", summary.pk)


def produce_summary(summary_id, *, now=None):
    """Build the summary if it is not built yet and record one email per recipient that has none; return the
    ids of its emails still to send. Safe to run twice, and in two workers at once: the summary row is locked
    and every email is keyed by scope, kind, period and recipient, all in one transaction."""
    with transaction.atomic():
        summary = (Summary.objects.select_for_update(of=("self",)).select_related("jurisdiction", "campaign")
                   .filter(pk=summary_id).first())
        if summary is None:
            return []
        recipients = list(recipients_for(summary))
        if summary.status == Summary.Status.REQUESTED:
            _build(summary, recipients, now=now)
        for user in recipients:
            _record_summary_email(summary, user, _email_key(summary, user))
    return list(summary.deliveries.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True))


def _email_key(summary, user, resend=None):
    """The key of one summary email: once per scope, kind, period and recipient; a resend adds the id the client
    made for that request, so the same request arriving twice (a double tap, a retry) is one email."""
    key = f"summary:{summary.scope_key}:{summary.kind}:{summary.period_start}:{summary.period_end}:{user.pk}"
    return f"{key}:resend:{resend}" if resend else key


def _record_summary_email(summary, user, key):
    """Record the summary's email to ``user`` under ``key`` (in the caller's transaction); None if recorded before."""
    with translation.override(user.language):
        attachments = _attachments(summary, user)
        delivery = record_email(key=key, recipient=user.email, language=user.language,
                                subject=summary_title(summary), template="summary",
                                context=_email_context(summary, attachments), attachments=attachments)
    if delivery is not None:
        summary.deliveries.add(delivery)
    return delivery


def recipients_for(summary):
    if summary.campaign_id:
        users = summary.campaign.recipients.all()
    else:
        schedule = JurisdictionSummarySchedule.objects.filter(jurisdiction_id=summary.jurisdiction_id).first()
        users = schedule.recipients.all() if schedule else User.objects.none()
    # Never outside the jurisdiction, whatever the admin picked.
    return users.filter(is_active=True, jurisdiction_id=summary.jurisdiction_id).exclude(email="").order_by("pk")


def summary_numbers(scope, period, *, now=None):
    """A summary's KPIs: the cases' (patrol.kpis.build_summary) with 公示及时率 (disclosure.kpis). What a built summary
    stores and what the API computes on demand (GET /api/v1/campaigns/{id}/summary/) for the same scope and period."""
    numbers = build_summary(scope, period, now=now)
    return disclosure_kpis.add_to_summary(numbers, scope, period, timezone.localdate(now))


def _build(summary, recipients, *, now=None):
    scope, period = Scope.of(summary), Period(summary.period_start, summary.period_end)
    numbers = summary_numbers(scope, period, now=now)
    earlier = (Summary.objects.filter(jurisdiction_id=summary.jurisdiction_id, campaign_id=summary.campaign_id,
                                      kind=summary.kind, period_end=period.start - timedelta(days=1),
                                      status=Summary.Status.READY).values_list("numbers", flat=True).first())
    if earlier:
        overall = numbers["overall"]
        overall["previous"]["overdue_now"] = earlier["overall"]["current"]["overdue_now"]
        overall["change"]["overdue_now"] = overall["current"]["overdue_now"] - overall["previous"]["overdue_now"]
    if summary.campaign_id is None:  # 卫片图斑 batches are the jurisdiction's, not a campaign's
        numbers["tuban"] = tuban_batches(summary.jurisdiction_id, period.end)
    summary.numbers = numbers
    summary.files = _render_files(summary, scope, period, {settings.LANGUAGE_CODE, *(u.language for u in recipients)})
    summary.status, summary.built_at, summary.last_error = Summary.Status.READY, timezone.now(), ""
    summary.save(update_fields=["numbers", "files", "status", "built_at", "last_error"])
    if summary.files.get("ledger_pending"):
        enqueue_on_commit("worker.tasks.build_summary_ledger", summary.pk)


def _folder(summary):
    return f"summaries/{summary.jurisdiction.code}/{summary.pk}"


def _store(name, data):
    # The same name every time, so a rebuild after a crash replaces its files instead of adding new ones.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def _render_files(summary, scope, period, languages):
    folder = _folder(summary)
    files = {"charts": {}}
    for language in sorted(languages):
        with translation.override(language):
            files["charts"][language] = {
                "weekly": _store(f"{folder}/{language}-weekly.png", charts.weekly_chart(summary.numbers["weekly"])),
                "villages": _store(f"{folder}/{language}-villages.png",
                                   charts.village_chart(summary.numbers["by_village"])),
            }
    rows = ledger_cases(scope, period).count()
    files["ledger_rows"] = rows
    files["ledger_in_email"] = rows <= settings.SUMMARY_LEDGER_ATTACH_MAX_ROWS
    if files["ledger_in_email"]:
        files["ledger"], files["ledger_rows"] = _store_ledger(summary, scope, period)
    else:
        # Too large to mail: built by its own task once the summary is out (build_summary_ledger); the email
        # links to it on the summary page, which says "being prepared" until then.
        files["ledger_pending"] = True
    return files


def _store_ledger(summary, scope, period):
    with translation.override(settings.LANGUAGE_CODE):
        data, rows = _ledger_xlsx(summary, scope, period)
    return _store(f"{_folder(summary)}/ledger.xlsx", data), rows


def build_summary_ledger(summary_id):
    """Build the ledger of a summary too large for its email (worker.tasks.build_summary_ledger); once only, and
    harmless when run twice or after a crash (the file is written under the same name)."""
    with transaction.atomic():
        summary = (Summary.objects.select_for_update(of=("self",)).select_related("jurisdiction", "campaign")
                   .filter(pk=summary_id).first())
        if summary is None or not summary.files.get("ledger_pending"):
            return False
        path, rows = _store_ledger(summary, Scope.of(summary), Period(summary.period_start, summary.period_end))
        files = {**summary.files, "ledger": path, "ledger_rows": rows}
        files.pop("ledger_pending")
        summary.files = files
        summary.save(update_fields=["files"])
    return True


def ledger_cases(scope, period):
    """A campaign's ledger holds all its cases; a jurisdiction's, those registered or closed in the period and
    those still open."""
    if scope.campaign is not None:
        return scope.cases()
    lo, hi = period.bounds()
    return scope.cases().filter(Q(created_at__gte=lo, created_at__lt=hi) | Q(closed_at__gte=lo, closed_at__lt=hi)
                                | Q(status__in=OPEN_STATUSES))


def _ledger_xlsx(summary, scope, period):
    # The ledger page's own Excel format (exports.formats).
    out = BytesIO()
    title = _("%(scope)s 案件台账（%(start)s 至 %(end)s）") % {
        "scope": scope.name, "start": period.start.isoformat(), "end": period.end.isoformat()}
    rows = write_ledger_xlsx(ledger_cases(scope, period).order_by("created_at", "pk"), out,
                             site_url=settings.SITE_URL, title=title)
    return out.getvalue(), rows


def chart_cid(summary, name):
    """The Content-ID of a chart inside the summary's email: stable, so the HTML recorded with the email and the
    image part built when it is sent always agree."""
    return f"{name}.summary-{summary.pk}@xuncha"


def _attachments(summary, user):
    """The email's files: the charts, shown inline in the HTML body (by Content-ID), and the ledger attached."""
    charts_ = summary.files.get("charts", {})
    chosen = charts_.get(user.language) or charts_.get(settings.LANGUAGE_CODE) or {}
    period = f"{summary.period_start:%Y%m%d}-{summary.period_end:%Y%m%d}"
    attachments = [
        {"name": f"{_('每周新发现与结案')}-{period}.png", "path": chosen["weekly"], "mimetype": "image/png",
         "cid": chart_cid(summary, "weekly")},
        {"name": f"{_('各村情况')}-{period}.png", "path": chosen["villages"], "mimetype": "image/png",
         "cid": chart_cid(summary, "villages")},
    ] if chosen else []
    if summary.files.get("ledger") and summary.files.get("ledger_in_email", True):
        attachments.append({"name": f"{_('案件台账')}-{summary.jurisdiction.code}-{period}.xlsx",
                            "path": summary.files["ledger"],
                            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    return attachments


def _email_context(summary, attachments):
    """The page's context, plus the inline charts (``cid`` and ``title``) the HTML email shows."""
    titles = {chart_cid(summary, "weekly"): _("每周新发现与结案"),
              chart_cid(summary, "villages"): _("各村本期新发现、结案与当前逾期")}
    charts_ = [{"cid": item["cid"], "title": titles[item["cid"]]} for item in attachments if item.get("cid")]
    return {**summary_context(summary), "inline_charts": charts_}


def delivery_state(summary):
    """"sent", "failed", "sending" or "none", from the summary's emails (a failed one shows on the page)."""
    statuses = {delivery.status for delivery in summary.deliveries.all()}  # prefetched on lists
    if not statuses:
        return "none"
    if Delivery.Status.FAILED in statuses:
        return "failed"
    return "sent" if statuses == {Delivery.Status.SENT} else "sending"


# --- the schedule -----------------------------------------------------------------------------------------


def due_period(schedule, now):
    """The latest period whose scheduled summary is due by ``now`` (sent at 08:00 local time), or None."""
    local = timezone.localtime(now)
    today, sent_today = local.date(), local.time() >= SEND_AT
    if schedule == SummarySchedule.DAILY:
        day = today - timedelta(days=1 if sent_today else 2)
        return Period(day, day)
    if schedule == SummarySchedule.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        if monday == today and not sent_today:
            monday -= timedelta(weeks=1)
        return Period(monday - timedelta(weeks=1), monday - timedelta(days=1))
    if schedule == SummarySchedule.MONTHLY:
        first = today.replace(day=1)
        if today.day == 1 and not sent_today:
            first = (first - timedelta(days=1)).replace(day=1)
        end = first - timedelta(days=1)
        return Period(end.replace(day=1), end)
    return None


def request_due_summaries(now=None):
    """Record (once) and queue every summary now due; requeue those whose task was lost. Returns the new ones.

    Run by beat every few minutes. The schedules are read from the database each time, so a change made in
    the app or the admin counts at once; two beat processes, or a run missed while beat was down, are harmless.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted = []
    for campaign in (Campaign.objects.filter(status=CampaignStatus.ACTIVE)
                     .exclude(summary_schedule=SummarySchedule.NONE).select_related("jurisdiction")):
        period = due_period(campaign.summary_schedule, now)
        if period.end >= campaign.starts_on and period.start <= campaign.ends_on:
            wanted.append((Scope.for_campaign(campaign), campaign.summary_schedule, period))
    for campaign in (Campaign.objects.filter(status=CampaignStatus.CLOSED,
                                             ends_on__gte=today - timedelta(days=CLOSEOUT_WITHIN_DAYS))
                     .exclude(summaries__kind=Summary.Kind.CLOSEOUT).select_related("jurisdiction")):
        wanted.append((Scope.for_campaign(campaign), Summary.Kind.CLOSEOUT,
                       Period(campaign.starts_on, max(campaign.starts_on, min(campaign.ends_on, today)))))
    for schedule in (JurisdictionSummarySchedule.objects.exclude(schedule=SummarySchedule.NONE)
                     .select_related("jurisdiction")):
        wanted.append((Scope(schedule.jurisdiction), schedule.schedule, due_period(schedule.schedule, now)))

    created = []
    for scope, kind, period in wanted:
        summary, new = request_summary(scope=scope, kind=kind, period=period)
        if new:
            queue_summary(summary)
            created.append(summary)
    for summary in Summary.objects.filter(status=Summary.Status.REQUESTED, created_at__lt=now - REQUEUE_AFTER)[:100]:
        queue_summary(summary)
    # A large ledger whose task was lost (the summary and its emails are out; only the file is missing).
    for summary_id in (Summary.objects.filter(status=Summary.Status.READY, files__ledger_pending=True,
                                              built_at__lt=now - REQUEUE_AFTER).values_list("pk", flat=True)[:100]):
        enqueue_on_commit("worker.tasks.build_summary_ledger", summary_id)
    return created


# --- what supervisors do ----------------------------------------------------------------------------------

# Who may read summaries (pages and API) and who may send them or change recipients and schedules.
SUMMARY_READERS = frozenset({Role.SUPERVISOR, Role.LEADER})
SUMMARY_MANAGERS = frozenset({Role.SUPERVISOR})


def possible_recipients(jurisdiction):
    """Who may receive a jurisdiction's summaries: its active members with an email address."""
    return (User.objects.filter(jurisdiction=jurisdiction, is_active=True).exclude(email="")
            .order_by("role", "last_name", "first_name", "username"))


@dataclass
class SendOutcome:
    """What "send now" did: ``earlier`` are the summary's emails recorded before this request (who has it
    already, and when), ``resent`` the explicit resends this request asked for (recorded now or by the same
    request before), ``queued`` whether anything new is on its way."""

    summary: Summary
    earlier: list
    resent: list
    queued: bool

    @property
    def already_sent(self):
        return bool(self.earlier)


def send_campaign_summary_now(*, campaign, actor, resend_to=None, request_id=None):
    """Queue the campaign's summary up to today for its recipients; each gets it once a day at most.

    A second "send now" on the same day sends nothing to those who have it (the outcome says who and when);
    recipients added since get their copy. To send it again, name the recipients (``resend_to``: users or ids of
    the jurisdiction's possible recipients) and give the request an id made by the client (``request_id``, a
    UUID): each named recipient gets one more email per request id, however often that request arrives.
    """
    if campaign.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    if actor.role not in SUMMARY_MANAGERS:
        raise NotAllowed(_("只有中队长可以发送汇总报告"))
    if resend_to is not None:
        chosen = _resend_recipients(actor.jurisdiction, resend_to, request_id)
    with transaction.atomic():
        summary, created = request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.ON_DEMAND,
                                           period=current_period(campaign), requested_by=actor)
        # Locked like produce_summary does: the emails recorded by a worker building it now are seen, or wait.
        summary = (Summary.objects.select_for_update(of=("self",)).select_related("jurisdiction", "campaign")
                   .get(pk=summary.pk))
        earlier = [] if created else list(summary.deliveries.order_by("created_at", "pk"))
        if resend_to is not None:
            return _resend(summary, chosen, request_id, earlier)
        had = {delivery.recipient for delivery in earlier}
        missing = summary.status != Summary.Status.READY or any(
            user.email not in had for user in recipients_for(summary))
        if missing:
            # Recipients added since get their copy, the others none.
            queue_summary(summary)
        return SendOutcome(summary=summary, earlier=earlier, resent=[], queued=missing)


def _resend_recipients(jurisdiction, resend_to, request_id):
    if not request_id:
        raise InvalidInput(fields={"client_uuid": [_("重新发送需要一个请求编号（UUID），重复提交时不会再发一次")]})
    ids = [getattr(user, "pk", user) for user in resend_to]
    chosen = list(possible_recipients(jurisdiction).filter(pk__in=ids).order_by("pk"))
    if not chosen or len(chosen) != len(set(ids)):
        raise InvalidInput(fields={"resend_to": [_("请选择本辖区有邮箱的接收人")]})
    return chosen


def _resend(summary, chosen, request_id, earlier):
    if summary.status != Summary.Status.READY:
        raise Conflict(_("今天的汇总报告正在生成，生成后即发送给接收人；之后才能重新发送"))
    recorded = [delivery for user in chosen
                if (delivery := _record_summary_email(summary, user, _email_key(summary, user, request_id)))]
    for delivery in recorded:
        enqueue_on_commit("worker.tasks.send_summary_email", delivery.pk)
    keys = [_email_key(summary, user, request_id) for user in chosen]
    resent = list(Delivery.objects.filter(key__in=keys).order_by("pk"))
    ids = {delivery.pk for delivery in resent}
    return SendOutcome(summary=summary, earlier=[d for d in earlier if d.pk not in ids], resent=resent,
                       queued=bool(recorded))


def sent_to_text(deliveries, *, today=None):
    """"张三（08:12）、李四（发送中）" — who got these emails and when, for the page and the API's message."""
    today = today or timezone.localdate()
    names = {user.email: user.display_name for user in
             User.objects.filter(email__in=[d.recipient for d in deliveries]).order_by("pk")}
    parts = []
    for delivery in deliveries:
        name = names.get(delivery.recipient, delivery.recipient)
        if delivery.status == Delivery.Status.SENT and delivery.sent_at:
            local = timezone.localtime(delivery.sent_at)
            when = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
        else:
            when = delivery.get_status_display()
        parts.append(_("%(name)s（%(when)s）") % {"name": name, "when": when})
    return pgettext("between names", "、").join(parts)


def sent_today(deliveries, *, today=None):
    """Whether all these emails were recorded today (the page then says 今天已发送给…)."""
    today = today or timezone.localdate()
    return all(timezone.localdate(d.created_at) == today for d in deliveries)


def outcome_message(outcome):
    """One sentence saying what "send now" did, in the user's language."""
    if outcome.resent:
        text = _("已重新发送给：%(who)s") if outcome.queued else _("这次重新发送已经记录过，没有再发一次：%(who)s")
        return text % {"who": sent_to_text(outcome.resent)}
    if outcome.earlier:
        text = (_("今天已发送给：%(who)s。没有重复发送；如需再发，请选择接收人重新发送。") if sent_today(outcome.earlier)
                else _("已发送给：%(who)s。没有重复发送；如需再发，请选择接收人重新发送。"))
        text %= {"who": sent_to_text(outcome.earlier)}
        if outcome.queued:
            text += _("新加入的接收人会收到一份。")
        return text
    return _("汇总报告已加入发送队列，每位接收人每天最多收到一份")


def set_summary_settings(*, actor, schedule, recipients, campaign=None):
    """Set the schedule and recipients of a campaign, or of the actor's jurisdiction when no campaign is given."""
    if campaign is not None and campaign.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    if actor.role not in SUMMARY_MANAGERS or actor.jurisdiction_id is None:
        raise NotAllowed(_("只有中队长可以设置汇总接收人和发送频率"))
    if schedule not in SummarySchedule.values:
        raise InvalidInput(fields={"schedule": [_("请选择发送频率")]})
    allowed = possible_recipients(actor.jurisdiction).filter(pk__in=[getattr(u, "pk", u) for u in recipients])
    with transaction.atomic():
        if campaign is not None:
            campaign.summary_schedule = schedule
            campaign.save(update_fields=["summary_schedule"])
            campaign.recipients.set(allowed)
            return campaign
        setting, _created = JurisdictionSummarySchedule.objects.update_or_create(
            jurisdiction=actor.jurisdiction, defaults={"schedule": schedule})
        setting.recipients.set(allowed)
        return setting
