"""The tamper-evident record: ``manage.py verify_events`` passes on intact data and names what was changed.

The tampering is done the way a database superuser could do it behind the application's back: switch the
append-only triggers off, change rows with SQL, switch them on again. The helper does that on PostgreSQL
(``ALTER TABLE ... DISABLE TRIGGER``) and on SpatiaLite (drop and recreate the triggers), so these tests
run on both engines.
"""
import hashlib
import io
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from patrol import procedure, workflow
from patrol.bulk import add_synthetic_cases
from patrol.choices import PhotoStage, Status
from patrol.ledger import verify_case_chain
from patrol.models import Case, CaseEvent, Photo
from tests.factories import finding
from tests.tampering import behind_the_applications_back

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def add_photo(case, actor, stage=PhotoStage.BEFORE):
    data = f"evidence {case.reference} {uuid.uuid4()}".encode()
    return workflow.attach_photo(
        case_id=case.pk, actor=actor, client_uuid=uuid.uuid4(), file=ContentFile(data),
        sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg", size_bytes=len(data),
        taken_at=at(2026, 3, 2), stage=stage, location=case.location, now=at(2026, 3, 2))


@pytest.fixture
def record(users, settings, tmp_path):
    """Two cases of TST (one with a longer history) and one of OTH, each with a photo."""
    settings.MEDIA_ROOT = tmp_path
    inspector, supervisor = users["inspector"], users["supervisor"]
    long, _ = workflow.report_finding(actor=inspector, now=at(2026, 3, 2, 9), **finding())
    workflow.file_case(case_id=long.pk, actor=supervisor, legal_basis="planning_art65", note="符合立案条件", now=at(2026, 3, 2, 14))
    procedure.extend_case_period(case_id=long.pk, actor=supervisor, new_end=date(2026, 7, 1), reason="案情复杂",
                                 now=at(2026, 3, 3))
    add_photo(long, inspector)
    workflow.comment(case_id=long.pk, actor=inspector, note="当事人表示将自行拆除", now=at(2026, 3, 4))
    short, _ = workflow.report_finding(actor=inspector, now=at(2026, 3, 5), **finding())
    add_photo(short, inspector)
    other, _ = workflow.report_finding(actor=users["other_supervisor"], now=at(2026, 3, 5),
                                       **finding(location=Point(112.605, 41.705, srid=4326)))
    add_photo(other, users["other_supervisor"])
    return {"long": Case.objects.get(pk=long.pk), "short": Case.objects.get(pk=short.pk),
            "other": Case.objects.get(pk=other.pk)}


def verify(*args):
    """Run verify_events; return its output (raises CommandError when it fails)."""
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("verify_events", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args):
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return str(caught.value)


def event(case, seq):
    return CaseEvent.objects.get(case=case, seq=seq)


# --- intact data ------------------------------------------------------------------------------------

def test_verify_events_passes_on_an_intact_record(record):
    output = verify()
    events, photos = CaseEvent.objects.count(), Photo.objects.count()
    assert (events, photos) == (9, 3)
    # The one filed case carries its 立案审批表.
    assert f"已检查 3 个案件、{events} 条记录、{photos} 张照片、1 份文书，发现 0 处问题" in output
    for case in record.values():
        assert verify_case_chain(case) is None


def test_verify_events_checks_only_the_named_jurisdiction(record):
    assert "已检查 2 个案件、7 条记录、2 张照片" in verify("--jurisdiction", "TST")
    assert "已检查 1 个案件、2 条记录、1 张照片" in verify("--jurisdiction", "OTH")
    assert "NOPE" in verify_fails("--jurisdiction", "NOPE")


def test_synthetic_bulk_cases_verify_too(jurisdiction, users, record):
    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=5, seed=1)
    assert "已检查 7 个案件、12 条记录" in verify("--jurisdiction", "TST")


def test_tampering_helper_switches_the_protection_back_on(record):
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE patrol_caseevent SET note = note WHERE id = %s", [event(record["long"], 1).pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE patrol_caseevent SET note = 'x' WHERE id = %s", [event(record["long"], 1).pk])


# --- tampering with events --------------------------------------------------------------------------

def test_an_edited_event_note_fails_naming_the_case_and_the_event(record):
    case = record["long"]
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE patrol_caseevent SET note = %s WHERE id = %s", ["未经核查", event(case, 2).pk])
    message = verify_fails()
    assert message.startswith(f"第一处问题：{case.reference}：第 2 条记录（file）已被篡改")
    assert record["short"].reference not in message
    assert verify_case_chain(case) == f"{case.reference}：第 2 条记录（file）已被篡改"


def test_an_edited_payload_fails_naming_the_event(record):
    case = record["long"]
    with behind_the_applications_back():
        target = event(case, 3)
        payload = {**target.payload, "new_end": "2026-12-31"}
        CaseEvent.objects.filter(pk=target.pk).update(payload=payload)
    assert f"{case.reference}：第 3 条记录（extend_case_period）已被篡改" in verify_fails()


def test_a_deleted_event_leaves_a_gap_that_is_named(record):
    case = record["long"]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM patrol_caseevent WHERE id = %s", [event(case, 2).pk])
    assert f"{case.reference}：第 2 条记录缺失（下一条是第 3 条）" in verify_fails()


