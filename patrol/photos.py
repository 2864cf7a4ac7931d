"""Accepting photo files as evidence: type, size and pixel checks, SHA-256, EXIF kept as extra evidence."""
import base64
import hashlib
import io
import re
import struct
import uuid
import warnings
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from patrol import workflow
from patrol.errors import Conflict, InvalidInput, NotFound, StaleCase
from patrol.models import Case, Photo

# HEIC (iPhones' photos, sent as they are when a browser cannot decode them) is decoded for real, like every other
# format: an "ftyp heic" header followed by anything else is not a photo.
register_heif_opener()

# Beyond this a "photo" is a decompression bomb, not a phone picture (a 12 MP camera makes 12 million).
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
EXIF_KEEP = {"DateTime", "DateTimeOriginal", "Make", "Model", "Software", "GPSInfo", "Orientation"}
# Markup that makes a file a polyglot: a browser or an office program that sniffs it as HTML or SVG would run it.
# Only tags long enough that compressed pixel data does not hold them by chance (about once in 10^5 photos of
# 15 MB for "<html>"-like six-byte tags, far less for the longer ones); "<svg" alone would be too short.
# An element with an event handler (<img src=x onerror=...>, <svg onload=...>) runs script without any of those tags.
MARKUP = re.compile(rb"<(?:script|iframe|object|embed|!doctype\s+html|html[\s>]|body[\s>]|svg[\s>][^<]{0,200}xmlns)"
                    rb"|<[a-z]{1,10}\s[^<>]{0,200}?\bon[a-z]{3,30}\s*="
                    rb"|javascript:", re.IGNORECASE)
SCAN_CHUNK = 1 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
    try:
        with warnings.catch_warnings(), truncated_images_refused():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise InvalidInput(fields={"file": [_("只接受 JPEG、PNG、WebP 或 HEIC 照片")]})
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(width * height)
                content_type = ACCEPTED_FORMATS[image.format]
                exif = _exif(image)
                if image.format == "JPEG":
                    # Decoded at 1/8 scale: every byte is still read (a truncated file still fails), but a 50 MP
                    # photo takes 2 MB of memory instead of 150.
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()  # a truncated or corrupt file fails here, not later in the thumbnail task
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow refuses to open an image over twice its MAX_IMAGE_PIXELS (about 179 million) at all, from the header
        # alone: nothing is decoded.
        raise InvalidInput(fields={"file": [_("不是可识别的照片文件")]}) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput(fields={"file": [_("照片文件已损坏或不完整")]}) from None
    finally:
        upload.seek(0)
    end, size = _image_end(upload, content_type), upload.size
    if end is None or end > size:
        # Pillow may have decoded it anyway: a library in the process (WeasyPrint) sets its LOAD_TRUNCATED_IMAGES.
        raise InvalidInput(fields={"file": [_("照片文件已损坏或不完整")]})
    if end < size or _contains_markup(upload):
        raise _polyglot()
    return content_type, width, height, exif


@contextmanager
def truncated_images_refused():
    """Pillow decodes a truncated file without complaint once LOAD_TRUNCATED_IMAGES is set, and WeasyPrint (the
    documents' PDFs) sets it for the whole process when it is imported: evidence is checked with it off."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _polyglot():
    return InvalidInput(fields={"file": [_("文件中除了图片还夹带了其他内容（如网页代码），不能作为照片证据")]})


def _too_many_pixels(pixels):
    return InvalidInput(fields={"file": [_("图片像素过多（%(mp)d 百万像素），不像是照片") % {
        "mp": pixels // 1_000_000}]})


def _image_end(upload, content_type):
    """Where the image ends as its format says, or None when its end is missing (a truncated file).

    JPEG's end-of-image marker, PNG's IEND chunk, WebP's RIFF size, the last box of a HEIC file. Bytes after the end
    are room for a second file, e.g. HTML after a valid JPEG; evidence is stored byte for byte, so nothing may ride
    along. (Phones that append a video to a JPEG, "motion photos", send nothing of it from the field page: it
    re-encodes every photo.)
    """
    size = upload.seek(0, io.SEEK_END)
    upload.seek(0)
    try:
        if content_type == "image/jpeg":
            return _jpeg_end(upload.read())
        if content_type == "image/heic":
            return _boxes_end(upload, size)
        if content_type == "image/png":
            position = len(PNG_SIGNATURE)
            while position + 8 <= size:
                upload.seek(position)
                length, kind = struct.unpack(">I4s", upload.read(8))
                position += 12 + length
                if kind == b"IEND":
                    return position
            return None
        if content_type == "image/webp":
            riff, length = struct.unpack("<4sI", upload.read(8))
            return 8 + length + (length & 1) if riff == b"RIFF" else None
        return size
    finally:
        upload.seek(0)


# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker; anything else (after fill
# bytes 0xFF) is the next marker.
_JPEG_MARKER = re.compile(rb"\xff+([^\x00\xd0-\xd7\xff])")
_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}


def _jpeg_end(data):
    """The offset just after a JPEG's end-of-image marker (FFD9), following its segments; None if there is none."""
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            found = _JPEG_MARKER.search(data, position)
            if found is None:
                return None
            position = found.start(1) - 1
    return position + 2 if data[position:position + 2] == b"\xff\xd9" else None


def _boxes_end(upload, size):
    """Where the top-level boxes of an ISO base media file (HEIC) end: the file's size when nothing follows them."""
    position = 0
    while position + 8 <= size:
        upload.seek(position)
        length, _kind = struct.unpack(">I4s", upload.read(8))
        if length == 1:  # a 64-bit size follows the type
            length = struct.unpack(">Q", upload.read(8))[0]
        elif length == 0:  # the last box, to the end of the file
            return size
        if length < 8 or position + length > size:
            return position  # what follows is not a whole box: the image ended here
        position += length
    return position


