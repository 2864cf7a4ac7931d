"""The case ledger (台账) as files: Excel, CSV, GeoJSON and KML of a set of cases already scoped to a user.

Each writer reads its rows with one streaming query (``values_list`` + ``iterator``), never a query per
case, so the same code writes fifty rows for a download and a million in a Celery job (``ExportJob``).
The columns are defined once (``COLUMNS``) and every format shows the same fields in the same order.

Text typed by people (address, party) is never trusted: it is XML-escaped in KML, and in Excel and CSV it
can never become a formula (CSV injection): Excel gets it as a text cell marked "quote prefix", CSV gets
a leading apostrophe when it starts with a character that spreadsheet programs read as a formula.
"""
import codecs
import csv
import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Callable
from xml.sax.saxutils import escape

import orjson
from django.db import models
from django.utils import timezone
from django.utils.html import escape as html_escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from patrol.choices import Category, Resolution, Status
from patrol.models import Case, Notice, is_overdue

logger = logging.getLogger(__name__)

CHUNK = 2000
# The exported columns, in the order supervisors hand the ledger to the county: (key, header, Excel width).
COLUMNS = [
    ("reference", gettext_lazy("编号"), 17),
    ("village", gettext_lazy("村"), 12),
    ("address", gettext_lazy("地址"), 28),
    ("party", gettext_lazy("当事人"), 12),
    ("category", gettext_lazy("类别"), 18),
    ("area_m2", gettext_lazy("面积"), 11),
    ("found_on", gettext_lazy("发现日期"), 12),
    ("status", gettext_lazy("状态"), 14),
    ("deadline", gettext_lazy("整改期限"), 12),
    ("overdue", gettext_lazy("是否逾期"), 9),
    ("resolution", gettext_lazy("结案方式"), 12),
    ("responsible", gettext_lazy("责任人"), 10),
    ("documents", gettext_lazy("文书编号"), 34),
]
AREA_FORMAT = '0.0 "㎡"'
DATE_FORMAT = "yyyy-mm-dd"

# Status colours (RGB), shared by the KML styles; overdue cases stand out in their own colour.
STATUS_COLOURS = {
    Status.REPORTED: "f39c12",
    Status.FILED: "2e86c1",
    Status.ORDERED: "8e44ad",
    Status.NOTIFIED: "a569bd",
    Status.HEARING: "5b2c6f",
    Status.IN_REVIEW: "c0392b",
    Status.DECIDED: "b03a2e",
    Status.SUSPENDED: "d4ac0d",
    Status.REMINDED: "a93226",
    Status.ENFORCEMENT_DECIDED: "922b21",
    Status.ANNOUNCED: "7b241c",
    Status.COURT_PENDING: "6e2c00",
    Status.COURT_GRANTED: "4a235a",
    Status.EXECUTED: "17202a",
    Status.CLOSED: "1e8449",
    Status.DISMISSED: "7f8c8d",
}
OVERDUE_COLOUR = "ff0000"

# Characters XML 1.0 (and therefore xlsx) cannot hold at all.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A cell starting with one of these is read as a formula by Excel, LibreOffice and WPS (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    return _CONTROL_CHARACTERS.sub("", value or "")


def _looks_like_formula(text):
    return text.startswith(_FORMULA_STARTS)


# --- Rows -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LedgerRow:
    id: int
    reference: str
    village: str
    address: str
    party: str
    category: str
    category_label: str
    area_m2: Decimal | None
    found_on: date
    status: str
    status_label: str
    deadline: date | None
    overdue: bool
    resolution: str
    resolution_label: str
    responsible: str
    documents: tuple = ()
    lng: float | None = None
    lat: float | None = None

    def case_url(self, site_url):
        return f"{site_url.rstrip('/')}/cases/{self.id}/"


_VALUES = ("id", "reference", "village__name", "address", "party_name", "category", "estimated_area_m2",
           "created_at", "status", "deadline", "resolution", "responsible__last_name", "responsible__first_name",
           "responsible__username")


