"""Body-camera videos: announce (POST /cases/{id}/videos/), send in chunks (PATCH /uploads/{id}/), ask where the
transfer stands (HEAD or GET /uploads/{id}/), and read the stored file (GET /videos/{id}/file/).

The protocol and its rules are in videos.uploads; this module only translates HTTP. The chunk's headers follow tus
(``Upload-Offset``, ``Upload-Length``, media type ``application/offset+octet-stream``); ``Content-Range: bytes
first-last/total`` is accepted instead of ``Upload-Offset``.
"""
import re

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import exception_handler
from api.parsers import ShallowJSONParser
from api.schema import errors
from api.serializers import JsonTypes, VideoSerializer
from patrol.inputs import BoundedDateTimeField
from patrol.errors import Conflict, DomainError, InvalidInput
from videos import uploads
from videos.models import CONTENT_TYPES, Video, VideoUpload

CHUNK_MEDIA_TYPES = ("application/offset+octet-stream", "application/octet-stream")
CONTENT_RANGE_RE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15}|\*)$")
OFFSET_RE = re.compile(r"^\d{1,15}$")


class VideoSizeField(serializers.IntegerField):
    """A video's size in bytes, documented up to VIDEO_MAX_BYTES as the settings say when the schema is made (a
    deployment and the tests change it); videos.uploads.start_upload refuses a larger one in its own words."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)

    @property
    def max_value(self):
        return settings.VIDEO_MAX_BYTES

    @max_value.setter
    def max_value(self, value):
        pass  # IntegerField.__init__ sets None: the limit is the setting's


class VideoUploadStartSerializer(JsonTypes, serializers.Serializer):
    """POST /api/v1/cases/{id}/videos/: the file about to be sent, as the phone knows it."""

    client_uuid = serializers.UUIDField(help_text="Made by the client: sending it again returns the same upload")
    filename = serializers.CharField(max_length=200, allow_blank=True, default="",
                                     help_text="The name the camera gave the file")
    size_bytes = VideoSizeField()
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$",
                                    error_messages={"invalid": gettext_lazy("SHA-256 须为 64 位十六进制")},
                                    help_text="Of the whole file; checked when the last byte arrived")
    content_type = serializers.ChoiceField(choices=list(CONTENT_TYPES))
    recorded_from = BoundedDateTimeField(required=False, allow_null=True)
    recorded_to = BoundedDateTimeField(required=False, allow_null=True)


class VideoUploadSerializer(serializers.ModelSerializer):
    complete = serializers.BooleanField(help_text="The whole file arrived, matched its SHA-256 and is kept as `video`")
    video = VideoSerializer(allow_null=True)
    url = serializers.SerializerMethodField(help_text="Where to send the chunks (PATCH) and ask the offset (HEAD)")

    class Meta:
        model = VideoUpload
        fields = ["id", "client_uuid", "case", "filename", "content_type", "size_bytes", "sha256", "offset",
                  "complete", "video", "created_at", "updated_at", "url"]
        read_only_fields = fields

    def get_url(self, upload) -> str:
        return f"/api/v1/uploads/{upload.pk}/"


def upload_headers(upload):
    return {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.size_bytes),
            "Location": f"/api/v1/uploads/{upload.pk}/"}


def upload_response(upload, status_code=status.HTTP_200_OK):
    return Response(VideoUploadSerializer(upload).data, status=status_code, headers=upload_headers(upload))


class CaseVideoUploadView(APIView):
    """Announce a body-camera video of a case (执法记录仪, DOMAIN.md "Evidence rules"); then send its bytes in chunks
    to the upload's `url`. Safe to repeat with the same client_uuid: the answer says how far the upload got."""

    # JSON only: a form has no null, so an empty `recorded_to=` would silently mean "not recorded" while the schema
    # calls it an invalid date-time (schemathesis found the mismatch).
    parser_classes = [ShallowJSONParser]

    @extend_schema(request=VideoUploadStartSerializer, responses={
        201: OpenApiResponse(VideoUploadSerializer, description="Upload started, offset 0"),
        200: OpenApiResponse(VideoUploadSerializer, description="This client_uuid was announced before for the "
                                                                "same file: that upload, with its offset"),
        **errors(400, 403, 404, 409,
                 d400="Invalid fields: an unaccepted type, a size of 0 or over the limit (4 GB), a malformed SHA-256",
                 d403="Only inspectors and supervisors upload videos",
                 d404="No such case in the user's jurisdiction",
                 d409="The client_uuid was already used for another file")})
    def post(self, request, pk):
        body = VideoUploadStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload, created = uploads.start_upload(case_id=pk, actor=request.user, **body.validated_data)
        return upload_response(upload, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


OFFSET_HEADERS = [
    OpenApiParameter("Upload-Offset", OpenApiTypes.INT, OpenApiParameter.HEADER,
                     description="Where this chunk starts: the upload's current offset (or send Content-Range)"),
    OpenApiParameter("Content-Range", OpenApiTypes.STR, OpenApiParameter.HEADER,
                     description="`bytes first-last/total`, instead of Upload-Offset"),
]


class VideoUploadView(APIView):
    """One video upload: where it stands (GET, or HEAD for the `Upload-Offset` header alone) and its next chunk
    (PATCH)."""

    @extend_schema(responses={200: VideoUploadSerializer,
                              **errors(403, 404, d403="Only inspectors and supervisors upload videos",
                                       d404="No such upload in the user's jurisdiction")})
    def get(self, request, pk):
        return upload_response(uploads.upload_for(upload_id=pk, actor=request.user))

    def head(self, request, pk):
        upload = uploads.upload_for(upload_id=pk, actor=request.user)
        return Response(status=status.HTTP_200_OK, headers={**upload_headers(upload), "Cache-Control": "no-store"})

    @extend_schema(
        request={media_type: OpenApiTypes.BINARY for media_type in CHUNK_MEDIA_TYPES},
        parameters=OFFSET_HEADERS,
        responses={200: OpenApiResponse(VideoUploadSerializer, description="Chunk stored; `offset` is where the next "
                                        "starts. After the last one `complete` is true and `video` is the stored file"),
                   **errors(400, 403, 404, 409, 413, 415,
                            d400="No offset header or Content-Length, a chunk past the announced size, a body shorter "
                                 "than its Content-Length (nothing of it is kept), a first chunk that is not a video of "
                                 "the announced type, or a whole file that does not match its SHA-256 (both discard "
                                 "the upload)",
                            d403="Only inspectors and supervisors upload videos",
                            d404="No such upload in the user's jurisdiction",
                            d409="The chunk does not start at the upload's offset (the `Upload-Offset` header of the "
                                 "answer, and HEAD, say where it stands), or the upload is already complete",
                            d413="A chunk over 8 MB",
                            d415="The body is not application/offset+octet-stream or application/octet-stream")})
    def patch(self, request, pk):
        upload = uploads.upload_for(upload_id=pk, actor=request.user)
        media_type = request.content_type.split(";")[0].strip().lower()
        if media_type not in CHUNK_MEDIA_TYPES:
            return _error(DomainError(_("分段须以 application/offset+octet-stream 发送")), "unsupported_media_type",
                          status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        length = request.META.get("CONTENT_LENGTH") or ""
        if not OFFSET_RE.match(length):
            raise InvalidInput(fields={"Content-Length": [_("缺少 Content-Length")]})
        offset = self._offset(request, int(length))
        try:
            upload = uploads.receive_chunk(upload_id=upload.pk, actor=request.user, offset=offset, length=int(length),
                                           stream=request._request)
        except Conflict as exc:
            response = exception_handler(exc, {})
            if "offset" in exc.params:
                response["Upload-Offset"] = str(exc.params["offset"])
            return response
        return upload_response(upload)

    @staticmethod
    def _offset(request, length):
        offset = request.headers.get("Upload-Offset", "").strip()
        if OFFSET_RE.match(offset):
            return int(offset)
        match = CONTENT_RANGE_RE.match(request.headers.get("Content-Range", "").strip())
        if match and int(match.group(2)) - int(match.group(1)) + 1 == length:
            return int(match.group(1))
        raise InvalidInput(fields={"Upload-Offset": [_("请在 Upload-Offset（或 Content-Range）请求头中给出本段的起始位置")]})


def _error(exc, code, http_status):
    return Response({"error": {"code": code, "message": str(exc.message), "fields": {}}}, status=http_status)


class VideoFileView(APIView):
    """A stored video's file, only for users of the case's jurisdiction."""

    @extend_schema(responses={(200, "video/*"): OpenApiTypes.BINARY,
                              **errors(404, d404="No such video in the user's jurisdiction")})
    def get(self, request, pk):
        video = get_object_or_404(Video.objects.for_user(request.user).select_related("case"), pk=pk)
        extension = CONTENT_TYPES.get(video.content_type, "bin")
        response = FileResponse(video.file.open("rb"), content_type=video.content_type,
                                filename=f"{video.case.reference}-video-{video.pk}.{extension}")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response



