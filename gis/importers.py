"""Village boundaries from files: read and check them, then bring them into the database.

Two steps, so that a dry run and a real run go through exactly the same checks:

* ``read_village_boundaries(path, ...)`` reads a GeoJSON, Shapefile (``.shp`` or a ``.zip``) or
  GeoPackage through GDAL, reprojects to WGS-84, normalises every boundary to a valid MultiPolygon
  and collects every problem it finds. It never touches the database and never raises for what is
  in the file: problems come back as ``errors`` (the file must not be imported) and ``warnings``
  (imported, but someone should look).
* ``import_villages(boundary_file, jurisdiction, ...)`` compares the file with the jurisdiction's
  villages and, with ``commit=True``, creates the new ones and updates the boundaries of those that
  exist by name, in one transaction. It never deletes a village: cases point at villages.

Errors and warnings name the feature by its position in the file (1-based) and its name, because
that is what the person fixing the file sees in QGIS or ArcGIS.
"""
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, OGRGeomType, SpatialReference
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.geos import GeometryCollection, GEOSException, MultiPolygon, Polygon
from django.db import transaction
from django.utils.translation import gettext as _

from gis.constants import SRID
from gis.models import Jurisdiction, Village

# GDAL driver name → what users call the format.
SUPPORTED_DRIVERS = {"GeoJSON": "GeoJSON", "ESRI Shapefile": "Shapefile", "GPKG": "GeoPackage"}
# Members of a .zip we can open, in order of preference.
ZIP_MEMBER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
NAME_FIELD_CANDIDATES = ("name", "NAME", "村名", "村")
CODE_FIELD_CANDIDATES = ("code", "CODE", "村代码")
NAME_MAX_LENGTH = Village._meta.get_field("name").max_length
CODE_MAX_LENGTH = Village._meta.get_field("code").max_length
# Two village boundaries overlapping by more than this share of the smaller one get a warning;
# below it the overlap is digitising noise along a shared border.
OVERLAP_WARNING_SHARE = 0.001
# A re-imported boundary that moved less than this (degrees, ~1 mm) counts as unchanged.
UNCHANGED_TOLERANCE = 1e-8
# A surveyed village boundary has hundreds to a few tens of thousands of vertices; beyond this a feature is
# refused before any geometry work (reprojection, make_valid, overlap checks grow with it).
MAX_VERTICES_PER_FEATURE = 100_000
# An old-style GeoJSON "crs" member of type "link" (or "url") names a file or URL that GDAL would fetch to learn
# the coordinate system: never let a file make the server fetch something. ("name" with an EPSG code is fine.)
GEOJSON_LINKED_CRS = re.compile(rb'"crs"\s*:\s*\{[^}]{0,2000}?"(?:type"\s*:\s*"(?:link|url)"|href")', re.IGNORECASE)
SCAN_CHUNK = 1 << 20