def ledger_rows(cases, *, with_location=False):
    """The ledger rows of ``cases`` (a scoped queryset, in its order), read in chunks: one query for the cases and
    two for the document numbers of each chunk of CHUNK cases."""
    categories = {value: str(label) for value, label in Category.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    resolutions = {value: str(label) for value, label in Resolution.choices}
    today = timezone.localdate()
    fields = list(_VALUES)
    if with_location:
        cases = cases.annotate(
            export_lng=models.Func("location", function="ST_X", output_field=models.FloatField()),
            export_lat=models.Func("location", function="ST_Y", output_field=models.FloatField()))
        fields += ["export_lng", "export_lat"]
    values_iter = cases.values_list(*fields).iterator(chunk_size=CHUNK)
    while batch := list(islice(values_iter, CHUNK)):
        numbers = document_numbers([values[0] for values in batch])
        for values in batch:
            (pk, reference, village, address, party, category, area, created_at, status, deadline, resolution,
             last_name, first_name, username, *location) = values
            yield LedgerRow(
                id=pk, reference=reference, village=_text(village), address=_text(address), party=_text(party),
                category=category, category_label=categories.get(category, category), area_m2=area,
                # 发现日期 is the day the finding was logged, in Asia/Shanghai: the date the filters use too.
                found_on=timezone.localtime(created_at).date(), status=status,
                status_label=statuses.get(status, status), deadline=deadline,
                overdue=is_overdue(status, deadline, today),
                resolution=resolution, resolution_label=resolutions.get(resolution, resolution),
                # As User.__str__: family name first, no space; the user name when no name is recorded.
                responsible=_text(f"{last_name or ''}{first_name or ''}".strip() or username) if username else "",
                documents=numbers.get(pk, ()),
                lng=location[0] if location else None, lat=location[1] if location else None,
            )


def document_numbers(case_ids):
    """case id → the numbers of the documents issued on it, in issue order: the notices (patrol.Notice) and the
    执法文书 (documents), not the 送达回证 that record their service (a receipt is a document with a service record).
    Read through the case's relations, so the ledger needs nothing of the documents app but its table: the documents
    are read by their case id (an index range each) and their lack of a service record (the receipt's unique index);
    joined from the cases instead, the planner took the join for one row and probed the cases 30,000 times, 4 s for a
    page of 2,000 cases (issue #20)."""
    issued = defaultdict(list)
    for case_id, number, day, pk in (Notice.objects.filter(case_id__in=case_ids).order_by()
                                     .values_list("case_id", "number", "issued_on", "pk")):
        issued[case_id].append((day, 0, pk, number))
    documents = Case._meta.get_field("documents").related_model
    for case_id, number, day, pk in (documents._base_manager.filter(case_id__in=case_ids,
                                                                    service_record__isnull=True).order_by()
                                     .values_list("case_id", "number", "issued_on", "pk")):
        issued[case_id].append((day, 1, pk, number))
    return {case_id: tuple(number for *_order, number in sorted(rows)) for case_id, rows in issued.items()}


def _row_texts(row):
    """The row as the texts of COLUMNS (CSV, KML descriptions)."""
    return [row.reference, row.village, row.address, row.party, row.category_label,
            "" if row.area_m2 is None else f"{row.area_m2:.1f}", row.found_on.isoformat(), row.status_label,
            row.deadline.isoformat() if row.deadline else "", _("是") if row.overdue else _("否"),
            row.resolution_label, row.responsible, _documents_text(row)]


def _documents_text(row):
    return _("；").join(row.documents)


def headers():
    return [str(label) for _key, label, _width in COLUMNS]


class _Progress:
    """Calls ``report(rows_written)`` every CHUNK rows and once at the end."""

    def __init__(self, report):
        self.report = report
        self.count = 0

    def step(self):
        self.count += 1
        if self.report and self.count % CHUNK == 0:
            self.report(self.count)

    def finish(self):
        if self.report:
            self.report(self.count)
        return self.count


# --- Excel ----------------------------------------------------------------------------------

EXCEL_MAX_ROWS = 1_048_576
# Excel refuses more than 65,530 hyperlinks on a sheet; rows after that get a HYPERLINK() formula instead.
EXCEL_MAX_HYPERLINKS = 65_000
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_LINK_FONT = Font(color="0563C1", underline="single")
_OVERDUE_FONT = Font(bold=True, color="C0392B")


def write_ledger_xlsx(cases, out, *, site_url, title=None, progress=None) -> int:
    """Write the cases as an Excel workbook to the binary file ``out``; return the number of rows.

    Header row frozen with an autofilter (below an optional title row), a link to the case page on each
    编号, areas as numbers in ㎡ and dates as dates. Written in openpyxl's streaming mode, so memory stays
    flat; a set larger than one sheet continues on the next.
    """
    workbook = Workbook(write_only=True)
    header_row = 2 if title else 1
    per_sheet = EXCEL_MAX_ROWS - header_row
    counter = _Progress(progress)
    sheet, in_sheet = None, 0
    for row in ledger_rows(cases):
        if sheet is None or in_sheet == per_sheet:
            if sheet is not None:
                _finish_sheet(sheet, header_row, in_sheet)
            sheet, in_sheet = _start_sheet(workbook, counter.count // per_sheet, title, header_row), 0
        in_sheet += 1
        sheet.append(_excel_row(sheet, row, site_url, link=in_sheet <= EXCEL_MAX_HYPERLINKS))
        counter.step()
    if sheet is None:
        sheet = _start_sheet(workbook, 0, title, header_row)
    _finish_sheet(sheet, header_row, in_sheet)
    workbook.save(out)
    return counter.finish()


def _start_sheet(workbook, index, title, header_row):
    name = _("台账") if index == 0 else f"{_('台账')} ({index + 1})"
    sheet = workbook.create_sheet(name)
    for number, (_key, _label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    if title:
        # The title holds a campaign's name, typed by a supervisor: text, never a formula.
        cell = WriteOnlyCell(sheet, _text(title))
        if _looks_like_formula(cell.value):
            cell.data_type, cell.quotePrefix = "s", True
        cell.font = Font(bold=True, size=14)
        sheet.append([cell])
    cells = []
    for text in headers():
        cell = WriteOnlyCell(sheet, text)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cells.append(cell)
    sheet.append(cells)
    return sheet


def _finish_sheet(sheet, header_row, rows):
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(COLUMNS))}{header_row + max(rows, 1)}"


def _excel_row(sheet, row, site_url, link):
    url = row.case_url(site_url)
    if link:
        reference = WriteOnlyCell(sheet, row.reference)
        reference.hyperlink = url
    else:
        reference = WriteOnlyCell(sheet, f'=HYPERLINK("{url}","{row.reference}")')
    reference.font = _LINK_FONT
    area = WriteOnlyCell(sheet, row.area_m2)
    area.number_format = AREA_FORMAT
    found = WriteOnlyCell(sheet, row.found_on)
    found.number_format = DATE_FORMAT
    deadline = WriteOnlyCell(sheet, row.deadline)
    deadline.number_format = DATE_FORMAT
    overdue = _("是") if row.overdue else _("否")
    if row.overdue:
        overdue = WriteOnlyCell(sheet, overdue)
        overdue.font = _OVERDUE_FONT
    return [reference, _excel_text(sheet, row.village), _excel_text(sheet, row.address),
            _excel_text(sheet, row.party), row.category_label, area, found, row.status_label, deadline, overdue,
            row.resolution_label, _excel_text(sheet, row.responsible), _documents_text(row)]


def _excel_text(sheet, text):
    if not _looks_like_formula(text):
        return text
    cell = WriteOnlyCell(sheet, text)
    # Stored as text, and marked so that editing the cell in Excel keeps it text.
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


# --- CSV ------------------------------------------------------------------------------------

def write_ledger_csv(cases, out, *, site_url=None, title=None, progress=None) -> int:
    """Write the cases as CSV in UTF-8 with a byte-order mark (so that Excel reads the Chinese right)."""
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(headers())
        counter = _Progress(progress)
        for row in ledger_rows(cases):
            writer.writerow([f"'{value}" if _looks_like_formula(value) else value for value in _row_texts(row)])
            counter.step()
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return counter.finish()


# --- GeoJSON --------------------------------------------------------------------------------

def write_ledger_geojson(cases, out, *, site_url, title=None, progress=None) -> int:
    """Write the cases as a GeoJSON FeatureCollection of points (WGS-84, [lng, lat])."""
    head = {"type": "FeatureCollection"}
    if title:
        head["name"] = _text(title)
    out.write(orjson.dumps(head)[:-1] + b',"features":[')
    counter = _Progress(progress)
    batch = []
    for row in ledger_rows(cases, with_location=True):
        batch.append(orjson.dumps(_feature(row, site_url)))
        counter.step()
        if len(batch) == CHUNK:
            out.write((b"," if counter.count > CHUNK else b"") + b",".join(batch))
            batch = []
    if batch:
        out.write((b"," if counter.count > len(batch) else b"") + b",".join(batch))
    out.write(b"]}")
    return counter.finish()


def _feature(row, site_url):
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": {"type": "Point", "coordinates": [round(row.lng, 7), round(row.lat, 7)]},
        "properties": {
            "reference": row.reference, "village": row.village, "address": row.address, "party_name": row.party,
            "category": row.category, "category_display": row.category_label,
            "area_m2": None if row.area_m2 is None else float(row.area_m2), "found_on": row.found_on,
            "status": row.status, "status_display": row.status_label, "deadline": row.deadline,
            "overdue": row.overdue, "resolution": row.resolution, "resolution_display": row.resolution_label,
            "responsible": row.responsible, "document_numbers": list(row.documents), "url": row.case_url(site_url),
        },
    }


