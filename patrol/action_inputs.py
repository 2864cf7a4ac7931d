"""What each case action takes from a client: one input class per action, named by the registry (workflow.ACTIONS).

They check form only (types, lengths, choices, which fields go together); the rules of the procedure are the
services' and the blockers'. The API documents them as the request bodies of
``POST /api/v1/cases/{id}/actions/{action}/``, and the case page's forms send the same fields.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from patrol.choices import AppealKind, AppealOutcome, CourtRuling, DismissReason, LegalBasis, ReinspectionResult
from patrol.inputs import (
    BoundedDateField,
    BoundedDateTimeField,
    PointField,
    no_bidi_controls,
)

MAX_PHOTOS = 20


def _note(**kwargs):
    return serializers.CharField(max_length=kwargs.pop("max_length", 2000), validators=[no_bidi_controls], **kwargs)


def _photos(**kwargs):
    return serializers.ListField(child=serializers.IntegerField(), max_length=MAX_PHOTOS, **kwargs)


def offline_client_uuid(what):
    """The id a phone gives what it recorded offline (the field page's outbox): sent again after a lost answer, the
    same submission is recorded once and the answer is the case as it is (api.cases CaseActionView)."""
    return serializers.UUIDField(required=False, allow_null=True,
                                 help_text=f"Made on the phone: the same {what} sent again is recorded once (the "
                                           "answer is the case as it is)")


class IdList(serializers.ListField):
    """A list of ids; one id alone (a form with a single box ticked) is a list of one."""

    child = serializers.IntegerField()

    def to_internal_value(self, data):
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            data = [data]
        return super().to_internal_value(data)


class ActionInput(serializers.Serializer):
    """The fields every action takes, and how the validated input becomes the service's keyword arguments."""

    signature_fields = ()  # the fields naming signatures (client_uuids) the action places, see PartySignature

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
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices)
    note = _note()


class DismissBody(ActionInput):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)
    note = _note(required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["reason"] == DismissReason.DUPLICATE and not data.get("duplicate_of"):
            raise serializers.ValidationError({"duplicate_of": [_("重复线索须指明原案件")]})
        return data


class ReinspectBody(ActionInput):
    result = serializers.ChoiceField(choices=ReinspectionResult.choices)
    note = _note()
    photos = _photos(required=False, default=list)
    client_uuid = offline_client_uuid("re-inspection")


class ExtendDeadlineBody(ActionInput):
    deadline = BoundedDateField()
    reason = _note()


class LegalizeBody(ActionInput):
    permit_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])


class CommentBody(ActionInput):
    note = _note(max_length=5000)
    photos = _photos(required=False, default=list)


class AssignBody(ActionInput):
    inspector = serializers.IntegerField()


# --- after the 限期拆除决定 (patrol.enforcement) ------------------------------------------------------------

class RecordAppealBody(ActionInput):
    kind = serializers.ChoiceField(choices=AppealKind.choices, help_text="复议 (reconsideration) or 诉讼 (litigation)")
    body = serializers.CharField(max_length=200, validators=[no_bidi_controls],
                                 help_text="The reconsideration body or the court the party went to")
    filed_on = BoundedDateField()
    note = _note(required=False, allow_blank=True, default="")


class RecordAppealOutcomeBody(ActionInput):
    outcome = serializers.ChoiceField(choices=AppealOutcome.choices)
    decided_on = BoundedDateField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                      validators=[no_bidi_controls], help_text="The number of the 复议决定书 or judgment")
    note = _note(required=False, allow_blank=True, default="")


class IssueReminderBody(ActionInput):
    deadline_days = serializers.IntegerField(min_value=1, max_value=365,
                                             help_text="Days to comply, counted from effective service")
    manner = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   validators=[no_bidi_controls], help_text="How to comply (履行方式)")
    note = _note(required=False, allow_blank=True, default="")


