"""Generate the illustrative demo village boundaries in this folder.

    .venv/bin/python gis/data/make_demo_boundaries.py

Writes ``lwg_villages.geojson`` (the 7 administrative villages of the demo zone LWG
龙王沟乡村振兴示范区, south-west of Hohhot) and ``demo2_villages.geojson`` (one village for the
second demo jurisdiction DEMO2, about 55 km to the east). The shapes are made up: they only have
to look like village borders on a map and behave like real ones in the spatial queries.

How the LWG villages are built, so that neighbours share their borders exactly:

* three rows of cells (2, 3 and 2 villages) on a jittered lattice, worked out in kilometres;
* every border between two lattice nodes is an *edge*, made once: subdivided by midpoint
  displacement with a random generator seeded by the edge's name, so the output is the same on
  every run and machine;
* each village ring is walked from those edges (an edge is reversed when walked the other way),
  so two neighbours contain exactly the same coordinates along their common border, after the
  same rounding to 6 decimals (about 0.1 m).

The script is a tool for developers; the app never imports it. It checks its output with GEOS
(validity, no overlaps, no holes in the union, areas) and refuses to write when a check fails.
"""
import json
import math
import os
import random
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent

# Local kilometre frame: x east, y north, origin at the zone's south-west corner.
ORIGIN_LON, ORIGIN_LAT = 111.565, 40.730
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(40.78))
DECIMALS = 6  # ~0.1 m; shared edges are rounded once, so both sides stay identical

# Rows from south to north: y of the line under the row is ROW_LINES[i], above it ROW_LINES[i + 1].
ROW_LINES = [0.0, 3.7, 8.3, 12.0]
WIDTH_KM = 12.0
# Where the dividers between villages of each row sit, as (x on the line below, x on the line above).
ROW_DIVIDERS = [
    [(6.2, 5.7)],  # south row: 2 villages
    [(4.3, 4.0), (8.1, 8.4)],  # middle row: 3 villages
    [(6.1, 6.6)],  # north row: 2 villages
]
# (name, code) for each cell, row by row from the south-west.
LWG_VILLAGES = [
    ("新地村", "150121101207"),
    ("三道河村", "150121101205"),
    ("前营子村", "150121101202"),
    ("龙王沟村", "150121101201"),
    ("大榆树村", "150121101204"),
    ("后营子村", "150121101203"),
    ("红山村", "150121101206"),
]

NODE_JITTER_KM = 0.6
EDGE_ROUGHNESS = 0.15  # largest displacement as a share of an edge's length
EDGE_DEPTH = 5  # 2**5 = 32 segments per edge


def jitter(key, amount=NODE_JITTER_KM):
    rng = random.Random(f"node:{key}")
    return rng.uniform(-amount, amount), rng.uniform(-amount, amount)


def build_nodes():
    """Every lattice node, keyed by a stable name, in km. Outer border nodes only move along it."""
    nodes = {}
    for line, y in enumerate(ROW_LINES):
        outer_line = line in (0, len(ROW_LINES) - 1)
        dx, dy = jitter(f"W{line}")
        nodes[("W", line)] = (dx * 0.6, y + dy * (0.4 if outer_line else 1))
        dx, dy = jitter(f"E{line}")
        nodes[("E", line)] = (WIDTH_KM + dx * 0.6, y + dy * (0.4 if outer_line else 1))
    for row, dividers in enumerate(ROW_DIVIDERS):
        for k, (x_below, x_above) in enumerate(dividers):
            for line, x in ((row, x_below), (row + 1, x_above)):
                dx, dy = jitter(f"D{row}.{k}.{line}")
                outer_line = line in (0, len(ROW_LINES) - 1)
                nodes[("D", row, k, line)] = (x + dx, ROW_LINES[line] + dy * (0.4 if outer_line else 1))
    return nodes


def line_nodes(nodes, line):
    """The nodes on a horizontal lattice line, west to east (T-junctions included)."""
    keys = [("W", line), ("E", line)] + [k for k in nodes if k[0] == "D" and k[3] == line]
    return sorted(keys, key=lambda k: nodes[k][0])


def displaced_edge(a, b, seed):
    """Points from a to b (ends included), displaced sideways by deterministic midpoint noise."""
    rng = random.Random(f"edge:{seed}")
    length = math.dist(a, b)
    # Offsets along the edge, as a function of t in [0, 1]; 0 at both ends.
    n = 2**EDGE_DEPTH
    offsets = [0.0] * (n + 1)
    step, amplitude = n, EDGE_ROUGHNESS * length
    while step > 1:
        half = step // 2
        for i in range(half, n, step):
            offsets[i] = (offsets[i - half] + offsets[i + half]) / 2 + rng.uniform(-amplitude, amplitude)
        step, amplitude = half, amplitude * 0.5
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    nx, ny = -uy, ux
    # Moving only sideways keeps the edge a graph over its chord, so it cannot cross itself.
    return [
        (a[0] + ux * length * i / n + nx * offsets[i], a[1] + uy * length * i / n + ny * offsets[i])
        for i in range(n + 1)
    ]


