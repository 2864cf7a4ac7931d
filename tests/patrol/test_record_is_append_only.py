"""The database itself refuses to change the record, whatever the application does (raw SQL here)."""
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from patrol import workflow
from patrol.choices import PhotoStage
from patrol.models import CaseEvent, Photo
from tests.factories import finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def case_with_photo(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    data = b"\xff\xd8\xff\xe0 not really a jpeg, the triggers do not care"
    photo = workflow.attach_photo(
        case_id=case.pk, actor=users["inspector"], client_uuid="9d0c8a1e-5f0e-4d47-8a44-000000000001",
        file=ContentFile(data), sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
        size_bytes=len(data), taken_at=timezone.now(), stage=PhotoStage.BEFORE, location=case.location,
    )
    return case, photo


def refused(sql, params):
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(caught.value)


def test_database_refuses_update_of_a_case_event(case_with_photo):
    case, _ = case_with_photo
    event = case.events.first()
    message = refused("UPDATE patrol_caseevent SET note = 'changed' WHERE id = %s", [event.pk])
    assert "append-only" in message
    assert CaseEvent.objects.get(pk=event.pk).note == event.note


def test_database_refuses_delete_of_a_case_event(case_with_photo):
    case, _ = case_with_photo
    count = case.events.count()
    assert "append-only" in refused("DELETE FROM patrol_caseevent WHERE case_id = %s", [case.pk])
    assert case.events.count() == count == 2


def test_database_refuses_delete_of_a_photo(case_with_photo):
    _, photo = case_with_photo
    assert "append-only" in refused("DELETE FROM patrol_photo WHERE id = %s", [photo.pk])
    assert Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize("column, value", [
    ("sha256", "0" * 64),
    ("file", "photos/other.jpg"),
    ("taken_at", "2020-01-01 00:00:00+00"),
    ("accuracy_m", 999),
])
def test_database_refuses_change_of_photo_evidence(case_with_photo, column, value):
    _, photo = case_with_photo
    assert "cannot be changed" in refused(f"UPDATE patrol_photo SET {column} = %s WHERE id = %s", [value, photo.pk])
    assert Photo.objects.get(pk=photo.pk).sha256 == photo.sha256


def test_database_refuses_moving_a_photo(case_with_photo):
    _, photo = case_with_photo
    if connection.vendor == "postgresql":
        sql = "UPDATE patrol_photo SET location = ST_GeomFromText('POINT(100 30)', 4326) WHERE id = %s"
    else:
        sql = "UPDATE patrol_photo SET location = GeomFromText('POINT(100 30)', 4326) WHERE id = %s"
    assert "cannot be changed" in refused(sql, [photo.pk])


def test_a_thumbnail_may_be_added_to_a_photo_later(case_with_photo):
    _, photo = case_with_photo
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patrol_photo SET thumbnail = %s, width = 10 WHERE id = %s", ["thumbs/x.jpg", photo.pk])
    photo.refresh_from_db()
    assert photo.thumbnail.name == "thumbs/x.jpg"
