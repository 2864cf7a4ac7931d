"""Receiving body-camera videos (执法记录仪, DOMAIN.md "Evidence rules") in resumable chunks.

The protocol is tus-like (https://tus.io, core protocol): the phone announces the file (size, SHA-256, type),
then sends it in chunks of at most VIDEO_CHUNK_MAX_BYTES, each naming the offset it starts at; the server tells
the offset it has reached, so a transfer cut by a tunnel or a flat battery resumes from there, not from zero.
Each chunk is stored whole, as one part through Django's storage API (so it works on any storage backend and on
several web servers), or not at all: a chunk cut in the middle leaves the offset where it was.

When the last byte arrives the parts are read once, in order, with bounded memory: copied into the final file
and hashed on the way. Only a file whose SHA-256 equals the announced one becomes a Video (immutable evidence,
one ``add_video`` event in the case's record); any other is discarded with its parts.
"""
import hashlib
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol import workflow
from patrol.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from patrol.models import Case
from videos.models import CONTENT_TYPES, Video, VideoUpload

READ_SIZE = 1024 * 1024
UPLOADER_ROLES = workflow.FIELD_ROLES
# The first chunk must carry the container's signature (an ISO BMFF box header is 12 bytes).
SIGNATURE_BYTES = 12
# Containers by their first bytes; types in one family share a container and may be declared for each other
# (phones call a QuickTime file video/mp4 and the reverse).
FAMILIES = {"video/mp4": "bmff", "video/quicktime": "bmff", "video/3gpp": "bmff",
            "video/x-msvideo": "riff", "video/x-matroska": "ebml", "video/webm": "ebml"}
QUICKTIME_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


class ChunkTooLarge(DomainError):
    code = "too_large"
    http_status = 413


class IncompleteChunk(DomainError):
    """The connection ended before the chunk's Content-Length was read: nothing of it is kept."""

    code = "incomplete_chunk"
    http_status = 400


