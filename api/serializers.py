"""Serializers: shapes of requests and responses. Validation of form only; rules live in patrol.workflow."""
import json

from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from patrol import workflow
from patrol.choices import (
    Category,
    DismissReason,
    LocationSource,
    NoticeKind,
    PhotoStage,
    ReinspectionResult,
    ServiceMethod,
    Stage,
    Structure,
)
from patrol.models import Case, CaseEvent, Notice, Photo, User


POINT_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Point in WGS-84",
    "properties": {"type": {"type": "string", "enum": ["Point"]},
                   "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3,
                                   "example": [111.62, 40.78]}},
    "required": ["type", "coordinates"],
}


@extend_schema_field(POINT_SCHEMA)
class PointField(GeometryField):
    """A GeoJSON Point in WGS-84 ([lng, lat]) with a clear message for anything else."""

    default_error_messages = {"invalid": _("位置须为 GeoJSON 点，坐标为 [经度, 纬度]")}

    def to_internal_value(self, value):
        if isinstance(value, str):  # multipart forms carry the GeoJSON as text
            try:
                value = json.loads(value)
            except ValueError:
                self.fail("invalid")
        if not isinstance(value, dict) or value.get("type") != "Point":
            self.fail("invalid")
        coordinates = value.get("coordinates")
        if (not isinstance(coordinates, (list, tuple)) or len(coordinates) < 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates[:2])):
            self.fail("invalid")
        lng, lat = float(coordinates[0]), float(coordinates[1])
        if not (-180 <= lng <= 180):
            raise serializers.ValidationError(_("经度须在 -180 到 180 之间"))
        if not (-90 <= lat <= 90):
            raise serializers.ValidationError(_("纬度须在 -90 到 90 之间"))
        return Point(lng, lat, srid=4326)


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class PhotoSerializer(serializers.ModelSerializer):
    location = GeometryField(allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    stage_display = serializers.CharField(source="get_stage_display")

    class Meta:
        model = Photo
        fields = ["id", "client_uuid", "stage", "stage_display", "taken_at", "location", "accuracy_m", "sha256",
                  "content_type", "size_bytes", "width", "height", "uploaded_at", "url", "thumbnail_url"]

    def get_url(self, photo) -> str:
        return f"/api/v1/photos/{photo.pk}/file/"

    def get_thumbnail_url(self, photo) -> str | None:
        return f"/api/v1/photos/{photo.pk}/thumbnail/" if photo.thumbnail else None


class NoticeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    service_method_display = serializers.CharField(source="get_service_method_display")

    class Meta:
        model = Notice
        fields = ["id", "number", "kind", "kind_display", "issued_on", "deadline", "service_method",
                  "service_method_display", "served_on", "service_photo"]


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())


class CaseListSerializer(serializers.ModelSerializer):
    location = GeometryField()
    village_name = serializers.CharField(source="village.name", default=None)
    status_display = serializers.CharField(source="get_status_display")
    category_display = serializers.CharField(source="get_category_display")
    responsible = PersonSerializer(allow_null=True)
    overdue = serializers.BooleanField()

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "status_display", "location", "village", "village_name", "address",
                  "category", "category_display", "stage", "deadline", "overdue", "resolution", "responsible",
                  "created_at", "updated_at"]


class CaseDetailSerializer(CaseListSerializer):
    reported_by = PersonSerializer()
    photos = PhotoSerializer(many=True)
    notices = NoticeSerializer(many=True)
    days_left = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    earliest_demolition_date = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "client_uuid", "accuracy_m", "location_source", "estimated_area_m2", "floors", "structure",
            "party_name", "party_phone", "description", "campaign", "patrol", "reported_by", "observed_at",
            "closed_at", "duplicate_of", "suspended", "enforcement_announced_on", "earliest_demolition_date",
            "version", "days_left", "photos", "notices", "available_actions",
        ]

    def get_days_left(self, case) -> int | None:
        if case.deadline is None or not case.is_open:
            return None
        return (case.deadline - timezone.localdate()).days

    @extend_schema_field(OpenApiTypes.DATE)
    def get_earliest_demolition_date(self, case):
        return workflow.earliest_demolition_date(case)

    def get_available_actions(self, case) -> list[dict]:
        user = self.context["request"].user
        return ActionSerializer(
            [{"name": spec.name, "label": str(spec.label), "fields": list(spec.fields)}
             for spec in workflow.available_actions(case, user)], many=True).data


class FindingSerializer(serializers.Serializer):
    """POST /api/v1/cases/: a finding from the field."""

    client_uuid = serializers.UUIDField()
    location = PointField()
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)
    location_source = serializers.ChoiceField(choices=LocationSource.choices, default=LocationSource.DEVICE_GPS)
    observed_at = serializers.DateTimeField(required=False)
    category = serializers.ChoiceField(choices=Category.choices)
    stage = serializers.ChoiceField(choices=Stage.choices)
    estimated_area_m2 = serializers.DecimalField(max_digits=10, decimal_places=1, min_value=0, required=False,
                                                 allow_null=True)
    floors = serializers.IntegerField(min_value=1, max_value=50, required=False, allow_null=True)
    structure = serializers.ChoiceField(choices=Structure.choices, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    party_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    party_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    campaign = serializers.IntegerField(required=False, allow_null=True)
    patrol = serializers.IntegerField(required=False, allow_null=True)

    def validate_observed_at(self, value):
        if value > timezone.now() + timezone.timedelta(minutes=10):
            raise serializers.ValidationError(_("发现时间不能晚于现在"))
        return value


class PhotoUploadSerializer(serializers.Serializer):
    """POST /api/v1/cases/{id}/photos/ (multipart): one photo with what the phone knew when it was taken."""

    file = serializers.FileField()
    client_uuid = serializers.UUIDField()
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", error_messages={"invalid": _("SHA-256 须为 64 位十六进制")})
    taken_at = serializers.DateTimeField()
    location = PointField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)
    stage = serializers.ChoiceField(choices=PhotoStage.choices, default=PhotoStage.BEFORE)


class NearbyCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    distance_m = serializers.FloatField()


class VillageBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FindingReceiptSerializer(serializers.Serializer):
    """The answer to a reported finding (documentation of the hand-built response)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    village = VillageBriefSerializer(allow_null=True)
    location = PointField()
    created_at = serializers.DateTimeField()
    nearby_open_cases = NearbyCaseSerializer(many=True)


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(allow_null=True)
    location = GeometryField(allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["seq", "created_at", "actor", "location", "action", "from_status", "to_status", "note", "payload",
                  "prev_hash", "hash"]


# --- action bodies (POST /api/v1/cases/{id}/actions/{action}/) ------------------------------------

class _ActionBody(serializers.Serializer):
    location = PointField(required=False, allow_null=True, help_text="Where the action was taken (GeoJSON Point)")


class FileBody(_ActionBody):
    note = serializers.CharField(max_length=2000)


class DismissBody(_ActionBody):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["reason"] == DismissReason.DUPLICATE and not data.get("duplicate_of"):
            raise serializers.ValidationError({"duplicate_of": [_("重复线索须指明原案件")]})
        return data


class ServiceBody(serializers.Serializer):
    method = serializers.ChoiceField(choices=ServiceMethod.choices)
    date = serializers.DateField()
    photo = serializers.IntegerField(required=False, allow_null=True)


class IssueNoticeBody(_ActionBody):
    notice_kind = serializers.ChoiceField(choices=[(k, NoticeKind(k).label) for k in (
        NoticeKind.STOP_CONSTRUCTION, NoticeKind.RECTIFY, NoticeKind.DEMOLISH_WITHIN_DEADLINE)])
    deadline = serializers.DateField(required=False)
    deadline_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    service = ServiceBody()

    def validate(self, data):
        if ("deadline" in data) == ("deadline_days" in data):
            raise serializers.ValidationError({"deadline": [_("请填写整改期限（日期）或天数，二者选一")]})
        return data


class ReinspectBody(_ActionBody):
    result = serializers.ChoiceField(choices=ReinspectionResult.choices)
    note = serializers.CharField(max_length=2000)
    photos = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)


class ExtendDeadlineBody(_ActionBody):
    deadline = serializers.DateField()
    reason = serializers.CharField(max_length=2000)


class LegalizeBody(_ActionBody):
    permit_number = serializers.CharField(max_length=100)


class EscalateBody(_ActionBody):
    note = serializers.CharField(max_length=2000)


class LegalApproveBody(_ActionBody):
    decision_number = serializers.CharField(max_length=100)
    announcement_date = serializers.DateField()


class LegalRejectBody(_ActionBody):
    reason = serializers.CharField(max_length=2000)
    deadline = serializers.DateField()


class ExecuteDemolitionBody(_ActionBody):
    note = serializers.CharField(max_length=2000)
    photos = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20)


class CommentBody(_ActionBody):
    note = serializers.CharField(max_length=5000)
    photos = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)
    appeal_filed = serializers.BooleanField(required=False, default=False)


class LiftSuspensionBody(_ActionBody):
    note = serializers.CharField(max_length=2000)


class AssignBody(_ActionBody):
    inspector = serializers.IntegerField()


def _flatten_service(data):
    service = data.pop("service")
    data.update(service_method=service["method"], served_on=service["date"], service_photo=service.get("photo"))
    return data


# Each action of patrol.workflow.ACTIONS: its body, its service, and how the body becomes arguments.
ACTION_ENDPOINTS = {
    "file": (FileBody, workflow.file_case, None),
    "dismiss": (DismissBody, workflow.dismiss_case, None),
    "issue_notice": (IssueNoticeBody, workflow.issue_notice, _flatten_service),
    "reinspect": (ReinspectBody, workflow.reinspect, None),
    "extend_deadline": (ExtendDeadlineBody, workflow.extend_deadline, None),
    "legalize": (LegalizeBody, workflow.legalize, None),
    "escalate": (EscalateBody, workflow.escalate, None),
    "legal_approve": (LegalApproveBody, workflow.legal_approve, None),
    "legal_reject": (LegalRejectBody, workflow.legal_reject, None),
    "execute_demolition": (ExecuteDemolitionBody, workflow.execute_demolition, None),
    "comment": (CommentBody, workflow.comment, None),
    "lift_suspension": (LiftSuspensionBody, workflow.lift_suspension, None),
    "assign": (AssignBody, workflow.assign, None),
}
