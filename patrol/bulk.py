"""Synthetic cases for load and speed work (`seed_demo --cases N`): a million in minutes on PostGIS.

Rows go in with COPY on PostgreSQL (bulk_create elsewhere). Each synthetic case gets one event,
``synthetic_import``, chained like any other, so the record stays verifiable.
"""
import json
import random
import uuid
from datetime import timedelta

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from patrol import ledger
from patrol.choices import Category, Resolution, Stage, Status, Structure
from patrol.models import Case, CaseEvent
from patrol.sequences import case_reference, take_next_number

BATCH = 20000
# Synthetic cases spread over the simple states; the full procedure is in the 200 demo cases.
STATUS_WEIGHTS = [(Status.REPORTED, 15), (Status.FILED, 10), (Status.ORDERED, 35), (Status.CLOSED, 35),
                  (Status.DISMISSED, 5)]


def add_synthetic_cases(*, jurisdiction, actor, count, seed=0, progress=None):
    villages = list(jurisdiction.villages.all())
    if not villages:
        raise ValueError(f"{jurisdiction.code} has no villages")
    samplers = [(v, v.boundary.prepared, v.boundary.extent) for v in villages]
    rng = random.Random(seed)
    now = timezone.now()
    year = timezone.localtime(now).year
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        with transaction.atomic():
            first_seq = take_next_number(jurisdiction=jurisdiction, scope="case", year=year, count=size)
            cases = [_synthetic_case(rng, samplers, jurisdiction, actor, year, first_seq + i, now, statuses, weights)
                     for i in range(size)]
            _insert(cases, actor)
        made += size
        if progress:
            progress(size)
    return made


def _synthetic_case(rng, samplers, jurisdiction, actor, year, seq, now, statuses, weights):
    village, prepared, (xmin, ymin, xmax, ymax) = rng.choice(samplers)
    while True:
        point = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if prepared.contains(point):
            break
    created = now - timedelta(days=rng.uniform(0, 330))
    status = rng.choices(statuses, weights)[0]
    deadline = resolution = closed_at = None
    if status == Status.ORDERED:
        deadline = (created + timedelta(days=rng.randint(5, 60))).date()
    if status in (Status.CLOSED, Status.DISMISSED):
        resolution = Resolution.RECTIFIED_BY_PARTY if status == Status.CLOSED else Resolution.NOT_VIOLATION
        closed_at = min(created + timedelta(days=rng.uniform(1, 60)), now)
    return Case(
        client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4), jurisdiction=jurisdiction,
        reference=case_reference(jurisdiction.code, year, seq), year=year, seq=seq, location=point,
        accuracy_m=round(rng.uniform(3, 30), 1), location_source="device_gps", village=village,
        address=f"{village.name}（合成数据）", category=rng.choice(Category.values), stage=rng.choice(Stage.values),
        estimated_area_m2=round(rng.uniform(10, 500), 1), floors=rng.randint(1, 3), structure=rng.choice(Structure.values),
        party_name="", party_phone="", description="合成测试数据", reported_by=actor, responsible=actor,
        observed_at=created, created_at=created, updated_at=closed_at or created, status=status, deadline=deadline,
        resolution=resolution or "", closed_at=closed_at, version=1,
    )


def _event_for(case, actor):
    content = ledger.event_content(
        case_reference=case.reference, seq=1, actor_id=actor.pk, created_at=case.created_at,
        location=case.location, action="synthetic_import", from_status="", to_status=case.status,
        note="合成测试数据", payload={}, prev_hash=ledger.GENESIS_HASH)
    return CaseEvent(case_id=case.pk, seq=1, actor=actor, created_at=case.created_at, location=case.location,
                     action="synthetic_import", from_status="", to_status=case.status, note="合成测试数据", payload={},
                     prev_hash=ledger.GENESIS_HASH, hash=ledger.content_hash(content))


def _insert(cases, actor):
    if connection.vendor != "postgresql":
        Case.objects.bulk_create(cases, batch_size=2000)
        CaseEvent.objects.bulk_create([_event_for(c, actor) for c in cases], batch_size=2000)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('patrol_case', 'id')) FROM generate_series(1, %s)",
                       [len(cases)])
        for case, (pk,) in zip(cases, cursor.fetchall()):
            case.pk = pk
        _copy(cursor, Case, cases)
        _copy(cursor, CaseEvent, [_event_for(c, actor) for c in cases])


def _copy(cursor, model, objects):
    # Rows without a primary key (the events) get theirs from the database's sequence.
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and objects[0].pk is None)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([_db_value(f, obj) for f in fields])


def _db_value(field, obj):
    value = getattr(obj, field.attname)
    if value is None:
        return None
    if field.get_internal_type() in ("PointField",):
        return value.ewkt
    if field.get_internal_type() == "JSONField":
        return json.dumps(value, ensure_ascii=False)
    return value
