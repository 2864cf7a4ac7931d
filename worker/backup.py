"""Backup and restore (manage.py backup / restore): a PostgreSQL custom-format dump and a manifest of every
evidence object with its SHA-256 (docs/OPERATIONS.md "Backup and restore").

Evidence files on object storage are not copied: they are locked in their bucket for the retention years
(config/storage.py), and the manifest names each object's version and hash, so a restore can check that the bucket
still holds exactly what the database refers to. On the local disk (no S3_ENDPOINT_URL) the files are copied into
the backup under files/.
"""
import functools
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from documents.models import Document, Signature
from patrol.models import Photo
from tuban.models import TubanPhoto
from videos.models import Video

READ_SIZE = 1024 * 1024
MANIFEST = "manifest.json"
OBJECTS = "objects.jsonl"
DUMP = "database.dump"
# Objects remembered while listing (one object named by several rows is read once); enough for every shared file.
REMEMBERED_OBJECTS = 100_000


class BackupError(Exception):
    pass


def evidence_files():
    """(kind, id, field file, registered SHA-256) of every evidence file the database refers to."""
    for photo in Photo.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "photo", photo.pk, photo.file, photo.sha256
    for video in Video.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "video", video.pk, video.file, video.sha256
    for document in Document.objects.only("pk", "pdf", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "document", document.pk, document.pdf, document.sha256
    for signature in (Signature.objects.exclude(file="").only("pk", "file", "sha256").order_by("pk")
                      .iterator(chunk_size=1000)):
        yield "signature", signature.pk, signature.file, signature.sha256
    for photo in TubanPhoto.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "tuban_photo", photo.pk, photo.file, photo.sha256


def read_sha256(handle, copy=None):
    """SHA-256 and size of what ``handle`` reads, a block at a time (a million-case dump is gigabytes); each block
    also written to ``copy`` when given, so a file is copied and hashed in one pass."""
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: handle.read(READ_SIZE), b""):
        digest.update(block)
        size += len(block)
        if copy is not None:
            copy.write(block)
    return digest.hexdigest(), size


def sha256_of_stored(name, storage=default_storage):
    with storage.open(name, "rb") as handle:
        return read_sha256(handle)


def sha256_of_file(path):
    with open(path, "rb") as handle:
        return read_sha256(handle)[0]


def copy_and_hash(name, target, storage=default_storage):
    """Copy a stored file to ``target`` and return its SHA-256 and size, reading it once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with storage.open(name, "rb") as source, target.open("wb") as copy:
        return read_sha256(source, copy)


def object_version(name, storage=default_storage):
    """The version id of the object in a versioned bucket (None on the local disk)."""
    if not hasattr(storage, "bucket_name"):
        return None
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=name)
    return head.get("VersionId")


def pg_environment():
    """libpq's environment for the default database (no password on a command line)."""
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db.get("HOST") or "", "PGPORT": str(db.get("PORT") or ""),
           "PGUSER": db.get("USER") or "", "PGDATABASE": db["NAME"]}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def backup(directory, log=print):
    directory = Path(directory)
    if connection.vendor != "postgresql":
        raise BackupError("backup needs PostGIS (DATABASE_URL=postgis://...); for SpatiaLite copy var/ while stopped")
    directory.mkdir(parents=True, exist_ok=False)
    started = timezone.now()
    # The dump first: the manifest then lists at least every file the dump refers to (evidence is append-only).
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(directory / DUMP)],
                   env=pg_environment(), check=True, capture_output=True)
    local = not hasattr(default_storage, "bucket_name")

    # An object several rows name is read once (the least recently named are forgotten: memory stays bounded).
    @functools.lru_cache(maxsize=REMEMBERED_OBJECTS)
    def read(name):
        if local:  # copied and hashed in one pass
            sha256, size = copy_and_hash(name, directory / "files" / name)
        else:
            sha256, size = sha256_of_stored(name)
        return sha256, size, object_version(name)

    # One line per object, written as it is read: a million cases name millions of objects, which as one JSON
    # document took 8 GB of memory to write (and again to read back at restore).
    problems, count = [], 0
    with (directory / OBJECTS).open("w") as lines:
        for kind, pk, field_file, registered in evidence_files():
            name = field_file.name
            sha256, size, version = read(name)
            if sha256 != registered:
                problems.append(f"{kind} {pk}: {name} does not match its registered SHA-256")
            lines.write(json.dumps({"kind": kind, "id": pk, "name": name, "sha256": sha256, "size": size,
                                    "version_id": version}, ensure_ascii=False) + "\n")
            count += 1
    manifest = {"created_at": started.isoformat(), "database": connection.settings_dict["NAME"],
                "storage": "local" if local else f"s3:{default_storage.bucket_name}",
                "dump_sha256": sha256_of_file(directory / DUMP),
                "objects_file": OBJECTS, "objects_sha256": sha256_of_file(directory / OBJECTS), "object_count": count,
                "problems": problems}
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    log(f"backup {directory}: database dump {(directory / DUMP).stat().st_size} bytes, {count} evidence "
        f"objects, {len(problems)} problems")
    return manifest


