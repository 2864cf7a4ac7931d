"""Realistic synthetic cases for speed work (`seed_demo --cases N`, issue #20): a million in minutes on PostGIS.

Each synthetic case replays one of the demo cases (``DemoSeeder`` drives them through the real workflow services
into every state of the procedure), moved back in time by whole weeks (so a step taken on a Tuesday stays on a
Tuesday) and put at a new place of another village: the same events in the same order, the same documents with new
numbers from the real numbering, their service records, the case's deadline, 办案期限, status and resolution. The
record is hash-chained exactly as ``patrol.ledger`` chains it, so ``manage.py verify_events`` accepts it. Documents
reuse the demo case's rendered PDF (its file and SHA-256), so nothing is rendered; photos and videos are not copied
(their events are left out of the synthetic record, which stays a complete chain).

Old cases are mostly finished: a case reported years ago replays a closed or dismissed demo case, a recent one any
demo case (a few open ones are left lying for months: the overdue backlog). The cases are spread over LWG (most of
them: the worst case the benchmarks measure) and three synthetic towns of other sizes, made from LWG's villages moved
east, each with its own officers.

On PostgreSQL the rows go in with COPY, a batch per transaction, with triggers and foreign-key checks off for the
batch (``session_replication_role = replica``, when the database user may set it); the map's rollup gets the batch's
counts in the same transaction, so it stays exactly the table's GROUP BY. Elsewhere (SpatiaLite) rows go in with
``bulk_create`` and the rollup does not exist.
"""
import hashlib
import json
import math
import os
import queue
import random
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import timezone as dt_timezone

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection, transaction
from django.utils import timezone

from demo.seeder import FEATURED, FEATURED_INDEX, uuid_for
from documents.choices import SEQUENCE_SCOPE
from documents.models import Document, ServiceRecord
from documents.services import document_number
from gis.models import Jurisdiction, Village
from patrol import rollup
from patrol.choices import DEADLINE_STATUSES, Status
from patrol.ledger import GENESIS_HASH
from patrol.models import Case, CaseEvent, User
from patrol.sequences import case_reference, take_next_number

BATCH = 5000
WRITERS = 2
# Share of the cases per jurisdiction: LWG keeps most of them (the benchmarks' worst case).
TOWNS = [
    # code, name, document prefix, east shift of LWG's villages (degrees), share
    ("LWG", None, None, 0.0, 0.70),
    ("SYNA", "合成甲镇", "甲执", 0.25, 0.18),
    ("SYNB", "合成乙镇", "乙执", 0.50, 0.09),
    ("SYNC", "合成丙镇", "丙执", 0.75, 0.03),
]
HISTORY_WEEKS = 156  # three years of finished cases
RECENT_WEEKS = 4  # a recent case is the demo case itself, moved back at most this much
RECENT_SHARE = 0.35  # cases drawn among all demo cases (open ones included), the rest among finished ones
BACKLOG_SHARE = 0.05  # of the recent draws: an open case left lying for up to a year
BACKLOG_WEEKS = 52
# Events of the demo cases that synthetic cases leave out: they name photo and video files not copied.
SKIPPED_ACTIONS = frozenset({"add_photo", "add_video"})
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建华", "桂兰", "志强", "秀英", "国庆", "海军", "玉梅", "永明", "春生", "红霞", "德胜", "文斌", "立新", "凤英",
         "长青", "金花", "宝山", "淑珍"]
OFFICER_NAMES = {"inspector": ("孙", "浩"), "inspector2": ("周", "磊"), "supervisor": ("吴", "振东"),
                 "legal": ("郑", "岚"), "leader": ("冯", "国栋")}
DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
SLOT = re.compile("\ue000(\\d+)\ue001")


