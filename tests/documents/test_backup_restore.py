"""The backup drill (#16): seed, back up (pg_dump + manifest of the evidence objects), restore into a new database,
and the restored record passes verify_events with 0 problems while the manifest matches the bucket.

Everything runs as an operator would: manage.py in separate processes against PostGIS and a real SeaweedFS."""
import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from documents.choices import DocumentKind
from tests.api.test_photos_api import jpeg_bytes, upload
from tests.documents.conftest import at, issue
from tests.object_storage import ACCESS_KEY, SECRET_KEY
from worker.backup import BackupError, backup, manifest_objects

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


def add_postgis(database):
    db = connection.settings_dict
    created = subprocess.run(["psql", f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                              f"{database}", "-qc", "CREATE EXTENSION postgis"], capture_output=True, text=True)
    assert created.returncode == 0, created.stderr


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
    add_postgis(new_database)
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

    add_postgis(new_database)
    # As on a new server: an empty media folder.
    restored = manage("restore", str(tmp_path / "backup"), database=new_database, media=tmp_path / "new-media")
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "2 evidence objects, 0 missing, 0 different" in restored.stdout
    for entry in objects:
        assert (tmp_path / "new-media" / entry["name"]).read_bytes() == \
            (tmp_path / "backup" / "files" / entry["name"]).read_bytes()
    verified = manage("verify_events", database=new_database, media=tmp_path / "new-media")
    assert verified.returncode == 0 and "发现 0 处问题" in verified.stdout, verified.stdout + verified.stderr


# Incremental backups (#16): only what may have changed since the earlier backup is read; each backup restores alone.

def test_an_incremental_backup_reads_only_the_new_photo_and_restores_on_its_own(
        users, object_storage, filed_case, seaweed, new_database, tmp_path):
    client, bucket = object_storage
    upload(users["inspector"], filed_case, jpeg_bytes())
    source = connection.settings_dict["NAME"]
    full = manage("backup", str(tmp_path / "backups" / "1"), database=source, server=seaweed, bucket=bucket)
    assert full.returncode == 0, full.stderr[-3000:]
    assert "2 evidence objects (2 read, 0 carried over)" in full.stdout

    upload(users["inspector"], filed_case, jpeg_bytes(colour=(200, 10, 10)))
    # As the nightly cron runs it: the newest complete backup beside the new folder is the base.
    nightly = manage("backup", str(tmp_path / "backups" / "2"), "--incremental", database=source, server=seaweed,
                     bucket=bucket)
    assert nightly.returncode == 0, nightly.stderr[-3000:]
    manifest = json.loads((tmp_path / "backups" / "2" / "manifest.json").read_text())
    assert (manifest["object_count"], manifest["objects_read"], manifest["objects_carried_over"]) == (3, 1, 2)
    assert manifest["based_on"]["directory"] == str((tmp_path / "backups" / "1").resolve())
    assert manifest["problems"] == []
    objects = list(manifest_objects(tmp_path / "backups" / "2"))
    assert [entry["kind"] for entry in objects] == ["photo", "photo", "document"]  # every object, not only the new
    for entry in objects:
        head = client.head_object(Bucket=bucket, Key=entry["name"])
        assert head["VersionId"] == entry["version_id"] and head["ContentLength"] == entry["size"]

    add_postgis(new_database)
    restored = manage("restore", str(tmp_path / "backups" / "2"), database=new_database, server=seaweed,
                      bucket=bucket)
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "3 evidence objects, 0 missing, 0 different" in restored.stdout
    verified = manage("verify_events", database=new_database, server=seaweed, bucket=bucket)
    assert verified.returncode == 0 and "发现 0 处问题" in verified.stdout, verified.stdout + verified.stderr


def test_an_object_whose_version_changed_is_read_again(users, object_storage, filed_case, tmp_path, monkeypatch):
    client, bucket = object_storage
    upload(users["inspector"], filed_case, jpeg_bytes())
    backup(tmp_path / "1", log=lambda line: None)
    photo = next(entry for entry in manifest_objects(tmp_path / "1") if entry["kind"] == "photo")
    # The same bytes put again under the name: a new version (the locked old one stays), which must be read.
    body = client.get_object(Bucket=bucket, Key=photo["name"])["Body"].read()
    client.put_object(Bucket=bucket, Key=photo["name"], Body=body)

    opened, storage = [], storages["default"]  # the instance default_storage stands for
    storage_open = storage.open
    monkeypatch.setattr(storage, "open", lambda name, *args: opened.append(name) or storage_open(name, *args))
    manifest = backup(tmp_path / "2", since=tmp_path / "1", log=lambda line: None)
    assert opened == [photo["name"]]
    assert (manifest["objects_read"], manifest["objects_carried_over"], manifest["problems"]) == (1, 1, [])
    again = next(entry for entry in manifest_objects(tmp_path / "2") if entry["kind"] == "photo")
    assert again["version_id"] != photo["version_id"] and again["sha256"] == photo["sha256"]