def sniff_video(head):
    """The video type the first bytes of a file say it is, or None when they are not a known video container."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        return "video/mp4"
    if head[4:8] in QUICKTIME_FIRST_ATOMS:
        return "video/quicktime"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/x-matroska"
    return None


def _uploads_for(actor):
    if actor.role not in UPLOADER_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以上传执法记录仪视频"))
    return VideoUpload.objects.for_user(actor).select_related("case__jurisdiction", "video")


def start_upload(*, case_id, actor, client_uuid, size_bytes, sha256, content_type, filename="",
                 recorded_from=None, recorded_to=None, now=None):
    """Announce a video of ``case``: returns ``(upload, created)``; safe to send again with the same client_uuid.

    The same client_uuid for the same file (case, size, SHA-256) returns the upload made then, wherever it got to
    (so a phone that lost the answer learns the offset to resume from); for another file, Conflict.
    """
    case = Case.objects.for_user(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    if actor.role not in UPLOADER_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以上传执法记录仪视频"))
    sha256 = (sha256 or "").lower()
    errors = {}
    if content_type not in CONTENT_TYPES:
        errors["content_type"] = [_("只接受 MP4、MOV、3GP、AVI、MKV 或 WebM 视频")]
    if not 0 < size_bytes <= settings.VIDEO_MAX_BYTES:
        errors["size_bytes"] = [_("视频文件须大于 0 且不超过 %(gb)s GB") % {
            "gb": f"{settings.VIDEO_MAX_BYTES / 2**30:g}"}]
    if recorded_from and recorded_to and recorded_to < recorded_from:
        errors["recorded_to"] = [_("录制结束时间不能早于开始时间")]
    if errors:
        raise InvalidInput(fields=errors)
    existing = VideoUpload.objects.filter(client_uuid=client_uuid).select_related("case__jurisdiction", "video").first()
    if existing is None:
        now = now or timezone.now()
        try:
            with transaction.atomic():
                upload = VideoUpload.objects.create(
                    client_uuid=client_uuid, case=case, filename=filename, size_bytes=size_bytes, sha256=sha256,
                    content_type=content_type, recorded_from=recorded_from, recorded_to=recorded_to,
                    created_by=actor, created_at=now, updated_at=now)
            return upload, True
        except IntegrityError:
            existing = VideoUpload.objects.filter(client_uuid=client_uuid).select_related(
                "case__jurisdiction", "video").first()
            if existing is None:
                raise
    if (existing.case_id, existing.size_bytes, existing.sha256) != (case.pk, size_bytes, sha256):
        raise Conflict(_("该编号（client_uuid）已用于另一个视频文件"))
    return existing, False


def upload_for(*, upload_id, actor):
    upload = _uploads_for(actor).filter(pk=upload_id).first()
    if upload is None:
        raise NotFound()
    return upload


def receive_chunk(*, upload_id, actor, offset, length, stream):
    """Append ``length`` bytes read from ``stream`` at ``offset``; the last chunk completes the upload.

    Returns the upload (with its ``video`` once complete). Raises Conflict when ``offset`` is not where the upload
    stands (the answer says where), IncompleteChunk when the stream ends early (nothing is kept), InvalidInput when
    the first bytes are not a video of the declared type or the whole file does not match its SHA-256 (the upload
    is then discarded and the client_uuid free to start again).
    """
    upload = upload_for(upload_id=upload_id, actor=actor)
    if length > settings.VIDEO_CHUNK_MAX_BYTES:
        raise ChunkTooLarge(_("每段不能超过 %(mb)s MB") % {"mb": settings.VIDEO_CHUNK_MAX_BYTES // 2**20})
    if upload.complete:
        if offset == upload.size_bytes and length == 0:
            return upload
        raise Conflict(_("该视频已上传完成"))
    if offset != upload.offset:
        raise _wrong_offset(upload.offset)
    if offset + length > upload.size_bytes:
        raise InvalidInput(fields={"Content-Length": [_("超出声明的文件大小（%(size)s 字节）") % {
            "size": upload.size_bytes}]})
    if length == 0 and upload.offset < upload.size_bytes:
        raise InvalidInput(fields={"Content-Length": [_("分段不能为空")]})

    # The body is read before any lock is taken: a slow phone must not hold the upload row for minutes.
    with tempfile.SpooledTemporaryFile(max_size=READ_SIZE) as chunk:
        received = 0
        while received < length:
            piece = stream.read(min(READ_SIZE, length - received))
            if not piece:
                break
            chunk.write(piece)
            received += len(piece)
        if received != length:
            raise IncompleteChunk(_("分段未传完（收到 %(got)s / %(sent)s 字节），请从第 %(offset)s 字节续传") % {
                "got": received, "sent": length, "offset": upload.offset})
        chunk.seek(0)
        content_type = upload.content_type
        if offset == 0 and length:
            content_type = _check_signature(upload, chunk.read(SIGNATURE_BYTES))
            chunk.seek(0)
        with transaction.atomic():
            upload = _locked(upload.pk)
            if offset != upload.offset:  # another request of the same client stored this chunk meanwhile
                raise _wrong_offset(upload.offset)
            if length:
                name = upload.part_name(upload.parts)
                # A part left by a request that failed after storing it and before its row was saved.
                default_storage.delete(name)
                default_storage.save(name, File(chunk, name=name))
                upload.offset += length
                upload.parts += 1
                upload.content_type = content_type
                upload.updated_at = timezone.now()
                upload.save(update_fields=["offset", "parts", "updated_at", "content_type"])
    if upload.offset == upload.size_bytes:
        return complete_upload(upload_id=upload.pk, actor=actor)
    return upload


def _wrong_offset(offset):
    return Conflict(_("续传位置不符：服务器已收到 %(offset)s 字节，请从该位置继续") % {"offset": offset},
                    offset=offset)


def _locked(upload_pk):
    return VideoUpload.objects.select_for_update(of=("self",)).select_related("case__jurisdiction").get(pk=upload_pk)


def _check_signature(upload, head):
    """The magic number of the file, from its first chunk: a video of the declared type's container, or refused."""
    if len(head) < min(SIGNATURE_BYTES, upload.size_bytes):
        raise InvalidInput(fields={"Content-Length": [_("第一段至少须有 %(n)s 字节") % {"n": SIGNATURE_BYTES}]})
    found = sniff_video(head)
    if found is None or FAMILIES[found] != FAMILIES.get(upload.content_type):
        upload.delete()
        raise InvalidInput(fields={"content_type": [_("文件内容不是声明的视频格式（%(type)s），上传已作废") % {
            "type": upload.content_type}]})
    if found == "video/x-matroska" and upload.content_type == "video/webm":
        found = "video/webm"  # the same container; WebM is the declared profile of it
    return found