def test_a_deleted_event_renumbered_to_close_the_gap_breaks_the_link(record):
    case = record["long"]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM patrol_caseevent WHERE id = %s", [event(case, 2).pk])
        for seq in (3, 4, 5):
            cursor.execute("UPDATE patrol_caseevent SET seq = %s WHERE case_id = %s AND seq = %s",
                           [seq - 1, case.pk, seq])
    assert f"{case.reference}：第 2 条记录（extend_case_period）与第 1 条不衔接" in verify_fails()


def test_the_deleted_last_event_is_noticed(record):
    case = record["long"]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM patrol_caseevent WHERE id = %s", [event(case, 5).pk])
    message = verify_fails()
    assert f"{case.reference}：记录止于第 4 条（add_photo" in message
    assert "版本 5" in message


def test_a_case_with_every_event_deleted_is_noticed(record):
    case = record["short"]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM patrol_caseevent WHERE case_id = %s", [case.pk])
    assert f"{case.reference}：没有任何记录" in verify_fails()


def test_two_swapped_events_are_named(record):
    case = record["long"]
    second, third = event(case, 2), event(case, 3)
    with behind_the_applications_back() as cursor:
        update = "UPDATE patrol_caseevent SET seq = %s WHERE id = %s"
        cursor.execute(update, [1000, second.pk])
        cursor.execute(update, [2, third.pk])
        cursor.execute(update, [3, second.pk])
    assert list(case.events.order_by("seq").values_list("action", flat=True)[:3]) == [
        "report", "extend_case_period", "file"]
    assert f"{case.reference}：第 2 条记录（extend_case_period）与第 1 条不衔接" in verify_fails()


def test_a_case_status_changed_behind_the_record_is_noticed(record):
    case = record["short"]
    Case.objects.filter(pk=case.pk).update(status=Status.FILED)  # no trigger protects the case row itself
    message = verify_fails()
    assert f"{case.reference}：记录止于第 2 条" in message and "状态 filed" in message


# --- tampering with photos --------------------------------------------------------------------------

def stored_path(photo):
    return Path(photo.file.path)


def test_a_modified_photo_file_fails_naming_the_photo(record):
    photo = record["short"].photos.get()
    stored_path(photo).write_bytes(b"a different picture")
    message = verify_fails()
    assert (f"照片 #{photo.pk}（{photo.client_uuid}，案件 {record['short'].reference}）："
            f"文件 {photo.file.name} 与登记的 SHA-256 不符") in message


def test_a_missing_photo_file_is_a_failure_too(record):
    photo = record["other"].photos.get()
    stored_path(photo).unlink()
    message = verify_fails()
    assert f"照片 #{photo.pk}（{photo.client_uuid}，案件 {record['other'].reference}）：文件 {photo.file.name} 无法读取" in message
    assert "已检查 2 个案件" in verify("--jurisdiction", "TST")


def test_a_photo_file_larger_than_one_read_is_hashed_whole(record, users):
    data = bytes(range(256)) * 10_000  # 2.5 MB: three reads of 1 MiB
    photo = workflow.attach_photo(
        case_id=record["short"].pk, actor=users["inspector"], client_uuid=uuid.uuid4(), file=ContentFile(data),
        sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg", size_bytes=len(data),
        taken_at=at(2026, 3, 5), stage=PhotoStage.BEFORE, now=at(2026, 3, 5))
    verify()
    with stored_path(photo).open("r+b") as stored:
        stored.seek(len(data) - 1)
        stored.write(b"\x00")
    assert f"照片 #{photo.pk}" in verify_fails()


# --- the report -------------------------------------------------------------------------------------

def test_failures_are_counted_and_listed_up_to_the_limit(record):
    for case in record.values():
        stored_path(case.photos.get()).write_bytes(b"changed")
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE patrol_caseevent SET note = 'x' WHERE id = %s", [event(record["long"], 1).pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as caught, translation.override("zh-hans"):
        call_command("verify_events", "--max-failures", "2", stdout=out)
    message = str(caught.value)
    assert "发现 4 处问题" in out.getvalue()
    assert message.startswith(f"第一处问题：{record['long'].reference}：第 1 条记录（report）已被篡改")
    assert message.count("\n  - ") == 2
    assert "（另有 2 处未列出）" in message


def test_progress_is_printed_for_sets_larger_than_a_chunk(record):
    output = verify("--chunk-size", "2")
    assert "案件：2 / 3" in output and "案件：3 / 3" in output
    assert "照片：2 / 3" in output and "照片：3 / 3" in output
    assert "案件：" not in verify()  # one chunk: nothing to report on the way


def test_verify_events_reads_in_chunks_not_one_query_per_case_or_event(record, users):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            verify()
        return len(captured)

    baseline = queries()
    for name, actor in (("long", "supervisor"), ("short", "supervisor"), ("other", "other_supervisor")):
        for i in range(3):
            workflow.comment(case_id=record[name].pk, actor=users[actor], note=f"备注{i}")
    workflow.report_finding(actor=users["inspector"], **finding())
    assert queries() == baseline
    # per kind of row checked (cases, photos, videos, 图斑 photos, documents): a count and the chunks
    assert baseline <= 14