class VillageImportRefused(Exception):
    """``import_villages`` was given a file that has errors; nothing was written."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class ParsedVillage:
    number: int  # position of the feature in the file, from 1
    name: str
    code: str
    boundary: MultiPolygon  # valid, SRID 4326


@dataclass
class BoundaryFile:
    """What ``read_village_boundaries`` found in a file."""

    path: str
    format: str = ""
    layer: str = ""
    source_srs: str = ""
    name_field: str = ""
    code_field: str = ""
    villages: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


class FileRefused(Exception):
    """A problem with the whole file (not one feature): reading stops here."""


def feature_label(number, name=""):
    if name:
        return _("第 %(number)d 个要素（“%(name)s”）") % {"number": number, "name": name}
    return _("第 %(number)d 个要素（无名称）") % {"number": number}


# --- reading ------------------------------------------------------------------------------------


def read_village_boundaries(path, *, name_field=None, code_field=None, layer=None):
    """Read village boundaries from a GeoJSON, Shapefile (.shp or .zip) or GeoPackage file.

    ``name_field`` defaults to the first of ``name``, ``NAME``, ``村名``, ``村`` the layer has;
    ``code_field`` to ``code``, ``CODE`` or ``村代码`` when present (codes are optional).
    """
    result = BoundaryFile(path=str(path))
    try:
        source = open_source(path, layer)
        source_layer = pick_layer(source, layer)
        result.format = SUPPORTED_DRIVERS[source.driver.name]
        result.layer = source_layer.name
        transform, result.source_srs = transform_to_wgs84(source_layer, source.driver.name)
        result.name_field, result.code_field = _pick_fields(source_layer, name_field, code_field)
    except FileRefused as refusal:
        result.errors.append(str(refusal))
        return result

    first_with_name = {}
    for number, feature in enumerate(source_layer, start=1):
        village = _read_feature(number, feature, result, transform, shapefile=result.format == "Shapefile")
        if village is None:
            continue
        if village.name in first_with_name:
            result.errors.append(
                _("%(feature)s：与第 %(first)d 个要素同名；同一执法单位内村名不能重复。")
                % {"feature": feature_label(number, village.name), "first": first_with_name[village.name]}
            )
            continue
        first_with_name[village.name] = number
        result.villages.append(village)

    if not result.villages and not result.errors:
        result.errors.append(_("图层“%(layer)s”中没有任何要素。") % {"layer": result.layer})
    result.warnings.extend(_overlap_warnings(result.villages))
    return result


def open_source(path, layer):
    text = str(path)
    if text.startswith("/vsi"):  # a GDAL virtual path the caller built: hand it over as it is
        gdal_path = text
    else:
        local = Path(text)
        if not local.exists():
            raise FileRefused(_("文件不存在：%(path)s") % {"path": text})
        gdal_path = _zip_member_path(local, layer) if local.suffix.lower() == ".zip" else str(local)
    if not text.startswith("/vsi") and _links_a_crs(local, gdal_path):
        raise FileRefused(
            _("%(path)s 的 crs 是指向外部文件或网址的链接，出于安全考虑不予读取。请在 GIS 软件中另存为 GeoJSON，"
              "坐标系写成 EPSG 代码（如 urn:ogc:def:crs:EPSG::4547），或直接使用 WGS-84。") % {"path": text}
        )
    try:
        source = DataSource(gdal_path)
    except GDALException:
        raise FileRefused(
            _("无法读取 %(path)s：GDAL 不认识这种文件。支持 GeoJSON、Shapefile（.shp，或打包成 .zip）和 GeoPackage（.gpkg）。")
            % {"path": text}
        ) from None
    if source.driver.name not in SUPPORTED_DRIVERS:
        raise FileRefused(
            _("%(path)s 是 %(driver)s 格式，不受支持。请先转换为 GeoJSON、Shapefile 或 GeoPackage。")
            % {"path": text, "driver": source.driver.name}
        )
    return source


def _links_a_crs(local, gdal_path):
    """True when a GeoJSON file (or one inside a .zip) has a "crs" that links to a file or URL."""
    if gdal_path.startswith("/vsizip/"):
        member = gdal_path[len(f"/vsizip/{local.resolve()}/"):]
        if not member.lower().endswith((".geojson", ".json")):
            return False
        with zipfile.ZipFile(local) as archive, archive.open(member) as handle:
            return _scan(handle)
    with local.open("rb") as handle:
        # GDAL knows GeoJSON by its content, whatever the file is called.
        if not handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        handle.seek(0)
        return _scan(handle)


def _scan(handle):
    tail = b""
    while chunk := handle.read(SCAN_CHUNK):
        if GEOJSON_LINKED_CRS.search(tail + chunk):
            return True
        tail = chunk[-4096:]
    return False


def _zip_member_path(zip_path, layer):
    """The /vsizip/ path of the one boundary file inside a .zip (a shapefile's .shp, or .gpkg ...)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = [
                name for name in archive.namelist()
                if name.lower().endswith(ZIP_MEMBER_SUFFIXES) and not name.startswith("__MACOSX/")
            ]
    except zipfile.BadZipFile:
        raise FileRefused(_("%(path)s 不是有效的 zip 文件。") % {"path": zip_path}) from None
    if not members:
        raise FileRefused(
            _("%(path)s 中没有 .shp、.gpkg 或 .geojson 文件。") % {"path": zip_path}
        )
    if len(members) > 1:
        chosen = [name for name in members if layer and Path(name).stem == layer]
        if len(chosen) != 1:
            raise FileRefused(
                _("%(path)s 中有多个数据文件（%(members)s），请用 --layer 指定其中一个（不带扩展名）。")
                % {"path": zip_path, "members": "、".join(members)}
            )
        members = chosen
    return f"/vsizip/{zip_path.resolve()}/{members[0]}"