def manifest_objects(directory):
    """The objects a backup lists (objects.jsonl), one dict at a time."""
    with (Path(directory) / OBJECTS).open() as lines:
        for line in lines:
            yield json.loads(line)


def database_is_empty():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")
        return cursor.fetchone()[0] == 0


def restore(directory, log=print):
    """Restore the dump into the configured (empty) database, then check every object of the manifest."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    if sha256_of_file(directory / DUMP) != manifest["dump_sha256"]:
        raise BackupError(f"{directory / DUMP} is not the dump the manifest names (SHA-256)")
    if sha256_of_file(directory / OBJECTS) != manifest["objects_sha256"]:
        raise BackupError(f"{directory / OBJECTS} is not the list of objects the manifest names (SHA-256)")
    if connection.vendor != "postgresql":
        raise BackupError("restore needs PostGIS (DATABASE_URL=postgis://...)")
    if not database_is_empty():
        raise BackupError(f"database {connection.settings_dict['NAME']} is not empty: restore only into a new one")
    env = pg_environment()
    # Extensions (PostGIS) the new database already has would stop pg_restore: leave them out of its list.
    listing = subprocess.run(["pg_restore", "--list", str(directory / DUMP)], env=env, check=True,
                             capture_output=True, text=True).stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        installed = {row[0] for row in cursor.fetchall()}
    def already_there(line):
        match = re.search(r" (?:EXTENSION -|COMMENT - EXTENSION) (\S+)", line)
        return bool(match) and match.group(1) in installed

    kept = [line for line in listing.splitlines() if not already_there(line)]
    (directory / "restore.list").write_text("\n".join(kept) + "\n")
    connection.close()
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                    "--use-list", str(directory / "restore.list"), "--dbname", env["PGDATABASE"], str(directory / DUMP)],
                   env=env, check=True, capture_output=True, text=True)
    local = manifest["storage"] == "local"
    missing, different = [], []

    @functools.lru_cache(maxsize=REMEMBERED_OBJECTS)
    def check(name):
        """The object's SHA-256 now (put back from the backup first on the local disk), or None when missing."""
        if local and not default_storage.exists(name):
            with (directory / "files" / name).open("rb") as source:
                default_storage._save(name, File(source))  # under its own name (save() might pick another)
        try:
            return sha256_of_stored(name)[0]
        except Exception:  # noqa: BLE001 - whatever the storage says, the object is not there
            return None

    for entry in manifest_objects(directory):
        sha256 = check(entry["name"])
        if sha256 is None:
            missing.append(entry["name"])
        elif sha256 != entry["sha256"]:
            different.append(entry["name"])
    log(f"restored {directory} into {connection.settings_dict['NAME']}: {manifest['object_count']} evidence objects, "
        f"{len(missing)} missing, {len(different)} different")
    return missing, different
