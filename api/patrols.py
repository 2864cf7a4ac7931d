"""Patrol endpoints: start (POST), list, detail with the track, track batches from the phone, finish.

The rules live in patrol.patrols; here HTTP becomes a service call and back.
"""
from datetime import datetime, time, timedelta

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from api.parsers import ShallowJSONParser
from api.serializers import JsonTypes
from patrol import patrols
from patrol.choices import PatrolKind
from patrol.errors import InvalidInput, dotted_fields
from patrol.filters import IdFilter, IsoDateFilter, StrictBooleanFilter
from patrol.inputs import BoundedDateTimeField, no_bidi_controls
from patrol.models import Campaign, Patrol

# The kind's enum is one named component: the hoisted enum of a field called "kind" would collide with
# the notice kinds and make drf-spectacular warn (and `check --deploy` fail).
@extend_schema_field({"type": "string", "enum": PatrolKind.values,
                      "description": "`daily` 日常巡查 · `campaign` 专项整治"}, component_name="PatrolKindEnum")
class PatrolKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PatrolKind.choices, **kwargs)


# --- requests ------------------------------------------------------------------------------------


class PatrolStartBody(JsonTypes, serializers.Serializer):
    """POST /api/v1/patrols/: start a patrol for the requesting user."""

    client_uuid = serializers.UUIDField(help_text="Made on the phone; sending it again is safe")
    kind = PatrolKindField(required=False, help_text="Default: campaign when a campaign is given, else daily")
    campaign = serializers.IntegerField(required=False, allow_null=True)
    started_at = BoundedDateTimeField(required=False, help_text="Default: now")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 validators=[no_bidi_controls])


class PatrolTrackPointBody(JsonTypes, serializers.Serializer):
    lng = serializers.FloatField(min_value=-180, max_value=180,
                                 error_messages={"min_value": _("经度须在 -180 到 180 之间"),
                                                 "max_value": _("经度须在 -180 到 180 之间")})
    lat = serializers.FloatField(min_value=-90, max_value=90,
                                 error_messages={"min_value": _("纬度须在 -90 到 90 之间"),
                                                 "max_value": _("纬度须在 -90 到 90 之间")})
    t = BoundedDateTimeField(help_text="When the phone recorded the point (ISO 8601 with offset)")
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)


class PatrolTrackBody(JsonTypes, serializers.Serializer):
    """POST /api/v1/patrols/{id}/track/: one numbered batch of GPS points."""

    seq = serializers.IntegerField(min_value=0, max_value=2**31 - 1,
                                   help_text="The batch's number, from 0; a resent batch keeps its number")
    points = serializers.ListField(child=PatrolTrackPointBody(), min_length=1, max_length=patrols.MAX_POINTS_PER_BATCH)


class PatrolFinishBody(JsonTypes, serializers.Serializer):
    """POST /api/v1/patrols/{id}/finish/."""

    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, validators=[no_bidi_controls],
                                 help_text="Replaces the note; omit to keep it, e.g. 未发现违法建设")
    ended_at = BoundedDateTimeField(required=False, help_text="Default: now")


def valid_body(serializer_class, data):
    body = serializer_class(data=data)
    if not body.is_valid():
        raise InvalidInput(fields=dotted_fields(body.errors))
    return body.validated_data


# --- responses -----------------------------------------------------------------------------------


class PatrolRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PatrolInspectorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class PatrolSerializer(serializers.ModelSerializer):
    """A patrol without its track (lists)."""

    kind = PatrolKindField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display")
    inspector = PatrolInspectorSerializer()
    campaign = PatrolRefSerializer(allow_null=True)
    villages = PatrolRefSerializer(many=True)
    is_open = serializers.SerializerMethodField()
    findings_count = serializers.IntegerField(help_text="Cases logged on this patrol")
    found_nothing = serializers.SerializerMethodField(help_text="Finished without a finding (未发现违法建设)")

    class Meta:
        model = Patrol
        fields = ["id", "client_uuid", "kind", "kind_display", "campaign", "inspector", "started_at", "ended_at",
                  "is_open", "distance_m", "villages", "note", "findings_count", "found_nothing"]

    def get_is_open(self, patrol) -> bool:
        return patrol.ended_at is None

    def get_found_nothing(self, patrol) -> bool:
        return patrol.ended_at is not None and patrol.findings_count == 0


class PatrolDetailSerializer(PatrolSerializer):
    track = GeometryField(allow_null=True, help_text="GeoJSON LineString in WGS-84; null until two points are known")

    class Meta(PatrolSerializer.Meta):
        fields = PatrolSerializer.Meta.fields + ["track"]


class PatrolTrackReceiptSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    point_count = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    patrol = PatrolSerializer()


def patrol_response(request, patrol_id, status_code=status.HTTP_200_OK):
    patrol = patrols.patrol_queryset(request.user).get(pk=patrol_id)
    return Response(PatrolDetailSerializer(patrol).data, status=status_code)


