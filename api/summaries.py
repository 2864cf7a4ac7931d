"""Summaries (汇总报告) over the API: a campaign's current numbers, sending its summary now, stored summaries.

- ``GET  /api/v1/campaigns/{id}/summary/``: the KPIs of the campaign from its start up to today (or ``start`` /
  ``end``), built on the spot as a stored summary's are (summaries.services.summary_numbers: the case KPIs and
  公示及时率), for supervisors and leaders;
- ``POST /api/v1/campaigns/{id}/summary/send/``: 202, the summary is built and emailed by a worker, once per
  recipient and day (supervisors only);
- ``GET  /api/v1/summaries/`` and ``/api/v1/summaries/{id}/``: stored summaries with their numbers, files and
  the state of their emails.

Another jurisdiction's campaign or summary is a 404; a role that may not read or send them gets 403.
"""
import re
from datetime import timedelta

import django_filters

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parsers import ShallowJSONParser
from api.schema import errors
from api.serializers import JsonTypes
from patrol import kpis, selectors
from patrol.filters import IdFilter
from summaries import services as summaries
from summaries.models import Summary
from summaries.selectors import summaries_for

MAX_PERIOD_DAYS = 400


class ReadsSummaries(BasePermission):
    message = gettext_lazy("只有中队长和领导可以查看汇总报告")

    def has_permission(self, request, view):
        return getattr(request.user, "role", None) in summaries.SUMMARY_READERS


def _date(value):
    if value is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return parse_date(value)
    except ValueError:  # well formed but not a date, e.g. 2026-13-01
        return None


def _period(request, campaign):
    start, end = request.query_params.get("start"), request.query_params.get("end")
    if start is None and end is None:
        return kpis.current_period(campaign, timezone.localdate())
    parsed = {name: _date(value) for name, value in (("start", start), ("end", end))}
    errors = {name: [_("日期格式应为 YYYY-MM-DD")] for name, value in parsed.items() if value is None}
    if errors:
        raise ValidationError(errors)
    if parsed["end"] < parsed["start"]:
        raise ValidationError({"end": [_("结束日期不能早于开始日期")]})
    if parsed["end"] - parsed["start"] > timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationError({"end": [_("期间最长 %(days)s 天") % {"days": MAX_PERIOD_DAYS}]})
    return kpis.Period(parsed["start"], parsed["end"])


class CampaignSummaryView(APIView):
    """The campaign's KPIs now: overall, by village, category and inspector, with the previous period."""

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATE, description="With end; default: the "
                                                "campaign's current period"),
                               OpenApiParameter("end", OpenApiTypes.DATE, description="With start, at most 400 days "
                                                "after it")],
                   responses={200: OpenApiTypes.OBJECT, 403: None, 404: None,
                              **errors(400, d400="start or end missing, empty or not a date (YYYY-MM-DD), end before "
                                                 "start, or a period longer than 400 days")})
    def get(self, request, pk):
        campaign = get_object_or_404(selectors.campaigns_for(request.user).select_related("jurisdiction"), pk=pk)
        if request.user.role not in summaries.SUMMARY_READERS:
            raise PermissionDenied(ReadsSummaries.message)
        return Response(summaries.summary_numbers(kpis.Scope.for_campaign(campaign), _period(request, campaign)))


class SummarySendSerializer(JsonTypes, serializers.Serializer):
    resend_to = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, min_length=1, max_length=200,
        help_text="Send the summary again to these users (ids of the jurisdiction's members with an email address), "
                  "even if they have it today. Needs client_uuid.")
    client_uuid = serializers.UUIDField(
        required=False, help_text="Made by the client for one resend: the same request sent twice sends once.")


def _email_state(delivery):
    return {"recipient": delivery.recipient, "status": delivery.status, "sent_at": delivery.sent_at}