class _Parts:
    """The stored parts of an upload read as one file, in order, hashing every byte on the way.

    A stream that reads forward only: it says so (``seekable``) and whether it is ``closed``, which storages ask
    before reading (django-storages' S3 backend does; the local disk does not)."""

    def __init__(self, names):
        self.names = list(names)
        self.current = None
        self.digest = hashlib.sha256()
        self.closed = False

    def seekable(self):
        return False

    def read(self, size=-1):
        while self.names or self.current:
            if self.current is None:
                self.current = default_storage.open(self.names.pop(0), "rb")
            data = self.current.read(size if size and size > 0 else READ_SIZE)
            if data:
                self.digest.update(data)
                return data
            self.current.close()
            self.current = None
        return b""

    def close(self):
        if self.current is not None:
            self.current.close()
            self.current = None
        self.closed = True


def complete_upload(*, upload_id, actor):
    """Check the whole file against its SHA-256 and keep it as a Video of the case (one ``add_video`` event)."""
    with transaction.atomic():
        upload = _locked(upload_id)
        if upload.complete:
            return upload
        if upload.offset != upload.size_bytes:
            raise _wrong_offset(upload.offset)
        part_names = [upload.part_name(index) for index in range(upload.parts)]
        video = Video(client_uuid=upload.client_uuid, case=upload.case, sha256=upload.sha256,
                      content_type=upload.content_type, size_bytes=upload.size_bytes, filename=upload.filename,
                      recorded_from=upload.recorded_from, recorded_to=upload.recorded_to, uploaded_by=actor,
                      uploaded_at=timezone.now())
        parts = _Parts(part_names)
        try:
            content = File(parts, name="video")
            content.size = upload.size_bytes
            video.file.save("video", content, save=False)
        finally:
            parts.close()
        matches = parts.digest.hexdigest() == upload.sha256
        if matches:
            _record_video(video, actor)
            upload.video = video
            upload.updated_at = video.uploaded_at
            upload.save(update_fields=["video", "updated_at"])
        else:
            default_storage.delete(video.file.name)
            upload.delete()
        transaction.on_commit(lambda: _delete_parts(part_names))
    if not matches:
        raise InvalidInput(fields={"sha256": [_("视频文件的 SHA-256 与声明的不符，文件可能在传输中损坏，上传已作废，请重新上传")]})
    return upload


def delete_abandoned_uploads(hours):
    """Delete the uploads that never finished and received nothing for ``hours``, with their stored parts; the phone
    then starts the transfer again (its HEAD is a 404). Returns how many were deleted. Safe to run twice, and
    beside a chunk arriving now: each upload is taken under its row lock, skipping one a request holds."""
    cutoff = timezone.now() - timedelta(hours=hours)
    deleted = 0
    for pk in VideoUpload.objects.filter(video__isnull=True, updated_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            upload = (VideoUpload.objects.select_for_update(skip_locked=True).select_related("case__jurisdiction")
                      .filter(pk=pk, video__isnull=True, updated_at__lt=cutoff).first())
            if upload is None:
                continue
            # Every file in the upload's folder: also a part a request stored before it died, beyond ``parts``.
            folder = upload.part_name(0).rsplit("/", 1)[0]
            try:
                names = [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]
            except FileNotFoundError:
                names = []
            upload.delete()
            transaction.on_commit(lambda names=names: _delete_parts(names))
            deleted += 1
    return deleted


def _delete_parts(names):
    for name in names:
        default_storage.delete(name)



def _record_video(video, actor):
    """Keep ``video`` and write its ``add_video`` event on the locked case (the record names its SHA-256)."""
    case = Case.objects.select_for_update().select_related("jurisdiction").get(pk=video.case_id)
    if case.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    if actor.role not in UPLOADER_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以上传执法记录仪视频"))
    video.case = case
    video.save()
    # workflow's one way to change a case: bump its version (the ETag) and append the event to the chain.
    workflow._save_and_record(case, actor=actor, action="add_video", from_status=case.status, now=video.uploaded_at,
                              payload={"video": str(video.client_uuid), "sha256": video.sha256,
                                       "size_bytes": video.size_bytes, "content_type": video.content_type,
                                       "filename": video.filename,
                                       "recorded_from": video.recorded_from.isoformat() if video.recorded_from else None,
                                       "recorded_to": video.recorded_to.isoformat() if video.recorded_to else None})
