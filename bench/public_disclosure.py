"""The public list of 执法公示 (issue #17) with 10,000 published decisions, printed, not asserted:

  a. server time of GET /gongshi/<code>/decisions/ rendered fresh (first page, a deep page, a search) ÷ a trivial
     view (a plain HttpResponse through the same middleware and test client, without and with the one query every
     public page starts with); target ≤ 3. Measured in interleaved rounds (each round asks every URL once), so a
     busy moment on the machine hits every figure alike; medians, and the median of each round's own ratio. Beside
     the wall time, the CPU time of this process per request (the database's is not in it) and the queries;
  b. HTML per page, gzip -6 (target ≤ 60 KB);
  c. a repeat with If-None-Match: 304, and its time;
  d. the daily run's registration of 10,000 decisions (snapshot and masking each), for scale.

On a throw-away PostGIS test database (bench/_setup.py). The 10,000 decisions are Document rows inserted in bulk
on one case per village (rendering 10,000 PDFs would take hours and is not what is measured); the entries are
made by the real disclosure.services.register_decisions and published by publish_pending.

  cd <repo> && DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchgongshi .venv/bin/python bench/public_disclosure.py
"""
import gzip
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from _setup import ROOT, django_with_test_database  # noqa: F401  (sets sys.path and the settings)

# bench/documents.py would shadow the documents app (the settings put this folder back in front): only the project.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

RUNS = int(os.environ.get("RUNS", "60"))
DECISIONS = int(os.environ.get("DECISIONS", "10000"))


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def trivial_query(request, code):
    """The cheapest public page: the jurisdiction by its code (one query), as every public page starts."""
    from django.http import HttpResponse

    from disclosure.selectors import jurisdiction_by_code

    return HttpResponse(jurisdiction_by_code(code).name)


def main():
    drop = django_with_test_database()
    try:
        run()
    finally:
        drop()


def interleaved(client, requests):
    """{name: ([wall seconds], [cpu seconds], last response)} of ``requests`` ({name: (url, headers)}), each asked
    once per round for RUNS rounds."""
    samples = {name: ([], [], None) for name in requests}
    for _ in range(RUNS):
        for name, (url, headers) in requests.items():
            cpu, start = time.thread_time(), time.perf_counter()
            response = client.get(url, **headers)
            wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
            walls, cpus, _ = samples[name]
            walls.append(wall)
            cpus.append(cpu)
            samples[name] = (walls, cpus, response)
    return samples


def after(entries, pages):
    """The cursor of page ``pages + 1`` (the link 下一页 on page ``pages``): the last entry before it."""
    from disclosure.selectors import cursor_of
    from disclosure.views import PAGE_SIZE

    return cursor_of(entries[pages * PAGE_SIZE - 1])


def ms(values):
    return statistics.median(values) * 1000