def _json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _utc_iso(moment):
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Template:
    """A JSON text with slots: the case's reference, party, phone, address, document numbers and dates."""

    def __init__(self, value, literals, slot_map=None):
        slots = []

        def mark(slot):
            slots.append(slot)
            return f"\ue000{len(slots) - 1}\ue001"

        pattern = re.compile("|".join([re.escape(s) for s in sorted(literals, key=len, reverse=True)]
                                      + [DATE.pattern]))

        def walk(node, key=None):
            if isinstance(node, dict):
                return {k: walk(v, k) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v, key) for v in node]
            if isinstance(node, str):
                return pattern.sub(lambda m: self._slot(m, literals, mark), slot_map.get(node, node)
                                   if slot_map else node)
            if isinstance(node, int) and not isinstance(node, bool) and key in ("chair",) and slot_map:
                return slot_map.get(("user", node), node)
            return node

        text = _json(walk(value))
        parts = SLOT.split(text)
        self.parts = [part if i % 2 == 0 else slots[int(part)] for i, part in enumerate(parts)]
        self.plain = len(self.parts) == 1

    @staticmethod
    def _slot(match, literals, mark):
        found = match.group(0)
        if found in literals:
            return mark(literals[found])
        try:
            return mark(("date", date(int(match.group(1)), int(match.group(2)), int(match.group(3)))))
        except ValueError:
            return found

    def fill(self, values, shift):
        if self.plain:
            return self.parts[0]
        out = []
        for part in self.parts:
            if part.__class__ is str:
                out.append(part)
            elif part[0] == "date":
                out.append((part[1] + shift).isoformat())
            else:
                out.append(values[part])
        return "".join(out)


@dataclass
class Town:
    jurisdiction: Jurisdiction
    villages: list  # (village, dx) pairs: the LWG village whose points are used, and the east shift
    users: dict  # demo user id -> this town's user id
    share: float


class Prototype:
    """One demo case made replayable for one town: its row, its events, documents and service records."""

    def __init__(self, case, events, documents, services, town, text_map):
        self.case = case
        self.finished = case.status in (Status.CLOSED, Status.DISMISSED)
        self.created = case.created_at
        local_address = case.address
        if case.village and local_address.startswith(case.village.name):
            self.address_suffix = local_address[len(case.village.name):]
        else:
            self.address_suffix = local_address
        literals = {case.reference: ("ref",)}
        if case.party_name:
            literals[case.party_name] = ("party",)
        if case.party_phone:
            literals[case.party_phone] = ("phone",)
        if case.address:
            literals[case.address] = ("address",)
        for i, document in enumerate(documents):
            literals[document.number] = ("number", i)
        users = town.users
        # The demo passes each step its own moment, and a few come before the step recorded ahead of them (an order
        # at 10:00 after the inspection at 15:00 of the Friday before): here each event is at least a minute after the
        # one before it, and the documents and the closing it made move with it.
        moved, ats, last = {}, [], None
        for event in events:
            at = event.created_at if last is None else max(event.created_at, last + timedelta(minutes=1))
            moved.setdefault(event.created_at, at)
            ats.append(at)
            last = at
        self.events = []
        for event, at in zip(events, ats):
            self.events.append((
                _json(event.action), event.action, _json(event.from_status), event.from_status, _json(event.to_status),
                event.to_status, _json(event.note), event.note, users.get(event.actor_id, event.actor_id),
                at - self.created, event.location is not None,
                Template(event.payload, literals, text_map)))
        self.closed_at = moved.get(case.closed_at, case.closed_at)
        filings = [at - self.created for event, at in zip(events, ats) if event.action == "file"]
        self.documents = [(
            d.kind, moved.get(d.issued_at, d.issued_at) - self.created, d.issued_on,
            Template(d.content, literals, text_map), d.pdf.name, d.sha256, d.deadline, d.period_days,
            users.get(d.issued_by_id, d.issued_by_id),
        ) for d in documents]
        index = {d.pk: i for i, d in enumerate(documents)}
        self.services = [(
            index[s.document_id], index.get(s.receipt_id), s, users.get(s.served_by_id, s.served_by_id),
        ) for s in services if s.document_id in index]
        self.filings = filings
        self.responsible = users.get(case.responsible_id, case.responsible_id)
        self.reported_by = users.get(case.reported_by_id, case.reported_by_id)


