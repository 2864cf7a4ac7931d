"""Real 图斑 files for the tests, written by GDAL's own ogr2ogr from a WGS-84 GeoJSON (as a province's would be)."""
import json
import subprocess
import zipfile


def square(lon, lat, size=0.002):
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def bowtie(lon, lat, size=0.002):
    """A self-intersecting ring (a figure eight), as hand-digitised 图斑 sometimes are."""
    return [[[lon, lat], [lon + size, lat + size], [lon + size, lat], [lon, lat + size], [lon, lat]]]


def tuban_feature(number, ring, *, number_field="TBBH", **properties):
    values = {number_field: number, "JCSJ": "2026-10-15", "QSX": "20260301", "HSX": "2026-09-20", "BHLX": "新增建设用地",
              "MJ": 402.5, "XZQDM": "150121101"}
    values.update(properties)
    return {"type": "Feature", "properties": values, "geometry": {"type": "Polygon", "coordinates": ring}}


def write_geojson(path, features, name="tuban"):
    path.write_text(json.dumps({"type": "FeatureCollection", "name": name, "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def ogr2ogr(*args):
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


def zipped_shapefile(tmp_path, features, epsg, name="tuban"):
    """A .zip holding a Shapefile (with .prj and a UTF-8 .cpg) in EPSG:``epsg``."""
    source = write_geojson(tmp_path / f"{name}-source.geojson", features)
    folder = tmp_path / f"{name}-shp"
    folder.mkdir()
    ogr2ogr("-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", f"EPSG:{epsg}", "-lco", "ENCODING=UTF-8",
            folder / f"{name}.shp", source)
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for member in sorted(folder.iterdir()):
            zipped.write(member, member.name)
    return archive


def geopackage(tmp_path, features, epsg=4490, name="tuban"):
    source = write_geojson(tmp_path / f"{name}-source.geojson", features)
    target = tmp_path / f"{name}.gpkg"
    ogr2ogr("-f", "GPKG", "-s_srs", "EPSG:4326", "-t_srs", f"EPSG:{epsg}", "-nln", name, target, source)
    return target
