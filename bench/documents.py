"""Rendering enforcement documents as PDF (issue #14), printed, not asserted:

  the time to render a one-page document (documents.rendering.render_pdf: the Django template, WeasyPrint's
  layout, font subsetting and PDF writing), per page, against the target of ≤ 1 s per page on this machine,
  and ÷ the time WeasyPrint takes in the same run for a trivial page (one line in the same CJK font): the
  baseline is what any PDF with an embedded CJK font costs here, the ratio what the official layout adds.

No database: the content is built by documents.context.build_content from unsaved model instances, as
issue_document builds it from a real case.

  .venv/bin/python bench/documents.py
"""
import io
import os
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from weasyprint import HTML  # noqa: E402

from documents.choices import DocumentKind  # noqa: E402
from documents.context import build_content  # noqa: E402
from documents.images import print_copy  # noqa: E402
from documents.rendering import html_to_pdf, render_html, render_pdf  # noqa: E402
from gis.models import Jurisdiction, Village  # noqa: E402
from patrol.models import Case, User  # noqa: E402

RUNS = 7
K = DocumentKind
KINDS = [K.RECTIFICATION_ORDER, K.STOP_CONSTRUCTION_ORDER, K.INTENT_NOTICE, K.DEMOLITION_DECISION, K.REMINDER,
         K.ENFORCEMENT_DECISION, K.ENFORCEMENT_ANNOUNCEMENT, K.INSPECTION_RECORD]
TRIVIAL = ('<html><body style="font-family: \'Noto Serif CJK SC\'; font-size: 13pt">'
           '<p>责令限期改正通知书</p></body></html>')


def a_case():
    jurisdiction = Jurisdiction(name="龙王沟乡村振兴示范区", code="LWG", doc_prefix="龙执")
    village = Village(jurisdiction=jurisdiction, name="东沟村")
    return Case(jurisdiction=jurisdiction, village=village, reference="LWG-2026-00042", address="村东头12号",
                category="extension", stage="under_construction", structure="brick_concrete",
                estimated_area_m2=Decimal("86.5"), floors=2, party_name="张三", party_phone="13800000000",
                observed_at=timezone.make_aware(datetime(2026, 3, 2, 9)))


class _Drawn:
    """A signature drawn on the phone, as documents.images reads one: a PNG of dark strokes on transparency."""

    pk = None

    def __init__(self, seed):
        image = Image.new("RGBA", (720, 280), (0, 0, 0, 0))
        points = [(40 + i * 30, 140 + ((i * 37 + seed * 11) % 100) - 50) for i in range(22)]
        ImageDraw.Draw(image).line(points, fill=(20, 20, 60, 255), width=7, joint="curve")
        out = io.BytesIO()
        image.save(out, "PNG")
        self.file = ContentFile(out.getvalue(), name="signature.png")


def timed(function, runs=RUNS):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    supervisor = User(username="supervisor", last_name="刘", first_name="队长", certificate_number="150100000000001")
    case = a_case()
    issued_on = date(2026, 3, 3)
    start = time.perf_counter()
    html_to_pdf(TRIVIAL)  # the first render in a process loads fontconfig and the fonts
    cold = time.perf_counter() - start
    baseline, trivial = timed(lambda: html_to_pdf(TRIVIAL))
    print(f"first render in a process (fonts loaded): {cold:.2f} s")
    print(f"baseline, a trivial one-line page: {baseline * 1000:.0f} ms, {len(trivial) / 1024:.0f} KiB")
    print(f"{'kind':<28} {'pages':>5} {'ms/page':>8} {'÷ baseline':>10} {'KiB':>5}")
    worst = 0
    for kind in KINDS:
        content = build_content(case=case, kind=kind, content={"officers": [supervisor, {"name": "王五", "certificate":
                                "150100000000002"}]} if kind == K.INSPECTION_RECORD else {},
                                actor=supervisor, issued_on=issued_on, deadline=date(2026, 12, 14))
        number = f"龙执〔2026〕字第{KINDS.index(kind) + 1}号"
        seconds, data = timed(lambda: render_pdf(kind=kind, number=number, issued_on=issued_on, content=content))
        page_count = len(HTML(string=render_html(kind=kind, number=number, issued_on=issued_on,
                                                 content=content)).render().pages)
        per_page = seconds / page_count
        worst = max(worst, per_page)
        print(f"{kind:<28} {page_count:>5} {per_page * 1000:>8.0f} {per_page / baseline:>10.2f} {len(data) / 1024:>5.0f}")
    # An on-site record signed on the phone by the party and both officers: the drawn PNGs made print copies
    # (documents.images, as issue_document does) and placed in the signing places.
    content = build_content(case=case, kind=K.INSPECTION_RECORD, content={"officers": [supervisor, {
        "name": "王五", "certificate": "150100000000002"}]}, actor=supervisor, issued_on=issued_on)
    drawn = [_Drawn(seed) for seed in range(3)]
    places = ("party_signature", "officer_signature_1", "officer_signature_2")
    seconds, data = timed(lambda: render_pdf(
        kind=K.INSPECTION_RECORD, number="龙执〔2026〕检字第9号", issued_on=issued_on, content=content,
        images={place: print_copy(signature) for place, signature in zip(places, drawn, strict=True)}))
    worst = max(worst, seconds)
    print(f"{'inspection_record, signed ×3':<28} {1:>5} {seconds * 1000:>8.0f} {seconds / baseline:>10.2f} "
          f"{len(data) / 1024:>5.0f}")
    print(f"slowest per page: {worst:.2f} s (target ≤ 1 s), {worst / baseline:.2f} × the trivial page")


if __name__ == "__main__":
    main()
