"""Accepting photo files as evidence: type, size and pixel checks, SHA-256, EXIF kept as extra evidence."""
import hashlib
import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from patrol import workflow
from patrol.errors import Conflict, InvalidInput
from patrol.models import Photo
from worker.enqueue import enqueue_on_commit

# Beyond this a "photo" is a decompression bomb, not a phone picture (a 12 MP camera makes 12 million).
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
EXIF_KEEP = {"DateTime", "DateTimeOriginal", "Make", "Model", "Software", "GPSInfo", "Orientation"}


def sha256_of(upload):
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def inspect_image(upload):
    """Return (content_type, width, height, exif) or raise InvalidInput with a clear message."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.PHOTO_MAX_BYTES:
        raise InvalidInput(fields={"file": [_("照片不能超过 %(mb)d MB") % {"mb": settings.PHOTO_MAX_BYTES // 2**20}]})
    if size == 0:
        raise InvalidInput(fields={"file": [_("文件是空的")]})
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic", None, None, {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise InvalidInput(fields={"file": [_("只接受 JPEG、PNG、WebP 或 HEIC 照片")]})
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InvalidInput(fields={"file": [_("图片像素过多（%(mp)d 百万像素），不像是照片") % {
                        "mp": width * height // 1_000_000}]})
                content_type = ACCEPTED_FORMATS[image.format]
                exif = _exif(image)
                image.load()  # a truncated or corrupt file fails here, not later in the thumbnail task
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(fields={"file": [_("不是可识别的照片文件")]}) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput(fields={"file": [_("照片文件已损坏或不完整")]}) from None
    finally:
        upload.seek(0)
    return content_type, width, height, exif


def _exif(image):
    try:
        raw = image.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is not a reason to refuse the photo
        return {}
    kept = {}
    for tag, value in raw.items():
        name = ExifTags.TAGS.get(tag, str(tag))
        if name == "GPSInfo":
            try:
                gps = raw.get_ifd(ExifTags.IFD.GPSInfo)
                value = {ExifTags.GPSTAGS.get(k, str(k)): str(v)[:100] for k, v in gps.items()}
            except Exception:  # noqa: BLE001
                continue
        if name in EXIF_KEEP:
            kept[name] = value if isinstance(value, dict) else str(value)[:200]
    return kept


def store_uploaded_photo(*, case, actor, upload, stage, client_uuid=None, sha256=None, taken_at=None, location=None,
                         accuracy_m=None):
    """Check an uploaded file and store it as a photo of ``case`` (one CaseEvent)."""
    content_type, width, height, exif = inspect_image(upload)
    digest = sha256_of(upload)
    if sha256 and sha256.lower() != digest:
        raise InvalidInput(fields={"sha256": [_("SHA-256 与文件内容不符，文件可能在传输中损坏")]})
    return workflow.attach_photo(
        case_id=case.pk, actor=actor, client_uuid=client_uuid or uuid.uuid4(), file=upload, sha256=digest,
        content_type=content_type, size_bytes=upload.size, taken_at=taken_at or timezone.now(), stage=stage,
        location=location, accuracy_m=accuracy_m, exif=exif, width=width, height=height,
    )


def receive_photo(*, case, actor, upload, client_uuid, sha256, taken_at, stage, location=None, accuracy_m=None):
    """A photo from the phone, safe to send again: returns ``(photo, created)``.

    The same ``client_uuid`` with the same bytes returns the stored photo; with other bytes, Conflict.
    """
    existing = Photo.objects.filter(client_uuid=client_uuid).first()
    if existing is None:
        try:
            with transaction.atomic():
                photo = store_uploaded_photo(case=case, actor=actor, upload=upload, stage=stage,
                                             client_uuid=client_uuid, sha256=sha256, taken_at=taken_at,
                                             location=location, accuracy_m=accuracy_m)
            enqueue_on_commit(make_thumbnail_task(), photo.pk)
            return photo, True
        except IntegrityError:
            existing = Photo.objects.filter(client_uuid=client_uuid).first()
            if existing is None:
                raise
    if existing.case_id != case.pk or existing.sha256 != sha256_of(upload):
        raise Conflict(_("该编号（client_uuid）已用于另一张照片"))
    return existing, False


def make_thumbnail_task():
    from worker.tasks import make_thumbnail

    return make_thumbnail


THUMBNAIL_SIZE = (480, 480)


def make_thumbnail(photo):
    """Add a JPEG thumbnail to a stored photo (derived data; the evidence columns stay as they are)."""
    if photo.thumbnail or photo.content_type == "image/heic":
        return False
    with photo.file.open("rb") as source, Image.open(source) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    photo.thumbnail.save("thumb.jpg", ContentFile(out.getvalue()), save=False)
    Photo.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name)
    return True