class DecideEnforcementBody(ActionInput):
    manner = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   validators=[no_bidi_controls], help_text="How it will be enforced")
    execution_from = BoundedDateField(required=False, allow_null=True)
    statement_summary = _note(required=False, allow_blank=True, default="",
                              help_text="What the party said after the 催告 and how it was reviewed")
    note = _note(required=False, allow_blank=True, default="")


class AnnounceBody(ActionInput):
    posted_on = BoundedDateField()
    place = serializers.CharField(max_length=200, validators=[no_bidi_controls], help_text="Where it was posted")
    photo = serializers.IntegerField(help_text="A photo of the posted announcement")
    deadline_days = serializers.IntegerField(min_value=1, max_value=365,
                                             help_text="Days to demolish voluntarily, from the posting date")
    note = _note(required=False, allow_blank=True, default="")


class ApplyToCourtBody(ActionInput):
    court = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                  validators=[no_bidi_controls], help_text="Default: the jurisdiction's court")
    note = _note(required=False, allow_blank=True, default="")


class RecordCourtRulingBody(ActionInput):
    ruling = serializers.ChoiceField(choices=CourtRuling.choices)
    ruling_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])
    ruled_on = BoundedDateField()
    note = _note(required=False, allow_blank=True, default="")


class ExecuteDemolitionBody(ActionInput):
    execution = _note(max_length=5000, help_text="What was done (执行笔录)")
    property_handling = _note(required=False, allow_blank=True, default="",
                              help_text="Belongings inventoried and kept (物品清点与保存)")
    photos = _photos(min_length=1)
    videos = IdList(min_length=1, max_length=MAX_PHOTOS, help_text="Ids of the case's body-camera videos of the "
                                                                   "demolition (uploaded first: POST /cases/{id}/videos/)")
    note = _note(required=False, allow_blank=True, default="")


class CloseBody(ActionInput):
    result = _note(required=False, allow_blank=True, default="")
# --- the statutory procedure before the decision (#13; services in patrol.procedure) ---------------------------

def _ids(**kwargs):
    return serializers.ListField(child=serializers.IntegerField(), max_length=10, **kwargs)


def signature_ids(help_text):
    """The client_uuids of signatures drawn on the phone beforehand (POST /cases/{id}/signatures/), at most ten:
    the officers' on a record, a 送达回证's serving officers' (api.documents)."""
    return serializers.ListField(child=serializers.UUIDField(), max_length=10, required=False, default=list,
                                 help_text=help_text)


class PartySignature(ActionInput):
    """How the party took part in a record: signed on the phone (or a photo of the signature), or refused before a
    witness; and the officers' signatures drawn on the phone."""

    # The fields that name signatures by client_uuid: a record sent from the phone's outbox uploads them first
    # (each a change of the case), then the record on the version read before them (api.cases).
    signature_fields = ("party_signature", "officer_signatures")

    party_present = serializers.BooleanField(required=False, default=True)
    party_signature = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text="client_uuid of the party's signature (role party) taken on the phone beforehand (POST "
                  "/cases/{id}/signatures/), drawn or refused with a witness; each signature goes into one document "
                  "only (else 409)")
    officer_signatures = signature_ids("client_uuids of the officers' signatures (role officer) drawn on the phone, "
                                       "each of one of the officers")
    signature_photo = serializers.IntegerField(required=False, allow_null=True,
                                               help_text="Or: id of a photo of the party's signature on paper")
    refused = serializers.BooleanField(required=False, default=False)
    witness_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                         validators=[no_bidi_controls])

    def validate(self, data):
        if (data.get("party_present", True) and not data.get("party_signature") and not data.get("signature_photo")
                and not (data.get("refused") and data.get("witness_name"))):
            raise serializers.ValidationError({"party_signature": [
                _("须有当事人签名（在手机上签名或签名照片），或注明拒绝签名并由见证人在场")]})
        return data


class OnSiteRecord(PartySignature):
    """When and where a record was made: a record made offline on the phone keeps the time it was made on site, not
    the time the network came back."""

    started_at = BoundedDateTimeField(required=False, allow_null=True, default=None,
                                           help_text="When the record began (default: when the server takes it)")
    ended_at = BoundedDateTimeField(required=False, allow_null=True, default=None,
                                         help_text="When it ended (default: when the server takes it)")
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  validators=[no_bidi_controls],
                                  help_text="Where (default: the case's village and address)")


