"""A large jurisdiction for the query-plan tests, inserted with one INSERT … SELECT generate_series (a few seconds
for 100,000 cases) and committed for the module, so that PostgreSQL plans as it would on a real database."""
import json

from django.db import connection

from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, square
from patrol.choices import Role

# Statuses by weight (out of 20): a mix like a jurisdiction's after a year, most of it ended.
STATUS_MIX = ["reported"] * 2 + ["filed"] * 2 + ["ordered"] * 4 + ["decided", "in_review"] + ["closed"] * 9 + [
    "dismissed"]


def insert_cases(*, jurisdiction_id, village_ids, user_id, count, x0, y0, size, year=2026, first_seq=1):
    """``count`` cases spread uniformly over the square (x0, y0, size) and the last 330 days."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO patrol_case (client_uuid, jurisdiction_id, reference, year, seq, location, accuracy_m,
                location_source, address, category, stage, estimated_area_m2, floors, structure, party_name,
                party_phone, description, observed_at, created_at, updated_at, status, deadline, resolution,
                closed_at, suspended, version, submission_hash, reported_by_id, responsible_id, village_id,
                legal_basis)
            SELECT gen_random_uuid(), %(j)s, 'BIG' || %(j)s || '-' || g, %(year)s, %(first)s + g,
                ST_SetSRID(ST_MakePoint(%(x0)s + random() * %(size)s, %(y0)s + random() * %(size)s), 4326),
                5, 'device_gps', '合成', 'extension', 'completed', 50, 1, '', '', '', '', t, t, t, s,
                CASE WHEN s IN ('ordered', 'decided') THEN (t + interval '30 days')::date END,
                CASE s WHEN 'closed' THEN 'rectified_by_party' WHEN 'dismissed' THEN 'not_violation' ELSE '' END,
                CASE WHEN s IN ('closed', 'dismissed') THEN t + interval '20 days' END,
                false, 1, '', %(user)s, %(user)s, (%(villages)s::bigint[])[1 + g %% %(nvillages)s], ''
            FROM (SELECT g, now() - random() * interval '330 days' AS t,
                         (%(mix)s::text[])[1 + g %% %(nmix)s] AS s
                  FROM generate_series(1, %(count)s) AS g) AS rows
            """,
            {"j": jurisdiction_id, "year": year, "first": first_seq, "x0": x0, "y0": y0, "size": size,
             "user": user_id, "villages": list(village_ids), "nvillages": len(village_ids), "mix": STATUS_MIX,
             "nmix": len(STATUS_MIX), "count": count})


def make_big_jurisdiction(count, code="BIG"):
    """A jurisdiction with two villages, an inspector and ``count`` cases, analysed; returns (jurisdiction,
    inspector, cleanup)."""
    jurisdiction = JurisdictionFactory(code=code, name="大执法队", boundary=square(111.50, 40.60, 0.2))
    villages = [VillageFactory(jurisdiction=jurisdiction, name=f"大{i}村", boundary=square(111.50 + 0.1 * i, 40.60, 0.1))
                for i in range(2)]
    inspector = UserFactory(username=f"{code.lower()}_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction)
    supervisor = UserFactory(username=f"{code.lower()}_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction)
    insert_cases(jurisdiction_id=jurisdiction.pk, village_ids=[v.pk for v in villages], user_id=inspector.pk,
                 count=count, x0=111.50, y0=40.60, size=0.2)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE patrol_case")

    def cleanup():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM patrol_case WHERE jurisdiction_id = %s", [jurisdiction.pk])
        for model_rows in (supervisor, inspector, *villages, jurisdiction):
            model_rows.delete()

    return jurisdiction, {"inspector": inspector, "supervisor": supervisor}, cleanup


def plan(queryset, analyze=False):
    """The plan of ``queryset`` as PostgreSQL's JSON (the top node)."""
    text = queryset.explain(format="json", analyze=analyze)
    return json.loads(text)[0]["Plan"]


def nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def seq_scans(node, table="patrol_case"):
    return [n for n in nodes(node) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table]
