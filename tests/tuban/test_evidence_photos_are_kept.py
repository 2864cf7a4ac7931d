"""A 图斑's 举证 photos are evidence as a case's photos are: the database itself refuses to change or delete them
(raw SQL and the ORM alike), and ``manage.py verify_events`` re-hashes their files."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.factories import UserFactory
from tests.tuban.conftest import client_for, upload_evidence
from tuban.models import Tuban, TubanPhoto

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(users, batch):
    response = upload_evidence(client_for(users["inspector"]), Tuban.objects.get(number="T001"), "far", heading=90)
    assert response.status_code == 201, response.content
    return TubanPhoto.objects.get()


def refused(sql, params):
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.smoke
def test_the_database_refuses_to_delete_a_tuban_evidence_photo(photo):
    assert "append-only" in refused("DELETE FROM tuban_tubanphoto WHERE id = %s", [photo.pk])
    assert TubanPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.smoke
@pytest.mark.parametrize("column, value", [
    ("sha256", "0" * 64),
    ("file", "photos/TST/tuban/other.jpg"),
    ("taken_at", "2020-01-01 00:00:00+00"),
    ("accuracy_m", 999),
    ("heading", 270),
    ("kind", "inside"),
    ("size_bytes", 1),
    ("uploaded_at", "2020-01-01 00:00:00+00"),
])
def test_the_database_refuses_to_change_the_evidence_of_a_tuban_photo(photo, column, value):
    message = refused(f"UPDATE tuban_tubanphoto SET {column} = %s WHERE id = %s", [value, photo.pk])
    assert "cannot be changed" in message
    kept = TubanPhoto.objects.get(pk=photo.pk)
    assert (kept.sha256, kept.file.name, kept.kind, kept.heading) == (photo.sha256, photo.file.name, "far", 90)


@pytest.mark.smoke
def test_the_database_refuses_to_give_a_tuban_photo_to_another_tuban_or_move_it(photo):
    other = Tuban.objects.get(number="T002")
    assert "cannot be changed" in refused("UPDATE tuban_tubanphoto SET tuban_id = %s WHERE id = %s",
                                          [other.pk, photo.pk])
    make_point = "ST_GeomFromText" if connection.vendor == "postgresql" else "GeomFromText"
    assert "cannot be changed" in refused(
        f"UPDATE tuban_tubanphoto SET location = {make_point}('POINT(111.6056 40.7055)', 4326) WHERE id = %s",
        [photo.pk])
    assert TubanPhoto.objects.get(pk=photo.pk).location.x == 111.6055


@pytest.mark.smoke
def test_the_application_cannot_change_or_delete_a_tuban_photo_either(photo):
    photo.kind = "near"
    with pytest.raises(DatabaseError), transaction.atomic():
        photo.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        TubanPhoto.objects.filter(pk=photo.pk).delete()
    assert TubanPhoto.objects.get(pk=photo.pk).kind == "far"


@pytest.mark.smoke
def test_what_is_read_from_the_file_may_be_filled_in_again_and_the_admin_still_shows_the_photo(photo, client,
                                                                                               jurisdiction):
    # EXIF, width and height are derived from the file (as for a case photo's thumbnail): not evidence themselves.
    TubanPhoto.objects.filter(pk=photo.pk).update(width=640, height=480, exif={"Make": "Xuncha"})
    assert TubanPhoto.objects.get(pk=photo.pk).width == 640
    client.force_login(UserFactory(username="it", role="admin", jurisdiction=None, is_staff=True, is_superuser=True))
    assert client.get(f"/admin/tuban/tubanphoto/{photo.pk}/change/").status_code == 200
    assert client.get("/admin/tuban/tubanphoto/").status_code == 200


def verify(*args):
    out = io.StringIO()
    call_command("verify_events", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_verify_events_rehashes_each_tuban_photo_file_and_names_one_that_was_replaced(photo):
    assert "1 张图斑举证照片" in verify()
    assert "图斑举证照片" not in verify("--jurisdiction", "OTH")

    with open(photo.file.path, "r+b") as stored:  # someone with access to the disk edits the photo
        stored.seek(0, io.SEEK_END)
        stored.write(b"edited")
    with pytest.raises(CommandError) as caught:
        verify()
    assert f"图斑举证照片 #{photo.pk}（{photo.client_uuid}，图斑 T001）" in str(caught.value)
    assert "与登记的 SHA-256 不符" in str(caught.value)