def pick_layer(source, layer):
    names = [each.name for each in source]
    if layer:
        if layer in names:
            return source[layer]
        if len(names) == 1 and source.name.startswith("/vsizip/") and Path(source.name).stem == layer:
            return source[0]  # the name chose this file inside the .zip
        raise FileRefused(
            _("文件中没有名为“%(layer)s”的图层。现有图层：%(names)s")
            % {"layer": layer, "names": "、".join(names) or "—"}
        )
    if not names:
        raise FileRefused(_("文件中没有图层。"))
    if len(names) > 1:
        raise FileRefused(
            _("文件中有多个图层（%(names)s），请用 --layer 指定要导入的图层。") % {"names": "、".join(names)}
        )
    return source[0]


def transform_to_wgs84(source_layer, driver):
    """The transformation from the layer's own SRS to WGS-84 (None when already there)."""
    srs = source_layer.srs
    if srs is None:
        if driver != "GeoJSON":
            raise FileRefused(
                _("图层“%(layer)s”没有坐标参考系（Shapefile 是否缺少 .prj 文件？），无法确定坐标含义，拒绝导入。")
                % {"layer": source_layer.name}
            )
        # RFC 7946: GeoJSON coordinates are WGS-84 longitude/latitude unless said otherwise.
        return None, "EPSG:4326"
    description = f"EPSG:{srs.srid}" if srs.srid else (srs.name or _("未命名坐标系"))
    if srs.srid == SRID:
        return None, description
    try:
        return CoordTransform(srs, SpatialReference(SRID)), description
    except (GDALException, SRSException) as error:
        raise FileRefused(
            _("无法把坐标系 %(srs)s 转换为 WGS-84：%(error)s") % {"srs": description, "error": error}
        ) from None


def _pick_fields(source_layer, name_field, code_field):
    fields = source_layer.fields
    available = "、".join(fields) or "—"
    if name_field:
        if name_field not in fields:
            raise FileRefused(
                _("图层中没有名称字段“%(field)s”。现有字段：%(fields)s") % {"field": name_field, "fields": available}
            )
    else:
        name_field = next((each for each in NAME_FIELD_CANDIDATES if each in fields), None)
        if name_field is None:
            raise FileRefused(
                _("找不到村名字段（试过 %(tried)s）。请用 --name-field 指定。现有字段：%(fields)s")
                % {"tried": "、".join(NAME_FIELD_CANDIDATES), "fields": available}
            )
    if code_field:
        if code_field not in fields:
            raise FileRefused(
                _("图层中没有代码字段“%(field)s”。现有字段：%(fields)s") % {"field": code_field, "fields": available}
            )
    else:
        code_field = next((each for each in CODE_FIELD_CANDIDATES if each in fields), "")
    return name_field, code_field


def _read_feature(number, feature, result, transform, *, shapefile):
    """One village from one feature, or None after adding the reason to ``result.errors``."""
    errors_before = len(result.errors)

    def refuse(problem, name=""):
        result.errors.append(f"{feature_label(number, name)}：{problem}")

    try:
        name = _text(feature.get(result.name_field))
        code = _text(feature.get(result.code_field)) if result.code_field else ""
    except UnicodeDecodeError:
        refuse(_("属性不是有效的 UTF-8 文本。Shapefile 请在 .shp 旁放一个写有编码（如 GBK）的 .cpg 文件。"))
        return None
    if not name:
        refuse(_("缺少村名（字段“%(field)s”为空）。") % {"field": result.name_field})
    elif len(name) > NAME_MAX_LENGTH:
        refuse(_("村名超过 %(max)d 个字符。") % {"max": NAME_MAX_LENGTH}, name)
    elif shapefile and any("\u0080" <= char <= "\u00ff" for char in name):
        # GDAL reads a shapefile without .cpg as Latin-1: GBK names come out as this kind of noise.
        refuse(_("村名看起来是乱码。请在 .shp 旁放一个内容为 GBK（或文件实际编码）的 .cpg 文件后重试。"), name)
    if len(code) > CODE_MAX_LENGTH:
        refuse(_("村代码超过 %(max)d 个字符。") % {"max": CODE_MAX_LENGTH}, name)

    boundary = valid_multipolygon(feature, transform, lambda problem: refuse(problem, name),
                         lambda note: result.warnings.append(f"{feature_label(number, name)}：{note}"))
    if boundary is None or len(result.errors) > errors_before:
        return None
    return ParsedVillage(number=number, name=name, code=code, boundary=boundary)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes stored as numbers: 150121101201.0 → "150121101201"
    return unicodedata.normalize("NFC", str(value)).strip()