def _sample_points(village, count, rng):
    """``count`` random points inside ``village`` as (x, y): PostGIS draws them, elsewhere GEOS tests each one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_X(g.geom), ST_Y(g.geom) FROM geo_village v, "
                "ST_Dump(ST_GeneratePoints(v.boundary, %s, %s)) g WHERE v.id = %s",
                [count, rng.randint(1, 2 ** 30), village.pk])
            points = cursor.fetchall()
        rng.shuffle(points)
        return points
    prepared, (xmin, ymin, xmax, ymax) = village.boundary.prepared, village.boundary.extent
    points = []
    while len(points) < count:
        x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if prepared.contains(Point(x, y, srid=4326)):
            points.append((x, y))
    return points


def _shifted(geometry, dx):
    polygons = []
    for polygon in geometry:
        rings = [[(x + dx, y) for x, y in ring.coords] for ring in polygon]
        polygons.append(Polygon(*rings))
    return MultiPolygon(*polygons, srid=geometry.srid)


def _towns(lwg, only_lwg=False):
    """LWG and the synthetic towns (made once: LWG's villages moved east, officers of every role); LWG alone, with
    every case, when ``only_lwg``."""
    lwg_villages = list(lwg.villages.order_by("name"))
    demo_users = list(User.objects.filter(jurisdiction=lwg, username__in=list(OFFICER_NAMES)).order_by("pk"))
    towns = []
    for k, (code, name, prefix, dx, share) in enumerate(TOWNS):
        if code == lwg.code:
            towns.append(Town(lwg, [(v, 0.0) for v in lwg_villages], {u.pk: u.pk for u in demo_users},
                              1.0 if only_lwg else share))
            continue
        if only_lwg:
            continue
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
        if jurisdiction is None:
            jurisdiction = Jurisdiction.objects.get(pk=lwg.pk)
            jurisdiction.pk = None
            jurisdiction.code, jurisdiction.name, jurisdiction.doc_prefix = code, name, prefix
            jurisdiction.boundary = _shifted(lwg.boundary, dx) if lwg.boundary else None
            jurisdiction.save()
            for village in lwg_villages:
                Village.objects.create(jurisdiction=jurisdiction, name=village.name, code="",
                                       boundary=_shifted(village.boundary, dx))
        users = {}
        for demo in demo_users:
            last, first = OFFICER_NAMES[demo.username]
            user, created = User.objects.get_or_create(
                username=f"{code.lower()}_{demo.username}",
                defaults={"role": demo.role, "jurisdiction": jurisdiction, "last_name": last, "first_name": first,
                          "password": make_password(None)})
            if created and demo.certificate_number:
                user.certificate_number = f"{demo.certificate_number[:-3]}{k}{demo.certificate_number[-2:]}"
                user.certificate_valid_until = demo.certificate_valid_until
                user.save(update_fields=["certificate_number", "certificate_valid_until"])
            users[demo.pk] = user.pk
        villages = {v.name: v for v in jurisdiction.villages.all()}
        towns.append(Town(jurisdiction, [(v, dx) for v in lwg_villages if v.name in villages], users, share))
        towns[-1].town_villages = {v.name: villages[v.name] for v in lwg_villages if v.name in villages}
    return towns


def _text_map(lwg, town, demo_users):
    """Strings of the demo's documents and records that name LWG or its officers, as this town's."""
    if town.jurisdiction.pk == lwg.pk:
        return None
    mapping = {lwg.name: town.jurisdiction.name}
    users = {u.pk: u for u in User.objects.filter(pk__in=list(town.users.values()))}
    for demo in demo_users:
        mine = users[town.users[demo.pk]]
        mapping[demo.username] = mine.username
        mapping[f"{demo.last_name}{demo.first_name}"] = f"{mine.last_name}{mine.first_name}"
        if demo.certificate_number:
            mapping[demo.certificate_number] = mine.certificate_number
        mapping[("user", demo.pk)] = mine.pk
    return mapping


def demo_prototypes(lwg, demo_cases):
    """The demo cases of LWG that synthetic cases replay, with their records (made by ``DemoSeeder``)."""
    uuids = [uuid_for("case", i) for i in range(demo_cases)]
    uuids += [uuid_for("case", FEATURED_INDEX + k) for k in range(len(FEATURED))]
    cases = list(Case.objects.filter(jurisdiction=lwg, client_uuid__in=uuids).select_related("village").order_by("pk"))
    if not cases:
        raise ValueError("no demo cases to replay: run seed_demo without --demo-cases 0")
    return cases


def add_realistic_cases(*, count, demo_cases=200, seed=0, progress=None, stats=None, one_jurisdiction=False):
    """Add ``count`` synthetic cases replaying the demo cases (see the module's docstring); returns how many per
    jurisdiction code. ``stats``, a dict, receives the CPU seconds of the writers' server processes.
    ``one_jurisdiction`` puts every case in LWG: the worst case of one township holding the whole table."""
    lwg = Jurisdiction.objects.get(code="LWG")
    rng = random.Random(seed)
    cases = demo_prototypes(lwg, demo_cases)
    ids = [c.pk for c in cases]
    events, documents, services = {}, {}, {}
    for event in CaseEvent.objects.filter(case_id__in=ids).order_by("case_id", "seq"):
        if event.action not in SKIPPED_ACTIONS:
            events.setdefault(event.case_id, []).append(event)
    for document in Document.objects.filter(case_id__in=ids).order_by("issued_at", "pk"):
        documents.setdefault(document.case_id, []).append(document)
    for service in ServiceRecord.objects.filter(document__case_id__in=ids).order_by("recorded_at", "pk"):
        services.setdefault(service.document_id, []).append(service)
    with transaction.atomic():
        towns = _towns(lwg, only_lwg=one_jurisdiction)
    demo_users = list(User.objects.filter(jurisdiction=lwg, username__in=list(OFFICER_NAMES)))
    plans = []
    for town in towns:
        text_map = _text_map(lwg, town, demo_users)
        protos = [Prototype(c, events.get(c.pk, []), documents.get(c.pk, []),
                            [s for d in documents.get(c.pk, []) for s in services.get(d.pk, [])], town, text_map)
                  for c in cases]
        plans.append((town, protos, [p for p in protos if p.finished]))
    now = timezone.now()
    made = {town.jurisdiction.code: 0 for town in towns}
    shares = [town.share for town in towns]
    # On PostgreSQL outside a transaction, a second thread (its own connection) writes one batch while the next is
    # made: the numbers of a batch are then taken in their own transaction just before (a failed run leaves a gap in
    # them; a finished one none). Inside a transaction (the tests) everything happens in it, batch by batch.
    writer = _Writer() if connection.vendor == "postgresql" and not connection.in_atomic_block else None
    done = 0
    deferred = _defer_indexes(count) if writer else None
    try:
        while done < count:
            size = min(BATCH, count - done)
            drawn = {}
            for k in rng.choices(range(len(towns)), shares, k=size):
                drawn[k] = drawn.get(k, 0) + 1
            for k, n in sorted(drawn.items()):
                town, protos, finished = plans[k]
                if writer:
                    with transaction.atomic():
                        batch = _make_batch(town, protos, finished, n, rng, now)
                    writer.put(batch)
                else:
                    with transaction.atomic():
                        _write(*_make_batch(town, protos, finished, n, rng, now))
                made[town.jurisdiction.code] += n
            done += size
            if progress:
                progress(size)
    finally:
        if writer:
            try:
                writer.close()
            finally:
                if deferred:
                    rebuild_deferred_indexes()
            if stats is not None:
                stats["server_cpu_s"] = writer.server_cpu_s
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics and visibility map now rather than whenever autovacuum gets to it: without statistics the
        # planner takes a jurisdiction of a million cases for a dozen and joins them to their events in a nested
        # loop; without the visibility map every "index-only" count (the KPI strip's) reads the rows' pages too
        # (242 ms instead of 45 ms for the strip at a million cases). About 11 s at a million.
        with connection.cursor() as cursor:
            for model in (Case, CaseEvent, Document, ServiceRecord):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    return made


# Secondary indexes of the tables the seed fills: dropped for a load that at least doubles them, built again after.
# Building an index from the finished table is a sort; keeping it while COPYing is a random insert per row and index
# (at a million cases about two thirds of the seed's database time). Unique and primary-key indexes stay: they are
# constraints. The dropped definitions are kept in a table of their own, in the transaction that drops them, so an
# interrupted seed (even a killed one) has them built again by the next seed run (``rebuild_deferred_indexes``).
BULK_TABLES = ("patrol_case", "patrol_caseevent", "documents_document", "documents_servicerecord")
DEFERRED_TABLE = "xuncha_seed_deferred_index"


def _defer_indexes(count):
    rebuild_deferred_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patrol_case")
        if cursor.fetchone()[0] * 2 > count:
            return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} (name text PRIMARY KEY, definition text)")
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT ix.indisunique AND NOT ix.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)", [list(BULK_TABLES)])
        indexes = cursor.fetchall()
        for name, definition in indexes:
            cursor.execute(f"INSERT INTO {DEFERRED_TABLE} VALUES (%s, %s)", [name, definition])
            cursor.execute(f'DROP INDEX "{name}"')
    return indexes


def rebuild_deferred_indexes():
    """Build the indexes a bulk load dropped (this one, or an interrupted one before it), two at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DEFERRED_TABLE])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"SELECT name, definition FROM {DEFERRED_TABLE} ORDER BY name")
        pending = queue.Queue()
        for row in cursor.fetchall():
            pending.put(row)
    errors = []

    def build():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                while True:
                    try:
                        name, definition = pending.get_nowait()
                    except queue.Empty:
                        return
                    with transaction.atomic():
                        cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
                        cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE name = %s", [name])
        except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, name=f"synthetic-index-{k}") for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {DEFERRED_TABLE}")


