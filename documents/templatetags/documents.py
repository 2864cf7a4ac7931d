"""Filters for enforcement documents: dates and numbers written the Chinese way; and the service form that the
case page shows under each issued document not yet served."""
import uuid
from datetime import date, datetime

from django import template
from django.utils import timezone

from documents.choices import ElectronicChannel, RecipientRelation
from documents.services import may_record_service
from documents.signatures import signature_choices
from patrol.choices import ServiceMethod

register = template.Library()


@register.inclusion_tag("documents/_service_form.html", takes_context=True)
def service_form(context, step_document):
    """The 记录送达 form of a document on the case page's step line (``step_document``: patrol.steps.StepDocument),
    for a user who may record service, while the document has no effective service; and a form for the receipt date
    of each posted service still waiting for it. After a refused submission (``failed_service`` is this document)
    the form opens again with what was sent and the errors beside their fields."""
    request, case = context["request"], context["case"]
    document = step_document.document
    if (not step_document.needs_service or step_document.effective_on is not None
            or not may_record_service(request.user)):
        return {"show": False}
    failed = context.get("failed_service") == document.pk
    data = request.POST if failed else {}
    # The case's signatures not yet placed, read once for every form of the page.
    if not hasattr(case, "_service_signature_choices"):
        case._service_signature_choices = signature_choices(case)
    choices = case._service_signature_choices
    return {
        "show": True, "case": case, "document": document, "request": request,
        "csrf_token": context.get("csrf_token"), "today": context.get("today") or timezone.localdate(),
        "pending": [service for service in step_document.services if service.pending],
        "open": failed, "data": data, "errors": context.get("service_errors", {}) if failed else {},
        # Nothing is stored when a form is refused: sent again after a correction, it keeps its client_uuid.
        "client_uuid": data.get("client_uuid") or uuid.uuid4(),
        "method": data.get("method") or ServiceMethod.IN_PERSON,
        "methods": ServiceMethod.choices, "relations": RecipientRelation.choices, "channels": ElectronicChannel.choices,
        "recipient_signatures": choices["recipient_signatures"], "officer_signatures": choices["officer_signatures"],
        "officers_selected": data.getlist("officer_signatures") if failed else [],
    }

DIGITS = "〇一二三四五六七八九"


def _as_date(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


@register.filter
def cn_date(value, blank="＿＿＿＿年＿＿月＿＿日"):
    """2026-12-14 → 2026年12月14日 (the form of dates in enforcement documents); empty → a line to fill in."""
    day = _as_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else blank


@register.filter
def latest_of(previous, kinds):
    """The first of ``kinds`` ("a,b") the document cites: ``c.previous|latest_of:"rectification_order,…"``."""
    for kind in kinds.split(","):
        if previous and previous.get(kind.strip()):
            return previous[kind.strip()]
    return None


@register.filter
def served_date(summary):
    """An earlier document's date as a later one cites it: when it took effect on the party, else when issued."""
    if not summary:
        return None
    return summary.get("effective_on") or summary.get("issued_on")


@register.filter
def cn_datetime(value):
    """An ISO date-time → 2026年12月14日9时30分."""
    if not value:
        return "＿＿＿＿年＿＿月＿＿日＿＿时＿＿分"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}时{moment.minute:02d}分"


def chinese_number(n):
    """0–9999 in Chinese numerals as legal texts write periods: 15 → 十五, 60 → 六十, 105 → 一百零五."""
    n = int(n)
    if not 0 <= n <= 9999:
        return str(n)
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
    out, zero = "", False
    for size, name in units:
        digit = n // size % 10
        if digit:
            if zero and out:
                out += "零"
            out += DIGITS[digit] + name
            zero = False
        elif out:
            zero = True
    return out


@register.filter
def cn_num(value):
    if value in (None, ""):
        return ""
    return chinese_number(value)


@register.filter
def image_of(images, name):
    """``images|image_of:key`` — the image named by a key built in the template (``officer_signature_2``)."""
    return (images or {}).get(str(name))