def valid_multipolygon(feature, transform, refuse, warn):
    """The feature's geometry as a valid MultiPolygon in WGS-84, or None after ``refuse``."""
    try:
        geometry = feature.geom
    except (GDALException, KeyError, ValueError):
        geometry = None  # no geometry at all, or a type GDAL cannot hand to Django (TIN ...)
    if geometry is None or geometry.empty:
        refuse(_("没有几何图形。"))
        return None
    vertices = geometry.point_count
    if vertices > MAX_VERTICES_PER_FEATURE:
        refuse(_("边界有 %(count)d 个顶点，超过每个要素 %(max)d 个的上限；请在 GIS 软件中简化（如 QGIS“简化”工具，"
                 "容差 0.5 米）后重试。") % {"count": vertices, "max": MAX_VERTICES_PER_FEATURE})
        return None
    geometry.set_3d(False)
    geometry.set_measured(False)
    if geometry.has_curve:
        geometry = geometry.get_linear_geometry()
    if geometry.geom_type.num not in (OGRGeomType("Polygon").num, OGRGeomType("MultiPolygon").num):
        refuse(_("几何类型是 %(type)s，必须是面（Polygon 或 MultiPolygon）。") % {"type": geometry.geom_type.name})
        return None
    if transform is not None:
        try:
            geometry.transform(transform)
        except GDALException as error:
            refuse(_("坐标无法转换为 WGS-84：%(error)s") % {"error": error})
            return None
    min_x, min_y, max_x, max_y = geometry.extent
    if not all(map(math.isfinite, (min_x, min_y, max_x, max_y))) or not (
        -180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90
    ):
        refuse(
            _("转换为 WGS-84 后坐标超出经纬度范围（经度 %(x0)s…%(x1)s，纬度 %(y0)s…%(y1)s）；文件声明的坐标系可能不对。")
            % {"x0": f"{min_x:.6g}", "x1": f"{max_x:.6g}", "y0": f"{min_y:.6g}", "y1": f"{max_y:.6g}"}
        )
        return None

    geos = geometry.geos
    geos.srid = SRID
    reason = geos.valid_reason  # unlike ``valid``, does not also log a GEOS notice
    if reason != "Valid Geometry":
        try:
            parts = _polygons(geos.make_valid())
        except GEOSException:
            parts = []
        if not parts:
            refuse(_("几何无效（%(reason)s），且无法修复为面。") % {"reason": reason})
            return None
        geos = _as_multipolygon(parts)
        warn(_("几何无效（%(reason)s），已自动修复（make_valid），请核对图形。") % {"reason": reason})
    else:
        geos = _as_multipolygon(_polygons(geos))
    if geos is None or geos.empty or geos.area == 0:
        refuse(_("面积为零。"))
        return None
    return geos


def _polygons(geometry):
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, (MultiPolygon, GeometryCollection)):
        return [polygon for member in geometry for polygon in _polygons(member)]
    return []  # points and lines left over from a repair carry no area


def _as_multipolygon(polygons):
    polygons = [polygon for polygon in polygons if not polygon.empty]
    if not polygons:
        return None
    multipolygon = MultiPolygon(polygons, srid=SRID)
    if not multipolygon.valid:  # repaired parts of a collection may touch along an edge
        merged = multipolygon.unary_union
        multipolygon = merged if isinstance(merged, MultiPolygon) else MultiPolygon(_polygons(merged), srid=SRID)
        multipolygon.srid = SRID
    return multipolygon


def _overlap_warnings(villages):
    warnings = []
    extents = [village.boundary.extent for village in villages]
    for i, a in enumerate(villages):
        for j in range(i + 1, len(villages)):
            b = villages[j]
            ea, eb = extents[i], extents[j]
            if ea[2] < eb[0] or eb[2] < ea[0] or ea[3] < eb[1] or eb[3] < ea[1]:
                continue
            overlap = a.boundary.intersection(b.boundary).area
            smaller = min(a.boundary.area, b.boundary.area)
            if overlap > OVERLAP_WARNING_SHARE * smaller:
                warnings.append(
                    _("%(a)s 与 %(b)s 的村界重叠（约占较小者的 %(share).1f%%）。")
                    % {"a": feature_label(a.number, a.name), "b": feature_label(b.number, b.name),
                       "share": 100 * overlap / smaller}
                )
    return warnings