class RecordInspectionBody(OnSiteRecord):
    officers = _ids(min_length=2)
    facts = _note(max_length=5000)
    measurements = _note(required=False, allow_blank=True, default="")
    photos = _photos(required=False, default=list)
    client_uuid = offline_client_uuid("record")


class QuestionAnswer(serializers.Serializer):
    q = _note()
    a = _note()


class RecordInterviewBody(OnSiteRecord):
    officers = _ids(min_length=2)
    interviewee = serializers.CharField(max_length=100, validators=[no_bidi_controls])
    relation = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                     validators=[no_bidi_controls])
    questions = QuestionAnswer(many=True, allow_empty=False)
    client_uuid = offline_client_uuid("record")


class OrderBody(ActionInput):
    # 责令停止建设 for a building still going up (城乡规划法 第65条), else 责令限期改正.
    order_kind = serializers.ChoiceField(choices=[("stop_construction_order", _("责令停止建设通知书")),
                                                  ("rectification_order", _("责令限期改正通知书"))])
    period_days = serializers.IntegerField(min_value=1, max_value=365)
    note = _note(required=False, allow_blank=True, default="")


class WithdrawBody(ActionInput):
    reason = _note()


class ExtendCasePeriodBody(ActionInput):
    new_end = BoundedDateField()
    reason = _note()


class NotifyIntentBody(ActionInput):
    facts = _note(max_length=5000)
    intended_decision = _note(required=False, allow_blank=True, default="")


class StatementPoint(serializers.Serializer):
    point = _note()
    adopted = serializers.BooleanField()
    reason = _note()


class RecordStatementBody(ActionInput):
    statement = _note(max_length=5000)
    points = StatementPoint(many=True, allow_empty=False)


class RequestHearingBody(ActionInput):
    requested_on = BoundedDateField()
    hearing_at = BoundedDateTimeField()
    hearing_place = serializers.CharField(max_length=200, validators=[no_bidi_controls])
    chair = serializers.IntegerField()


class WaiveRightsBody(ActionInput):
    waiver_photo = serializers.IntegerField()
    note = _note(required=False, allow_blank=True, default="")


class RecordHearingBody(ActionInput):
    held_on = BoundedDateField()
    chair = serializers.IntegerField()
    summary = _note(max_length=5000)


class SubmitReviewBody(ActionInput):
    note = _note(required=False, allow_blank=True, default="")


class ChecklistItem(serializers.Serializer):
    passed = serializers.BooleanField()
    remark = _note(required=False, allow_blank=True, default="")


class Checklist(serializers.Serializer):
    """The five points of 重大执法决定法制审核 (行政处罚法 第58条)."""

    subject = ChecklistItem()
    procedure = ChecklistItem()
    facts = ChecklistItem()
    law = ChecklistItem()
    documents = ChecklistItem()

    def validate(self, data):
        missing = {key: [_("未通过的审核项须写明意见")] for key, item in data.items()
                   if not item["passed"] and not item.get("remark")}
        if missing:
            raise serializers.ValidationError(missing)
        return data


class LegalApproveBody(ActionInput):
    checklist = Checklist()
    note = _note(required=False, allow_blank=True, default="")


class LegalRejectBody(ActionInput):
    checklist = Checklist()
    reason = _note()
    back_to = serializers.ChoiceField(choices=[("ordered", _("责令整改中")), ("notified", _("已事先告知"))])


class RecordCollectiveDiscussionBody(ActionInput):
    attendees = serializers.ListField(child=serializers.CharField(max_length=100, validators=[no_bidi_controls]),
                                      min_length=3, max_length=30)
    conclusion = _note(max_length=5000)


class DecideBody(ActionInput):
    period_days = serializers.IntegerField(min_value=1, max_value=365)
    note = _note(required=False, allow_blank=True, default="")