# --- filters -------------------------------------------------------------------------------------


class PatrolFilter(django_filters.FilterSet):
    inspector = IdFilter(field_name="inspector_id", label=_("巡查人"))
    open = StrictBooleanFilter(field_name="ended_at", lookup_expr="isnull", label=_("未结束"))
    date = IsoDateFilter(method="filter_date", label=_("巡查日期"))

    class Meta:
        model = Patrol
        fields = []

    def filter_date(self, queryset, name, value):
        # Patrols started on that day in Asia/Shanghai, as a range so the (jurisdiction, started_at) index serves it.
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))


# --- views ---------------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(description="Invalid fields, named in error.fields"),
    403: OpenApiResponse(description="The user's role (or person) may not do this"),
    404: OpenApiResponse(description="No such patrol in the user's jurisdiction"),
}


class PatrolListCreateView(generics.ListCreateAPIView):
    """Patrols, newest first: an inspector sees their own, other roles the whole jurisdiction.

    `?date=YYYY-MM-DD` keeps patrols started on that day (Asia/Shanghai). POST starts a patrol.
    """

    parser_classes = [ShallowJSONParser]
    filterset_class = PatrolFilter

    def get_queryset(self):
        return patrols.patrol_queryset(self.request.user).order_by("-started_at", "-pk")

    def get_serializer_class(self):
        return PatrolStartBody if self.request.method == "POST" else PatrolSerializer

    @extend_schema(request=PatrolStartBody, responses={
        201: OpenApiResponse(PatrolDetailSerializer, description="Started"),
        200: OpenApiResponse(PatrolDetailSerializer, description="The same client_uuid and content was sent before"),
        400: OpenApiResponse(description="Invalid fields, or a campaign outside the user's jurisdiction"),
        403: OpenApiResponse(description="Only inspectors and supervisors patrol"),
        409: OpenApiResponse(description="client_uuid used for a different patrol (code conflict), or another "
                                         "patrol of the user is still open (code open_patrol_exists, its id "
                                         "in error.fields.open_patrol)"),
    })
    def post(self, request):
        data = dict(valid_body(PatrolStartBody, request.data))
        campaign_id = data.pop("campaign", None)
        campaign = None
        if campaign_id is not None:
            campaign = Campaign.objects.for_user(request.user).filter(pk=campaign_id).first()
            if campaign is None:
                raise InvalidInput(fields={"campaign": [_("不存在或不在您的辖区内")]})
        patrol, created = patrols.start_patrol(actor=request.user, campaign=campaign, **data)
        return patrol_response(request, patrol.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PatrolDetailView(APIView):
    """One patrol with its track as GeoJSON, the villages it passed through and its findings count."""

    @extend_schema(responses={200: PatrolDetailSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        patrol = get_object_or_404(patrols.patrol_queryset(request.user), pk=pk)
        return Response(PatrolDetailSerializer(patrol).data)


class PatrolTrackView(APIView):
    """Upload one numbered batch of GPS points (1–500) of the user's own patrol.

    Batches may arrive in any order and be sent again: the same `seq` with the same points answers 200 and
    stores nothing new; with other points 409. Points less accurate than 100 m and exact duplicates are
    kept in the batch but left out of the track. A finished patrol still takes points recorded before it ended.
    """

    parser_classes = [ShallowJSONParser]

    @extend_schema(request=PatrolTrackBody, responses={
        201: OpenApiResponse(PatrolTrackReceiptSerializer, description="Stored; track, distance and villages rebuilt"),
        200: OpenApiResponse(PatrolTrackReceiptSerializer, description="This batch was received before"),
        **ERRORS,
        409: OpenApiResponse(description="This seq was already received with other points"),
    })
    def post(self, request, pk):
        data = valid_body(PatrolTrackBody, request.data)
        batch, created = patrols.record_track(patrol_id=pk, actor=request.user, seq=data["seq"], points=data["points"])
        patrol = patrols.patrol_queryset(request.user).get(pk=pk)
        receipt = {"seq": batch.seq, "point_count": len(batch.points), "received_at": batch.received_at,
                   "patrol": patrol}
        return Response(PatrolTrackReceiptSerializer(receipt).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PatrolFinishView(APIView):
    """Finish a patrol (its inspector, or a supervisor). Sending the same finish again answers 200; a
    different note or end time for a finished patrol 409."""

    parser_classes = [ShallowJSONParser]

    @extend_schema(request=PatrolFinishBody, responses={
        200: PatrolDetailSerializer, **ERRORS,
        409: OpenApiResponse(description="Already finished with another note or end time"),
    })
    def post(self, request, pk):
        data = valid_body(PatrolFinishBody, request.data)
        patrols.finish_patrol(patrol_id=pk, actor=request.user, **data)
        return patrol_response(request, pk)
