"""Distances on the Earth for WGS-84 coordinates, where the database is not the right place."""
import math

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def haversine_m(lng1, lat1, lng2, lat2):
    """Great-circle distance in metres; within 0.5 % of the ellipsoid, plenty for mileage and nearby checks."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def line_length_m(coordinates):
    """Length of a polyline given as [(lng, lat), ...]."""
    return sum(haversine_m(*a, *b) for a, b in zip(coordinates, coordinates[1:]))