def build(now):
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.utils import timezone

    from disclosure import services
    from documents.choices import DocumentKind
    from documents.models import Document
    from patrol import workflow
    from patrol.choices import Role
    from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, finding, square

    jurisdiction = JurisdictionFactory(code="LWG", name="龙王沟乡村振兴示范区", boundary=square(111.60, 40.70, 0.07))
    villages = [VillageFactory(jurisdiction=jurisdiction, name=f"{name}村", boundary=square(111.60 + 0.01 * i, 40.70, 0.01))
                for i, name in enumerate(["东沟", "西沟", "南梁", "北梁", "前营", "后营", "中滩"])]
    supervisor = UserFactory(username="bench_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction)
    cases = []
    for i, village in enumerate(villages):
        case, _ = workflow.report_finding(actor=supervisor, now=now - timedelta(days=2000), **finding(
            location=Point(111.605 + 0.01 * i, 40.705, srid=4326), party_name="张三" if i % 2 else "欧阳娜娜",
            party_phone="13800000000", address=f"{village.name}12号", description="院外加盖彩钢房，电话13800000000"))
        cases.append(case)
    kinds = [DocumentKind.DEMOLITION_DECISION, DocumentKind.ENFORCEMENT_DECISION, DocumentKind.RECTIFICATION_ORDER]
    rows = []
    first = timezone.localdate(now) - timedelta(days=4 * 365)
    for n in range(DECISIONS):
        issued_on = first + timedelta(days=n * (4 * 365) // DECISIONS)
        rows.append(Document(case=cases[n % len(cases)], kind=kinds[n % 3], year=issued_on.year, seq=n + 1,
                             number=f"龙执〔{issued_on.year}〕{n + 1:05d}号", issued_on=issued_on,
                             issued_at=timezone.make_aware(datetime.combine(issued_on, datetime.min.time())),
                             content={"party": {"name": "张三"}, "legal_basis": {
                                 "articles": "《中华人民共和国城乡规划法》第六十五条",
                                 "violation": "未取得乡村建设规划许可证进行建设"}, "building": {"category": "违法加建"}},
                             pdf=f"bench/{n}.pdf", sha256="0" * 64, period_days=10, issued_by=supervisor))
    Document.objects.bulk_create(rows, batch_size=2000)
    start = time.perf_counter()
    registered = services.register_decisions(now)
    register_s = time.perf_counter() - start
    # Published the morning after each decision, as the daily run does.
    published = services.publish_pending(now)
    # What autovacuum does after a bulk insert like this one: statistics, and the visibility map that lets a count
    # or a deep page read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE disclosure_publisheddecision")
        cursor.execute("ANALYZE")
    return jurisdiction, villages, registered, register_s, published


def run():
    import django
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.template import Template
    from django.test.utils import CaptureQueriesContext, _TestState, override_settings
    from django.urls import include, path
    from django.utils import timezone

    from disclosure import selectors

    global urlpatterns
    urlpatterns = [path("bench-trivial/", trivial), path("bench-trivial/<str:code>/", trivial_query),
                   path("", include("config.urls"))]
    # Templates render as on a server: the test environment's instrumentation sends a signal per template, on which
    # the test client keeps a copy of each context (1-2 ms a page here, none for the trivial view, which has none).
    Template._render = _TestState.saved_data.template_render
    now = timezone.now()
    jurisdiction, villages, registered, register_s, published = build(now)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # before the timed rounds
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
    print(f"Xuncha 执法公示 benchmark · {timezone.localtime(now):%Y-%m-%d %H:%M} · {os.cpu_count()} CPUs (load {load}) · "
          f"{pg} · Django {django.get_version()} · DEBUG={settings.DEBUG}")
    print(f"{registered:,} decisions registered by the daily run in {register_s:.1f} s "
          f"({register_s / max(registered, 1) * 1000:.2f} ms each); {published:,} published")
    client = Client()
    base = f"/gongshi/{jurisdiction.code}/decisions/"
    year = timezone.localdate(now).year - 1
    search = f"{base}?village={villages[2].pk}&year={year}"
    pages = {"first page": base,
             "page 250 (after 4,980 entries)": f"{base}?after={after(selectors.search(jurisdiction), 249)}",
             "search: village + year + kind": f"{search}&kind=demolition_decision",
             "search, page 3": f"{search}&after={after(selectors.search(jurisdiction, village=villages[2].pk, year=year), 2)}"}
    with override_settings(ROOT_URLCONF=__name__):
        queries = {}
        for label, url in pages.items():  # warm up, and count each page's queries
            for _ in range(5):
                client.get(url)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries[label] = len(captured.captured_queries)
        etags = {label: client.get(url)["ETag"] for label, url in pages.items()}
        requests = {"trivial": ("/bench-trivial/", {}), "one query": (f"/bench-trivial/{jurisdiction.code}/", {}),
                    **{label: (url, {}) for label, url in pages.items()},
                    **{f"304 {label}": (url, {"HTTP_IF_NONE_MATCH": etags[label]}) for label, url in pages.items()},
                    "feed": (f"/gongshi/{jurisdiction.code}/feed.atom", {})}
        interleaved(client, requests)  # warm up
        samples = interleaved(client, requests)
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    (bare, bare_cpu, _), (one, one_cpu, _) = samples["trivial"], samples["one query"]
    print(f"\na. server time, medians of {RUNS} interleaved rounds (Django test client, session and CSRF middleware "
          f"included); load after: {load_after}")
    print(f"   {'':<31} {'wall ms':>8} {'cpu ms':>7}  {'÷ no-query':>10} {'÷ one-query':>11} {'(per round)':>11} "
          f"{'cpu ÷ one-query':>15}  queries")
    print(f"   {'trivial view, no query':<31} {ms(bare):8.2f} {ms(bare_cpu):7.2f}")
    print(f"   {'trivial view, one query':<31} {ms(one):8.2f} {ms(one_cpu):7.2f}  {ms(one) / ms(bare):10.2f}"
          f"{'':>40}1")
    for label in [*pages, *(f"304 {label}" for label in list(pages)[:2]), "feed"]:
        walls, cpus, response = samples[label]
        assert response.status_code == (304 if label.startswith("304") else 200), (label, response.status_code)
        per_round = statistics.median(w / o for w, o in zip(walls, one))
        print(f"   {label:<31} {ms(walls):8.2f} {ms(cpus):7.2f}  {ms(walls) / ms(bare):10.2f} "
              f"{ms(walls) / ms(one):11.2f} {per_round:11.2f} {ms(cpus) / ms(one_cpu):15.2f}  {queries.get(label, '')}")
    print("   (target: a page rendered fresh ≤ 3 × the trivial view)")
    print("\nb. HTML per page (target ≤ 60 KB gzipped)")
    for label in pages:
        html = samples[label][2].content
        print(f"   {label:<31} {len(html):8,} B plain  {len(gzip.compress(html, 6)):7,} B gzip -6")
    repeat = samples["304 first page"][2]
    print(f"\nc. a repeat with If-None-Match → {repeat.status_code}, Cache-Control: {repeat['Cache-Control']}")
    print(f"   feed.atom (50 entries): {len(gzip.compress(samples['feed'][2].content, 6)):,} B gzip")


urlpatterns = []

if __name__ == "__main__":
    main()