def _process_cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class _Writer:
    """Writes batches in threads of their own (each with its own database connection), one transaction each: two
    server processes share the index work of the inserts."""

    def __init__(self, threads=WRITERS):
        self.queue = queue.Queue(maxsize=threads + 1)
        self.error = None
        self.server_cpu_s = 0.0  # CPU time of the writers' server processes, when they run on this machine
        self.threads = [threading.Thread(target=self.run, name=f"synthetic-writer-{k}", daemon=True)
                        for k in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            while (batch := self.queue.get()) is not None:
                if self.error is None:  # after a failure, take the rest without writing it
                    try:
                        with transaction.atomic():
                            _write(*batch)
                    except BaseException as exc:  # noqa: BLE001 - raised in the main thread
                        self.error = exc
        finally:
            self.server_cpu_s += _process_cpu_s(pid)
            connection.close()

    def put(self, batch):
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def close(self):
        for thread in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error


def _draw(protos, finished, rng, now):
    """A demo case and how many days to move it back (whole weeks, never into the future)."""
    if rng.random() < RECENT_SHARE or not finished:
        proto = rng.choice(protos)
        weeks = rng.randint(0, BACKLOG_WEEKS if rng.random() < BACKLOG_SHARE else RECENT_WEEKS)
    else:
        proto = rng.choice(finished)
        weeks = rng.randint(0, HISTORY_WEEKS)
    return proto, timedelta(days=-7 * weeks)


def _make_batch(town, protos, finished, size, rng, now):
    jurisdiction = town.jurisdiction
    draws = [_draw(protos, finished, rng, now) for _ in range(size)]
    # Places: a village for each case, points drawn in LWG's village and moved with the town.
    by_village = {}
    for i in range(size):
        by_village.setdefault(rng.randrange(len(town.villages)), []).append(i)
    places = [None] * size
    for v, members in by_village.items():
        source, dx = town.villages[v]
        village = getattr(town, "town_villages", {}).get(source.name, source)
        for i, (x, y) in zip(members, _sample_points(source, len(members), rng)):
            places[i] = (village, x + dx, y)
    # Numbers: case references by year of report, document numbers by kind and year of issue, each range taken once.
    wanted = {}
    for proto, shift in draws:
        year = timezone.localtime(proto.created + shift).year
        wanted[("case", year)] = wanted.get(("case", year), 0) + 1
        for kind, _offset, issued_on, *_rest in proto.documents:
            key = (SEQUENCE_SCOPE[kind], (issued_on + shift).year)
            wanted[key] = wanted.get(key, 0) + 1
    next_seq = {key: take_next_number(jurisdiction=jurisdiction, scope=scope, year=year, count=n)
                for key, n in sorted(wanted.items()) for scope, year in [key]}
    case_ids = _ids(Case, size)
    document_ids = _ids(Document, sum(len(p.documents) for p, _ in draws))
    case_rows, event_rows, document_rows, service_rows = [], [], [], []
    cells, deadlines, filings = {}, {}, {}
    d = 0
    for i, (proto, shift) in enumerate(draws):
        village, x, y = places[i]
        c = proto.case
        created = proto.created + shift
        year = timezone.localtime(created).year
        seq = next_seq[("case", year)]
        next_seq[("case", year)] += 1
        reference = case_reference(jurisdiction.code, year, seq)
        numbers = []
        my_documents = []
        for kind, offset, issued_on, content, pdf, sha256, deadline, period_days, issued_by in proto.documents:
            key = (SEQUENCE_SCOPE[kind], (issued_on + shift).year)
            numbers.append(document_number(jurisdiction, kind, key[1], next_seq[key]))
            my_documents.append((document_ids[d], kind, key[1], next_seq[key]))
            next_seq[key] += 1
            d += 1
        party = rng.choice(SURNAMES) + rng.choice(GIVEN) if c.party_name else ""
        phone = f"13{rng.randint(100000000, 999999999)}" if c.party_phone else ""
        address = f"{village.name}{proto.address_suffix}"
        values = {("ref",): reference, ("party",): party, ("phone",): phone, ("address",): address}
        for k, number in enumerate(numbers):
            values[("number", k)] = number
        days = shift.days
        day_shift = timedelta(days=days)
        location = f"SRID=4326;POINT({x!r} {y!r})"
        gx, gy = math.floor(x / rollup.CELL), math.floor(y / rollup.CELL)
        cell = cells.setdefault((jurisdiction.pk, gx, gy, c.status), [0, 0.0, 0.0])
        cell[0] += 1
        cell[1] += x
        cell[2] += y
        if proto.filings:
            closed_on = (timezone.localtime(proto.closed_at + shift).date()
                         if c.status == Status.CLOSED and proto.closed_at else rollup.NOT_CLOSED)
            for offset in proto.filings:
                key = (jurisdiction.pk, timezone.localtime(created + offset).date(), closed_on)
                filings[key] = filings.get(key, 0) + 1
        if c.deadline and c.status in DEADLINE_STATUSES:
            key = (jurisdiction.pk, gx, gy, c.deadline + day_shift)
            deadlines[key] = deadlines.get(key, 0) + 1
        location_json = _json([round(x, 7), round(y, 7)])
        case_id = case_ids[i]
        prev = GENESIS_HASH
        last_at = created
        for seq_no, (action_j, action, from_j, from_s, to_j, to_s, note_j, note, actor, offset, located,
                     payload) in enumerate(proto.events, start=1):
            at = created + offset
            payload_text = payload.fill(values, day_shift)
            actor_j = "null" if actor is None else str(actor)
            text = (f'{{"action":{action_j},"actor":{actor_j},"at":"{_utc_iso(at)}","case":"{reference}",'
                    f'"from":{from_j},"location":{location_json if located else "null"},"note":{note_j},'
                    f'"payload":{payload_text},"prev":"{prev}","seq":{seq_no},"to":{to_j}}}')
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            event_rows.append((case_id, seq_no, actor, at, location if located else None, action, from_s, to_s, note,
                               payload_text, prev, digest))
            prev = digest
            last_at = at
        for (doc_id, kind, doc_year, doc_seq), number, (_k, offset, issued_on, content, pdf, sha256, deadline,
                                                        period_days, issued_by) in zip(
                my_documents, numbers, proto.documents):
            document_rows.append((doc_id, case_id, kind, doc_year, doc_seq, number, issued_on + day_shift,
                                  proto.created + offset + shift, content.fill(values, day_shift), pdf, sha256,
                                  deadline + day_shift if deadline else None, period_days, issued_by))
        for doc_index, receipt_index, s, served_by in proto.services:
            service_rows.append((
                my_documents[doc_index][0], s.method, s.served_on + day_shift, s.place, s.recipient_name,
                s.recipient_relation, s.refused, s.witness_name, s.tracking_number,
                s.receipt_date + day_shift if s.receipt_date else None, s.channel, s.address, s.publication_place,
                s.failure_reason, s.effective_on + day_shift if s.effective_on else None,
                my_documents[receipt_index][0] if receipt_index is not None else None, served_by,
                s.recorded_at + shift, s.note))
        case_rows.append((
            case_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)), jurisdiction.pk, reference, year, seq,
            location, c.accuracy_m, c.location_source, village.pk, address, c.category, c.stage,
            c.estimated_area_m2, c.floors, c.structure, party, phone, c.description, c.reported_by_id and
            proto.reported_by, proto.responsible, c.observed_at + shift, created, last_at, c.status, c.legal_basis,
            c.deadline + day_shift if c.deadline else None, c.decision_due + day_shift if c.decision_due else None,
            c.resolution, proto.closed_at + shift if c.closed_at else None,
            c.enforcement_announced_on + day_shift if c.enforcement_announced_on else None, c.suspended,
            len(proto.events), ""))
    return case_rows, event_rows, document_rows, service_rows, (cells, deadlines, filings)


