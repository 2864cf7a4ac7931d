"""图斑 files in, 图斑 out: read and check a batch file, then bring it into the database.

The same two steps as village boundaries (gis.importers, whose file handling and geometry repair this reuses):

* ``read_tuban_file(path, columns=...)`` opens a zipped Shapefile, GeoPackage or GeoJSON through GDAL and checks
  its layer, SRS and columns. Iterating the ``TubanFile`` it returns reads the 图斑 one by one: reprojected from the
  file's own SRS (CGCS2000 / EPSG:4490 or one of its Gauss-Krüger zones) to WGS-84, invalid polygons repaired, the
  attribute columns mapped and every other column kept as it is. It never writes and never raises for what is in
  the file: problems land in the file's ``errors`` and ``warnings`` as they are met.
* ``import_tuban(tuban_file, jurisdiction, batch_name, commit=...)`` reads the file ``BULK_SIZE`` 图斑 at a time and
  adds the new ones to the batch, a chunk per insert: a batch of 10,000 图斑 of a few hundred vertices held whole
  took 717 MB (bench/satellite.py). Re-importing is idempotent by 图斑编号; a 图斑 whose polygon changed under the
  same number is reported and left alone, because an inspector may already be checking (or have checked) the old
  one. A file with any error is refused whole: the transaction takes back what earlier chunks wrote.
"""
import datetime
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.gis.geos import MultiPolygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gis.importers import (
    SUPPORTED_DRIVERS,
    FileRefused,
    feature_label,
    open_source,
    pick_layer,
    transform_to_wgs84,
    valid_multipolygon,
)
from gis.models import Village
from tuban.models import Tuban, TubanBatch, TubanColumns

# The standard columns of a 图斑 table (DOMAIN.md) and the field each fills.
STANDARD_COLUMNS = {"TBBH": "number", "JCSJ": "monitored_on", "QSX": "before_imaged_on", "HSX": "after_imaged_on",
                    "BHLX": "change_type", "MJ": "reported_area"}
DATE_COLUMNS = {"JCSJ", "QSX", "HSX"}
NUMBER_MAX_LENGTH = Tuban._meta.get_field("number").max_length
CHANGE_TYPE_MAX_LENGTH = Tuban._meta.get_field("change_type").max_length
# A polygon that moved less than this (degrees, ~1 mm) under the same number is the same polygon.
UNCHANGED_TOLERANCE = 1e-8
# 图斑 read, compared and inserted together: about 36 MB of GEOS polygons at 274 vertices each.
BULK_SIZE = 1000
DATE_TEXT = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T].*)?$")


class TubanImportRefused(Exception):
    """``import_tuban`` was given a file that has errors; nothing was written."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class ParsedTuban:
    feature_number: int  # position in the file, from 1
    number: str
    polygon: MultiPolygon  # valid, SRID 4326
    area_m2: float
    monitored_on: datetime.date | None = None
    before_imaged_on: datetime.date | None = None
    after_imaged_on: datetime.date | None = None
    change_type: str = ""
    reported_area: float | None = None
    attributes: dict = field(default_factory=dict)


@dataclass
class TubanFile:
    """What ``read_tuban_file`` found. The layer, its SRS and columns are known at once; the 图斑 are read when the
    file is iterated (once), and their errors and warnings are added then."""

    path: str
    format: str = ""
    layer: str = ""
    source_srs: str = ""
    columns: dict = field(default_factory=dict)  # standard name → the file's field
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    count: int = 0  # 图斑 read without an error
    _source_layer: object = field(default=None, repr=False)
    _transform: object = field(default=None, repr=False)

    @property
    def ok(self):
        return not self.errors

    def __iter__(self):
        """The file's 图斑 as ``ParsedTuban``, one feature in memory at a time."""
        source_layer, self._source_layer = self._source_layer, None
        if source_layer is None:
            if not self.errors:
                raise RuntimeError("A TubanFile is read once.")
            return
        fields = list(source_layer.fields)
        mapped = {name: standard for standard, name in self.columns.items()}
        first_with_number = {}
        for number, feature in enumerate(source_layer, start=1):
            parsed = _read_feature(number, feature, fields, mapped, self, self._transform)
            if parsed is None:
                continue
            polygon, values, attributes = parsed
            tbbh = values["number"]
            if tbbh in first_with_number:
                self.errors.append(_("%(feature)s：图斑编号与第 %(first)d 个要素重复。")
                                   % {"feature": feature_label(number, tbbh), "first": first_with_number[tbbh]})
                continue
            first_with_number[tbbh] = number
            self.count += 1
            yield ParsedTuban(feature_number=number, polygon=polygon, attributes=attributes,
                              area_m2=round(ground_area_m2(polygon), 2), **values)
        if not self.count and not self.errors:
            self.errors.append(_("图层“%(layer)s”中没有任何要素。") % {"layer": self.layer})


