"""What each case action takes from a client: one input class per action, named by the registry (workflow.ACTIONS).

They check form only (types, lengths, choices, which fields go together); the rules of the procedure are the
services' and the blockers'. The API documents them as the request bodies of
``POST /api/v1/cases/{id}/actions/{action}/``, and the case page's forms send the same fields.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from patrol.choices import DismissReason, ReinspectionResult
from patrol.inputs import (
    BoundedDateField,
    IssuableNoticeKindField,
    PointField,
    ServiceMethodField,
    no_bidi_controls,
)

MAX_PHOTOS = 20


def _note(**kwargs):
    return serializers.CharField(max_length=kwargs.pop("max_length", 2000), validators=[no_bidi_controls], **kwargs)


def _photos(**kwargs):
    return serializers.ListField(child=serializers.IntegerField(), max_length=MAX_PHOTOS, **kwargs)


class ActionInput(serializers.Serializer):
    """The fields every action takes, and how the validated input becomes the service's keyword arguments."""

    location = PointField(required=False, allow_null=True, help_text="Where the action was taken (GeoJSON Point)")

    @classmethod
    def service_arguments(cls, validated):
        return dict(validated)

    @classmethod
    def with_photo_ids(cls, data, field, photo_ids):
        """``data`` with the ids of photos just stored put in ``field`` (dotted): all of them in a list field, the
        first in a single one (unless the client named one)."""
        *path, last = field.split(".")
        data = dict(data)
        target, fields = data, cls().fields
        for key in path:
            target[key] = dict(target.get(key) or {})
            target, fields = target[key], fields[key].fields
        if isinstance(fields[last], serializers.ListField):
            target[last] = [*target.get(last, []), *photo_ids]
        else:
            target.setdefault(last, photo_ids[0])
        return data


class FileBody(ActionInput):
    note = _note()


class DismissBody(ActionInput):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)
    note = _note(required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["reason"] == DismissReason.DUPLICATE and not data.get("duplicate_of"):
            raise serializers.ValidationError({"duplicate_of": [_("重复线索须指明原案件")]})
        return data


class ServiceBody(serializers.Serializer):
    method = ServiceMethodField()
    date = BoundedDateField()
    photo = serializers.IntegerField(required=False, allow_null=True)


class IssueNoticeBody(ActionInput):
    notice_kind = IssuableNoticeKindField()
    deadline = BoundedDateField(required=False)
    deadline_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    service = ServiceBody()

    def validate(self, data):
        if ("deadline" in data) == ("deadline_days" in data):
            raise serializers.ValidationError({"deadline": [_("请填写整改期限（日期）或天数，二者选一")]})
        return data

    @classmethod
    def service_arguments(cls, validated):
        arguments = dict(validated)
        service = arguments.pop("service")
        arguments.update(service_method=service["method"], served_on=service["date"],
                         service_photo=service.get("photo"))
        return arguments


class ReinspectBody(ActionInput):
    result = serializers.ChoiceField(choices=ReinspectionResult.choices)
    note = _note()
    photos = _photos(required=False, default=list)


class ExtendDeadlineBody(ActionInput):
    deadline = BoundedDateField()
    reason = _note()


class LegalizeBody(ActionInput):
    permit_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])


class EscalateBody(ActionInput):
    note = _note()


class LegalApproveBody(ActionInput):
    decision_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])
    announcement_date = BoundedDateField()


class LegalRejectBody(ActionInput):
    reason = _note()
    deadline = BoundedDateField()


class ExecuteDemolitionBody(ActionInput):
    note = _note()
    photos = _photos(min_length=1)


class CommentBody(ActionInput):
    note = _note(max_length=5000)
    photos = _photos(required=False, default=list)
    appeal_filed = serializers.BooleanField(required=False, default=False)


class LiftSuspensionBody(ActionInput):
    note = _note()


class AssignBody(ActionInput):
    inspector = serializers.IntegerField()
