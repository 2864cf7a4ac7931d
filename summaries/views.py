"""The 汇总报告 pages: stored summaries with their charts and KPI tables, for supervisors and leaders of the
jurisdiction, and the forms where supervisors choose recipients and schedules or send a summary now.

Every read goes through ``summaries.selectors`` / ``patrol.selectors``: another jurisdiction's summary is a
404, a role that may not read summaries gets 403. Chart and ledger files are served by ``summary_file`` after
the same checks, never from a public URL.
"""
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patrol import kpis, selectors
from patrol.choices import SummarySchedule
from patrol.errors import Conflict
from notifications.models import Delivery
from summaries import presentation
from summaries import services as summaries
from summaries.selectors import jurisdiction_schedule, summaries_for
from summaries.models import JurisdictionSummarySchedule, Summary

FILE_TYPES = {"weekly": "image/png", "villages": "image/png",
              "ledger": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _require(user, roles):
    if user.role not in roles or user.jurisdiction_id is None:
        raise PermissionDenied


@login_required
def summary_list(request):
    _require(request.user, summaries.SUMMARY_READERS)
    rows = (summaries_for(request.user).select_related("campaign")
            .annotate(emails=Count("deliveries"),
                      sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
                      failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)))
            .order_by("-period_end", "-created_at", "-pk"))
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    is_manager = request.user.role in summaries.SUMMARY_MANAGERS
    return render(request, "summaries/summary_list.html", {
        "page": page,
        "is_manager": is_manager,
        "campaigns": selectors.campaigns_for(request.user).prefetch_related("recipients"),
        "jurisdiction_schedule": jurisdiction_schedule(request.user.jurisdiction_id),
    })


@login_required
def summary_detail(request, pk):
    summary = get_object_or_404(summaries_for(request.user).select_related("jurisdiction", "campaign"), pk=pk)
    _require(request.user, summaries.SUMMARY_READERS)
    deliveries = list(summary.deliveries.order_by("created_at", "pk"))
    context = {"summary": summary, "deliveries": sorted(deliveries, key=lambda d: (d.recipient, d.pk)),
               "delivery_state": summaries.delivery_state(summary), "resend_form": _resend_form(request, summary)}
    if deliveries:
        context["sent_to"] = summaries.sent_to_text(deliveries)
        context["sent_today"] = summaries.sent_today(deliveries)
    if summary.status == Summary.Status.READY:
        context.update(presentation.summary_context(summary))
    else:
        context["title"] = presentation.summary_title(summary)
        # Emails are recorded when the summary is built; until then, say who will get one.
        context["pending_recipients"] = list(summaries.recipients_for(summary))
    return render(request, "summaries/summary_detail.html", context)


@login_required
def summary_file(request, pk, name):
    """A summary's chart (in the viewer's language when drawn in it) or its ledger, after the same checks."""
    summary = get_object_or_404(summaries_for(request.user).select_related("jurisdiction"), pk=pk)
    _require(request.user, summaries.SUMMARY_READERS)
    if name not in FILE_TYPES:
        raise Http404
    if name == "ledger":
        path = summary.files.get("ledger")
        filename = f"{_('案件台账')}-{summary.jurisdiction.code}-{summary.period_start:%Y%m%d}-{summary.period_end:%Y%m%d}.xlsx"
    else:
        charts = summary.files.get("charts", {})
        chosen = charts.get(translation.get_language()) or charts.get(settings.LANGUAGE_CODE) or {}
        path, filename = chosen.get(name), f"{summary.pk}-{name}.png"
    if not path:
        raise Http404
    try:
        handle = default_storage.open(path, "rb")  # FileResponse closes it
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=FILE_TYPES[name], filename=filename, as_attachment=name == "ledger")
    response["X-Content-Type-Options"] = "nosniff"
    # The ledger holds party names and phone numbers: kept by no cache.
    response["Cache-Control"] = "private, no-store" if name == "ledger" else "private, max-age=3600"
    return response