def parse_column_overrides(values):
    """``["TBBH=JCBH", "MJ=AREA"]`` (or one "TBBH=JCBH,MJ=AREA") → ``{"TBBH": "JCBH", "MJ": "AREA"}``."""
    mapping = {}
    for value in values or ():
        for part in str(value).split(","):
            if not part.strip():
                continue
            standard, sep, name = part.partition("=")
            standard = standard.strip().upper()
            if not sep or standard not in STANDARD_COLUMNS or not name.strip():
                raise ValueError(_("字段对应“%(part)s”应写成 标准字段=文件字段，标准字段为 %(names)s 之一。")
                                 % {"part": part.strip(), "names": "、".join(STANDARD_COLUMNS)})
            mapping[standard] = name.strip()
    return mapping


def column_mapping(jurisdiction, overrides=None):
    """The columns to read: the standard names, then the jurisdiction's own, then this import's."""
    mapping = {name: name for name in STANDARD_COLUMNS}
    own = TubanColumns.objects.filter(jurisdiction=jurisdiction).values_list("columns", flat=True).first() or {}
    mapping.update({key.upper(): value for key, value in own.items() if key.upper() in STANDARD_COLUMNS and value})
    mapping.update(overrides or {})
    return mapping


# --- reading ------------------------------------------------------------------------------------


def read_tuban_file(path, *, columns=None, layer=None):
    """The file opened and its layer, SRS and columns checked; iterate the result for its 图斑."""
    columns = columns or {name: name for name in STANDARD_COLUMNS}
    result = TubanFile(path=str(path))
    try:
        source = open_source(path, layer)
        source_layer = pick_layer(source, layer)
        result.format = SUPPORTED_DRIVERS[source.driver.name]
        result.layer = source_layer.name
        result._transform, result.source_srs = transform_to_wgs84(source_layer, source.driver.name)
        result.columns = _resolve_columns(source_layer.fields, columns, result.warnings)
    except FileRefused as refusal:
        result.errors.append(str(refusal))
        return result
    result._source_layer = source_layer  # holds its DataSource open
    return result


def _resolve_columns(fields, columns, warnings):
    """The file's field for each standard column, matched without regard to case (a Shapefile upper-cases)."""
    by_upper = {name.upper(): name for name in fields}
    resolved = {}
    for standard in STANDARD_COLUMNS:
        wanted = columns.get(standard, standard)
        found = wanted if wanted in fields else by_upper.get(wanted.upper())
        if found is not None:
            resolved[standard] = found
        elif standard == "TBBH":
            raise FileRefused(_("找不到图斑编号字段“%(field)s”。请用 --columns TBBH=字段名 指定。现有字段：%(fields)s")
                              % {"field": wanted, "fields": "、".join(fields) or "—"})
        else:
            warnings.append(_("文件中没有字段“%(field)s”（%(standard)s），该项留空。")
                            % {"field": wanted, "standard": standard})
    return resolved