# --- applying -----------------------------------------------------------------------------------


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class VillageChange:
    action: str  # Action.*
    name: str
    code: str
    area_km2: float
    changed: tuple = ()  # for updates: "boundary", "code"


@dataclass
class VillageImport:
    """What ``import_villages`` did (``committed``) or would do (dry run)."""

    jurisdiction: Jurisdiction
    committed: bool
    changes: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # villages in the database but not in the file
    jurisdiction_boundary: MultiPolygon | None = None  # the new boundary when asked to update it
    warnings: list = field(default_factory=list)

    def count(self, action):
        return sum(1 for change in self.changes if change.action == action)


def import_villages(boundary_file, jurisdiction, *, commit=False, update_jurisdiction_boundary=False):
    """Create the file's new villages and update those that exist by name; never delete one.

    Without ``commit`` nothing is written: the result says what would happen. A file with errors
    is refused as a whole (``VillageImportRefused``), so an import is never half done.
    """
    if boundary_file.errors:
        raise VillageImportRefused(boundary_file.errors)
    outcome = VillageImport(jurisdiction=jurisdiction, committed=commit)
    with transaction.atomic():
        if commit:
            # Two imports for the same jurisdiction queue here instead of both creating a village.
            jurisdiction = Jurisdiction.objects.select_for_update().get(pk=jurisdiction.pk)
            outcome.jurisdiction = jurisdiction
        existing = Village.objects.for_jurisdiction(jurisdiction)
        if commit:
            existing = existing.select_for_update()
        existing = {village.name: village for village in existing}

        final_boundaries = {name: village.boundary for name, village in existing.items()}
        for parsed in boundary_file.villages:
            village = existing.get(parsed.name)
            area = area_km2(parsed.boundary)
            if village is None:
                outcome.changes.append(VillageChange(Action.CREATE, parsed.name, parsed.code, area))
                if commit:
                    Village.objects.create(
                        jurisdiction=jurisdiction, name=parsed.name, code=parsed.code, boundary=parsed.boundary
                    )
            else:
                changed = []
                if not village.boundary.equals_exact(parsed.boundary, UNCHANGED_TOLERANCE):
                    changed.append("boundary")
                    village.boundary = parsed.boundary
                # A file without codes leaves the codes already entered alone.
                if parsed.code and parsed.code != village.code:
                    changed.append("code")
                    village.code = parsed.code
                action = Action.UPDATE if changed else Action.UNCHANGED
                outcome.changes.append(VillageChange(action, parsed.name, village.code, area, tuple(changed)))
                if commit and changed:
                    village.save(update_fields=changed)
            final_boundaries[parsed.name] = parsed.boundary
        outcome.kept = sorted(set(existing) - {parsed.name for parsed in boundary_file.villages})

        if update_jurisdiction_boundary:
            outcome.jurisdiction_boundary = union_boundary(final_boundaries.values())
            holes = sum(polygon.num_interior_rings for polygon in outcome.jurisdiction_boundary)
            if holes:
                outcome.warnings.append(
                    _("村界合并后的辖区边界有 %(holes)d 个内洞：村与村之间可能有缝隙。") % {"holes": holes}
                )
            if commit:
                jurisdiction.boundary = outcome.jurisdiction_boundary
                jurisdiction.save(update_fields=["boundary"])
    return outcome


def union_boundary(boundaries):
    union = GeometryCollection(list(boundaries), srid=SRID).unary_union
    union = union if isinstance(union, MultiPolygon) else MultiPolygon(_polygons(union), srid=SRID)
    union.srid = SRID
    return union


def area_km2(geometry):
    """Area on the ground, in an equal-area projection centred on the geometry."""
    centre = geometry.centroid
    equal_area = SpatialReference(
        f"+proj=laea +lat_0={centre.y:.5f} +lon_0={centre.x:.5f} +datum=WGS84 +units=m +no_defs"
    )
    return geometry.transform(CoordTransform(SpatialReference(SRID), equal_area), clone=True).area / 1e6
