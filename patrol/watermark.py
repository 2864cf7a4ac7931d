"""Watermarked display copies of photos (水印展示图), like the field apps of 城管 teams print on theirs.

A band along the bottom says when and where the photo was taken, for which case and by whom, so a photo seen on
the case page, in a document or in the dossier carries its own context. The band is always drawn from the
evidence columns (time, position) and the case: what a person types cannot put a different time on a photo.

The original file is the evidence and is never touched: the display copy is derived data like the thumbnail,
stored beside it (``Photo.display``), and documents stamp their own downscaled copy with the same band
(``stamp``) so a document does not wait for the worker. The band's text is Chinese whatever the reader's
language: it labels evidence, as the documents do.
"""
import functools
import io
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont, ImageOps

from patrol.models import Photo

logger = logging.getLogger(__name__)

# The time on the band is Beijing time, whatever the server's zone: it is what the team and a court read.
BEIJING = ZoneInfo("Asia/Shanghai")
# A phone screen or a projected page needs no more; a 12 MP original stays the evidence.
DISPLAY_MAX_PX = 2048
DISPLAY_QUALITY = 85
# Text height as a share of the picture's shorter side: the band looks the same on a 600 px print copy and on a
# 2048 px display copy; never below what can still be read.
TEXT_SHARE = 0.034
MIN_TEXT_PX = 11
BAND_OPACITY = 150  # of 255: the scene under the band stays faintly visible
NO_POSITION = "无定位"


def band_lines(photo):
    """The band's two lines, in Chinese: time and position; case reference and who took the photo."""
    taken = photo.taken_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if photo.location is None:
        position = NO_POSITION
    else:
        # As the dossier's captions say it (China lies north and east); 5 decimals is about a metre.
        position = f"北纬{photo.location.y:.5f}° 东经{photo.location.x:.5f}°"
        if photo.accuracy_m is not None:
            position += f" ±{photo.accuracy_m:.0f}米"
    return [f"拍摄时间 {taken}　位置 {position}",
            f"案件 {photo.case.reference}　拍摄人 {photo.uploaded_by.display_name}"]


@functools.lru_cache(maxsize=1)
def _font_face(path):
    """The index of the Simplified Chinese face in a font collection (.ttc), or None when the file cannot be
    loaded; said once in the log, not for every photo."""
    try:
        for index in range(10):
            try:
                family, _style = ImageFont.truetype(path, 12, index=index).getname()
            except OSError:
                if index == 0:
                    raise
                break
            if family.endswith(" SC"):
                return index
        return 0
    except OSError:
        logger.warning("Watermark font %s not found: photo bands are drawn without Chinese glyphs. Install "
                       "Debian's fonts-noto-cjk (scripts/system-packages.sh) or set SUMMARY_CHART_FONT.", path)
        return None


def _font(size):
    path = settings.SUMMARY_CHART_FONT
    index = _font_face(path)
    if index is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size, index=index)


def stamp(image, lines, *, below=False):
    """A copy of ``image`` (RGB) with ``lines`` in white on a dark band along its bottom; ``below``: a band added
    under the picture instead, hiding nothing of it (a photographed signature, whose bottom the band would cover)."""
    image = image.convert("RGB")
    width, height = image.size
    base = max(MIN_TEXT_PX, round(min(width, height) * TEXT_SHARE))
    margin = max(4, base // 2)
    measure = ImageDraw.Draw(image)
    size = _fitting_size(measure, lines, base, width - 2 * margin)
    if size < MIN_TEXT_PX:
        # A narrow (portrait) photo: each item on a line of its own rather than text too small to read or cut off.
        lines = [part for line in lines for part in line.split("　")]
        size = max(MIN_TEXT_PX, _fitting_size(measure, lines, base, width - 2 * margin))
    font = _font(size)
    line_height = round(size * 1.3)
    band = line_height * len(lines) + 2 * margin - (line_height - size)
    if below:
        top = height
        stamped = Image.new("RGB", (width, height + band), (40, 40, 40))
        stamped.paste(image, (0, 0))
    else:
        top = max(0, height - band)
        overlay = Image.new("RGBA", (width, height - top), (0, 0, 0, BAND_OPACITY))
        stamped = image.copy()
        stamped.paste(overlay, (0, top), overlay)
    draw = ImageDraw.Draw(stamped)
    for number, line in enumerate(lines):
        draw.text((margin, top + margin + number * line_height), line, font=font, fill=(255, 255, 255))
    return stamped


def _fitting_size(measure, lines, size, room):
    """The text size at most ``size`` at which the widest line fits in ``room`` pixels."""
    widest = max(measure.textlength(line, font=_font(size)) for line in lines)
    return size if widest <= room else int(size * room / widest)


def display_copy(photo):
    """The photo's watermarked display copy as JPEG bytes, or None for a photo decoded only on the phone (HEIC,
    as for the thumbnail)."""
    if photo.content_type == "image/heic":
        return None
    with photo.file.open("rb") as source, Image.open(source) as image:
        image.draft("RGB", (DISPLAY_MAX_PX, DISPLAY_MAX_PX))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX))
        stamped = stamp(_flattened(image), band_lines(photo))
    out = io.BytesIO()
    stamped.save(out, "JPEG", quality=DISPLAY_QUALITY, optimize=True)
    return out.getvalue()


def _flattened(image):
    """A transparent PNG or WebP on white, as a printed photo would be."""
    if image.mode in ("RGB", "L"):
        return image
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
    return background


def make_display_copy(photo):
    """Store the display copy of a stored photo; False when it has one already or gets none (HEIC). Safe to run
    twice: the column is filled only while empty, and the original's columns are never written."""
    if photo.display or photo.content_type == "image/heic":
        return False
    content = display_copy(photo)
    photo.display.save("display.jpg", ContentFile(content), save=False)
    return Photo.objects.filter(pk=photo.pk, display="").update(display=photo.display.name) == 1


def photos_without_display_copy(stored_before):
    """Ids of photos stored before ``stored_before`` still without a display copy (lost tasks, and the photos
    taken before display copies existed), for the sweep."""
    return (Photo.objects.filter(display="", uploaded_at__lt=stored_before).exclude(content_type="image/heic")
            .order_by("-uploaded_at").values_list("pk", flat=True))