def _read_feature(number, feature, fields, mapped, result, transform):
    errors_before = len(result.errors)
    label = [number, ""]

    def refuse(problem):
        result.errors.append(f"{feature_label(*label)}：{problem}")

    def warn(note):
        result.warnings.append(f"{feature_label(*label)}：{note}")

    values = {"change_type": ""}
    attributes = {}
    try:
        for name in fields:
            value = feature.get(name)
            standard = mapped.get(name)
            if standard is None:
                attributes[name] = _json_value(value)
            elif standard == "TBBH":
                values["number"] = _text(value)
                label[1] = values["number"]
            elif standard in DATE_COLUMNS:
                values[STANDARD_COLUMNS[standard]] = _date(value, lambda v, s=standard: warn(
                    _("%(column)s“%(value)s”不是日期，该项留空。") % {"column": s, "value": v}))
            elif standard == "BHLX":
                values["change_type"] = _text(value)[:CHANGE_TYPE_MAX_LENGTH]
            elif standard == "MJ":
                values["reported_area"] = _number(value)
    except UnicodeDecodeError:
        refuse(_("属性不是有效的 UTF-8 文本。Shapefile 请在 .shp 旁放一个写有编码（如 GBK）的 .cpg 文件。"))
        return None
    if not values.get("number"):
        refuse(_("缺少图斑编号。"))
    elif len(values["number"]) > NUMBER_MAX_LENGTH:
        refuse(_("图斑编号超过 %(max)d 个字符。") % {"max": NUMBER_MAX_LENGTH})
    polygon = valid_multipolygon(feature, transform, refuse, warn)
    if polygon is None or len(result.errors) > errors_before:
        return None
    return polygon, values, attributes


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _number(value):
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _date(value, warn):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    match = DATE_TEXT.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    warn(text)
    return None