# --- KML ------------------------------------------------------------------------------------

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
# A white pin that Google Earth and 奥维互动地图 tint with the style's colour.
KML_ICON = "https://maps.google.com/mapfiles/kml/paddle/wht-blank.png"


def _kml_colour(rgb):
    # KML colours are aabbggrr.
    return f"ff{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def write_ledger_kml(cases, out, *, site_url, title=None, progress=None) -> int:
    """Write the cases as KML 2.2: a style per status (overdue ones their own), a Placemark per case."""
    name = _text(title) or _("违法建设案件台账")
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<kml xmlns="{KML_NAMESPACE}"><Document>',
             f"<name>{escape(name)}</name>"]
    styles = [(f"status-{value}", STATUS_COLOURS[value], 1.0) for value in Status.values]
    styles.append(("overdue", OVERDUE_COLOUR, 1.2))
    for style_id, colour, scale in styles:
        parts.append(f'<Style id="{style_id}"><IconStyle><color>{_kml_colour(colour)}</color><scale>{scale}</scale>'
                     f"<Icon><href>{KML_ICON}</href></Icon></IconStyle><LabelStyle><scale>0.8</scale></LabelStyle>"
                     "</Style>")
    out.write("".join(parts).encode())
    labels = headers()
    counter = _Progress(progress)
    batch = []
    for row in ledger_rows(cases, with_location=True):
        batch.append(_placemark(row, labels, site_url))
        counter.step()
        if len(batch) == CHUNK:
            out.write("".join(batch).encode())
            batch = []
    out.write(("".join(batch) + "</Document></kml>\n").encode())
    return counter.finish()


