"""The public list of 执法公示 (issue #17) with 10,000 published decisions, printed, not asserted:

  a. server time of GET /gongshi/<code>/decisions/ (first page, a deep page, a search) ÷ a trivial view (a plain
     HttpResponse through the same middleware and test client), medians of RUNS requests (target ≤ 3);
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


def median_ms(client, url, cold=False, **headers):
    from django.core.cache import cache

    times, response = [], None
    for _ in range(RUNS):
        if cold:  # the page's rendered copy dropped: what the first visitor after a change waits for
            cache.clear()
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000, response


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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return jurisdiction, villages, registered, register_s, published


def run():
    import django
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path
    from django.utils import timezone

    global urlpatterns
    urlpatterns = [path("bench-trivial/", trivial), path("bench-trivial/<str:code>/", trivial_query),
                   path("", include("config.urls"))]
    now = timezone.now()
    jurisdiction, villages, registered, register_s, published = build(now)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
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
    with override_settings(ROOT_URLCONF=__name__):
        for url in ("/bench-trivial/", base):  # warm up
            for _ in range(5):
                client.get(url)
        trivial_ms, trivial_min, _ = median_ms(client, "/bench-trivial/")
        query_ms, query_min, _ = median_ms(client, f"/bench-trivial/{jurisdiction.code}/")
        print(f"\na. server time, medians of {RUNS} (Django test client, session and CSRF middleware included)")
        print(f"   trivial view (HttpResponse('ok'), no query)       {trivial_ms:7.2f} ms  (min {trivial_min:.2f})")
        print(f"   trivial view with one query (jurisdiction by code) {query_ms:6.2f} ms  (min {query_min:.2f})")
        pages = [("first page", base), ("page 250 (OFFSET 4,980)", base + "?page=250"),
                 ("search: village + year + kind", f"{base}?village={villages[2].pk}&year={year}"
                                                   "&kind=demolition_decision"),
                 ("search, page 3", f"{base}?village={villages[2].pk}&year={year}&page=3")]
        results = []
        for label, url in pages:
            for cold in (True, False):
                ms, low, response = median_ms(client, url, cold=cold)
                assert response.status_code == 200, (url, response.status_code)
                if cold:
                    results.append((label, url, ms, low, response))
                state = "rendered" if cold else "cached  "
                print(f"   {label:<32} {state} {ms:7.2f} ms  (min {low:6.2f})  ÷ no-query {ms / trivial_ms:6.2f}"
                      f"  ÷ one-query {ms / query_ms:5.2f}  (target ≤ 3)")
        print("\nb. HTML per page (target ≤ 60 KB gzipped)")
        for label, url, ms, low, response in results:
            html = response.content
            print(f"   {label:<40} {len(html):8,} B plain  {len(gzip.compress(html, 6)):7,} B gzip -6")
        print("\nc. a repeat with If-None-Match")
        for label, url, ms, low, response in results[:2]:
            etag = response["ETag"]
            ms304, low304, repeat = median_ms(client, url, HTTP_IF_NONE_MATCH=etag)
            print(f"   {label:<40} → {repeat.status_code}  {ms304:6.2f} ms  (min {low304:.2f})  ratio "
                  f"{ms304 / trivial_ms:4.2f}  Cache-Control: {repeat['Cache-Control']}")
        feed_ms, feed_low, feed = median_ms(client, f"/gongshi/{jurisdiction.code}/feed.atom")
        print(f"\n   feed.atom (50 entries)                     {feed_ms:7.2f} ms  ratio {feed_ms / trivial_ms:4.2f}  "
              f"{len(gzip.compress(feed.content, 6)):,} B gzip")


urlpatterns = []

if __name__ == "__main__":
    main()