def to_lonlat(point):
    x, y = point
    return (round(ORIGIN_LON + x / KM_PER_DEG_LON, DECIMALS), round(ORIGIN_LAT + y / KM_PER_DEG_LAT, DECIMALS))


class EdgeBook:
    """Each edge is made once, in lon/lat; walking it backwards returns the same points reversed."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.edges = {}

    def walk(self, key_from, key_to):
        forward = (key_from, key_to)
        backward = (key_to, key_from)
        if backward in self.edges:
            return list(reversed(self.edges[backward]))
        if forward not in self.edges:
            points = displaced_edge(self.nodes[key_from], self.nodes[key_to], repr(forward))
            self.edges[forward] = [to_lonlat(p) for p in points]
        return list(self.edges[forward])


def ring_from_path(book, path):
    """A closed ring following the node path (first node not repeated in ``path``)."""
    ring = []
    for key_from, key_to in zip(path, path[1:] + path[:1]):
        ring.extend(book.walk(key_from, key_to)[:-1])
    ring.append(ring[0])
    return ring


def lwg_rings():
    nodes = build_nodes()
    book = EdgeBook(nodes)
    rings = []
    for row, dividers in enumerate(ROW_DIVIDERS):
        lefts = [("W",)] + [("D", row, k) for k in range(len(dividers))]
        rights = [("D", row, k) for k in range(len(dividers))] + [("E",)]
        for left, right in zip(lefts, rights):
            left_below, left_above = side_nodes(left, row)
            right_below, right_above = side_nodes(right, row)
            below = line_nodes(nodes, row)
            above = line_nodes(nodes, row + 1)
            bottom = below[below.index(left_below) : below.index(right_below) + 1]
            top = above[above.index(left_above) : above.index(right_above) + 1]
            # Counter-clockwise: east along the bottom, north up the right side, west along the top.
            path = bottom + list(reversed(top))
            rings.append(ring_from_path(book, path))
    return rings


def side_nodes(side, row):
    if side[0] == "W":
        return ("W", row), ("W", row + 1)
    if side[0] == "E":
        return ("E", row), ("E", row + 1)
    _, side_row, k = side
    return ("D", side_row, k, row), ("D", side_row, k, row + 1)


def demo2_ring():
    """One village for DEMO2, about 55 km east of LWG: a jittered hexagon with rough edges."""
    centre = (55.0, -8.0)  # km in the same frame: ~112.22 E, 40.66 N
    corners = []
    for i in range(6):
        angle = math.radians(15 + 60 * i)
        radius = 2.1 + random.Random(f"demo2:{i}").uniform(-0.35, 0.35)
        corners.append((centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)))
    nodes = {i: corner for i, corner in enumerate(corners)}
    return ring_from_path(EdgeBook(nodes), list(nodes))


def feature_collection(name, features):
    return {
        "type": "FeatureCollection",
        "name": name,
        "features": [
            {
                "type": "Feature",
                "properties": {"name": village_name, "code": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for village_name, code, ring in features
        ],
    }


def check(collection):
    """Refuse to write boundaries that would not behave like real ones."""
    import django

    sys.path.insert(0, str(DATA_DIR.parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()  # only for GEOS/GDAL through Django; no database is opened
    from django.contrib.gis.gdal import CoordTransform, SpatialReference
    from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

    to_metres = CoordTransform(SpatialReference(4326), SpatialReference(4546))  # CGCS2000 GK CM 111E
    geoms = []
    for feature in collection["features"]:
        geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        assert geom.valid, (feature["properties"]["name"], geom.valid_reason)
        km2 = geom.transform(to_metres, clone=True).area / 1e6
        print(f"  {feature['properties']['name']}: {km2:.1f} km², {geom.num_coords} points")
        assert 10 <= km2 <= 25, (feature["properties"]["name"], km2)
        geoms.append(geom)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1 :]:
            assert a.intersection(b).area == 0, "overlap"
    union = MultiPolygon(geoms).unary_union
    assert union.geom_type == "Polygon" and union.num_interior_rings == 0, "the union has gaps or holes"


def main():
    lwg = feature_collection(
        "lwg_villages", [(name, code, ring) for (name, code), ring in zip(LWG_VILLAGES, lwg_rings())]
    )
    demo2 = feature_collection("demo2_villages", [("试验村", "150925101201", demo2_ring())])
    for filename, collection in (("lwg_villages.geojson", lwg), ("demo2_villages.geojson", demo2)):
        print(filename)
        check(collection)
        text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        # One feature per line keeps diffs readable.
        text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"').replace(
            '"features":[', '"features":[\n'
        )
        (DATA_DIR / filename).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
