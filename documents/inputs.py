"""What a client sends to record a service (送达): the API's request body and the case page's form check form only
(types, lengths, choices); the rules of each method are documents.services.record_service's."""
import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from documents.choices import ElectronicChannel, RecipientRelation
from documents.signatures import MAX_BYTES
from patrol.action_inputs import signature_ids
from patrol.inputs import BoundedDateField, ServiceMethodField, no_bidi_controls


def _photo_id():
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**53)


def _text(max_length):
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="",
                                 validators=[no_bidi_controls])


class DocumentServiceBodySerializer(serializers.Serializer):
    """How a document was served; which fields a method needs is in the description of ``method``."""

    client_uuid = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text="Made by the client: the same service sent again is recorded once (the answer is the service "
                  "recorded the first time, 200); the same client_uuid for another document is 409")
    method = ServiceMethodField(help_text=(
        "in_person: recipient_name, recipient_relation, recipient_signature (or signature_photo); left_at_premises: "
        "witness_name or evidence_photo (or a recipient_signature that is a refusal, with its witness); post: tracking_number (receipt_date when the return receipt is back); electronic: "
        "consent_photo (else 409), channel, address; public_notice: publication_place, failure_reason"))
    served_on = BoundedDateField(help_text="The day it was handed over, left, posted, sent or published")
    place = _text(200)
    recipient_name = _text(100)
    recipient_relation = serializers.ChoiceField(choices=RecipientRelation.choices, required=False, allow_blank=True,
                                                 default="")
    signature_photo = _photo_id()
    recipient_signature = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text="client_uuid of the recipient's signature (role recipient or party) taken on the phone beforehand "
                  "(POST /cases/{id}/signatures/): drawn, it is printed on the 送达回证; a refusal, its witness is. "
                  "Each signature goes into one document only (else 409)")
    officer_signatures = signature_ids("client_uuids of the serving officers' signatures (role officer) drawn on "
                                       "the phone")
    refused = serializers.BooleanField(required=False, default=False)
    witness_name = _text(100)
    evidence_photo = _photo_id()
    tracking_number = _text(60)
    receipt_date = BoundedDateField(required=False, allow_null=True, default=None)
    consent_photo = _photo_id()
    channel = serializers.ChoiceField(choices=ElectronicChannel.choices, required=False, allow_blank=True, default="")
    address = _text(200)
    publication_place = _text(200)
    failure_reason = _text(2000)
    note = _text(2000)


class PostalReceiptBodySerializer(serializers.Serializer):
    receipt_date = BoundedDateField(help_text="The date on the return receipt (民事诉讼法 第91条: the date of service)")


# A PNG of MAX_BYTES as a data: URL (base64 is 4/3 of the bytes).
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_DATA_URL = len(DATA_URL_PREFIX) + (MAX_BYTES * 4 // 3) + 4


class ServiceFormBody(DocumentServiceBodySerializer):
    """The case page's form (documents/_service_form.html): the API's fields, and the recipient's signature drawn in
    the form itself — the canvas as a PNG data: URL with the SHA-256 the phone computed — or the refusal to sign
    (``refused`` with ``witness_name``), instead of a signature taken beforehand."""

    signature_png = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_DATA_URL,
                                          trim_whitespace=True)
    signature_sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True, default="")

    def validate_signature_png(self, value):
        if not value:
            return None
        if not value.startswith(DATA_URL_PREFIX):
            raise serializers.ValidationError(_("签名图像须为 PNG"))
        try:
            return base64.b64decode(value[len(DATA_URL_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("签名图像须为 PNG")) from None
