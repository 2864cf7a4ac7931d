"""The backup drill (#16): seed, back up (pg_dump + manifest of the evidence objects), restore into a new database,
and the restored record passes verify_events with 0 problems while the manifest matches the bucket.

Everything runs as an operator would: manage.py in separate processes against PostGIS and a real SeaweedFS."""
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from documents.choices import DocumentKind
from tests.api.test_photos_api import jpeg_bytes, upload
from tests.documents.conftest import at, issue
from tests.object_storage import ACCESS_KEY, SECRET_KEY
from worker.backup import manifest_objects

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def manage(*args, database, server=None, bucket=None, media=None):
    """manage.py in its own process on ``database``: files in SeaweedFS (``server``, ``bucket``) or in ``media``."""
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test",
               DATABASE_URL=f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}")
    if server:
        env.update(S3_ENDPOINT_URL=server.endpoint, S3_BUCKET=bucket, S3_ACCESS_KEY_ID=ACCESS_KEY,
                   S3_SECRET_ACCESS_KEY=SECRET_KEY)
    else:
        env.update(MEDIA_ROOT=str(media), S3_ENDPOINT_URL="")
    return subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=settings.BASE_DIR, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def new_database():
    name = f"xuncha_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin = connection.settings_dict.copy()
    yield name
    connection.close()
    server = f"postgresql://{admin['USER']}@{admin['HOST'] or '127.0.0.1'}:{admin['PORT'] or 5432}"
    subprocess.run(["psql", f"{server}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=False, capture_output=True)


def test_the_backup_restores_into_a_new_database_with_the_record_intact(
        users, object_storage, filed_case, seaweed, new_database, tmp_path):
    client, bucket = object_storage
    upload(users["inspector"], filed_case, jpeg_bytes())
    upload(users["inspector"], filed_case, jpeg_bytes(colour=(200, 10, 10)))
    issue(filed_case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))
    source = connection.settings_dict["NAME"]

    backup = manage("backup", str(tmp_path / "backup"), database=source, server=seaweed, bucket=bucket)
    assert backup.returncode == 0, backup.stderr[-3000:]
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    objects = list(manifest_objects(tmp_path / "backup"))  # objects.jsonl, one line each
    # Two photos, the 立案审批表 that filing issued and the 责令改正通知书.
    assert [entry["kind"] for entry in objects] == ["photo", "photo", "document", "document"]
    assert manifest["problems"] == [] and all(entry["version_id"] for entry in objects)
    assert manifest["object_count"] == 4

    # Into a new database (PostGIS only), as after losing the server.
    db = connection.settings_dict
    created = subprocess.run(["psql", f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                              f"{new_database}", "-qc", "CREATE EXTENSION postgis"], capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    restored = manage("restore", str(tmp_path / "backup"), database=new_database, server=seaweed, bucket=bucket)
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "4 evidence objects, 0 missing, 0 different" in restored.stdout

    verified = manage("verify_events", database=new_database, server=seaweed, bucket=bucket)
    assert verified.returncode == 0, verified.stderr[-3000:]
    assert "发现 0 处问题" in verified.stdout, verified.stdout
    # The manifest matches the bucket: each object's version as listed, with that SHA-256.
    for entry in objects:
        head = client.head_object(Bucket=bucket, Key=entry["name"])
        assert head["VersionId"] == entry["version_id"] and head["ContentLength"] == entry["size"]

    # A second restore into the now full database is refused rather than mixed in.
    again = manage("restore", str(tmp_path / "backup"), database=new_database, server=seaweed, bucket=bucket)
    assert again.returncode != 0 and "is not empty" in again.stderr

    # A list of objects that is not the one the manifest names is refused before anything is restored.
    with (tmp_path / "backup" / "objects.jsonl").open("a") as lines:
        lines.write("{}\n")
    tampered = manage("restore", str(tmp_path / "backup"), database=new_database, server=seaweed, bucket=bucket)
    assert tampered.returncode != 0 and "objects.jsonl is not the list of objects" in tampered.stderr


def test_on_the_local_disk_the_backup_carries_the_files_and_the_restore_puts_them_back(users, filed_case, settings,
                                                                                      tmp_path, new_database):
    # The embedded default: no object storage, the files copied into the backup (restore failed here: the file
    # handed to the storage was not a Django File).
    settings.MEDIA_ROOT = tmp_path / "media"
    upload(users["inspector"], filed_case, jpeg_bytes())
    source = connection.settings_dict["NAME"]
    backup = manage("backup", str(tmp_path / "backup"), database=source, media=tmp_path / "media")
    assert backup.returncode == 0, backup.stderr[-3000:]
    objects = list(manifest_objects(tmp_path / "backup"))
    assert [entry["kind"] for entry in objects] == ["photo", "document"]  # the photo and the 立案审批表
    assert all((tmp_path / "backup" / "files" / entry["name"]).exists() for entry in objects)

    db = connection.settings_dict
    created = subprocess.run(["psql", f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                              f"{new_database}", "-qc", "CREATE EXTENSION postgis"], capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    # As on a new server: an empty media folder.
    restored = manage("restore", str(tmp_path / "backup"), database=new_database, media=tmp_path / "new-media")
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "2 evidence objects, 0 missing, 0 different" in restored.stdout
    for entry in objects:
        assert (tmp_path / "new-media" / entry["name"]).read_bytes() == \
            (tmp_path / "backup" / "files" / entry["name"]).read_bytes()
    verified = manage("verify_events", database=new_database, media=tmp_path / "new-media")
    assert verified.returncode == 0 and "发现 0 处问题" in verified.stdout, verified.stdout + verified.stderr
