"""Body-camera videos: a resumable chunked upload, SHA-256 checked on arrival, kept as immutable evidence."""
import hashlib
import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from patrol import workflow
from patrol.models import Case
from tests.factories import finding
from videos.models import Video, VideoUpload
from videos.uploads import sniff_video

pytestmark = [pytest.mark.django_db]

CHUNK = 64 * 1024


def mp4_bytes(size, seed=b"x"):
    """An MP4-looking file of ``size`` bytes: an ftyp box, then bytes that differ from one file to the next."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    body = hashlib.sha256(seed).digest() * (size // 32 + 1)
    return (head + body)[:size]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VIDEO_MAX_BYTES = 1024 * 1024  # "4 GB" made small
    settings.VIDEO_CHUNK_MAX_BYTES = 128 * 1024
    return tmp_path


@pytest.fixture
def case(users, media):
    return workflow.report_finding(actor=users["inspector"], **finding())[0]


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def announce(client, case, data, **overrides):
    body = {"client_uuid": str(uuid.uuid4()), "filename": "20261120_101500.MP4", "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "content_type": "video/mp4",
            "recorded_from": "2026-11-20T10:15:00+08:00", "recorded_to": "2026-11-20T10:45:00+08:00", **overrides}
    return client.post(f"/api/v1/cases/{case.pk}/videos/", body, format="json")


def send(client, upload_id, data, offset, *, header="Upload-Offset", media_type="application/offset+octet-stream"):
    headers = ({"HTTP_UPLOAD_OFFSET": str(offset)} if header == "Upload-Offset" else
               {"HTTP_CONTENT_RANGE": f"bytes {offset}-{offset + len(data) - 1}/*"})
    return client.generic("PATCH", f"/api/v1/uploads/{upload_id}/", data, content_type=media_type, **headers)


def send_all(client, upload_id, data, start=0):
    response = None
    for offset in range(start, len(data), CHUNK):
        response = send(client, upload_id, data[offset:offset + CHUNK], offset)
        assert response.status_code == 200, response.content
    return response



def test_an_announcement_is_json_only_so_an_empty_form_field_cannot_mean_null(users, case):
    """Schemathesis sent `recorded_to=` as a form: taken as "not recorded" (201) though the schema calls it an
    invalid date-time. A form has no null, so the announcement takes JSON only."""
    data = mp4_bytes(1000)
    response = client_for(users["inspector"]).post(f"/api/v1/cases/{case.pk}/videos/", {
        "client_uuid": str(uuid.uuid4()), "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "video/mp4", "recorded_to": ""})
    assert response.status_code == 415
    assert not VideoUpload.objects.exists()
    assert announce(client_for(users["inspector"]), case, data, recorded_to="").status_code == 400

def stored_parts(media):
    return sorted(str(p.relative_to(media)) for p in media.rglob("*.part"))


@pytest.mark.smoke
def test_a_video_sent_in_chunks_is_kept_with_its_sha256_and_recorded_on_the_case(users, case, media,
                                                                               django_capture_on_commit_callbacks):
    client = client_for(users["inspector"])
    data = mp4_bytes(300_000)
    started = announce(client, case, data)
    assert started.status_code == 201, started.content
    upload = started.json()
    assert (upload["offset"], upload["complete"], upload["video"]) == (0, False, None)
    assert started["Upload-Offset"] == "0" and started["Location"] == upload["url"]

    with django_capture_on_commit_callbacks(execute=True):
        done = send_all(client, upload["id"], data).json()
    assert done["complete"] is True and done["offset"] == len(data)
    video = Video.objects.get()
    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.size_bytes == len(data)
    assert video.file.read() == data
    assert stored_parts(media) == []  # the parts are gone once the file is whole
    event = case.events.order_by("-seq").first()
    assert event.action == "add_video" and event.payload["sha256"] == video.sha256
    assert event.payload["size_bytes"] == len(data)

    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert [v["sha256"] for v in detail["videos"]] == [video.sha256]
    assert detail["version"] == Case.objects.get(pk=case.pk).version
    served = client.get(detail["videos"][0]["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == data
    assert served["Content-Type"] == "video/mp4"


def test_content_range_may_name_the_chunk_instead_of_upload_offset(users, case):
    client = client_for(users["supervisor"])
    data = mp4_bytes(100_000)
    upload = announce(client, case, data).json()
    first = send(client, upload["id"], data[:60_000], 0, header="Content-Range", media_type="application/octet-stream")
    assert first.status_code == 200 and first.json()["offset"] == 60_000
    last = send(client, upload["id"], data[60_000:], 60_000, header="Content-Range")
    assert last.json()["complete"] is True


def test_head_and_get_tell_where_an_upload_stands(users, case):
    client = client_for(users["inspector"])
    data = mp4_bytes(200_000)
    upload = announce(client, case, data).json()
    send(client, upload["id"], data[:CHUNK], 0)
    head = client.head(f"/api/v1/uploads/{upload['id']}/")
    assert head.status_code == 200 and head["Upload-Offset"] == str(CHUNK) and head["Upload-Length"] == "200000"
    assert client.get(f"/api/v1/uploads/{upload['id']}/").json()["offset"] == CHUNK


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_to_resume_from(users, case):
    client = client_for(users["inspector"])
    data = mp4_bytes(200_000)
    upload = announce(client, case, data).json()
    send(client, upload["id"], data[:CHUNK], 0)
    again = send(client, upload["id"], data[:CHUNK], 0)  # a retry of a chunk that did arrive
    assert again.status_code == 409 and again["Upload-Offset"] == str(CHUNK)
    assert again.json()["error"]["code"] == "conflict"
    assert VideoUpload.objects.get().offset == CHUNK


def test_announcing_again_with_the_same_client_uuid_returns_the_upload_and_its_offset(users, case):
    client = client_for(users["inspector"])
    data = mp4_bytes(200_000)
    first = announce(client, case, data, client_uuid="5b0b4c6e-8a4e-4c55-9a8e-2f1f6f1f0a01").json()
    send(client, first["id"], data[:CHUNK], 0)
    again = announce(client, case, data, client_uuid=first["client_uuid"])
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["offset"] == CHUNK
    other_file = announce(client, case, mp4_bytes(200_000, seed=b"y"), client_uuid=first["client_uuid"])
    assert other_file.status_code == 409
    send_all(client, first["id"], data, start=CHUNK)
    after = announce(client, case, data, client_uuid=first["client_uuid"])
    assert after.status_code == 200 and after.json()["complete"] is True
    assert Video.objects.count() == 1


def test_a_file_that_does_not_match_its_sha256_is_refused_and_discarded(users, case, media,
                                                                       django_capture_on_commit_callbacks):
    client = client_for(users["inspector"])
    data = mp4_bytes(200_000)
    upload = announce(client, case, data, sha256=hashlib.sha256(b"something else").hexdigest()).json()
    for offset in range(0, len(data) - CHUNK, CHUNK):
        assert send(client, upload["id"], data[offset:offset + CHUNK], offset).status_code == 200
    last_offset = (len(data) - 1) // CHUNK * CHUNK
    with django_capture_on_commit_callbacks(execute=True):
        refused = send(client, upload["id"], data[last_offset:], last_offset)
    assert refused.status_code == 400
    assert "sha256" in refused.json()["error"]["fields"]
    assert not Video.objects.exists() and not VideoUpload.objects.exists()
    assert stored_parts(media) == [] and list(media.rglob("*.mp4")) == []
    assert not case.events.filter(action="add_video").exists()
    # The client_uuid is free again: the phone may start over with the right bytes.
    assert announce(client, case, data, client_uuid=upload["client_uuid"]).status_code == 201


def test_a_file_that_is_not_a_video_of_its_type_is_refused_at_the_first_chunk(users, case):
    client = client_for(users["inspector"])
    data = b"<html><script>alert(1)</script></html>" + b" " * 1000
    upload = announce(client, case, data).json()
    refused = send(client, upload["id"], data, 0)
    assert refused.status_code == 400 and "content_type" in refused.json()["error"]["fields"]
    assert not VideoUpload.objects.exists()


@pytest.mark.parametrize(("head", "expected"), [
    (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "video/quicktime"),
    (b"\x00\x00\x00\x18ftyp3gp4", "video/3gpp"),
    (b"RIFF\x00\x00\x00\x00AVI ", "video/x-msvideo"),
    (b"\x1a\x45\xdf\xa3\x00\x00\x00\x00\x00\x00\x00\x00", "video/x-matroska"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", None),
])
def test_the_container_is_told_by_its_first_bytes(head, expected):
    assert sniff_video(head) == expected


def test_size_limits_of_the_file_and_of_a_chunk(users, case, settings):
    client = client_for(users["inspector"])
    too_big = announce(client, case, b"", size_bytes=settings.VIDEO_MAX_BYTES + 1,
                       sha256=hashlib.sha256(b"").hexdigest())
    assert too_big.status_code == 400 and "size_bytes" in too_big.json()["error"]["fields"]
    data = mp4_bytes(settings.VIDEO_MAX_BYTES)
    upload = announce(client, case, data).json()
    big_chunk = send(client, upload["id"], data[:settings.VIDEO_CHUNK_MAX_BYTES + 1], 0)
    assert big_chunk.status_code == 413
    past_end = send(client, upload["id"], data[:10], len(data) - 5)
    assert past_end.status_code == 409  # not where the upload stands
    wrong_type = send(client, upload["id"], data[:CHUNK], 0, media_type="application/json")
    assert wrong_type.status_code == 415
    assert VideoUpload.objects.get().offset == 0


def test_only_inspectors_and_supervisors_upload_and_another_jurisdiction_is_not_found(users, case):
    data = mp4_bytes(100_000)
    for role in ("legal", "leader"):
        assert announce(client_for(users[role]), case, data).status_code == 403
    other = client_for(users["other_supervisor"])
    assert announce(other, case, data).status_code == 404
    upload = announce(client_for(users["inspector"]), case, data).json()
    assert send(other, upload["id"], data[:CHUNK], 0).status_code == 404
    assert other.get(f"/api/v1/uploads/{upload['id']}/").status_code == 404
    assert other.head(f"/api/v1/uploads/{upload['id']}/").status_code == 404
    assert send(client_for(users["leader"]), upload["id"], data[:CHUNK], 0).status_code == 403
    send_all(client_for(users["inspector"]), upload["id"], data)
    video = Video.objects.get()
    assert other.get(f"/api/v1/videos/{video.pk}/file/").status_code == 404
    assert client_for(users["leader"]).get(f"/api/v1/videos/{video.pk}/file/").status_code == 200


@pytest.mark.smoke
def test_the_database_refuses_to_change_or_delete_a_videos_evidence(users, case):
    client = client_for(users["inspector"])
    data = mp4_bytes(50_000)
    send_all(client, announce(client, case, data).json()["id"], data)
    video = Video.objects.get()
    for change in ({"sha256": "0" * 64}, {"size_bytes": 1}, {"file": "videos/other.mp4"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Video.objects.filter(pk=video.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM videos_video WHERE id = %s", [video.pk])
    assert Video.objects.get().sha256 == hashlib.sha256(data).hexdigest()


# --- a transfer cut in the middle, on a real HTTP connection -------------------------------------------------


def raw_patch(base_url, path, token, offset, body, *, declared_length=None, close_after=None):
    """PATCH over a plain socket; with ``close_after`` the connection is closed after that many body bytes."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = (f"PATCH {path} HTTP/1.1\r\nHost: {url.hostname}\r\nAuthorization: Token {token}\r\n"
                f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
                f"Content-Length: {declared_length or len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock.sendall(head + body[:close_after] if close_after is not None else head + body)
        if close_after is not None:
            sock.shutdown(socket.SHUT_WR)  # the phone went into a tunnel: the rest never comes
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return int(answer.split(b" ", 2)[1]) if answer else None


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_a_transfer_cut_mid_chunk_resumes_from_the_servers_offset(live_server, settings, tmp_path):
    from patrol.models import ApiToken
    from patrol.choices import Role
    from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, square

    settings.MEDIA_ROOT = tmp_path
    settings.VIDEO_MAX_BYTES = 4 * 1024 * 1024
    settings.VIDEO_CHUNK_MAX_BYTES = 1024 * 1024
    jurisdiction = JurisdictionFactory(code="CUT", boundary=square(111.60, 40.70, 0.04))
    VillageFactory(jurisdiction=jurisdiction, boundary=square(111.60, 40.70))
    inspector = UserFactory(role=Role.INSPECTOR, jurisdiction=jurisdiction)
    case = workflow.report_finding(actor=inspector, **finding())[0]
    _row, token = ApiToken.issue(inspector, "phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    data = mp4_bytes(2_500_000) + os.urandom(500_000)
    upload = client.post(f"/api/v1/cases/{case.pk}/videos/", {
        "client_uuid": str(uuid.uuid4()), "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "video/mp4"}, format="json").json()
    path, mb = f"/api/v1/uploads/{upload['id']}/", 1024 * 1024

    assert raw_patch(live_server.url, path, token, 0, data[:mb]) == 200
    # The second chunk: its headers say 1 MB, half of it is sent, then the connection is gone.
    raw_patch(live_server.url, path, token, mb, data[mb:2 * mb], close_after=mb // 2)
    head = client.head(path)
    assert head["Upload-Offset"] == str(mb)  # the whole first chunk, nothing of the cut one
    resumed_from = int(head["Upload-Offset"])
    for offset in range(resumed_from, len(data), mb):
        assert raw_patch(live_server.url, path, token, offset, data[offset:offset + mb]) == 200
    video = Video.objects.get()
    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.file.read() == data
    assert VideoUpload.objects.get().parts == 3  # 0–1 MB, then resumed: 1–2 MB, 2–2.86 MB; never from zero


def test_verify_events_checks_each_video_file_against_its_sha256(users, case, media):
    from io import StringIO

    from django.core.management import CommandError, call_command

    client = client_for(users["inspector"])
    data = mp4_bytes(40_000)
    send_all(client, announce(client, case, data).json()["id"], data)
    out = StringIO()
    call_command("verify_events", stdout=out)
    assert "1 个视频、" in out.getvalue() and "发现 0 处问题" in out.getvalue()
    stored = media / Video.objects.get().file.name
    stored.write_bytes(data[:-1] + b"!")  # one byte changed on the disk
    with pytest.raises(CommandError, match="视频 #"):
        call_command("verify_events", stdout=StringIO())