CASE_COLUMNS = ["id", "client_uuid", "jurisdiction_id", "reference", "year", "seq", "location", "accuracy_m",
                "location_source", "village_id", "address", "category", "stage", "estimated_area_m2", "floors",
                "structure", "party_name", "party_phone", "description", "reported_by_id", "responsible_id",
                "observed_at", "created_at", "updated_at", "status", "legal_basis", "deadline", "decision_due",
                "resolution", "closed_at", "enforcement_announced_on", "suspended", "version", "submission_hash"]
EVENT_COLUMNS = ["case_id", "seq", "actor_id", "created_at", "location", "action", "from_status", "to_status", "note",
                 "payload", "prev_hash", "hash"]
DOCUMENT_COLUMNS = ["id", "case_id", "kind", "year", "seq", "number", "issued_on", "issued_at", "content", "pdf",
                    "sha256", "deadline", "period_days", "issued_by_id"]
SERVICE_COLUMNS = ["document_id", "method", "served_on", "place", "recipient_name", "recipient_relation", "refused",
                   "witness_name", "tracking_number", "receipt_date", "channel", "address", "publication_place",
                   "failure_reason", "effective_on", "receipt_id", "served_by_id", "recorded_at", "note"]


def _ids(model, count):
    if not count:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) "
                           "FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
    # SpatiaLite: one writer at a time, the transaction holds the database.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def _write(case_rows, event_rows, document_rows, service_rows, rollup_rows):
    tables = [(Case, CASE_COLUMNS, case_rows), (CaseEvent, EVENT_COLUMNS, event_rows),
              (Document, DOCUMENT_COLUMNS, document_rows), (ServiceRecord, SERVICE_COLUMNS, service_rows)]
    if connection.vendor != "postgresql":
        for model, columns, rows in tables:
            model.objects.bulk_create([_instance(model, columns, row) for row in rows], batch_size=1000)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        replica = cursor.fetchone()[0]
        if replica:
            # This batch only: no per-row trigger (the rollup is added up below) and no foreign-key check (every id
            # was just taken or read above).
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        for model, columns, rows in tables:
            if rows:
                with cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        if replica:
            cursor.execute("SET LOCAL session_replication_role = origin")
            add_to_rollup(cursor, *rollup_rows)


