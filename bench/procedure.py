"""The statutory procedure (issue #13), printed, not asserted:

  a. the queries of the case page and of GET /api/v1/cases/{id}/ for one ordered case with a short record (立案, the
     order served, one more of each: 现场检查笔录, 询问笔录, assignment, comment) and again after 12 more of each
     (24 more documents, 48 more events): the counts must be equal — independent of the record's length;
  b. the server time of actions through POST /api/v1/cases/{id}/actions/{action}/ with If-Match (and of recording a
     service, POST /api/v1/documents/{id}/services/, which issues its 送达回证), each ÷ the time of the ``file``
     action (立案, which issues the 立案审批表) measured in the same run: target ≤ 1.5.

The actions run in this process through Django's test Client (session, middleware, the real views), as the
supervisor; each median is over fresh cases, one action each. Documents are rendered for real (WeasyPrint), so a
document-producing action costs about what ``file`` costs. On a throw-away PostGIS test database, media in a
temporary folder:

  DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchproc REDIS_URL=redis://127.0.0.1:6379/3 \\
      .venv/bin/python bench/procedure.py
"""
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder has a documents.py of its own: the app of that name must win, so the folder leaves the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from bench._setup import django_with_test_database  # noqa: E402

MEDIA = tempfile.mkdtemp(prefix="xbench-media-")
os.environ["MEDIA_ROOT"] = MEDIA
RUNS = 7
MORE = 12


def main():
    drop = django_with_test_database()
    try:
        run()
    finally:
        drop()


def run():
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from documents.choices import DocumentKind
    from patrol import procedure, workflow
    from patrol.choices import Role
    from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, finding, square

    settings.MEDIA_ROOT = MEDIA
    jurisdiction = JurisdictionFactory(code="TST", name="测试执法队", boundary=square(111.60, 40.70, 0.04))
    VillageFactory(jurisdiction=jurisdiction, name="东村", boundary=square(111.60, 40.70))
    inspector = UserFactory(username="b_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction)
    inspector2 = UserFactory(username="b_inspector2", role=Role.INSPECTOR, jurisdiction=jurisdiction)
    supervisor = UserFactory(username="b_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction)
    officers = [inspector.pk, supervisor.pk]
    client = Client()
    client.force_login(supervisor)

    def reported():
        return workflow.report_finding(actor=inspector, **finding(party_name="张三", address="村东头12号"))[0]

    def filed():
        case = reported()
        workflow.file_case(case_id=case.pk, actor=supervisor, legal_basis="planning_art65", note="符合立案条件")
        return case

    def inspected():
        case = filed()
        procedure.record_inspection(case_id=case.pk, actor=inspector, officers=officers, facts="在建",
                                    refused=True, witness_name="村委会主任")
        return case

    def ordered():
        case = inspected()
        procedure.order(case_id=case.pk, actor=supervisor, order_kind="rectification_order", period_days=5)
        return case

    def served(case):
        document = case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER)
        response = client.post(f"/api/v1/documents/{document.pk}/services/", {
            "method": "left_at_premises", "served_on": datetime.now().date().isoformat(),
            "witness_name": "村委会主任"}, content_type="application/json")
        assert response.status_code == 201, response.content
        return case

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(context.captured_queries)

    print(f"Xuncha procedure benchmark · {datetime.now():%Y-%m-%d %H:%M} · {os.cpu_count()} CPUs "
          f"(load {', '.join(f'{x:.1f}' for x in os.getloadavg())}) · {connection.vendor} "
          f"{connection.cursor().connection.info.server_version}")

    # a. queries, few vs many events and documents
    case = served(ordered())
    urls = {"case page /cases/{id}/": reverse("case", args=[case.pk]),
            "GET /api/v1/cases/{id}/": f"/api/v1/cases/{case.pk}/"}
    def add_steps(n):
        for i in range(n):
            procedure.record_inspection(case_id=case.pk, actor=inspector, officers=officers, facts=f"第{i}次检查",
                                        refused=True, witness_name="村委会主任")
            procedure.record_interview(case_id=case.pk, actor=supervisor, officers=officers, interviewee="张三",
                                       questions=[{"q": "是否取得许可", "a": "没有"}], refused=True,
                                       witness_name="村委会主任")
            workflow.assign(case_id=case.pk, actor=supervisor, inspector=inspector2 if i % 2 else inspector)
            workflow.comment(case_id=case.pk, actor=inspector, note=f"第{i}次查看")

    add_steps(1)
    few = {name: queries(url) for name, url in urls.items()}
    shape_few = (case.events.count(), case.documents.count())
    add_steps(MORE)
    many = {name: queries(url) for name, url in urls.items()}
    shape_many = (case.events.count(), case.documents.count())
    print("\na. queries per request, one ordered case (session and user included)")
    print(f"   {'':<28}{'few':>8}{'many':>8}   equal")
    print(f"   {'events, documents':<28}{'%d, %d' % shape_few:>8}{'%d, %d' % shape_many:>8}")
    for name in urls:
        print(f"   {name:<28}{few[name]:>8}{many[name]:>8}   {'yes' if few[name] == many[name] else 'NO'}")

    # b. server time of actions ÷ file
    def etag(case):
        return client.get(f"/api/v1/cases/{case.pk}/")["ETag"]

    def action(name, body, make):
        cases = [make() for _ in range(RUNS)]
        times = []
        for case in cases:
            tag = etag(case)
            start = time.perf_counter()
            response = client.post(f"/api/v1/cases/{case.pk}/actions/{name}/", body,
                                   content_type="application/json", HTTP_IF_MATCH=tag)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (name, response.content)
        return statistics.median(times), min(times)

    def service():
        cases = [ordered() for _ in range(RUNS)]
        times = []
        for case in cases:
            start = time.perf_counter()
            served(case)
            times.append(time.perf_counter() - start)
        return statistics.median(times), min(times)

    served(ordered())  # the first render in a process loads the fonts: not counted
    baseline = action("file", {"legal_basis": "planning_art65", "note": "符合立案条件"}, reported)
    measured = {
        "record_inspection (笔录)": action("record_inspection", {
            "officers": officers, "facts": "在建两层砖混", "refused": True, "witness_name": "村委会主任"}, filed),
        "order (通知书)": action("order", {"order_kind": "rectification_order", "period_days": 5}, inspected),
        "service (送达回证)": service(),
        "withdraw (no document)": action("withdraw", {"reason": "案件不成立"}, filed),
        "comment (no document)": action("comment", {"note": "现场查看"}, filed),
    }
    print(f"\nb. server time of an action ÷ the file action (立案), medians of {RUNS} fresh cases (target ≤ 1.5)")
    print(f"   {'file (立案审批表): baseline':<32}{baseline[0] * 1000:>8.1f} ms  (min {baseline[1] * 1000:.1f})")
    for name, (median, fastest) in measured.items():
        print(f"   {name:<32}{median * 1000:>8.1f} ms  (min {fastest * 1000:.1f})   ratio {median / baseline[0]:.2f}")
    worst = max(median for median, _ in measured.values())
    print(f"   worst ratio {worst / baseline[0]:.2f}")


if __name__ == "__main__":
    main()
