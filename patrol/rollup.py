"""The map's rollup: cases counted per jurisdiction, grid cell and status (CaseCell), and per cell and deadline for
the statuses that wait on one (CaseCellDeadline), kept by a trigger on patrol_case in the transaction that writes the
case (migration 0014), so it is always exactly the table's GROUP BY.

The grid is zoom 13 of the map's cluster grid (a quarter of a 256 px tile, 360 / 2**13 / 4 degrees). Cells of lower
zooms are unions of 2**k of its cells on a side (the grids share their origin and halve exactly), so a whole-
jurisdiction view reads a few hundred rollup rows instead of a million cases (issue #20). A viewport is answered from
the cells that lie wholly inside it and, for the strip along its edges, from the cases themselves (the spatial index
finds the few there); ``api.map`` keeps the live query for filters and zooms the rollup does not serve.

Overdue (a deadline before today) changes at midnight without a write; the deadline rows make it a sum over the
deadlines before today. ``fold_past_deadlines`` (daily) merges each cell's past deadlines into one row, which keeps
that table as small as the number of future deadlines; the sums are the same before and after.
"""
import math
from datetime import date

from django.db import connection, connections

from patrol.choices import DEADLINE_STATUSES

ROLLUP_ZOOM = 13
CELLS_PER_TILE = 4
CELL = 360.0 / (2 ** ROLLUP_ZOOM) / CELLS_PER_TILE  # 0.010986328125, exact in binary
# Where fold_past_deadlines puts the past deadlines of a cell: any date before every real deadline.
FOLDED = date(2000, 1, 1)
# CaseFiling's closing day of a case not closed (migration 0025).
NOT_CLOSED = date(9999, 12, 31)


def available(using="default"):
    """The trigger exists on PostgreSQL only; on SpatiaLite every count is live."""
    return connections[using].vendor == "postgresql"


def interior(bbox):
    """The rollup cells (ix0, iy0, ix1, iy1), inclusive, that lie wholly inside ``bbox``, or None.

    Cell (i, j) holds the points with floor(x / CELL) = i, that is i * CELL <= x < (i + 1) * CELL.
    """
    west, south, east, north = bbox
    ix0, iy0 = math.ceil(west / CELL), math.ceil(south / CELL)
    ix1, iy1 = math.floor(east / CELL) - 1, math.floor(north / CELL) - 1
    if ix0 > ix1 or iy0 > iy1:
        return None
    return ix0, iy0, ix1, iy1


def cell_grid_sql(jurisdiction_id, cells, zoom, today):
    """SQL and parameters of rows (gx, gy, status, late, n, sx, sy) at ``zoom`` (<= ROLLUP_ZOOM) for the rollup cells
    ``cells`` (``interior``): one row per cell and status, and one row per cell with status NULL and late true whose
    n is the cell's overdue cases (sx and sy 0)."""
    ix0, iy0, ix1, iy1 = cells
    factor = float(2 ** (ROLLUP_ZOOM - zoom))
    sql = (
        "SELECT FLOOR(gx / %s), FLOOR(gy / %s), status, false, SUM(n), SUM(sx), SUM(sy) FROM patrol_casecell "
        "WHERE jurisdiction_id = %s AND gx BETWEEN %s AND %s AND gy BETWEEN %s AND %s "
        "GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 "
        "UNION ALL "
        "SELECT FLOOR(gx / %s), FLOOR(gy / %s), NULL, true, SUM(n), 0, 0 FROM patrol_casecelldeadline "
        "WHERE jurisdiction_id = %s AND gx BETWEEN %s AND %s AND gy BETWEEN %s AND %s AND deadline < %s "
        "GROUP BY 1, 2 HAVING SUM(n) <> 0"
    )
    params = [factor, factor, jurisdiction_id, ix0, ix1, iy0, iy1,
              factor, factor, jurisdiction_id, ix0, ix1, iy0, iy1, today]
    return sql, params


def totals(jurisdiction_id, today):
    """{status: count} and the number of overdue cases of the whole jurisdiction, from the rollup."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, SUM(n) FROM patrol_casecell WHERE jurisdiction_id = %s GROUP BY status "
            "UNION ALL SELECT NULL, SUM(n) FROM patrol_casecelldeadline WHERE jurisdiction_id = %s AND deadline < %s",
            [jurisdiction_id, jurisdiction_id, today])
        rows = cursor.fetchall()
    by_status = {status: int(n) for status, n in rows if status is not None and n}
    overdue = sum(int(n or 0) for status, n in rows if status is None)
    return by_status, overdue


def filings(jurisdiction_id, period):
    """(filed, of them closed by the period's end) of a whole jurisdiction for ``period`` (local dates), from
    CaseFiling: the KPI strip's 立案 and 整改率 numerator (patrol.kpis.period_measures) without reading the cases."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n), 0), COALESCE(SUM(n) FILTER (WHERE closed_on <= %s), 0) FROM patrol_casefiling "
            "WHERE jurisdiction_id = %s AND filed_on BETWEEN %s AND %s",
            [period.end, jurisdiction_id, period.start, period.end])
        filed, closed = cursor.fetchone()
    return int(filed), int(closed)


def fold_past_deadlines(today):
    """Merge, per cell, the deadline rows before ``today`` into one row dated FOLDED; returns the rows removed."""
    if not available():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH moved AS (DELETE FROM patrol_casecelldeadline WHERE deadline < %s AND deadline > %s "
            "RETURNING jurisdiction_id, gx, gy, n) "
            "INSERT INTO patrol_casecelldeadline AS t (jurisdiction_id, gx, gy, deadline, n) "
            "SELECT jurisdiction_id, gx, gy, %s, SUM(n) FROM moved GROUP BY 1, 2, 3 "
            "ON CONFLICT (jurisdiction_id, gx, gy, deadline) DO UPDATE SET n = t.n + EXCLUDED.n",
            [today, FOLDED, FOLDED])
        return cursor.rowcount


def rebuild(jurisdiction_id):
    """Recount a jurisdiction's rollup from its cases (after a bulk load with the trigger off)."""
    statuses = "(" + ", ".join(f"'{s}'" for s in DEADLINE_STATUSES) + ")"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patrol_casecell WHERE jurisdiction_id = %s", [jurisdiction_id])
        cursor.execute("DELETE FROM patrol_casecelldeadline WHERE jurisdiction_id = %s", [jurisdiction_id])
        cursor.execute(
            "INSERT INTO patrol_casecell (jurisdiction_id, gx, gy, status, n, sx, sy) "
            "SELECT jurisdiction_id, FLOOR(ST_X(location) / %s), FLOOR(ST_Y(location) / %s), status, COUNT(*), "
            "SUM(ST_X(location)), SUM(ST_Y(location)) FROM patrol_case WHERE jurisdiction_id = %s "
            "GROUP BY 1, 2, 3, 4", [CELL, CELL, jurisdiction_id])
        cursor.execute(
            "INSERT INTO patrol_casecelldeadline (jurisdiction_id, gx, gy, deadline, n) "
            "SELECT jurisdiction_id, FLOOR(ST_X(location) / %s), FLOOR(ST_Y(location) / %s), deadline, COUNT(*) "
            f"FROM patrol_case WHERE jurisdiction_id = %s AND deadline IS NOT NULL AND status IN {statuses} "
            "GROUP BY 1, 2, 3, 4", [CELL, CELL, jurisdiction_id])