def _placemark(row, labels, site_url):
    url = row.case_url(site_url)
    # The description is HTML (the balloon in Google Earth and 奥维): values are HTML-escaped, then the
    # whole is XML-escaped, so nobody's text becomes markup in either language.
    html = "<br>".join(f"{html_escape(label)}：{html_escape(value)}" for label, value in zip(labels, _row_texts(row)))
    html += f'<br><a href="{html_escape(url)}">{html_escape(_("打开案件页面"))}</a>'
    style = "overdue" if row.overdue else f"status-{row.status}"
    return (f'<Placemark id="case-{row.id}"><name>{escape(row.reference)}</name>'
            f"<description>{escape(html)}</description><styleUrl>#{style}</styleUrl>"
            f"<Point><coordinates>{row.lng:.7f},{row.lat:.7f}</coordinates></Point></Placemark>")


# --- Formats and jobs -----------------------------------------------------------------------

@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    write: Callable


FORMATS = {
    "xlsx": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         write_ledger_xlsx),
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", write_ledger_csv),
    "geojson": ExportFormat("geojson", "application/geo+json", write_ledger_geojson),
    "kml": ExportFormat("kml", "application/vnd.google-earth.kml+xml", write_ledger_kml),
}


def export_filename(jurisdiction_code, fmt, day=None):
    """``LWG-台账-2026-11-26.xlsx``."""
    day = day or timezone.localdate()
    return f"{jurisdiction_code or 'ledger'}-{_('台账')}-{day:%Y-%m-%d}.{fmt}"