def add_to_rollup(cursor, cells, deadlines, filings):
    """Add a batch's counts to the rollups, as the triggers of migrations 0014 and 0025 add each case's and each 立案
    event's: ``cells`` maps (jurisdiction, gx, gy, status) to [n, sum x, sum y], ``deadlines`` (jurisdiction, gx, gy,
    deadline) to n, ``filings`` (jurisdiction, filed on, closed on) to n. Rows are taken in key order, so two writers
    never wait on each other in a cycle."""
    rows = sorted(cells.items())
    cursor.execute(
        "INSERT INTO patrol_casecell AS t (jurisdiction_id, gx, gy, status, n, sx, sy) "
        "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::varchar[], %s::bigint[], "
        "%s::double precision[], %s::double precision[]) "
        "ON CONFLICT (jurisdiction_id, gx, gy, status) DO UPDATE SET n = t.n + EXCLUDED.n, sx = t.sx + EXCLUDED.sx, "
        "sy = t.sy + EXCLUDED.sy",
        [[k[0] for k, _v in rows], [k[1] for k, _v in rows], [k[2] for k, _v in rows], [k[3] for k, _v in rows],
         [v[0] for _k, v in rows], [v[1] for _k, v in rows], [v[2] for _k, v in rows]])
    rows = sorted(deadlines.items())
    if rows:
        cursor.execute(
            "INSERT INTO patrol_casecelldeadline AS t (jurisdiction_id, gx, gy, deadline, n) "
            "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::date[], %s::bigint[]) "
            "ON CONFLICT (jurisdiction_id, gx, gy, deadline) DO UPDATE SET n = t.n + EXCLUDED.n",
            [[k[0] for k, _v in rows], [k[1] for k, _v in rows], [k[2] for k, _v in rows], [k[3] for k, _v in rows],
             [v for _k, v in rows]])
    rows = sorted(filings.items())
    if rows:
        cursor.execute(
            "INSERT INTO patrol_casefiling AS t (jurisdiction_id, filed_on, closed_on, n) "
            "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::date[], %s::bigint[]) "
            "ON CONFLICT (jurisdiction_id, filed_on, closed_on) DO UPDATE SET n = t.n + EXCLUDED.n",
            [[k[0] for k, _v in rows], [k[1] for k, _v in rows], [k[2] for k, _v in rows], [v for _k, v in rows]])


def _instance(model, columns, row):
    values = dict(zip(columns, row))
    for name in ("location",):
        if values.get(name):
            x, y = values[name].split("(")[1].rstrip(")").split()
            values[name] = Point(float(x), float(y), srid=4326)
    for name in ("payload", "content"):
        if name in values:
            values[name] = json.loads(values[name])
    return model(**values)