def _json_value(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return unicodedata.normalize("NFC", value) if isinstance(value, str) else value
    return str(value)


# WGS-84 ellipsoid.
SEMI_MAJOR_M = 6_378_137.0
ECCENTRICITY_2 = 0.00669437999014


def ground_area_m2(polygon):
    """Area on the ground of a polygon in degrees, scaled by the ellipsoid's radii of curvature at its centre.

    A 图斑 spans metres to a few hundred metres, over which the scale changes by less than 1e-5: as good as an
    equal-area projection for it, at a multiplication's cost (a projection per polygon took most of an import).
    """
    latitude = math.radians(polygon.centroid.y)
    w = 1 - ECCENTRICITY_2 * math.sin(latitude) ** 2
    meridian = SEMI_MAJOR_M * (1 - ECCENTRICITY_2) / w ** 1.5  # metres per radian of latitude
    parallel = SEMI_MAJOR_M / math.sqrt(w) * math.cos(latitude)  # metres per radian of longitude
    return polygon.area * math.radians(1) ** 2 * meridian * parallel


# --- applying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedPolygon:
    number: str
    feature_number: int
    shift_m: float  # how far the two polygons' centroids are apart
    area_before_m2: float
    area_after_m2: float


@dataclass
class TubanImport:
    """What ``import_tuban`` did (``committed``) or would do."""

    batch_name: str
    committed: bool
    batch: TubanBatch | None = None
    created: list = field(default_factory=list)  # numbers
    unchanged: list = field(default_factory=list)  # numbers
    changed: list = field(default_factory=list)  # ChangedPolygon, not written
    outside_villages: list = field(default_factory=list)  # numbers of 图斑 in no village
    warnings: list = field(default_factory=list)


def import_tuban(tuban_file, jurisdiction, batch_name, *, commit=False, due_date=None, actor=None):
    """Add the file's new 图斑 to the batch ``batch_name`` (created on first import). Without ``commit`` nothing is
    written. A file with errors is refused as a whole (``TubanImportRefused``): nothing stays written, and the file is
    still read to its end so that the refusal lists every error."""
    if tuban_file.errors:
        raise TubanImportRefused(tuban_file.errors)
    batch_name = batch_name.strip()
    outcome = TubanImport(batch_name=batch_name, committed=commit, warnings=tuban_file.warnings)
    villages = [(village, village.boundary.prepared) for village in Village.objects.for_jurisdiction(jurisdiction)]
    with transaction.atomic():
        batches = TubanBatch.objects.filter(jurisdiction=jurisdiction, name=batch_name)
        batch = (batches.select_for_update() if commit else batches).first()
        if batch is None and commit:
            batch = TubanBatch.objects.create(
                jurisdiction=jurisdiction, name=batch_name, due_date=due_date, imported_by=actor,
                source_file=_file_name(tuban_file.path), source_srs=tuban_file.source_srs[:100],
                columns=tuban_file.columns)
            # Two imports of one batch queue on the new row's lock instead of both inserting.
            batch = TubanBatch.objects.select_for_update().get(pk=batch.pk)
        elif batch is not None and commit and due_date and batch.due_date != due_date:
            batch.due_date = due_date
            batch.save(update_fields=["due_date"])
        outcome.batch = batch
        now = timezone.now()
        for chunk in _chunks(tuban_file, BULK_SIZE):
            if not tuban_file.errors:  # after an error the rest is only read for its errors
                _apply(chunk, outcome, jurisdiction, villages, commit=commit, now=now)
        if tuban_file.errors:
            raise TubanImportRefused(tuban_file.errors)  # and the transaction takes back the chunks written
    return outcome


def _chunks(items, size):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _apply(chunk, outcome, jurisdiction, villages, *, commit, now):
    """One chunk of the file against the batch's 图斑 of the same numbers; the new ones inserted in one go."""
    batch = outcome.batch
    existing = {}
    if batch is not None:
        existing = dict(Tuban.objects.filter(batch=batch, number__in=[parsed.number for parsed in chunk])
                        .values_list("number", "polygon"))
    new_rows = []
    for parsed in chunk:
        stored = existing.get(parsed.number)
        if stored is not None:
            if stored.equals_exact(parsed.polygon, UNCHANGED_TOLERANCE):
                outcome.unchanged.append(parsed.number)
            else:
                outcome.changed.append(_changed(parsed, stored))
            continue
        village = _village_of(parsed.polygon, villages)
        if village is None:
            outcome.outside_villages.append(parsed.number)
        outcome.created.append(parsed.number)
        if commit:
            new_rows.append(Tuban(
                batch=batch, jurisdiction=jurisdiction, number=parsed.number, polygon=parsed.polygon,
                monitored_on=parsed.monitored_on, before_imaged_on=parsed.before_imaged_on,
                after_imaged_on=parsed.after_imaged_on, change_type=parsed.change_type,
                reported_area=parsed.reported_area, area_m2=parsed.area_m2, attributes=parsed.attributes,
                feature_number=parsed.feature_number, village=village, created_at=now))
    if new_rows:
        Tuban.objects.bulk_create(new_rows)


def _village_of(polygon, villages):
    """The village that holds the 图斑: the one its point on surface lies in."""
    point = polygon.point_on_surface
    for village, prepared in villages:
        if prepared.contains(point):
            return village
    for village, prepared in villages:  # on a border line
        if prepared.intersects(polygon):
            return village
    return None


def _changed(parsed, stored):
    stored_area = parsed.area_m2 * (stored.area / parsed.polygon.area) if parsed.polygon.area else 0.0
    a, b = stored.centroid, parsed.polygon.centroid
    shift = math.hypot((a.x - b.x) * 111_320 * math.cos(math.radians(a.y)), (a.y - b.y) * 110_574)
    return ChangedPolygon(number=parsed.number, feature_number=parsed.feature_number, shift_m=round(shift, 1),
                          area_before_m2=round(stored_area, 1), area_after_m2=parsed.area_m2)


def _file_name(path):
    return str(path).replace("\\", "/").rsplit("/", 1)[-1][:255]
