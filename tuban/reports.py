"""A batch's results as the township reports them: the 图斑核查情况统计表 (Excel, by village, with the list of
图斑 on a second sheet) and the results as GeoJSON and KML with links to the evidence photos.

The numbers are tuban.selectors' (one definition of verified, illegal, overdue …) so that the page, the API, the
report and the summaries agree.
"""
import io
from xml.sax.saxutils import escape

import orjson
from django.contrib.gis.db.models.functions import AsGeoJSON, AsKML
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from tuban import selectors
from tuban.choices import TubanStatus
from tuban.models import Tuban, TubanPhoto

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
STATUS_COLOURS = {  # KML colours are aabbggrr
    TubanStatus.PENDING: "ff00a5ff", TubanStatus.VERIFIED_ILLEGAL: "ff0000ff", TubanStatus.LEGAL: "ff00c000",
    TubanStatus.NOT_CONSTRUCTION: "ffc0c0c0", TubanStatus.ALREADY_HANDLED: "ffff8000",
    TubanStatus.RECTIFIED: "ff008000"}


def _safe(value):
    """Text a spreadsheet program would run as a formula is written as text (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def statistics_columns():
    return [_("序号"), _("行政村"), _("图斑总数"), _("已核查"), _("核查率"), _("违法"), _("合法"), _("非建设"),
            _("已处理"), _("整改销号"), _("未核查"), _("逾期未核查")]


def _statistics_row(number, name, p):
    rate = f"{100 * p['verified'] / p['total']:.1f}%" if p["total"] else "—"
    return [number, name, p["total"], p["verified"], rate, p["illegal"], p["legal"], p["not_construction"],
            p["already_handled"], p["rectified"], p["pending"], p["overdue"]]


def detail_columns():
    return [_("序号"), _("图斑编号"), _("行政村"), _("监测时间"), _("变化类型"), _("图斑面积（㎡）"), _("核查状态"),
            _("核查人"), _("核查时间"), _("许可或批准文号"), _("关联案件"), _("说明"), _("举证照片")]


def result_rows(batch):
    """The 图斑 of a batch with what their check found, in 图斑编号 order."""
    tuban = (Tuban.objects.filter(batch=batch)
             .select_related("village", "case", "verification__verified_by").order_by("number"))
    photos = {}
    for photo in TubanPhoto.objects.filter(tuban__batch=batch).order_by("taken_at", "pk"):
        photos.setdefault(photo.tuban_id, []).append(photo)
    return [(each, getattr(each, "verification", None), photos.get(each.pk, [])) for each in tuban]


def photo_url(site_url, photo):
    return f"{site_url.rstrip('/')}/api/v1/tuban/photos/{photo.pk}/file/"


def write_statistics_xlsx(batch, *, site_url, today=None):
    """The 图斑核查情况统计表 of one batch as .xlsx bytes."""
    today = today or timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("核查情况统计")
    columns = statistics_columns()
    sheet.append([_("%(batch)s 图斑核查情况统计表") % {"batch": batch.name}])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([_("填报单位：%(unit)s　核查截止日期：%(due)s　统计日期：%(today)s")
                  % {"unit": batch.jurisdiction.name, "due": batch.due_date.isoformat() if batch.due_date else "—",
                     "today": today.isoformat()}])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(columns))
    sheet.append(columns)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    rows = selectors.village_progress(batch, today)
    for number, (name, counts) in enumerate(rows, start=1):
        sheet.append(_statistics_row(number, _safe(name) or _("（不在任何行政村内）"), counts))
    total = selectors.batch_progress(type(batch).objects.filter(pk=batch.pk), today)[batch.pk]
    sheet.append(_statistics_row("", _("合计"), total))
    for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row, max_col=len(columns)):
        for cell in row:
            cell.border = BOX
    sheet[f"B{sheet.max_row}"].font = Font(bold=True)
    widths = [6, 16, 10, 10, 10, 8, 8, 8, 8, 10, 10, 12]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    details = workbook.create_sheet(_("图斑明细"))
    details.append(detail_columns())
    for cell in details[1]:
        cell.font = Font(bold=True)
    labels = dict(TubanStatus.choices)
    for number, (tuban, verification, photos) in enumerate(result_rows(batch), start=1):
        details.append([
            number, _safe(tuban.number), _safe(tuban.village.name) if tuban.village_id else "",
            tuban.monitored_on, _safe(tuban.change_type), round(tuban.area_m2, 1), str(labels[tuban.display_status]),
            verification.verified_by.display_name if verification else "",
            timezone.localtime(verification.verified_at).replace(tzinfo=None) if verification else None,
            _safe(verification.permit_number) if verification else "", tuban.case.reference if tuban.case_id else "",
            _safe(verification.note) if verification else "",
            "\n".join(photo_url(site_url, photo) for photo in photos)])
    for index, width in enumerate([6, 18, 12, 12, 16, 12, 10, 10, 18, 18, 18, 24, 60], start=1):
        details.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _properties(tuban, verification, photos, site_url):
    return {"id": tuban.pk, "number": tuban.number, "village": tuban.village.name if tuban.village_id else "",
            "status": tuban.display_status, "change_type": tuban.change_type, "area_m2": round(tuban.area_m2, 1),
            "monitored_on": tuban.monitored_on,
            "verdict": verification.verdict if verification else None,
            "verified_at": verification.verified_at if verification else None,
            "permit_number": verification.permit_number if verification else "",
            "case": tuban.case.reference if tuban.case_id else None,
            "photos": [{"kind": photo.kind, "url": photo_url(site_url, photo)} for photo in photos]}


def write_results_geojson(batch, *, site_url):
    geometry = dict(Tuban.objects.filter(batch=batch).annotate(geojson=AsGeoJSON("polygon", precision=7))
                    .values_list("pk", "geojson"))
    return orjson.dumps({"type": "FeatureCollection", "name": batch.name, "features": [
        {"type": "Feature", "id": tuban.pk, "geometry": orjson.Fragment(geometry[tuban.pk]),
         "properties": _properties(tuban, verification, photos, site_url)}
        for tuban, verification, photos in result_rows(batch)]})


def write_results_kml(batch, *, site_url):
    geometry = dict(Tuban.objects.filter(batch=batch).annotate(kml=AsKML("polygon", precision=7))
                    .values_list("pk", "kml"))
    labels = dict(TubanStatus.choices)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
             f"<name>{escape(batch.name)}</name>"]
    for status, colour in STATUS_COLOURS.items():
        parts.append(f'<Style id="{status}"><LineStyle><color>{colour}</color><width>2</width></LineStyle>'
                     f"<PolyStyle><color>{'66' + colour[2:]}</color></PolyStyle></Style>")
    for tuban, verification, photos in result_rows(batch):
        links = "".join(f'<p><a href="{escape(photo_url(site_url, photo))}">{escape(photo.get_kind_display())}</a></p>'
                        for photo in photos)
        description = (f"<p>{escape(str(labels[tuban.display_status]))}</p>"
                       + (f"<p>{escape(tuban.case.reference)}</p>" if tuban.case_id else "") + links)
        parts.append(f"<Placemark><name>{escape(tuban.number)}</name>"
                     f"<description><![CDATA[{description}]]></description>"
                     f"<styleUrl>#{tuban.display_status}</styleUrl>{geometry[tuban.pk]}</Placemark>")
    parts.append("</Document></kml>")
    return "".join(parts).encode()