class SummarySettingsForm(forms.Form):
    schedule = forms.ChoiceField(label=gettext_lazy("发送频率"), choices=SummarySchedule.choices,
                                 widget=forms.RadioSelect)
    recipients = forms.ModelMultipleChoiceField(label=gettext_lazy("接收人"), queryset=None, required=False,
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, jurisdiction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = summaries.possible_recipients(jurisdiction)
        self.fields["recipients"].label_from_instance = lambda user: (
            f"{user.display_name}（{user.get_role_display()}，{user.email}）")


def _settings_page(request, *, campaign=None):
    _require(request.user, summaries.SUMMARY_MANAGERS)
    if campaign is not None:
        initial = {"schedule": campaign.summary_schedule, "recipients": list(campaign.recipients.all())}
    else:
        current = JurisdictionSummarySchedule.objects.filter(jurisdiction_id=request.user.jurisdiction_id).first()
        initial = {"schedule": current.schedule if current else SummarySchedule.NONE,
                   "recipients": list(current.recipients.all()) if current else []}
    form = SummarySettingsForm(request.POST or None, initial=initial, jurisdiction=request.user.jurisdiction)
    if request.method == "POST" and form.is_valid():
        summaries.set_summary_settings(actor=request.user, campaign=campaign, schedule=form.cleaned_data["schedule"],
                                       recipients=form.cleaned_data["recipients"])
        messages.success(request, _("汇总发送设置已保存，下一次发送即按新设置执行"))
        return redirect("summaries")
    return render(request, "summaries/summary_settings.html", {"form": form, "campaign": campaign},
                  status=400 if form.is_bound else 200)


@login_required
def campaign_summary_settings(request, pk):
    campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
    return _settings_page(request, campaign=campaign)


@login_required
def jurisdiction_summary_settings(request):
    return _settings_page(request)


class ResendForm(forms.Form):
    """Send today's summary again to chosen people; ``client_uuid`` is made when the form is shown, so a double
    tap (or the browser sending the form again) records one email per person."""

    resend_to = forms.ModelMultipleChoiceField(label=gettext_lazy("重新发送给"), queryset=None,
                                               widget=forms.CheckboxSelectMultiple)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, jurisdiction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resend_to"].queryset = summaries.possible_recipients(jurisdiction)
        self.fields["resend_to"].label_from_instance = lambda user: f"{user.display_name}（{user.email}）"


def _resend_form(request, summary):
    """The resend form, for a manager looking at the campaign's summary of today that has been sent."""
    if (request.user.role not in summaries.SUMMARY_MANAGERS or summary.kind != Summary.Kind.ON_DEMAND
            or summary.campaign_id is None or summary.status != Summary.Status.READY
            or summary.period_end != kpis.current_period(summary.campaign).end):
        return None
    had = set(summary.deliveries.values_list("recipient", flat=True))
    initial = [user for user in summaries.recipients_for(summary) if user.email in had]
    return ResendForm(initial={"resend_to": initial, "client_uuid": uuid.uuid4()},
                      jurisdiction=request.user.jurisdiction)


@login_required
@require_POST
def campaign_summary_send(request, pk):
    campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
    _require(request.user, summaries.SUMMARY_MANAGERS)
    resend_to = request_id = None
    if "resend_to" in request.POST or "client_uuid" in request.POST:
        form = ResendForm(request.POST, jurisdiction=request.user.jurisdiction)
        if not form.is_valid():
            messages.error(request, _("请选择重新发送的接收人"))
            summary = summaries_for(request.user).filter(campaign=campaign, kind=Summary.Kind.ON_DEMAND).first()
            return redirect("summary", pk=summary.pk) if summary else redirect("summaries")
        resend_to, request_id = form.cleaned_data["resend_to"], str(form.cleaned_data["client_uuid"])
    try:
        outcome = summaries.send_campaign_summary_now(campaign=campaign, actor=request.user, resend_to=resend_to,
                                                      request_id=request_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("summaries")
    message = summaries.outcome_message(outcome)
    if outcome.queued:
        messages.success(request, message)
    else:
        messages.warning(request, message)
    return redirect("summary", pk=outcome.summary.pk)
