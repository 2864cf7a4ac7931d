"""Evidence images placed in a document (a signature drawn on the phone, a recipient's signature photo on a
送达回证), scaled down for print.

The photo itself stays in the evidence store untouched; the document holds a copy no larger than print needs,
made the same way every time (same bytes in, same JPEG out), so a document re-rendered from its row and the
photos it names is the same PDF. A photo's copy carries the band of its display copy (patrol.watermark: time,
position, case, taker), drawn here at print size rather than taken from the worker's copy, so a document issued a
second after the upload shows it too, and under the picture, so it covers no stroke of a photographed signature;
the content still names the photo by the SHA-256 of its original. A drawn signature gets no band.
"""
import base64
import io
import logging

from PIL import Image, ImageOps, UnidentifiedImageError

from documents.models import Signature
from patrol import watermark
from patrol.models import Photo

logger = logging.getLogger(__name__)

# A signature box is about 60 mm wide: 600 px is 250 dpi there.
PRINT_MAX_PX = 600


def print_copy(photo, max_px=PRINT_MAX_PX, quality=85, *, draft=False, band_below=False):
    """A ``data:`` URI of the photo, at most ``max_px`` on its longer side, as JPEG; None when it cannot be
    decoded here (the document then names the photo by its SHA-256 only).

    ``draft``: let libjpeg decode a JPEG at 1/2, 1/4 or 1/8 of its size (never below ``max_px``) before the
    resize, about twice as fast for a 12 MP photo (the dossier's photo pages). Issued documents keep the full
    decode, so a document re-rendered from its row gets the same image it was issued with.

    ``band_below``: the photo's band goes under the picture, not over its bottom (watermark.stamp)."""
    try:
        return _jpeg_uri(photo, max_px, quality, draft, band_below)
    except (OSError, UnidentifiedImageError, ValueError):
        logger.warning("Photo %s cannot be placed in a document", photo.pk, exc_info=True)
        return None


def _jpeg_uri(photo, max_px, quality, draft=False, band_below=False):
    with photo.file.open("rb") as handle:
        image = Image.open(handle)
        if draft:
            image.draft("RGB", (max_px, max_px))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_px, max_px))
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
            image = background
        if isinstance(photo, Photo):
            image = watermark.stamp(image, watermark.band_lines(photo), below=band_below)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def images_for(case, content):
    """The images a document shows, from the photos and drawn signatures its content names by SHA-256
    (``content["images"]``)."""
    named = content.get("images") or {}
    photos = {p.sha256: p for p in Photo.objects.filter(case=case, sha256__in=list(named.values()))
              .select_related("case", "uploaded_by")}
    photos.update({s.sha256: s for s in Signature.objects.filter(case=case, refused=False,
                                                                 sha256__in=list(named.values()))})
    # As documents.services.issue_document places them (a photographed signature: the band under it).
    copies = {name: print_copy(photos[sha], band_below=True) for name, sha in named.items() if sha in photos}
    return {name: uri for name, uri in copies.items() if uri}