def test_on_the_local_disk_an_incremental_backup_hard_links_the_unchanged_files(users, filed_case, settings,
                                                                                tmp_path, new_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload(users["inspector"], filed_case, jpeg_bytes())
    source, backups = connection.settings_dict["NAME"], tmp_path / "backups"
    full = manage("backup", str(backups / "1"), database=source, media=tmp_path / "media")
    assert full.returncode == 0, full.stderr[-3000:]
    upload(users["inspector"], filed_case, jpeg_bytes(colour=(200, 10, 10)))
    nightly = manage("backup", str(backups / "2"), "--since", str(backups / "1"), database=source,
                     media=tmp_path / "media")
    assert nightly.returncode == 0, nightly.stderr[-3000:]
    assert "3 evidence objects (1 read, 2 carried over" in nightly.stdout

    earlier = {entry["name"] for entry in manifest_objects(backups / "1")}
    objects = list(manifest_objects(backups / "2"))
    assert len(objects) == 3 and len(earlier) == 2
    for entry in objects:
        copy = (backups / "2" / "files" / entry["name"]).stat()
        if entry["name"] in earlier:  # the earlier backup's copy itself, not a second one
            assert copy.st_ino == (backups / "1" / "files" / entry["name"]).stat().st_ino
        else:
            assert copy.st_nlink == 1

    # A file whose modification time moved is read again, as rsync would.
    photo = next(entry["name"] for entry in objects if entry["name"] in earlier and entry["kind"] == "photo")
    os.utime(tmp_path / "media" / photo, ns=(0, 10**18))
    manifest = backup(backups / "3", since=backups / "2", log=lambda line: None)
    assert (manifest["objects_read"], manifest["objects_carried_over"]) == (1, 2)
    assert (backups / "3" / "files" / photo).stat().st_nlink == 1

    # The incremental backup alone restores onto a new server with an empty media folder.
    add_postgis(new_database)
    restored = manage("restore", str(backups / "2"), database=new_database, media=tmp_path / "new-media")
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "3 evidence objects, 0 missing, 0 different" in restored.stdout
    verified = manage("verify_events", database=new_database, media=tmp_path / "new-media")
    assert verified.returncode == 0 and "发现 0 处问题" in verified.stdout, verified.stdout + verified.stderr


def test_an_earlier_backup_that_does_not_verify_is_refused_not_trusted(users, filed_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload(users["inspector"], filed_case, jpeg_bytes())
    backups = tmp_path / "backups"
    call_command("backup", str(backups / "1"), stdout=io.StringIO())
    objects, manifest = backups / "1" / "objects.jsonl", backups / "1" / "manifest.json"
    listed = objects.read_text()

    # A line changed in the list (here: a hash that would be carried over) no longer matches its manifest.
    objects.write_text(listed.replace(json.loads(listed.splitlines()[0])["sha256"], "0" * 64, 1))
    with pytest.raises(CommandError, match="objects.jsonl does not verify"):
        call_command("backup", str(backups / "2"), "--incremental", stdout=io.StringIO())
    assert not (backups / "2").exists()
    objects.write_text(listed)

    # A manifest edited to name that list (or anything else than what the backup holds) is refused as well.
    written = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**written, "object_count": written["object_count"] - 1}))
    with pytest.raises(BackupError, match="objects.jsonl does not verify"):
        backup(backups / "2", since=backups / "1", log=lambda line: None)
    manifest.write_text(json.dumps({**written, "dump_sha256": "0" * 64}))
    with pytest.raises(BackupError, match="database.dump does not verify"):
        backup(backups / "2", since=backups / "1", log=lambda line: None)
    manifest.write_text("{")
    with pytest.raises(CommandError, match="manifest.json does not verify"):
        call_command("backup", str(backups / "2"), "--incremental", stdout=io.StringIO())
    manifest.unlink()  # a backup cut short (the manifest is written last)
    with pytest.raises(BackupError, match="not a complete backup"):
        backup(backups / "2", since=backups / "1", log=lambda line: None)
    assert not (backups / "2").exists()

    manifest.write_text(json.dumps(written))
    output = io.StringIO()
    call_command("backup", str(backups / "2"), "--incremental", stdout=output)
    assert "2 evidence objects (0 read, 2 carried over" in output.getvalue()
