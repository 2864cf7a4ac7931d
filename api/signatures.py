"""Signatures drawn on the phone (documents.signatures) over the API.

- ``POST /api/v1/cases/{id}/signatures/`` (multipart): the PNG drawn on the field page's canvas with its SHA-256,
  or ``refused`` with ``witness_name``; 201, or 200 when this client_uuid was received before (the outbox retries);
- ``GET /api/v1/signatures/{id}/file/``: the PNG, for the case's jurisdiction only (another: 404).
"""
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from documents.models import Signature
from documents.signatures import MAX_BYTES, record_signature, signatures_for
from patrol import selectors
from patrol.errors import InvalidInput
from patrol.inputs import BoundedDateTimeField, no_bidi_controls
from patrol.models import User
from patrol.patrols import CLOCK_SKEW


class SignatureUploadSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    role = serializers.ChoiceField(choices=Signature.Role.choices)
    signer_name = serializers.CharField(max_length=100, validators=[no_bidi_controls])
    officer = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                       help_text="The officer's user id, for role officer")
    drawn_at = BoundedDateTimeField(required=False, help_text="When it was drawn on the phone (not in the future)")
    file = serializers.FileField(required=False, help_text=f"The PNG drawn on the screen, at most {MAX_BYTES} bytes")
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False,
                                    error_messages={"invalid": gettext_lazy("SHA-256 须为 64 位十六进制")})
    refused = serializers.BooleanField(default=False)
    witness_name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                         validators=[no_bidi_controls])

    def validate_drawn_at(self, value):
        # As every moment a phone sends: its clock may run a little fast, never days ahead.
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("签名时间不能晚于现在"))
        return value


class SignatureSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display")
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Signature
        fields = ["id", "client_uuid", "case", "role", "role_display", "signer_name", "officer", "refused",
                  "witness_name", "sha256", "drawn_at", "uploaded_at", "file_url"]

    def get_file_url(self, signature) -> str | None:
        return reverse("api-signature-file", args=[signature.pk]) if signature.file else None


class CaseSignatureUploadView(APIView):
    """Keep one signature drawn on the phone (or the refusal to sign, with a witness) as evidence of a case."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": SignatureUploadSerializer},
                   responses={201: OpenApiResponse(SignatureSerializer, description="Stored"),
                              200: OpenApiResponse(SignatureSerializer, description="This client_uuid was received "
                                                                                    "before"),
                              **errors(400, 403, 404, 409,
                                       d400="Not a PNG, too large, SHA-256 mismatch, a refusal without a witness, "
                                            "invalid fields",
                                       d404="No such case in the user's jurisdiction",
                                       d409="client_uuid already used for another signature")})
    def post(self, request, pk):
        case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
        body = SignatureUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data.get("file")
        if upload is not None and upload.size > MAX_BYTES:
            raise InvalidInput(fields={"file": [_("签名图像过大")]})
        officer = None
        if data.get("officer"):
            officer = User.objects.filter(pk=data["officer"], jurisdiction_id=case.jurisdiction_id).first()
            if officer is None:
                raise InvalidInput(fields={"officer": [_("请选择本辖区的执法人员")]})
        signature, created = record_signature(
            case_id=case.pk, actor=request.user, client_uuid=data["client_uuid"], role=data["role"],
            signer_name=data["signer_name"], drawn_at=data.get("drawn_at"),
            png=upload.read() if upload is not None else None, sha256=data.get("sha256", ""),
            refused=data["refused"], witness_name=data.get("witness_name", ""), officer=officer)
        return Response(SignatureSerializer(signature).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SignatureFileView(APIView):
    """A drawn signature's PNG, only for users of the case's jurisdiction."""

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY,
                              **errors(404, d404="No such signature in the user's jurisdiction, or a refusal")})
    def get(self, request, pk):
        signature = get_object_or_404(signatures_for(request.user), pk=pk)
        if not signature.file:
            raise Http404
        response = FileResponse(signature.file.open("rb"), content_type="image/png",
                                filename=f"{signature.case.reference}-signature-{signature.pk}.png")
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
        response["X-Content-Type-Options"] = "nosniff"
        # Evidence bytes never change, as photos (README "Caching").
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response