class CampaignSummarySendView(APIView):
    """Queue the campaign's summary up to today for its recipients now. Supervisors only.

    Each recipient gets it once a day: a second request the same day sends nothing to those who have it and says
    so (200, ``already_sent``, ``sent_to`` with each email's state and time, ``message``). ``resend_to`` with a
    ``client_uuid`` sends it again to the chosen users, once per ``client_uuid``. 202 when an email is on its way.
    """

    # JSON only (or no body): a form-encoded body that is not an object (schemathesis sent "48268") parsed to an
    # empty form and was accepted as "send to everyone".
    parser_classes = [ShallowJSONParser]

    @extend_schema(request=SummarySendSerializer,
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="nothing new to send: everyone "
                                                   "has it today (or this resend was recorded before)"),
                              202: OpenApiTypes.OBJECT, 403: None, 404: None,
                              **errors(400, 409, d400="resend_to without client_uuid, or naming someone who is not a "
                                                      "member of the jurisdiction with an email address",
                                       d409="a resend while today's summary is still being built")})
    def post(self, request, pk):
        campaign = get_object_or_404(selectors.campaigns_for(request.user).select_related("jurisdiction"), pk=pk)
        if request.user.role not in summaries.SUMMARY_MANAGERS:
            raise PermissionDenied(_("只有中队长可以发送汇总报告"))
        data = SummarySendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request_id = data.validated_data.get("client_uuid")
        outcome = summaries.send_campaign_summary_now(
            campaign=campaign, actor=request.user, resend_to=data.validated_data.get("resend_to"),
            request_id=str(request_id) if request_id else None)
        summary = outcome.summary
        return Response({"summary": summary.pk, "status": summary.status,
                         "period": {"start": summary.period_start, "end": summary.period_end},
                         "url": reverse("api-summary", args=[summary.pk]),
                         "queued": outcome.queued, "already_sent": outcome.already_sent,
                         "sent_to": [_email_state(d) for d in outcome.earlier],
                         "resent_to": [_email_state(d) for d in outcome.resent],
                         "message": summaries.outcome_message(outcome)},
                        status=status.HTTP_202_ACCEPTED if outcome.queued else status.HTTP_200_OK)


class SummaryListSerializer(serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name", default=None)
    kind_display = serializers.CharField(source="get_kind_display")
    delivery_state = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Summary
        fields = ["id", "campaign", "campaign_name", "kind", "kind_display", "period_start", "period_end", "status",
                  "built_at", "delivery_state", "url"]

    def get_delivery_state(self, summary) -> str:
        return summaries.delivery_state(summary)

    def get_url(self, summary) -> str:
        return reverse("api-summary", args=[summary.pk])


class SummaryDetailSerializer(SummaryListSerializer):
    files = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField()

    class Meta(SummaryListSerializer.Meta):
        fields = SummaryListSerializer.Meta.fields + ["numbers", "files", "deliveries", "last_error"]

    def get_files(self, summary) -> dict:
        if summary.status != Summary.Status.READY:
            return {}
        return {name: reverse("summary-file", args=[summary.pk, name]) for name in ("weekly", "villages", "ledger")}

    def get_deliveries(self, summary) -> list:
        return [{"recipient": recipient, "status": state, "attempts": attempts, "sent_at": sent_at}
                for recipient, state, attempts, sent_at in summary.deliveries.order_by("recipient")
                .values_list("recipient", "status", "attempts", "sent_at")]


class SummaryFilter(django_filters.FilterSet):
    # An id like the case list's campaign filter: an unknown campaign lists nothing (no "not a valid choice").
    campaign = IdFilter(field_name="campaign_id")
    kind = django_filters.ChoiceFilter(choices=Summary.Kind.choices)

    class Meta:
        model = Summary
        fields = []


class SummaryListView(generics.ListAPIView):
    """Stored summaries of the user's jurisdiction, newest period first."""

    serializer_class = SummaryListSerializer
    permission_classes = [IsAuthenticated, ReadsSummaries]
    filterset_class = SummaryFilter

    def get_queryset(self):
        return summaries_for(self.request.user).select_related("campaign").prefetch_related("deliveries")


class SummaryDetailView(generics.RetrieveAPIView):
    """One stored summary with its numbers, file URLs and the state of each email."""

    serializer_class = SummaryDetailSerializer
    permission_classes = [IsAuthenticated, ReadsSummaries]

    @extend_schema(responses={200: SummaryDetailSerializer, 403: None, 404: OpenApiResponse(description="not found")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return summaries_for(self.request.user).select_related("campaign")