def _contains_markup(upload):
    upload.seek(0)
    tail = b""
    try:
        while chunk := upload.read(SCAN_CHUNK):
            # The overlap finds a tag split across two chunks.
            if MARKUP.search(tail + chunk):
                return True
            tail = chunk[-256:]
        return False
    finally:
        upload.seek(0)


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


def checked_upload(upload, sha256=None):
    """What an uploaded photo is (``inspect_image``) and its SHA-256, which is the one the phone sent, if it sent one:
    ``(content_type, width, height, exif, sha256)``."""
    content_type, width, height, exif = inspect_image(upload)
    digest = sha256_of(upload)
    if sha256 and sha256.lower() != digest:
        raise InvalidInput(fields={"sha256": [_("SHA-256 与文件内容不符，文件可能在传输中损坏")]})
    return content_type, width, height, exif, digest


def store_uploaded_photo(*, case, actor, upload, stage, client_uuid=None, sha256=None, taken_at=None, location=None,
                         accuracy_m=None):
    """Check an uploaded file and store it as a photo of ``case`` (one CaseEvent)."""
    content_type, width, height, exif, digest = checked_upload(upload, sha256)
    return workflow.attach_photo(
        case_id=case.pk, actor=actor, client_uuid=client_uuid or uuid.uuid4(), file=upload, sha256=digest,
        content_type=content_type, size_bytes=upload.size, taken_at=taken_at or timezone.now(), stage=stage,
        location=location, accuracy_m=accuracy_m, exif=exif, width=width, height=height,
    )


def act_with_uploaded_photos(*, case_id, actor, action, data, uploads, expected_version):
    """A case action taken from a form that may carry photo files: the photos and the action succeed or fail
    together, on the version of the case the user saw.

    The photos are stored at the action's stage (ActionSpec.photo_stage) and handed to it in its photo field;
    files sent to an action that takes none are ignored.
    """
    spec = workflow.action_spec(action)
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("jurisdiction").filter(pk=case_id).first()
        if case is None or case.jurisdiction_id != actor.jurisdiction_id:
            raise NotFound()
        if case.version != expected_version:
            raise StaleCase()
        # Before the files are read, so the answer names the real obstacle (state, role, a rule) first.
        workflow.ensure_allowed(case, actor, spec)
        uploads = list(uploads) if spec.photo_stage else []
        photo_ids = [store_uploaded_photo(case=case, actor=actor, upload=upload, stage=spec.photo_stage).pk
                     for upload in uploads]
        # Each stored photo wrote its own event and bumped the version; the lock is still held.
        return workflow.run_action(case=case, actor=actor, action=action, data=spec.with_photos(data, photo_ids))


def receive_photo(*, case, actor, upload, client_uuid, sha256, taken_at, stage, location=None, accuracy_m=None):
    """A photo from the phone, safe to send again: returns ``(photo, created)``.

    The same ``client_uuid`` with the same bytes returns the stored photo; with other bytes, Conflict.
    """
    return received_once(
        Photo.objects, client_uuid=client_uuid, upload=upload, belongs=lambda photo: photo.case_id == case.pk,
        store=lambda: store_uploaded_photo(case=case, actor=actor, upload=upload, stage=stage, client_uuid=client_uuid,
                                           sha256=sha256, taken_at=taken_at, location=location,
                                           accuracy_m=accuracy_m))


def received_once(rows, *, client_uuid, upload, store, belongs):
    """A photo from the phone (a case's, a 图斑's) stored once however often it is sent: ``(row, created)``.

    The first time ``client_uuid`` comes, ``store()`` makes the row, in a transaction: of two sends at once, the one
    that loses on the unique client_uuid finds the other's row. Sent again with the same bytes for the same owner
    (``belongs(row)``) it is the row stored then; with other bytes or for another owner, Conflict.
    """
    existing = rows.filter(client_uuid=client_uuid).first()
    if existing is None:
        try:
            with transaction.atomic():
                return store(), True
        except IntegrityError:
            existing = rows.filter(client_uuid=client_uuid).first()
            if existing is None:
                raise
    if not belongs(existing) or existing.sha256 != sha256_of(upload):
        raise Conflict(_("该编号（client_uuid）已用于另一张照片"))
    return existing, False


THUMBNAIL_SIZE = (480, 480)


def photos_without_thumbnail(stored_before):
    """Ids of photos stored before ``stored_before`` still without a thumbnail (HEIC gets none), for the sweep."""
    return (Photo.objects.filter(thumbnail="", uploaded_at__lt=stored_before).exclude(content_type="image/heic")
            .values_list("pk", flat=True))


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


# The field page's case store keeps a case's last photos as tiny JPEGs inline (200 cases in ≤ 2 MB on the phone):
# recognisable on site, not evidence. Made once from the thumbnail and cached: a photo never changes.
MINI_SIZE = (96, 96)
MINI_QUALITY = 50


def mini_thumbnail(photo_pk, thumbnail_name):
    """A data: URL of a tiny copy of a photo's thumbnail, or None when it cannot be read."""
    key = f"photo-mini:{photo_pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        with Photo._meta.get_field("thumbnail").storage.open(thumbnail_name, "rb") as source, \
                Image.open(source) as image:
            image.thumbnail(MINI_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=MINI_QUALITY, optimize=True)
    except (OSError, ValueError):
        return None  # not cached: the next refresh tries again
    data = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    cache.set(key, data, timeout=None)
    return data
